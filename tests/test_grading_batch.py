"""The instructor's batch grader on the solutions, the blank exercises and a bank of known-bad submissions.

Every bad submission must lose exactly the marks it should, with a one-line reason when something
stopped the grading, and none may stop the batch. One grading run (module fixture) feeds most tests.
"""

import csv
import json
import shutil
from pathlib import Path

import pytest

from simlib.cli import main as cli
from simlib.grading import isolate
from simlib.grading.batch import CSV_COLUMNS, grade_dir
from simlib.grading.runner import Limits

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "tests" / "fixtures" / "submissions"
EXPECTED = json.loads((BANK / "expected.json").read_text())
LIMITS = Limits(wall_s=60, cell_s=3, step_s=1, memory_mb=2048, output_kb=256, event_budget=20_000)


def _quiet(*_args):
    pass


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    src = tmp_path_factory.mktemp("submissions")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, src / folder)
    shutil.copytree(BANK, src / "bank", ignore=shutil.ignore_patterns("*.json", "*.py", "__pycache__"))
    out = tmp_path_factory.mktemp("grades")
    results = grade_dir(src, out, LIMITS, seed=2024, random_runs=1, jobs=2, progress=_quiet)
    return {r.submission: r for r in results}, out


def test_every_submission_was_graded(graded):
    results, _ = graded
    assert set(results) == ({f"bank/{name}" for name in EXPECTED}
                            | {f"{d}/{n}" for d in ("solutions", "exercises")
                               for n in ("self-check-64.4", "exercise-64.4.1-returns-agent")})


@pytest.mark.parametrize("name", ["self-check-64.4", "exercise-64.4.1-returns-agent"])
def test_solutions_score_full_marks(graded, name):
    r = graded[0][f"solutions/{name}"]
    assert r.reason == "" and r.cell_errors == []
    assert r.score == r.max_score > 0, [f.line() for f in r.items if not f.passed]


@pytest.mark.parametrize("name", ["self-check-64.4", "exercise-64.4.1-returns-agent"])
def test_blank_exercises_score_zero_without_breaking_the_grader(graded, name):
    r = graded[0][f"exercises/{name}"]
    assert r.assignment == name and r.reason == ""
    assert r.score == 0 and r.max_score > 0
    assert all("NotImplementedError" in f.message or "not judged" in f.message or "did not complete" in f.message
               for f in r.items)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_submission_loses_exactly_what_it_should(graded, name):
    exp = EXPECTED[name]
    r = graded[0][f"bank/{name}"]
    assert r.assignment == exp["assignment"]
    lost = {f.question: round(f.max_score - f.score, 2) for f in r.items if f.score < f.max_score}
    assert lost == pytest.approx({q: round(v, 2) for q, v in exp["lost"].items()}, abs=0.011), \
        [f.line() for f in r.items if not f.passed]
    if exp["reason"]:
        assert exp["reason"] in r.reason and "\n" not in r.reason
    else:
        assert r.reason == ""
    if exp["cell_error"]:
        assert any(exp["cell_error"] in e["error"] for e in r.cell_errors), r.cell_errors


def test_csv_has_a_row_per_submission_and_question(graded):
    results, out = graded
    with open(out / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == sum(max(1, len(r.items)) for r in results.values())
    for row in rows:
        assert (row["passed"] == "yes") == (float(row["score"]) >= float(row["max_score"]) > 0)
    broken = [row for row in rows if row["submission"] == "bank/exercise-64.4.1-returns-agent-invalid-json"]
    assert broken and all(row["score"] == "0" and "not a valid notebook" in row["reason"] for row in broken)


def test_results_json_is_gradescope_shaped_and_never_overclaims(graded):
    results, out = graded
    files = list((out / "results").glob("*.json"))
    assert len(files) == len(results)
    for p in files:
        d = json.loads(p.read_text())
        assert {"score", "max_score", "output", "tests"} <= set(d)
        assert d["score"] == pytest.approx(sum(t["score"] for t in d["tests"]), abs=1e-6)
        for t in d["tests"]:
            assert {"name", "score", "max_score", "status", "output"} <= set(t)
            assert (t["status"] == "passed") == (t["score"] >= t["max_score"])
        if "all" in d["output"] and "passed" in d["output"]:
            assert d["score"] == d["max_score"]
        if d["score"] < d["max_score"]:
            assert "not passed" in d["output"] or "not graded" in d["output"]


def test_outputs_never_reveal_reference_answers(graded):
    _, out = graded
    for p in (out / "results").glob("*.json"):
        for t in json.loads(p.read_text())["tests"]:
            if t["status"] == "passed":
                continue
            # The list of allowed names (shown when an answer could not be read) names every option.
            text = t["output"].lower().replace("temporal, restate, hatchet, inngest, langgraph", "")
            if t["name"] == "a_engine":
                assert "temporal" not in text
            if t["name"] == "q4_nightly_batch":
                assert "dag" not in text
            if t["name"] in ("a_idempotency_steps", "a_compensation_steps"):
                assert "3, 4" not in text and "{3" not in text


def test_pass_rate_table(graded):
    _, out = graded
    with open(out / "pass_rates.csv", newline="") as fh:
        rows = {(r["assignment"], r["question"]): r for r in csv.DictReader(fh)}
    assert (out / "report.html").stat().st_size > 1000 and (out / "report.png").read_bytes()[:4] == b"\x89PNG"
    row = rows[("exercise-64.4.1-returns-agent", "b_saga_voids_label")]
    assert int(row["passed"]) <= int(row["submissions"])
    assert float(row["pass_rate"]) == pytest.approx(int(row["passed"]) / int(row["submissions"]), abs=1e-3)
    assert ("self-check-64.4", "q2_why") in rows


def test_results_survive_a_killed_grader_and_resume_finishes_the_rest(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("wrong-sets", "saga-forgets-void", "exercise-64.4.1-returns-agent-invalid-json"):
        shutil.copy(BANK / f"{name}.ipynb", src / f"{name}.ipynb")
    out = tmp_path / "out"

    def killed(_result):
        raise KeyboardInterrupt     # the grader dies right after writing its first submission

    with pytest.raises(KeyboardInterrupt):
        grade_dir(src, out, LIMITS, random_runs=0, progress=_quiet, on_result=killed)
    assert len(list((out / "results").glob("*.json"))) == 1
    with open(out / "grades.csv", newline="") as fh:
        first = {row["submission"] for row in csv.DictReader(fh)}
    assert len(first) == 1
    again = grade_dir(src, out, LIMITS, random_runs=0, progress=_quiet, resume=True)
    assert len(again) == 2 and not first & {r.submission for r in again}
    with open(out / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["submission"] for r in rows} == {"wrong-sets", "saga-forgets-void",
                                               "exercise-64.4.1-returns-agent-invalid-json"}
    per = [(r["submission"], r["question"]) for r in rows]
    assert len(per) == len(set(per))          # nothing graded twice


@pytest.mark.parametrize("args,msg", [
    (["grade", "/no/such/dir", "--out", "x"], "does not exist"),
    (["grade", "."], "--out"),
    (["grade", "EMPTY", "--out", "x"], "no .ipynb files"),
    (["grade", "BANK", "--out", "x", "--jobs", "0"], "--jobs"),
    (["grade", "BANK", "--out", "x", "--timeout", "-1"], "--timeout"),
    (["grade", "BANK", "--out", "x", "--timeout", "nan"], "--timeout"),
    (["grade", "BANK", "--out", "x", "--cell-timeout", "inf"], "--cell-timeout"),
    (["grade", "BANK", "--out", "x", "--memory-mb", "0"], "--memory-mb"),
    (["grade", "BANK", "--out", "FILE"], "is a file"),
    (["grade", "BANK", "--out", "x", "--memory-mb", "40"], "grader problem"),
])
def test_bad_command_lines_exit_2_with_one_line(tmp_path, capsys, args, msg):
    """Bad options, an --out that is a file, and limits too small to start Python are refused before grading."""
    if msg == "grader problem" and not isolate.bwrap_path():
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap")
    (tmp_path / "empty").mkdir()
    (tmp_path / "afile").write_text("x")
    args = [str(tmp_path / "empty") if a == "EMPTY" else str(BANK) if a == "BANK" else
            str(tmp_path / "out") if a == "x" else str(tmp_path / "afile") if a == "FILE" else a for a in args]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert msg in err and len(err.splitlines()) == 1


def test_without_bwrap_the_grader_refuses_unless_told_to_run_unsafely(tmp_path, capsys, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(ROOT / "solutions" / "self-check-64.4.ipynb", src / "self-check-64.4.ipynb")
    monkeypatch.setattr(isolate, "bwrap_path", lambda: None)
    assert cli(["grade", str(src), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "apt-get install -y bubblewrap" in err and "--unsafe-no-sandbox" in err
    assert cli(["grade", str(src), "--out", str(tmp_path / "out"), "--quiet", "--unsafe-no-sandbox"]) == 0
    with open(tmp_path / "out" / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["passed"] == "yes" for r in rows)


def test_the_report_names_what_fails_and_what_could_not_be_graded(graded):
    from simlib.grading.batch import pass_rates
    from simlib.grading.manifest import Manifest
    from simlib.grading.report import class_summary

    _, out = graded
    data = json.loads((out / "manifest.json").read_text())
    m = Manifest(out, data["settings"])
    m.entries = data["entries"]
    summary = class_summary(m, pass_rates(m.rows()))
    assert summary["submissions"] == len(data["entries"])
    assert any(s == "bank/exercise-64.4.1-returns-agent-invalid-json" and "not a valid notebook" in why
               for s, why in summary["ungraded"])
    inv, count = summary["failing_invariant"]
    assert inv.startswith("b_") and count >= 1
    html = (out / "report.html").read_text()
    assert inv in html and "not a valid notebook" in html

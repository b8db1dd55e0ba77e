"""The batch grader against a class that attacks it: a bank of hostile and broken submissions.

Every entry of the bank (see `grading_bank.hostile`) goes through the real bubblewrap sandbox
and must get the grade its expectation states. After the bank, nothing outside the output folder
may have changed and no process it started may be alive; the same bank graded again must give the
same files, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grading_bank import hostile

from simlib.grading import isolate
from simlib.grading.batch import grade_dir
from simlib.grading.collect import SUFFIX, display_id
from simlib.grading.manifest import MANIFEST_NAME
from simlib.grading.runner import Limits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(isolate.bwrap_path() is None,
                       reason="bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap"),
]

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(wall_s=25, cell_s=8, step_s=1, memory_mb=1536, output_kb=256, processes=32)
SEED = 918_273_645
MARKER = "grader-only-marker-5be1f0"


def _quiet(*_args):
    pass


def tree_digest(top: Path) -> dict:
    """Path -> digest of every entry under ``top``, links and special files by type, never opened."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames + dirnames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                if st.st_size > 64 * 1024 * 1024:
                    out[p] = f"big:{st.st_size}:{st.st_mtime_ns}"
                else:
                    with open(p, "rb") as fh:
                        out[p] = hashlib.sha256(fh.read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                out[p] = "link:" + os.readlink(p)
            else:
                out[p] = f"mode:{stat.S_IFMT(st.st_mode)}"
    return out


def sandbox_processes() -> list[str]:
    """Processes on this machine that run as a sandbox uid of this grader."""
    lo = isolate.UID_BASE + (os.getpid() % 4096) * 64
    alive = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as fh:
                uid = next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
        except (OSError, StopIteration, ValueError):
            continue
        if lo <= uid < lo + 64:
            alive.append(pid)
    return alive


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    base = tmp_path_factory.mktemp("bank")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    ctx = hostile.BankContext(src=base / "submissions", out=base / "grades", port=listener.getsockname()[1])
    entries = hostile.build(ctx)
    before = {d: tree_digest(d) for d in (ROOT / "simlib", ROOT / "solutions", ctx.src)}
    os.environ["BANK_MARKER"] = MARKER
    try:
        t0 = time.monotonic()
        results = grade_dir(ctx.src, ctx.out, LIMITS, seed=SEED, random_runs=1, jobs=2, progress=_quiet)
        took = time.monotonic() - t0
    finally:
        os.environ.pop("BANK_MARKER", None)
    print(f"\nbank: {len(entries)} entries graded in {took:.1f} s")
    yield {"ctx": ctx, "entries": entries, "results": {r.submission: r for r in results}, "before": before,
           "listener": listener, "took": took}
    listener.close()


def _sid(rel: str) -> str:
    return display_id(rel.removesuffix(SUFFIX))


def _check(name: str, exp: hostile.Expect, r, controls: dict) -> list[str]:
    problems = []
    scores = {f.question: f.score for f in r.items}
    if exp.ungradable:
        if exp.ungradable not in r.reason or r.score != 0:
            problems.append(f"expected ungradable ({exp.ungradable}), got {r.score} / {r.reason!r}")
        return problems
    if exp.reason and exp.reason not in r.reason:
        problems.append(f"reason {r.reason!r} lacks {exp.reason!r}")
    if not exp.reason and r.reason:
        problems.append(f"unexpected reason {r.reason!r}")
    if exp.cell_error and not any(exp.cell_error in e.get("error", "") for e in r.cell_errors):
        problems.append(f"no cell error with {exp.cell_error!r}: {r.cell_errors}")
    if exp.lost_all:
        if r.score != 0 or not r.items:
            problems.append(f"expected 0 on every question, got {r.score}")
        return problems
    control = controls[exp.base]
    want = {f.question: f.score for f in control.items}
    if set(want) != set(scores):
        return problems + [f"questions differ from the {exp.base}: {sorted(set(want) ^ set(scores))}"]
    lost = set(exp.lost) | ({q for q in want if q.startswith("b_") and want[q] > 0} if exp.lost_part_b else set())
    for q, s in scores.items():
        if q in lost:
            if s >= want[q] and want[q] > 0:
                problems.append(f"{q} should have lost marks: {s}")
        elif q in exp.may_lose or (exp.may_lose_part_b and q.startswith("b_")):
            if s > want[q]:
                problems.append(f"{q} scored above the {exp.base}: {s}")
        elif abs(s - want[q]) > 1e-9:
            problems.append(f"{q}: {s} instead of the {exp.base}'s {want[q]}")
    if exp.failing_mentions:
        texts = [f.message + f.detail for f in r.items if not f.passed]
        if not any(exp.failing_mentions in t for t in texts):
            problems.append(f"no failing check mentions {exp.failing_mentions!r}")
    return problems


def test_every_hostile_submission_gets_the_grade_it_should(bank):
    """Each entry: its expected score relative to the controls and its reason; the batch never stops."""
    entries, results = bank["entries"], bank["results"]
    assert len(entries) >= 40
    controls = {"solution": results[_sid(f"control-solution/{hostile.EX}.ipynb")],
                "blank": results[_sid(f"control-blank/{hostile.EX}.ipynb")]}
    assert controls["solution"].score == controls["solution"].max_score > 0
    assert controls["blank"].score == 0
    assert set(results) == {_sid(rel) for rel in entries}, "exactly the bank's entries, nothing from links"
    problems = {}
    for rel, exp in entries.items():
        found = _check(rel, exp, results[_sid(rel)], controls)
        if found:
            problems[rel] = found
    assert not problems, json.dumps(problems, indent=1)


def test_names_are_safe_unique_and_short(bank):
    out = bank["ctx"].out
    files = sorted(p.name for p in (out / "results").iterdir())
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(e["results_file"] for e in manifest["entries"].values()) == files
    assert len(files) == len(bank["entries"]) and all(len(n.encode()) <= 90 for n in files)
    assert any("\\xe9" in sid for sid in bank["results"])          # the non-UTF-8 name, shown escaped
    csv_text = (out / "grades.csv").read_text(encoding="utf-8")
    rows = csv_text.splitlines()[1:]
    assert len(rows) == sum(max(1, len(r.items)) for r in bank["results"].values())


def test_nothing_outside_the_output_folder_changed_and_no_process_survived(bank):
    ctx = bank["ctx"]
    time.sleep(5)        # the setsid grandchild would have written by now
    for d, digest in bank["before"].items():
        assert tree_digest(d) == digest, f"{d} changed"
    assert sandbox_processes() == []
    with pytest.raises(BlockingIOError):
        bank["listener"].accept()                      # nobody connected to 127.0.0.1
    for p in ctx.out.rglob("*"):
        if p.is_file() and p.suffix in (".csv", ".json", ".html"):
            text = p.read_text(encoding="utf-8", errors="replace")
            assert "FORGED" not in text and "GHOST" not in text and "PLANTED" not in text, p
    assert not (ctx.out / "results" / "zz-later-learner.json").exists()


def test_no_secret_reaches_any_output(bank):
    ctx = bank["ctx"]
    for p in ctx.out.rglob("*"):
        if p.is_file() and p.suffix in (".csv", ".json", ".html"):
            text = p.read_text(encoding="utf-8", errors="replace")
            assert MARKER not in text and str(SEED) not in text, p
    leak = bank["results"][_sid(f"env-and-paths/{hostile.EX}.ipynb")]
    text = json.dumps([f.message + f.detail for f in leak.items])
    # The interpreter's own folder is mounted (read-only) at its real path, so a learner may see it (in
    # PATH, in sys.prefix); when the venv sits inside the repository, as CI's does, that path starts with
    # the repository's. Nothing else of the host may show.
    # Messages are cut to a length, so the path may show only in part ("/repo/.ci/venv-olde"): mask the
    # venv's path and every cut of it that still names the venv folder, nothing else under the repository.
    for venv in {sys.prefix, os.path.realpath(sys.prefix)}:
        parent = os.path.dirname(venv)
        # A cut may fall anywhere after the venv's first folder inside the repository.
        start = len(str(ROOT)) + 1 if venv.startswith(str(ROOT) + "/") else len(parent) + 2
        cuts = "|".join(re.escape(venv[:n]) for n in range(len(venv), start - 1, -1))
        text = re.sub("(?:" + cuts + r")[^\s\"',:]*", "<venv>", text)
    for secret in (str(ctx.src), str(ctx.out), str(ROOT), "PYTEST", "BANK_MARKER"):
        assert secret not in text


def test_grading_the_bank_again_gives_identical_files(bank, tmp_path):
    """The second run is the command line in a fresh interpreter (another hash seed, another schedule)."""
    ctx = bank["ctx"]
    again = tmp_path / "again"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "simlib", "grade", str(ctx.src), "--out", str(again), "--quiet",
           "--timeout", str(LIMITS.wall_s), "--cell-timeout", str(LIMITS.cell_s), "--step-timeout",
           str(LIMITS.step_s), "--memory-mb", str(LIMITS.memory_mb), "--output-kb", str(LIMITS.output_kb),
           "--processes", str(LIMITS.processes), "--seed", str(SEED), "--random-runs", "1", "--jobs", "2"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    first = {p.relative_to(ctx.out): p.read_bytes() for p in ctx.out.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    differ = [str(k) for k in first if first[k] != second[k]]
    assert not differ, differ


def test_resume_trusts_only_what_the_grader_recorded(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    shutil.copy(ROOT / "solutions" / "self-check-64.4.ipynb", src / "one-self-check-64.4.ipynb")
    shutil.copy(ROOT / "solutions" / "self-check-64.4.ipynb", src / "two-self-check-64.4.ipynb")
    grade_dir(src, out, LIMITS, seed=SEED, random_runs=0, progress=_quiet)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    names = {e["submission"]: e["results_file"] for e in manifest["entries"].values()}
    # Tamper with one results file, and plant one for a learner who has not been graded yet.
    (out / "results" / names["two-self-check-64.4"]).write_text('{"score": 0}')
    shutil.copy(ROOT / "exercises" / "self-check-64.4.ipynb", src / "three-self-check-64.4.ipynb")
    planted = {"score": 20, "max_score": 20, "tests": [], "extra_data": {"submission": "three-self-check-64.4"}}
    for n in ("three-self-check-64.4.json", "three-self-check-64_4-000000000000.json"):
        (out / "results" / n).write_text(json.dumps(planted))
    again = grade_dir(src, out, LIMITS, seed=SEED, random_runs=0, resume=True, progress=_quiet)
    assert sorted(r.submission for r in again) == ["three-self-check-64.4", "two-self-check-64.4"]
    three = next(r for r in again if r.submission == "three-self-check-64.4")
    assert three.score == 0
    rows = (out / "grades.csv").read_text().splitlines()[1:]
    per = [tuple(r.split(",")[:3]) for r in rows]
    assert len(per) == len(set(per)) and {p[0] for p in per} == {"one-self-check-64.4", "two-self-check-64.4",
                                                                "three-self-check-64.4"}

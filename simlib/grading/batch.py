"""The instructor's batch grader: ``python -m simlib grade DIR --out OUTDIR``.

Every ``.ipynb`` under DIR is graded in its own sandboxed process (see
`simlib.grading.submission`). Results are written as each submission
finishes, so a grader that is killed half-way keeps everything it had done:

* ``grades.csv``: one row per submission and question (appended and flushed);
* ``results/<submission>.json``: Gradescope-style (``score``, ``max_score``,
  ``tests`` with ``name``, ``score``, ``max_score``, ``status``, ``output``),
  written atomically;
* ``pass_rates.csv``: per question, how many submissions got full marks (also printed).

``--resume`` skips submissions that already have a results file. A broken
submission never stops the batch; bad command-line input prints one line and
exits with status 2.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..core.errors import ConfigError
from .feedback import Feedback
from .runner import Limits
from .submission import BATCH_SEED, SubmissionResult, grade_submission

__all__ = ["grade_dir", "results_json", "pass_rates", "CSV_COLUMNS"]

CSV_COLUMNS = ["submission", "assignment", "question", "score", "max_score", "status", "passed", "reason"]


def find_submissions(src: Path) -> list[Path]:
    """Every notebook under ``src``, checkpoints excluded, in a stable order."""
    return sorted(p for p in Path(src).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def submission_id(src: Path, path: Path) -> str:
    return Path(path).relative_to(src).with_suffix("").as_posix()


def _safe_name(sid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in sid.replace("/", "__"))


def results_json(r: SubmissionResult) -> dict:
    """The Gradescope-style results of one submission.

    The summary line is computed from the same tests as the score, so it can never
    say everything passed while points are missing.
    """
    tests = [{"name": f.question, "score": f.score, "max_score": f.max_score,
              "status": "passed" if f.passed else "failed", "output": _test_output(f)} for f in r.items]
    failed = sum(1 for t in tests if t["status"] == "failed")
    score, total = r.score, r.max_score
    if not tests:
        summary = f"not graded: {r.reason}"
    elif failed == 0:
        assert score == total, "a submission that passed every test must have full marks"
        summary = f"{score:g}/{total:g} points: all {len(tests)} checks passed"
    else:
        summary = f"{score:g}/{total:g} points: {failed} of {len(tests)} checks not passed"
    if r.reason and tests:
        summary += f" (grading was cut short: {r.reason})"
    out = {"score": score, "max_score": total, "output": summary, "tests": tests,
           "extra_data": {"submission": r.submission, "assignment": r.assignment,
                          "cell_errors": r.cell_errors[:20]}}
    return out


def _test_output(f: Feedback) -> str:
    parts = [f.message]
    if f.hint:
        parts.append(f"hint: {f.hint}")
    if f.detail:
        parts.append(f.detail)
    return "\n".join(parts)


def _rows(r: SubmissionResult) -> list[list]:
    if not r.items:
        return [[r.submission, r.assignment or "", "-", 0, 0, "error", "no", r.reason]]
    return [[r.submission, r.assignment or "", f.question, f"{f.score:g}", f"{f.max_score:g}", f.status,
             "yes" if f.passed else "no", f.message.replace("\n", " ")[:300]] for f in r.items]


class _Writer:
    """Appends CSV rows and writes results files as submissions finish (thread-safe)."""

    def __init__(self, out: Path, resume: bool):
        self.out = out
        self.lock = threading.Lock()
        (out / "results").mkdir(parents=True, exist_ok=True)
        self.csv_path = out / "grades.csv"
        done = self.done_ids() if resume else set()
        kept = []
        if resume and self.csv_path.exists():
            with open(self.csv_path, newline="", encoding="utf-8") as fh:
                kept = [row for row in csv.reader(fh)][1:]
            # Rows of a submission whose results file is missing were cut off by a kill: regrade it.
            kept = [row for row in kept if row and row[0] in done]
        tmp = self.csv_path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_COLUMNS)
            w.writerows(kept)
        os.replace(tmp, self.csv_path)

    def done_ids(self) -> set[str]:
        ids = set()
        for p in (self.out / "results").glob("*.json"):
            try:
                ids.add(json.loads(p.read_text(encoding="utf-8"))["extra_data"]["submission"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return ids

    def write(self, r: SubmissionResult) -> None:
        with self.lock:
            # CSV rows first, the results file last: a results file means the rows are on disk.
            with open(self.csv_path, "a", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(_rows(r))
                fh.flush()
                os.fsync(fh.fileno())
            path = self.out / "results" / f"{_safe_name(r.submission)}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(results_json(r), indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)


def pass_rates(csv_path: Path) -> list[dict]:
    """Per assignment and question: submissions, full marks, pass rate and mean score."""
    table: dict = {}
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["question"] == "-":
                continue
            k = (row["assignment"], row["question"])
            t = table.setdefault(k, {"assignment": k[0], "question": k[1], "submissions": 0, "passed": 0,
                                     "score_sum": 0.0, "max_score": float(row["max_score"])})
            t["submissions"] += 1
            t["passed"] += row["passed"] == "yes"
            t["score_sum"] += float(row["score"])
    out = []
    for t in table.values():
        n = t.pop("submissions")
        s = t.pop("score_sum")
        out.append({**t, "submissions": n, "pass_rate": round(t["passed"] / n, 4) if n else 0.0,
                    "mean_score": round(s / n, 4) if n else 0.0})
    return out


def _write_pass_rates(out: Path, rows: list[dict]) -> str:
    cols = ["assignment", "question", "submissions", "passed", "pass_rate", "mean_score", "max_score"]
    with open(out / "pass_rates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    width = max([len(r["question"]) for r in rows] + [8])
    lines = [f"{'question':<{width}}  passed  rate   mean/max"]
    last = None
    for r in rows:
        if r["assignment"] != last:
            lines.append(f"[{r['assignment']}]")
            last = r["assignment"]
        lines.append(f"{r['question']:<{width}}  {r['passed']:>3}/{r['submissions']:<3} {r['pass_rate']:>5.0%}  "
                     f"{r['mean_score']:g}/{r['max_score']:g}")
    return "\n".join(lines)


def grade_dir(src: Path, out: Path, limits: Limits = Limits(), seed: int = BATCH_SEED, random_runs: int = 8,
              jobs: int = 1, resume: bool = False, progress=print, on_result=None) -> list[SubmissionResult]:
    """Grade every notebook under ``src`` into ``out``; returns the results graded in this call.

    Args:
        on_result: called with each `SubmissionResult` after it is written (tests use it).
    """
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ConfigError(f"submissions folder {str(src)!r} does not exist or is not a folder")
    paths = find_submissions(src)
    if not paths:
        raise ConfigError(f"no .ipynb files under {str(src)!r}")
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    writer = _Writer(out, resume)
    done = writer.done_ids() if resume else set()
    todo = [(p, submission_id(src, p)) for p in paths if submission_id(src, p) not in done]
    results: list[SubmissionResult] = []

    def one(item):
        path, sid = item
        t0 = time.monotonic()
        try:
            r = grade_submission(path, limits, seed, random_runs, submission_id=sid)
        except Exception as e:  # noqa: BLE001 - a grader bug must not stop the batch
            r = SubmissionResult(sid, None, [], f"internal grader error: {type(e).__name__}: {e}")
        writer.write(r)
        progress(f"{sid}: {r.score:g}/{r.max_score:g}" + (f"  ({r.reason})" if r.reason else "")
                 + f"  [{time.monotonic() - t0:.1f}s]")
        if on_result is not None:
            on_result(r)
        return r

    if jobs == 1:
        results = [one(item) for item in todo]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, todo))
    rows = pass_rates(writer.csv_path)
    progress(_write_pass_rates(out, rows))
    return results

"""The instructor's batch grader: ``python -m simlib grade DIR --out OUTDIR``.

Every ``.ipynb`` under DIR is graded in its own bubblewrap sandbox (see
`simlib.grading.runner`). The grader alone writes the output folder, each
file atomically, after every submission, so a grader that is killed half-way
keeps everything it had done:

* ``results/<name>-<hash>.json``: Gradescope-style (``score``, ``max_score``,
  ``tests`` with ``name``, ``score``, ``max_score``, ``status``, ``output``);
* ``manifest.json``: the grader's own record (rows and digests; see
  `simlib.grading.manifest`), the only thing ``--resume`` trusts;
* ``grades.csv``: one row per submission and question, rebuilt from the manifest;
* ``pass_rates.csv``: per question, how many submissions got full marks (also printed);
* ``report.html`` and ``report.png``: the class at a glance (see `simlib.grading.report`).

A broken, hostile or strange file never stops the batch: it gets rows that say
why it could not be graded. Bad command-line input, and limits too small for
the sandbox to start at all (a grader problem, not a learner's), print one
line and exit with status 2 before anything is graded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from ..core.errors import ConfigError
from .collect import Entry, find_entries, results_name
from .feedback import Feedback
from .isolate import BWRAP_INSTALL
from .manifest import Manifest, sha256, write_atomic
from .runner import Limits, Sandbox, SandboxError, SandboxUnavailable
from .submission import (
    BATCH_SEED,
    SubmissionResult,
    grade_submission,
    read_bounded,
    ungradable,
)

__all__ = ["grade_dir", "results_json", "pass_rates", "CSV_COLUMNS", "preflight", "BWRAP_INSTALL"]

CSV_COLUMNS = ["submission", "assignment", "question", "score", "max_score", "status", "passed", "reason"]


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
    return {"score": score, "max_score": total, "output": summary, "tests": tests,
            "extra_data": {"submission": r.submission, "assignment": r.assignment,
                           "cell_errors": r.cell_errors[:20]}}


def _test_output(f: Feedback) -> str:
    parts = [f.message]
    if f.hint:
        parts.append(f"hint: {f.hint}")
    if f.detail:
        parts.append(f.detail)
    return "\n".join(parts)


def _rows(r: SubmissionResult) -> list[list]:
    if not r.items:
        return [[r.submission, r.assignment or "", "-", "0", "0", "error", "no", r.reason]]
    return [[r.submission, r.assignment or "", f.question, f"{f.score:g}", f"{f.max_score:g}", f.status,
             "yes" if f.passed else "no", f.message.replace("\n", " ")[:300]] for f in r.items]


def _csv_bytes(rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8", "backslashreplace")


def pass_rates(rows: list[list]) -> list[dict]:
    """Per assignment and question: submissions, full marks, pass rate and mean score."""
    table: dict = {}
    for row in rows:
        if len(row) != len(CSV_COLUMNS) or row[2] == "-":
            continue
        try:
            score, max_score = float(row[3]), float(row[4])
        except ValueError:
            continue
        k = (row[1], row[2])
        t = table.setdefault(k, {"assignment": k[0], "question": k[1], "submissions": 0, "passed": 0,
                                 "score_sum": 0.0, "max_score": max_score})
        t["submissions"] += 1
        t["passed"] += row[6] == "yes"
        t["score_sum"] += score
    out = []
    for k in sorted(table):
        t = dict(table[k])
        n = t.pop("submissions")
        s = t.pop("score_sum")
        out.append({**t, "submissions": n, "pass_rate": round(t["passed"] / n, 4) if n else 0.0,
                    "mean_score": round(s / n, 4) if n else 0.0})
    return out


def _pass_rates_files(out: Path, rows: list[dict]) -> str:
    cols = ["assignment", "question", "submissions", "passed", "pass_rate", "mean_score", "max_score"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_atomic(out / "pass_rates.csv", buf.getvalue().encode())
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


class _Writer:
    """Writes one submission's results, the manifest and grades.csv, in that order (thread-safe)."""

    def __init__(self, out: Path, manifest: Manifest):
        self.out = out
        self.manifest = manifest
        self.lock = threading.Lock()

    def write(self, entry: Entry, r: SubmissionResult, notebook_sha: str) -> None:
        name = results_name(entry)
        data = json.dumps(results_json(r), indent=1, sort_keys=True, ensure_ascii=True).encode()
        summary = {"score": r.score, "max_score": r.max_score, "reason": r.reason, "graded": bool(r.items)
                   and not r.reason.startswith(("could not", "cannot"))}
        with self.lock:
            write_atomic(self.out / "results" / name, data)
            self.manifest.record(name, r.submission, _rows(r), name, data, notebook_sha, summary)
            self.manifest.save()
            self.flush_csv()

    def flush_csv(self) -> None:
        write_atomic(self.out / "grades.csv", _csv_bytes(self.manifest.rows()))


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file; give a folder (it is created if missing)")
    try:
        (out / "results").mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        write_atomic(probe, b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"--out {str(out)!r} is not writable ({e.strerror}); give a folder you can write") from None


def preflight(limits: Limits, isolated: bool = True) -> None:
    """Start one empty sandbox with these limits; a failure is the grader's problem, not a learner's.

    Raises:
        ConfigError: bubblewrap is missing or unusable, or the limits are too small to start Python.
    """
    probe = Limits(wall_s=max(30.0, min(limits.wall_s, 60.0)), cell_s=limits.cell_s, step_s=limits.step_s,
                   memory_mb=limits.memory_mb, output_kb=limits.output_kb, processes=limits.processes)
    # What every course notebook does first: Python, IPython, simlib and matplotlib must fit.
    source = "import simlib, simlib.grading\nimport matplotlib.pyplot\nprobe = 1"
    box = Sandbox([{"index": 0, "id": "probe", "source": source}], probe, isolated=isolated)
    try:
        errors = box.start()
        values = box.answers(["probe"])
        if errors or values.get("probe") != {"value": 1}:
            raise SandboxError("the probe cell did not run")
    except SandboxUnavailable as e:
        raise ConfigError(f"{e}; or pass --unsafe-no-sandbox to run submissions without isolation") from None
    except OSError as e:
        raise ConfigError(f"grader problem: the sandbox could not be started ({e})") from None
    except SandboxError as e:
        printed = box.output(8000).strip().splitlines()
        why = printed[-1][:80] if printed else str(e)[:80]
        raise ConfigError(f"grader problem: an empty sandbox cannot start Python with --memory-mb {limits.memory_mb} "
                          f"and --processes {limits.processes} ({why}); raise them") from None
    finally:
        box.close()


def _settings_digest(limits: Limits, seed: int, random_runs: int, isolated: bool) -> dict:
    # Only a digest: the manifest must not hold the campaign seed in clear.
    numbers = {k: float(v) for k, v in asdict(limits).items()}     # 25 and 25.0 are the same limit
    blob = json.dumps({"limits": numbers, "seed": seed, "random_runs": random_runs,
                       "isolated": isolated}, sort_keys=True)
    return {"sha256": hashlib.sha256(blob.encode()).hexdigest()}


def grade_dir(src: Path, out: Path, limits: Limits = Limits(), seed: int = BATCH_SEED, random_runs: int = 8,
              jobs: int = 1, resume: bool = False, progress=print, on_result=None, isolated: bool = True,
              bar: bool = False, report: bool = True) -> list[SubmissionResult]:
    """Grade every notebook under ``src`` into ``out``; returns the results graded in this call.

    Args:
        on_result: called with each `SubmissionResult` after it is written (tests use it).
        isolated: run submissions in bubblewrap (False: ``--unsafe-no-sandbox``).
        bar: show a progress bar on stderr instead of one line per submission.
        report: write ``report.html`` and ``report.png``.
    """
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise ConfigError(f"submissions folder {str(src)!r} does not exist or is not a folder")
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    entries, walk_warnings = find_entries(str(src), skip=(os.path.realpath(out),))
    if not entries:
        raise ConfigError(f"no .ipynb files under {str(src)!r}")
    _prepare_out(out)
    preflight(limits, isolated)
    manifest = Manifest(out, _settings_digest(limits, seed, random_runs, isolated))
    warnings = list(walk_warnings)
    if resume:
        warnings += manifest.load_trusted()
    writer = _Writer(out, manifest)
    writer.flush_csv()
    todo = []
    for e in entries:
        raw, why = (None, e.problem) if e.problem else read_bounded(e.path)
        digest = sha256(raw) if raw is not None else "unreadable:" + why
        if resume and manifest.done(results_name(e), digest):
            continue
        todo.append((e, raw, why, digest))
    for w in warnings:
        progress(f"warning: {w}")

    from tqdm import tqdm

    meter = tqdm(total=len(todo), file=sys.stderr, unit="nb", disable=not bar, dynamic_ncols=True)
    lock = threading.Lock()

    def one(item) -> SubmissionResult:
        e, raw, why, digest = item
        try:
            if raw is None:
                r = ungradable(e.sid, e.rel, why)
            else:
                r = grade_submission(Path(e.path), limits, seed, random_runs, submission_id=e.sid,
                                     isolated=isolated, raw=raw)
        except Exception as exc:  # noqa: BLE001 - a grader bug must not stop the batch
            r = ungradable(e.sid, e.rel, f"internal grader error: {type(exc).__name__}: {exc}")
        writer.write(e, r, digest)
        with lock:
            meter.update(1)
            if not bar:
                progress(f"{r.submission}: {r.score:g}/{r.max_score:g}" + (f"  ({r.reason})" if r.reason else ""))
        if on_result is not None:
            on_result(r)
        return r

    try:
        if jobs == 1:
            results = [one(item) for item in todo]
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(one, todo))
    finally:
        meter.close()
    rates = pass_rates(manifest.rows())
    progress(_pass_rates_files(out, rates))
    if report:
        from .report import write_report

        write_report(out, manifest, rates)
    return results

"""Grade one submitted notebook: read it, run it in a sandbox, grade its answers.

Answers are found by variable name in the namespace the notebook's cells
built, never by cell position, so moved or deleted cells cost only the
answers they held. Every value crosses from the sandbox as JSON, so the
grader compares plain numbers, strings and lists, whatever objects the
learner built. Anything that cannot be graded scores zero with a one-line
reason; nothing here raises for a broken submission.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .assignments import ASSIGNMENTS, Assignment
from .campaign import DEFAULT_EVENT_BUDGET, INVARIANTS, campaign_cases, grade_workflow
from .feedback import ERROR, INVALID, Feedback
from .feedback import MISSING as MISSING_STATUS
from .questions import MISSING
from .runner import Limits, Sandbox, SandboxError

__all__ = [
    "BATCH_SEED",
    "MAX_BYTES",
    "SubmissionResult",
    "code_cells",
    "grade_submission",
    "identify_assignment",
    "read_bounded",
    "read_notebook",
    "ungradable",
]

MAX_BYTES = 50 * 1024 * 1024

# The batch grader's campaign seed: not the notebook's practice seed (instructors may pass their own).
BATCH_SEED = 64_41


@dataclass
class SubmissionResult:
    """The grade of one submission.

    Attributes:
        submission: its id (path relative to the graded folder, without ``.ipynb``).
        assignment: the assignment id, or None when it could not be told.
        items: one `Feedback` per question (Part B: per invariant).
        reason: one line when something stopped part of the grading, else "".
        cell_errors: the cells that raised, as ``{"index", "id", "error"}``.
    """

    submission: str
    assignment: str | None
    items: list[Feedback]
    reason: str = ""
    cell_errors: list = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(f.score for f in self.items), 4)

    @property
    def max_score(self) -> float:
        return round(sum(f.max_score for f in self.items), 4)


def read_bounded(path, limit: int = MAX_BYTES) -> tuple[bytes | None, str]:
    """The bytes of a regular file of at most ``limit`` bytes, or None and a one-line reason.

    The file is opened without following a symbolic link and without blocking
    (a FIFO would otherwise wait forever), checked to be a regular file, and its
    size is checked before anything is read; the read itself is bounded too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == getattr(os, "ELOOP", -1) or os.path.islink(path):
            return None, "it is a symbolic link, not a file (links are not followed)"
        return None, f"cannot read the file: {e.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "it is not a regular file (a FIFO, device or socket)"
        if st.st_size > limit:
            return None, f"the file is larger than {limit // (1024 * 1024)} MB"
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
    except OSError as e:
        return None, f"cannot read the file: {e.strerror}"
    finally:
        os.close(fd)
    if len(raw) > limit:
        return None, f"the file is larger than {limit // (1024 * 1024)} MB"
    return raw, ""


def read_notebook(path: Path, raw: bytes | None = None) -> tuple[dict | None, str]:
    """The notebook as a dict, or None and a one-line reason (``raw``: its bytes, if already read)."""
    if raw is None:
        raw, why = read_bounded(path)
        if raw is None:
            return None, why
    try:
        nb = json.loads(raw.decode("utf-8", "replace"))
    except ValueError as e:
        return None, f"not a valid notebook: the file is not JSON ({str(e).splitlines()[0][:80]})"
    except RecursionError:
        return None, "not a valid notebook: its JSON is nested too deeply"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not a valid notebook: it has no list of cells"
    return nb, ""


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def code_cells(nb: dict) -> list[dict]:
    """The code cells in notebook order: ``{"index", "id", "source"}``."""
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            out.append({"index": i, "id": str(cell.get("id", "")), "source": _source(cell)})
    return out


def identify_assignment(nb: dict | None, path: Path) -> Assignment | None:
    """The assignment from the notebook's metadata, its file name, or the variables it sets."""
    if nb is not None:
        meta = nb.get("metadata")
        aid = meta.get("simlib", {}).get("assignment") if isinstance(meta, dict) and \
            isinstance(meta.get("simlib"), dict) else None
        if aid in ASSIGNMENTS:
            return ASSIGNMENTS[aid]
    name = Path(path).name
    for aid in sorted(ASSIGNMENTS, key=len, reverse=True):
        if aid in name:
            return ASSIGNMENTS[aid]
    if nb is None:
        return None
    text = "\n".join(c["source"] for c in code_cells(nb))
    best, hits = None, 0
    for a in ASSIGNMENTS.values():
        n = sum(1 for v in a.variables if re.search(rf"^\s*(def\s+)?{re.escape(v)}\b", text, re.MULTILINE))
        if n > hits:
            best, hits = a, n
    return best


def ungradable(sid: str, name: str, why: str) -> SubmissionResult:
    """The result of a submission that cannot be graded at all: zero on every question, with the reason.

    Args:
        sid: the submission id.
        name: its file name (the assignment is told from it when possible).
        why: one line.
    """
    a = identify_assignment(None, Path(name))
    items = _all_zero(a, ERROR, f"could not be graded: {why}") if a else []
    return SubmissionResult(sid, a.id if a else None, items, why)


def _all_zero(a: Assignment, status: str, message: str) -> list[Feedback]:
    items = [Feedback(q.id, 0.0, float(q.points), status, message) for q in a.questions]
    if a.workflow:
        items += [Feedback(i, 0.0, 1.0, status, message) for i, _, _ in INVARIANTS]
    return items


def _defining_cell_error(var: str, cells: list[dict], errors: list[dict]) -> str:
    """The error of a cell that mentions ``var`` (its answer cell, most likely), if one raised."""
    by_index = {e.get("index"): e for e in errors}
    pat = re.compile(rf"(?<![\w.]){re.escape(var)}(?!\w)")
    for c in cells:
        if c["index"] in by_index and pat.search(c["source"]):
            return str(by_index[c["index"]].get("error", ""))[:160]
    return ""


def _missing_message(var: str, cells, errors) -> str:
    err = _defining_cell_error(var, cells, errors)
    if err:
        return f"`{var}` is not defined: its cell raised {err}"
    return f"`{var}` is not defined (was its cell deleted?)"


def grade_submission(path: Path, limits: Limits = Limits(), seed: int = BATCH_SEED, random_runs: int = 8,
                     submission_id: str | None = None, assignment: Assignment | None = None,
                     isolated: bool = True, raw: bytes | None = None) -> SubmissionResult:
    """Grade one notebook file in its own sandbox.

    Args:
        path: the submitted ``.ipynb``.
        limits: time, memory, output and simulated-event limits.
        seed: the campaign seed for Part B (the learner never sees it).
        random_runs: random-crash runs per order kind in Part B's campaign.
        submission_id: the id written in reports (default: the file's stem).
        assignment: force an assignment instead of detecting it.
        isolated: run it in the bubblewrap sandbox (False: a plain child process, no isolation).
        raw: the file's bytes when the caller has already read them (bounded).
    """
    path = Path(path)
    sid = submission_id or path.stem
    nb, why = read_notebook(path, raw)
    a = assignment or identify_assignment(nb, path)
    if nb is None:
        items = _all_zero(a, ERROR, f"could not be graded: {why}") if a else []
        return SubmissionResult(sid, a.id if a else None, items, why)
    if a is None:
        why = "cannot tell which assignment this is (no simlib metadata, file name or answer variables)"
        return SubmissionResult(sid, None, [], why)
    cells = code_cells(nb)
    box = Sandbox(cells, limits, isolated=isolated)
    try:
        try:
            errors = box.start()
            values = box.answers(a.variables)
        except SandboxError as e:
            return SubmissionResult(sid, a.id, _all_zero(a, ERROR, f"could not be graded: {e}"), str(e))
        answers = {k: v["value"] for k, v in values.items() if isinstance(v, dict) and "value" in v}
        items = []
        for q in a.questions:
            got = values.get(q.id)
            got = got if isinstance(got, dict) else {"missing": True}
            if "value" in got:
                items.append(q.grade(got["value"], answers))
            elif "invalid" in got:
                items.append(Feedback(q.id, 0.0, float(q.points), INVALID,
                                      f"cannot read the answer: {str(got['invalid'])[:160]}", q.hint))
            elif "callable" in got:
                items.append(Feedback(q.id, 0.0, float(q.points), INVALID,
                                      "cannot read the answer: it is a function, not a value", q.hint))
            else:
                fb = q.grade(MISSING)
                items.append(Feedback(q.id, 0.0, fb.max_score, MISSING_STATUS,
                                      _missing_message(q.id, cells, errors), q.hint))
        if a.workflow:
            items += _grade_part_b(a, box, values.get(a.workflow), cells, errors, limits, seed, random_runs)
        reason = box.broken or ""
        return SubmissionResult(sid, a.id, items, reason, errors)
    finally:
        box.close()


def _grade_part_b(a: Assignment, box: Sandbox, got, cells, errors, limits: Limits, seed: int,
                  random_runs: int) -> list[Feedback]:
    got = got if isinstance(got, dict) else {"missing": True}
    if "callable" not in got:
        if "missing" in got:
            msg, status = _missing_message(a.workflow, cells, errors), MISSING_STATUS
        else:
            msg, status = f"`{a.workflow}` is not a function", INVALID
        return [Feedback(i, 0.0, 1.0, status, msg) for i, _, _ in INVARIANTS]
    return grade_workflow(box.factory(a.workflow), campaign_cases(seed, random_runs),
                          limits.event_budget or DEFAULT_EVENT_BUDGET, broken=lambda: box.broken)

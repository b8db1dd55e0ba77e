"""One conformance row (a behaviour seen on a real engine and in its model) and the tables built from rows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

__all__ = ["Row", "exact", "within", "skipped", "not_installed", "REAL_EXTRA", "cell", "to_text", "to_markdown", "to_json", "KNOWN_GAP"]

REAL_EXTRA = "pip install -e '.[real]'"
"""How to install every real engine's Python package."""

# The reason shown on a row where the model is known to be wrong (none today; a new gap sets it until fixed).
KNOWN_GAP = "known gap: model change pending"


@dataclass(frozen=True)
class Row:
    """What one engine did for one behaviour, next to what its model predicts.

    Attributes:
        engine: the real engine (``"LangGraph + SQLite"``).
        behaviour: what was observed, with the units.
        real: the real engine's value (None when the engine was skipped).
        simulated: the model's value (None when skipped).
        agree: True or False; None for a skipped engine.
        tolerance: how close counts as agreeing (``"exact"``, ``"±0.3 s"``).
        source: ``live`` (run just now), ``recorded`` (a measurement named in ``note``) or ``skipped``.
        known_gap: a reason when the model is known to disagree (the row should then disagree).
        note: where a recorded value comes from, or why an engine was skipped.
    """

    engine: str
    behaviour: str
    real: object
    simulated: object
    agree: bool | None
    tolerance: str
    source: str = "live"
    known_gap: str | None = None
    note: str = ""


def exact(engine: str, behaviour: str, real, simulated, known_gap: str | None = None, **kw) -> Row:
    """A row that agrees only when both values are equal."""
    return Row(engine, behaviour, real, simulated, real == simulated, "exact", known_gap=known_gap, **kw)


def within(engine: str, behaviour: str, real: float, simulated: float, abs_s: float, rel: float = 0.0,
           known_gap: str | None = None, **kw) -> Row:
    """A time row: agrees when ``|real - simulated| <= abs_s + rel * |real|`` (values rounded to ms)."""
    real, simulated = round(float(real), 3), round(float(simulated), 3)
    ok = abs(real - simulated) <= abs_s + rel * abs(real) + 1e-9
    parts = ([f"±{abs_s:g} s"] if abs_s else []) + ([f"±{rel:.0%} of real"] if rel else [])
    tol = " + ".join(parts) or "exact"
    return Row(engine, behaviour, real, simulated, ok, tol, known_gap=known_gap, **kw)


def skipped(engine: str, why: str) -> Row:
    """The row standing for an engine that cannot run here; ``why`` (shown in the agree column) says what is missing."""
    return Row(engine, "(all rows)", None, None, None, "", source="skipped", note=why)


def not_installed(engine: str, missing: list[str]) -> Row:
    """The skipped row of an engine whose Python packages ``missing`` are not importable."""
    return skipped(engine, f"missing package {', '.join(missing)} (install the real extra: {REAL_EXTRA})")


def cell(v) -> str:
    """A value as a table shows it: lists as ``1,1,2``, floats to the millisecond, None as ``-``."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, (list, tuple)):
        return ",".join(cell(x) for x in v)
    return str(v)


def _agreecell(r: Row) -> str:
    if r.agree is None:
        return (f"skipped: {r.note}" if r.note else "skipped") if r.source == "skipped" else "-"
    word = "yes" if r.agree else "NO"
    return f"{word} ({r.known_gap})" if r.known_gap and not r.agree else word


HEAD = ("engine", "behaviour", "real", "simulated", "agree", "tolerance", "source")


def _cells(r: Row) -> tuple:
    source = r.source if not r.note or r.source in ("live", "skipped") else f"{r.source}: {r.note}"
    return (r.engine, r.behaviour, cell(r.real), cell(r.simulated), _agreecell(r), r.tolerance, source)


def to_text(rows: list[Row]) -> str:
    """A fixed-width table for a terminal."""
    body = [_cells(r) for r in rows]
    widths = [max(len(x[i]) for x in [HEAD, *body]) for i in range(len(HEAD))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(HEAD), line(tuple("-" * w for w in widths)), *map(line, body)])


def to_markdown(rows: list[Row]) -> str:
    """A GitHub-flavoured Markdown table."""
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    out += ["| " + " | ".join(esc(c) for c in _cells(r)) + " |" for r in rows]
    return "\n".join(out)


def to_json(rows: list[Row], meta: dict) -> str:
    """Strict JSON: ``{"meta": {...}, "rows": [...]}``."""
    return json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, allow_nan=False, indent=1)

"""Model settings that say where their numbers come from.

Every timing number a model uses is a field of its config dataclass declared
with `param`, which stores the default together with its source: a
documentation page, a file in the engine's source, a measurement on the real
engine offline, or an honest "assumption". `parameters` reads them back for
``python -m simlib models -v MODEL``, for ``--set NAME=VALUE`` and for the
README's generated table "where each number comes from".

Example::

    @dataclass(frozen=True)
    class MyConfig(ModelConfig):
        retry_initial_s: float = param(
            1.0, kind="docs", source="https://example.org/docs/retries (initial interval 1 s)")
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

__all__ = ["SOURCE_KINDS", "Parameter", "param", "parameters", "ASSUMED_RECORD_S", "RECORD_S_SOURCE"]

SOURCE_KINDS = {
    "docs": "the engine's documentation",
    "code": "the engine's source code",
    "measured": "measured on the real engine offline (see the conformance suite)",
    "assumption": "an assumption of this course, not an engine fact",
}
"""Allowed values of a parameter's ``kind``."""


def param(default: Any, *, kind: str, source: str, choices: tuple[str, ...] | None = None) -> Any:
    """A config field whose default carries its source.

    Args:
        default: the default value (immutable).
        kind: one of `SOURCE_KINDS`.
        source: where the number comes from: a URL, ``repo:path`` in the engine's source, the
            conformance row that measured it, or why the course assumes it.
        choices: for a text setting that takes one of a few words (a mode), those words; ``--set``
            refuses any other and ``models MODEL`` lists them.

    Raises:
        ValueError: for an unknown ``kind`` or an empty ``source``.
    """
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {kind!r}; allowed: {', '.join(SOURCE_KINDS)}")
    if not source.strip():
        raise ValueError("a parameter's source must not be empty")
    if choices is not None and default not in choices:
        raise ValueError(f"default {default!r} is not one of the choices {choices!r}")
    meta: dict[str, Any] = {"kind": kind, "source": source}
    if choices is not None:
        meta["choices"] = tuple(choices)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Parameter:
    """One setting of a model, as `models -v` and the README table show it.

    Attributes:
        name: the config field's name (what ``--set`` takes).
        default: its default value.
        type: the field's annotation as written (``"float"``, ``"int"``, ``"str"``...).
        kind: one of `SOURCE_KINDS`, or ``"unsourced"`` for a field declared without `param` (no model
            setting may be: tests/test_sources_table.py checks them all).
        source: where the default comes from ("" when unsourced).
        choices: the words a choice setting takes (None for any other setting).
    """

    name: str
    default: Any
    type: str
    kind: str
    source: str
    choices: tuple[str, ...] | None = None


def parameters(config_class: type) -> list[Parameter]:
    """The fields of a model's config dataclass with their defaults and sources, in declaration order."""
    out = []
    for f in fields(config_class):
        default = f.default if f.default is not MISSING else (
            f.default_factory() if f.default_factory is not MISSING else None)
        ftype = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append(Parameter(f.name, default, ftype, f.metadata.get("kind", "unsourced"),
                             f.metadata.get("source", ""), f.metadata.get("choices")))
    return out


ASSUMED_RECORD_S = 0.01
"""Seconds between a step's effect and its result being durable, for every engine that has no sourced figure.

No engine documents this delay; it depends on the store and the network. The course uses one value for
all of them, so a difference in duplicate effects between engines never comes from an invented number.
Declare a model's record delay as ``param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)``
unless a document or a measurement gives another.
"""

RECORD_S_SOURCE = ("one assumed value for every engine (simlib.models.params.ASSUMED_RECORD_S): "
                   "no engine documents the delay between an effect and its durable record")

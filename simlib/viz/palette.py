"""Colours, hatches and markers shared by every figure in `simlib.viz`.

Colours come from the Okabe-Ito palette, which stays distinguishable for the
common forms of colour blindness. Colour is never the only cue: every timeline
category also has a hatch pattern and a legend label, every model has its own
marker and line style, and every special event (crash, duplicate effect) has
its own marker shape and a text label next to it.

Example:
    >>> from simlib.viz.palette import OKABE_ITO, model_style, time_unit
    >>> OKABE_ITO["vermillion"]
    '#D55E00'
    >>> time_unit(900.0)
    ('min', 60.0)
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["OKABE_ITO", "CATEGORIES", "MARKS", "ON_CRASH", "Style", "model_style", "time_unit", "PNG_DPI"]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

# Resolution used when a widget turns a figure into a PNG: readable, and cheap to encode.
PNG_DPI = 90


class Style(NamedTuple):
    """How one thing is drawn: colour, hatch, marker, line style and legend label."""

    color: str
    hatch: str
    marker: str
    linestyle: str
    label: str


# Timeline span categories (key -> style). Hatches make them readable in greyscale.
CATEGORIES: dict[str, Style] = {
    "executed": Style(OKABE_ITO["blue"], "", "", "-", "step ran"),
    "waiting": Style(OKABE_ITO["sky"], "..", "", "-", "timer / waiting for an event"),
    "re-executed": Style(OKABE_ITO["vermillion"], "//", "", "-", "step ran AGAIN (after a crash)"),
    "retried": Style(OKABE_ITO["orange"], "xx", "", "-", "retry after a failure"),
    "replayed": Style(OKABE_ITO["green"], "\\\\", "", "-", "replayed from history"),
    "recovering": Style(OKABE_ITO["grey"], "--", "", "-", "down until resumed"),
    "stalled": Style(OKABE_ITO["yellow"], "||", "", "-", "stalled: store down"),
}

# Point events on a timeline (key -> style); each carries a text label where drawn.
MARKS: dict[str, Style] = {
    "crash": Style(OKABE_ITO["black"], "", "X", "", "crash"),
    "effect": Style(OKABE_ITO["purple"], "", "D", "", "side effect"),
    "duplicate-effect": Style(OKABE_ITO["vermillion"], "", "*", "", "DUPLICATE side effect"),
    "deduplicated-effect": Style(OKABE_ITO["green"], "", "o", "", "repeat absorbed by key"),
    "failed": Style(OKABE_ITO["vermillion"], "", "|", "", "attempt failed"),
    "complete": Style(OKABE_ITO["green"], "", "s", "", "completed"),
    "stopped": Style(OKABE_ITO["vermillion"], "", "v", "", "stopped / failed"),
}

# What a component's crash does (simlib.core.stores constants) -> style for diagrams.
ON_CRASH: dict[str, Style] = {
    "nothing": Style(OKABE_ITO["green"], "", "o", "-", "nothing lost, work goes on"),
    "stall": Style(OKABE_ITO["yellow"], "..", "s", "-", "work stalls until it is back"),
    "fail": Style(OKABE_ITO["orange"], "xx", "^", "-", "run errors; resumable"),
    "lose": Style(OKABE_ITO["vermillion"], "//", "X", "-", "in-flight state is lost"),
}

# Models get colours, markers and line styles in registry order. The three lists
# have different lengths (9, 10, 4), so two models that share a colour still
# differ in marker or line style.
_MODEL_COLORS = ("vermillion", "blue", "green", "orange", "purple", "sky", "black", "grey", "yellow")
_MODEL_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
_MODEL_LINES = ("-", "--", "-.", ":")


def model_style(name: str) -> Style:
    """A stable style for a model: the same model looks the same in every figure.

    Args:
        name: a registered model name; unknown names get a style derived from their text.
    """
    from ..models import model_names

    names = model_names()
    i = names.index(name) if name in names else sum(map(ord, name)) % len(_MODEL_COLORS)
    return Style(OKABE_ITO[_MODEL_COLORS[i % len(_MODEL_COLORS)]], "", _MODEL_MARKERS[i % len(_MODEL_MARKERS)],
                 _MODEL_LINES[i % len(_MODEL_LINES)], name)


def time_unit(span_s: float) -> tuple[str, float]:
    """Pick a time unit for an axis covering ``span_s`` seconds: (unit, seconds per unit)."""
    if span_s <= 300:
        return "s", 1.0
    if span_s <= 6 * 3600:
        return "min", 60.0
    return "h", 3600.0

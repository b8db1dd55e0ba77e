"""Interactive controls for the course (ipywidgets), each a thin layer over a plain function.

=====================  ==========================  ==========================================
widget                 plain function              returns
=====================  ==========================  ==========================================
`CrashLab`             `crash_lab_view`            (timeline Figure, summary DataFrame)
`StateExplorer`        `state_explorer_view`       (diagram + timeline Figure, Drill)
`Recommender`          `recommender_view`          (decision-tree Figure, ranking DataFrame)
`SweepControl`         `sweep_view`                (Monte Carlo Figure, sweep DataFrame)
=====================  ==========================  ==========================================

Tests and graders call the functions directly, no browser needed. For a workshop,
``python -m simlib.widgets.app crash-lab`` (or ``explorer``, ``recommender``,
``sweep``) serves one panel as a standalone Voila page on 127.0.0.1 (`simlib.widgets.app`). In a
notebook, display a widget and move its controls; sliders act on release, and
an error (a bad value) appears as a message in the widget's output area.

Example:
    >>> from simlib.widgets import CrashLab, crash_lab_view
    >>> fig, table = crash_lab_view(["none", "temporal"], "q1", "15:after-effect")
    >>> lab = CrashLab()     # in a notebook cell: lab
"""

from .base import Panel, error_message
from .crash_lab import CrashLab, crash_lab_faults, crash_lab_view
from .explorer import StateExplorer, state_explorer_view
from .recommender import Recommender, recommender_view
from .sweep_control import SweepControl, parse_rates, sweep_view

__all__ = [
    "CrashLab", "crash_lab_view", "crash_lab_faults",
    "StateExplorer", "state_explorer_view",
    "Recommender", "recommender_view",
    "SweepControl", "sweep_view", "parse_rates",
    "Panel", "error_message",
]

"""The state-location explorer: pick a model and one of its components, crash it, see what happens.

`state_explorer_view` is the plain function; `StateExplorer` is the widget.
The figure shows the model's state-location diagram with the crashed
component marked and the verdict in the title, and under it the timeline of
the drill's run.

Example:
    >>> from simlib.widgets import state_explorer_view
    >>> fig, drill = state_explorer_view("temporal", "server")
    >>> drill.outcome
    'stalls'
"""

from __future__ import annotations

import functools
import textwrap

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..course.drills import components, crash_component
from ..models import get_model, model_names
from ..core.rng import DEFAULT_SEED
from ..scenarios import get_scenario, scenario_names
from ..viz.lanes import lane_data
from ..viz.statemap import state_map
from ..viz.timeline import timeline
from .base import Panel, figure_output, seed_box, text_output

__all__ = ["state_explorer_view", "explorer_timeline", "StateExplorer"]


_TOP_H = 5.5    # inches for the state map
_WIDTH = 10.5


def _timeline_title(component: str, drill) -> str:
    # Wrapped (never cut) to the timeline's width.
    return textwrap.fill(f"What the run did when {component} crashed: {drill.verdict}", 95, break_long_words=False)


def _low_height(drill, title: str) -> float:
    rows = len(lane_data(drill.result).lanes) + 1
    return 1.6 + 0.3 * max(rows, 4) + 0.18 * title.count("\n")


def state_explorer_view(model: str, component: str, scenario: str = "q1", seed: int = DEFAULT_SEED):
    """Crash ``component`` of ``model`` during ``scenario`` and draw the diagram and the timeline.

    Returns:
        (figure, drill): one `Figure` (diagram on top, timeline below) and the
        `simlib.course.drills.Drill` with the run and its one-line verdict.
    """
    drill = crash_component(model, component, scenario=scenario, seed=seed)
    title = _timeline_title(component, drill)
    low_h = _low_height(drill, title)
    extra = 0.18 * title.count("\n")
    h = _TOP_H + low_h
    fig = Figure(figsize=(_WIDTH, h))
    ax_map = fig.add_axes((0.02, (low_h + 0.1) / h, 0.72, (_TOP_H - 0.75) / h))
    ax_tl = fig.add_axes((0.8 / _WIDTH, 0.55 / h, 1 - 3.55 / _WIDTH, (low_h - 1.2 - extra) / h))
    state_map(drill.model, ax=ax_map, crashed=component, verdict=drill.verdict.split(":", 1)[0])
    timeline({drill.model: drill.result}, ax=ax_tl, title=title)
    return fig, drill


def explorer_timeline(drill, component: str) -> Figure:
    """The lower part of `state_explorer_view` alone: the timeline of the drill's run."""
    title = _timeline_title(component, drill)
    low_h = _low_height(drill, title)
    extra = 0.18 * title.count("\n")
    fig = Figure(figsize=(_WIDTH, low_h))
    ax = fig.add_axes((0.8 / _WIDTH, 0.55 / low_h, 1 - 3.55 / _WIDTH, (low_h - 1.2 - extra) / low_h))
    timeline({drill.model: drill.result}, ax=ax, title=title)
    return fig


@functools.lru_cache(maxsize=64)
def _map_output(model: str, component: str, verdict: str, fmt: str) -> dict:
    # The map depends on the model, the crashed component and the verdict only: a new seed or
    # scenario with the same outcome reuses it, which saves most of a redraw.
    fig = Figure(figsize=(_WIDTH, _TOP_H))
    ax = fig.add_axes((0.02, 0.1 / _TOP_H, 0.72, (_TOP_H - 0.75) / _TOP_H))
    state_map(model, ax=ax, crashed=component, verdict=verdict)
    return figure_output(fig, fmt=fmt)


class StateExplorer(Panel):
    """Widget: choose a model and a component; the panel crashes it and shows the outcome."""

    def __init__(self, model: str = "temporal", component: str | None = None, scenario: str = "q1",
                 seed: int = DEFAULT_SEED, image_format: str = "svg"):
        super().__init__()
        style = {"description_width": "initial"}
        mdl = get_model(model)
        comps = components(mdl)
        self.model = widgets.Dropdown(options=model_names(), value=mdl.name, description="model", style=style)
        self.component = widgets.Dropdown(options=comps, value=component or comps[0], description="crash",
                                          style=style)
        self.scenario = widgets.Dropdown(options=scenario_names(), value=get_scenario(scenario).name,
                                         description="scenario", style=style)
        self.seed = seed_box(seed, "seed")
        self._setup([self.model, self.component, self.scenario, self.seed], auto=False, per_row=4,
                    image_format=image_format)
        for c in (self.component, self.scenario, self.seed):
            c.observe(self._changed, names="value")
        self.model.observe(self._model_changed, names="value")
        self.refresh()

    def _model_changed(self, change) -> None:
        # Each model has its own components: refill the list, then redraw once.
        def adjust():
            comps = components(change["new"])
            self.component.options = comps
            self.component.value = comps[0]
        self.held(adjust)

    def compute(self):
        """(timeline figure, drill); the map above it is drawn once per model, component and verdict."""
        drill = crash_component(self.model.value, self.component.value, scenario=self.scenario.value,
                                seed=self.seed.value)
        return explorer_timeline(drill, self.component.value), drill

    def render(self, result) -> list:
        fig, drill = result
        cached = _map_output(drill.model, drill.component, drill.verdict.split(":", 1)[0], self.image_format)
        return [text_output(f"{drill.model}, {drill.component} crashed -> {drill.verdict}", bold=True),
                {**cached, "data": dict(cached["data"])}, figure_output(fig, fmt=self.image_format)]

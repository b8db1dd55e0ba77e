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

import textwrap

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..drills import components, crash_component
from ..models import get_model, model_names
from ..rng import DEFAULT_SEED
from ..scenarios import get_scenario, scenario_names
from ..viz.lanes import lane_data
from ..viz.statemap import state_map
from ..viz.timeline import timeline
from .base import Panel, figure_output, text_output

__all__ = ["state_explorer_view", "StateExplorer"]


def state_explorer_view(model: str, component: str, scenario: str = "q1", seed: int = DEFAULT_SEED):
    """Crash ``component`` of ``model`` during ``scenario`` and draw the diagram and the timeline.

    Returns:
        (figure, drill): one `Figure` (diagram on top, timeline below) and the
        `simlib.drills.Drill` with the run and its one-line verdict.
    """
    drill = crash_component(model, component, scenario=scenario, seed=seed)
    rows = len(lane_data(drill.result).lanes) + 1
    # The timeline's title is wrapped (never cut) to the axes' width; each extra line gets room.
    title = textwrap.fill(f"What the run did when {component} crashed: {drill.verdict}", 95,
                          break_long_words=False)
    extra = 0.18 * title.count("\n")
    top_h = 5.5
    low_h = 1.6 + 0.3 * max(rows, 4) + extra
    fig = Figure(figsize=(10.5, top_h + low_h))
    h = top_h + low_h
    ax_map = fig.add_axes((0.02, (low_h + 0.1) / h, 0.72, (top_h - 0.75) / h))
    ax_tl = fig.add_axes((0.8 / 10.5, 0.55 / h, 1 - 3.55 / 10.5, (low_h - 1.2 - extra) / h))
    state_map(drill.model, ax=ax_map, crashed=component, verdict=drill.verdict.split(":", 1)[0])
    timeline({drill.model: drill.result}, ax=ax_tl, title=title)
    return fig, drill


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
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style,
                                           layout=widgets.Layout(width="160px"))
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
        return state_explorer_view(self.model.value, self.component.value, self.scenario.value, self.seed.value)

    def render(self, result) -> list:
        fig, drill = result
        return [text_output(f"{drill.model}, {drill.component} crashed -> {drill.verdict}", bold=True),
                figure_output(fig, fmt=self.image_format)]

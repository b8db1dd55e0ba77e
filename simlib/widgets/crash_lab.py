"""The crash lab: crash a workflow at a chosen step and point, under several models at once.

`crash_lab_view` is the plain function (tests and graders call it); `CrashLab`
is the widget on top of it.

Example:
    >>> from simlib.widgets import crash_lab_view, CrashLab
    >>> fig, table = crash_lab_view(["none", "app-checkpoint", "temporal"], "q1", "15:after-effect", seed=1)
    >>> list(table["model"])
    ['none', 'app-checkpoint', 'temporal']
    >>> lab = CrashLab()        # in a notebook: display(lab), then move the controls
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from ..core.engine import simulate
from ..core.errors import ConfigError
from ..core.faults import CRASH_POINTS, CrashAt, FaultSchedule, parse_crash
from ..models import get_model, model_names
from ..core.rng import DEFAULT_SEED
from ..scenarios import get_scenario, scenario_names
from ..viz.timeline import timeline
from .base import Panel, figure_output, frame_output, seed_box

__all__ = ["crash_lab_view", "crash_lab_faults", "CrashLab", "TABLE_COLUMNS", "TABLE_HEADERS", "NO_CRASH"]

NO_CRASH = "no crash"
# Key columns first: whether the run completed and, if not, why it stopped.
# ``ended_at_s`` is the summary's ``duration_s``: for a run that stopped it is when it stopped, not a finish;
# ``time_to_recover_s`` is empty (shown as "-") for a run that never resumed after its crash.
TABLE_COLUMNS = ("model", "completed", "stopped_because", "crashes", "steps_reexecuted", "llm_cost_reexecuted_usd",
                 "llm_cost_lost_usd", "duplicate_effects", "time_to_recover_s", "time_stalled_s", "ended_at_s")
# What the panel shows above each column: words that wrap between them, never inside one.
TABLE_HEADERS = {"model": "model", "completed": "completed", "stopped_because": "stopped because",
                 "crashes": "crashes", "steps_reexecuted": "steps run again", "llm_cost_reexecuted_usd": "$ paid again",
                 "llm_cost_lost_usd": "$ lost", "duplicate_effects": "duplicate effects",
                 "time_to_recover_s": "recovery (s)", "time_stalled_s": "stalled (s)", "ended_at_s": "ended at (s)"}
DEFAULT_MODELS = ("none", "app-checkpoint", "temporal")


def crash_lab_faults(crash) -> FaultSchedule:
    """Turn the crash lab's crash choice into a fault schedule.

    Args:
        crash: None or ``"no crash"`` (no faults), ``"STEP:POINT"`` text, a `CrashAt`,
            a (step, point) pair, or a whole `FaultSchedule`.
    """
    if crash is None or crash == NO_CRASH or crash == "":
        return FaultSchedule()
    if isinstance(crash, FaultSchedule):
        return crash
    if isinstance(crash, CrashAt):
        return FaultSchedule(crashes=(crash,))
    if isinstance(crash, str):
        return FaultSchedule(crashes=(parse_crash(crash),))
    if isinstance(crash, (tuple, list)) and len(crash) == 2:
        return FaultSchedule(crashes=(CrashAt(crash[0], crash[1]),))
    raise ConfigError(f"unknown crash choice {crash!r}; allowed: None, 'STEP:POINT' "
                      f"(points: {', '.join(CRASH_POINTS)}), a CrashAt or a FaultSchedule")


def crash_lab_view(models: Sequence[str] = DEFAULT_MODELS, scenario: str = "q1", crash="15:after-effect",
                   seed: int = DEFAULT_SEED, ax=None):
    """Run one scenario with one crash under several models; draw their timelines and tabulate them.

    Args:
        models: model names (at least one).
        scenario: scenario name.
        crash: see `crash_lab_faults`.
        seed: the seed every model runs with (same LLM latencies and answers for all).
        ax: draw the timeline into this axes (the widget reuses one figure).

    Returns:
        (figure, table): the timeline `Figure` and a DataFrame with one row per model
        (columns `TABLE_COLUMNS`; ``ended_at_s`` is when the run finished or stopped, and
        ``time_to_recover_s`` is NaN for a run that never resumed).
    """
    import pandas as pd

    names = [models] if isinstance(models, str) else list(models)
    if not names:
        raise ConfigError(f"choose at least one model; allowed: {', '.join(model_names())}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed!r}")
    sc = get_scenario(scenario)
    faults = crash_lab_faults(crash)
    runs = {}
    rows = []
    for name in names:
        res = simulate(sc, get_model(name), seed=seed, faults=faults)
        runs[name] = res
        d = res.summary.to_dict()
        d["stopped_because"] = d["stalled"] or d["error"] or ""
        d["ended_at_s"] = d["duration_s"]
        rows.append({c: d[c] for c in TABLE_COLUMNS})
    # Compact headers: the table carries the numbers, and fewer glyphs redraw faster.
    fig = timeline(runs, ax=ax, compact=True)
    return fig, pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


class CrashLab(Panel):
    """Widget: pick models, scenario, crash step and point, and seed; see timelines and a table.

    Args:
        models: the models selected at first.
        scenario: the scenario selected at first.
        step: the crash step at first.
        point: the crash point at first (or ``"no crash"``).
        seed: the seed at first.
        image_format: ``"svg"`` (faster to produce, sharp when zoomed) or ``"png"``.
    """

    def __init__(self, models: Sequence[str] = DEFAULT_MODELS, scenario: str = "q1", step: int = 15,
                 point: str = "after-effect", seed: int = DEFAULT_SEED, image_format: str = "svg"):
        super().__init__()
        all_models = model_names()
        unknown = [m for m in models if m not in all_models]
        if unknown:
            raise ConfigError(f"unknown model {unknown[0]!r}; allowed: {', '.join(all_models)}")
        if point not in (NO_CRASH, *CRASH_POINTS):
            raise ConfigError(f"unknown crash point {point!r}; allowed: {NO_CRASH}, {', '.join(CRASH_POINTS)}")
        sc = get_scenario(scenario)
        style = {"description_width": "initial"}
        self.models = widgets.SelectMultiple(options=all_models, value=tuple(m for m in models if m in all_models),
                                             rows=min(6, len(all_models)), description="models", style=style)
        self.scenario = widgets.Dropdown(options=scenario_names(), value=sc.name, description="scenario", style=style)
        self.step = widgets.IntSlider(value=min(step, sc.max_steps), min=1, max=sc.max_steps, description="crash step",
                                      continuous_update=False, style=style)
        self.point = widgets.Dropdown(options=(NO_CRASH, *CRASH_POINTS), value=point, description="crash point",
                                      style=style)
        self.seed = seed_box(seed, "seed")
        self.chosen_step = step
        self._adjusting = False
        self.models_hint = widgets.HTML("<small>Ctrl-click (Cmd-click on a Mac) to add or remove a model; "
                                        "Shift-click to take a range.</small>")
        self._setup([widgets.VBox([self.models, self.models_hint]), self.scenario, self.step, self.point, self.seed],
                    auto=False,
                    image_format=image_format)
        for c in (self.models, self.step, self.point, self.seed):
            c.observe(self._changed, names="value")
        self.step.observe(self._step_chosen, names="value")
        self.scenario.observe(self._scenario_changed, names="value")
        self.point.observe(self._point_changed, names="value")
        self.step.disabled = point == NO_CRASH
        self.refresh()

    def _point_changed(self, change) -> None:
        # Without a crash the step does not matter: grey the slider out.
        self.step.disabled = change["new"] == NO_CRASH

    def _step_chosen(self, change) -> None:
        # Remember the learner's step, unless the slider moved only because a scenario was too short.
        if not self._adjusting:
            self.chosen_step = change["new"]

    def _scenario_changed(self, change) -> None:
        # A new scenario has its own number of steps: fit the learner's chosen step into it (the last
        # step when it is too short), so switching back to a longer scenario restores that choice.
        def adjust():
            n = get_scenario(change["new"]).max_steps
            self._adjusting = True
            try:
                self.step.max = n
                self.step.value = min(self.chosen_step, n)
            finally:
                self._adjusting = False
        self.held(adjust)

    @property
    def crash(self):
        """The current crash choice as crash_lab_view takes it."""
        return None if self.point.value == NO_CRASH else (self.step.value, self.point.value)

    def compute(self):
        return crash_lab_view(self.models.value, self.scenario.value, self.crash, self.seed.value)

    def render(self, result) -> list:
        fig, table = result
        return [figure_output(fig, fmt=self.image_format), frame_output(table.rename(columns=TABLE_HEADERS), "Summary per model")]

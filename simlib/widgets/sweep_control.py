"""The sweep control: run a Monte Carlo over crash rates and draw what crashes cost each model.

`sweep_view` is the plain function; `SweepControl` is the widget. A sweep
takes seconds, not milliseconds, so the widget runs it when its button is
pressed rather than on every control change.

Example:
    >>> from simlib.widgets import sweep_view
    >>> fig, df = sweep_view("five-effects", ["none", "temporal"], crash_rates="0, 60, 240", runs=50)
    >>> sorted(set(df["model"]))
    ['none', 'temporal']
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..core.errors import ConfigError
from ..models import model_names
from ..core.rng import DEFAULT_SEED
from ..scenarios import get_scenario, scenario_names
from ..viz.montecarlo import montecarlo_data, plot_montecarlo, plot_recovery
from .base import Panel, figure_output, frame_output, seed_box

__all__ = ["sweep_view", "parse_rates", "SweepControl"]


def parse_rates(text) -> tuple[float, ...]:
    """Parse crash rates per hour from ``"0, 1, 2.5"`` (or pass a sequence of numbers through)."""
    if isinstance(text, str):
        parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
        try:
            rates = tuple(float(p) for p in parts)
        except ValueError:
            raise ConfigError(f"crash rates {text!r} are not numbers; write them like '0, 1, 2, 4' "
                              "(crashes per hour, >= 0)") from None
    else:
        rates = tuple(text)
    if not rates:
        raise ConfigError("give at least one crash rate, like '0, 1, 2, 4' (crashes per hour, >= 0)")
    return rates


def sweep_view(scenario: str = "q1", models: Sequence[str] = ("none", "app-checkpoint", "temporal"),
               crash_rates="0, 1, 2, 4, 8", runs: int = 200, seed: int = DEFAULT_SEED):
    """Sweep models over crash rates; draw dollars wasted (re-spent or lost), duplicates and recovery times.

    Returns:
        (figure, frame): one `Figure` (two Monte Carlo panels on top, the recovery
        histogram at the highest rate below) and the `montecarlo_data` frame.
    """
    df = montecarlo_data(scenario, list(models), parse_rates(crash_rates), runs=runs, seed=seed)
    fig = Figure(figsize=(11, 8.2))
    a = fig.add_axes((0.07, 0.58, 0.31, 0.33))
    b = fig.add_axes((0.47, 0.58, 0.31, 0.33))
    c = fig.add_axes((0.07, 0.08, 0.71, 0.36))
    plot_montecarlo(df, axes=(a, b))
    plot_recovery(df, ax=c)
    return fig, df


class SweepControl(Panel):
    """Widget: scenario, models, crash rates, runs and seed, then "Run sweep"."""

    def __init__(self, scenario: str = "q1", models: Sequence[str] = ("none", "app-checkpoint", "temporal"),
                 crash_rates: str = "0, 1, 2, 4, 8", runs: int = 200, seed: int = DEFAULT_SEED, run: bool = False,
                 image_format: str = "svg"):
        super().__init__()
        style = {"description_width": "initial"}
        names = model_names()
        unknown = [m for m in models if m not in names]
        if unknown:
            raise ConfigError(f"unknown model {unknown[0]!r}; allowed: {', '.join(names)}")
        self.scenario = widgets.Dropdown(options=scenario_names(), value=get_scenario(scenario).name,
                                         description="scenario", style=style)
        self.models = widgets.SelectMultiple(options=names, value=tuple(m for m in models if m in names),
                                             rows=min(6, len(names)), description="models", style=style)
        self.rates = widgets.Text(value=crash_rates, description="crashes per hour", continuous_update=False,
                                  style=style)
        self.runs = widgets.IntSlider(value=runs, min=20, max=2000, step=20, description="runs per point",
                                      continuous_update=False, style=style)
        self.seed = seed_box(seed, "first seed")
        self._setup([self.scenario, self.models, self.rates, self.runs, self.seed], auto=False,
                    button="Run sweep", image_format=image_format)
        if run:
            self.refresh()

    def compute(self):
        return sweep_view(self.scenario.value, self.models.value, self.rates.value, self.runs.value, self.seed.value)

    def render(self, result) -> list:
        fig, df = result
        return [figure_output(fig, fmt=self.image_format),
                frame_output(df.drop(columns=["recovery_hist_10s"]), "Sweep results")]

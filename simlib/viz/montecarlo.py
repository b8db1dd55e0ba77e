"""Monte Carlo pictures: what random worker crashes cost each model, on average.

`montecarlo_data` runs `simlib.core.sweep.sweep` for every (model, crash rate) pair
and returns one DataFrame row per pair; the plotting functions draw only from
that frame, so a notebook can compute once and draw many times, or load a
saved frame.

Example:
    >>> from simlib.viz import montecarlo_data, plot_montecarlo, plot_recovery
    >>> df = montecarlo_data("five-effects", ["none", "temporal"], crash_rates_per_hour=(0, 60, 240), runs=100)
    >>> fig = plot_montecarlo(df)       # dollars wasted and duplicate effects vs crash rate
    >>> fig = plot_recovery(df)         # distribution of recovery times at the highest rate
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import ConfigError
from ..models import model_names
from ..core.rng import DEFAULT_SEED
from ..core.sweep import _HIST_BINS, sweep
from .palette import OKABE_ITO, model_style

__all__ = ["montecarlo_data", "plot_montecarlo", "plot_recovery", "MC_COLUMNS"]

MC_COLUMNS = ("scenario", "model", "crash_rate_per_hour", "mtbf_s", "runs", "completed_rate",
              "usd_respent_mean", "usd_respent_stderr", "usd_lost_mean", "usd_lost_stderr",
              "usd_wasted_mean", "usd_wasted_stderr",
              "duplicate_effects_mean", "duplicate_effects_stderr",
              "crashes_mean", "recovered_runs", "recovery_mean_s", "recovery_hist_10s")
_Z95 = 1.96


def montecarlo_data(scenario="q1", models: Sequence[str] | None = None,
                    crash_rates_per_hour: Sequence[float] = (0.0, 1.0, 2.0, 4.0, 8.0), runs: int = 200,
                    seed: int = DEFAULT_SEED, workers: int = 1):
    """Sweep every model over several worker crash rates; one row per (model, rate).

    Args:
        scenario: scenario name.
        models: model names (default: every registered model).
        crash_rates_per_hour: mean worker crashes per hour of running; 0 means no crashes.
        runs: runs (seeds) per point.
        seed: the first seed; every point uses the same seeds, so models are compared on equal luck.
        workers: processes to spread the runs over.

    Returns:
        A pandas DataFrame with the columns `MC_COLUMNS`; ``recovery_hist_10s`` holds
        the counts of runs by mean recovery time per crash, in 10 s bins (the last bin is 600 s+).
        ``usd_respent_*`` are dollars paid again for repeated LLM calls, ``usd_lost_*`` dollars that
        bought nothing without being repeats (mostly calls a crash cut short), ``usd_wasted_*`` the
        two together (what crashes cost beyond one useful reply per step). Recovery numbers cover only the runs that crashed and
        recovered from every crash (``recovered_runs`` of them): a run that never resumed has no
        recovery time.
    """
    import pandas as pd

    names = list(models) if models is not None else model_names()
    if not names:
        raise ConfigError(f"choose at least one model; allowed: {', '.join(model_names())}")
    rates = list(crash_rates_per_hour)
    if not rates:
        raise ConfigError("give at least one crash rate (crashes per hour, >= 0)")
    for r in rates:
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not (r >= 0 and np.isfinite(r)):
            raise ConfigError(f"crash rate {r!r} is not allowed; crash rates are numbers >= 0 per hour")
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ConfigError(f"runs must be a whole number >= 1, got {runs!r}")
    rows = []
    for name in names:
        for rate in rates:
            mtbf = 3600.0 / rate if rate > 0 else None
            agg = sweep(scenario, name, runs=runs, mtbf_s=mtbf, seed=seed, workers=workers)
            crashes = agg.mean("crashes")
            rows.append({
                "scenario": agg.scenario, "model": name, "crash_rate_per_hour": float(rate),
                "mtbf_s": mtbf if mtbf is not None else float("inf"), "runs": agg.runs,
                "completed_rate": agg.completed / agg.runs,
                "usd_respent_mean": agg.mean("llm_cost_reexecuted_usd"),
                "usd_respent_stderr": agg.stderr("llm_cost_reexecuted_usd"),
                "usd_lost_mean": agg.mean("llm_cost_lost_usd"),
                "usd_lost_stderr": agg.stderr("llm_cost_lost_usd"),
                "usd_wasted_mean": agg.mean("llm_cost_wasted_usd"),
                "usd_wasted_stderr": agg.stderr("llm_cost_wasted_usd"),
                "duplicate_effects_mean": agg.mean("duplicate_effects"),
                "duplicate_effects_stderr": agg.stderr("duplicate_effects"),
                "crashes_mean": crashes, "recovered_runs": agg.recovered,
                "recovery_mean_s": agg.recovery_per_crash_s(),
                "recovery_hist_10s": list(agg.recovery_hist),
            })
    return pd.DataFrame(rows, columns=list(MC_COLUMNS))


def _check_frame(df, needed) -> None:
    missing = [c for c in needed if c not in getattr(df, "columns", ())]
    if missing:
        raise ConfigError(f"the frame lacks column(s) {', '.join(missing)}; make it with montecarlo_data()")
    if len(df) == 0:
        raise ConfigError("the frame is empty; make it with montecarlo_data()")


def plot_montecarlo(df, axes=None) -> Figure:
    """Expected LLM dollars wasted and duplicate side effects per run, against crash rate.

    Wasted dollars are re-spent (repeated calls) plus lost (calls a crash cut short): a durable
    engine re-spends almost nothing after a crash mid-call, yet still pays for the cut call.

    One line per model (its own colour, marker and line style), with 95% error bars.

    Args:
        df: a frame from `montecarlo_data`.
        axes: two axes to draw on; a new figure is made when None.
    """
    _check_frame(df, ("model", "crash_rate_per_hour", "usd_wasted_mean", "usd_wasted_stderr",
                      "duplicate_effects_mean", "duplicate_effects_stderr", "runs", "scenario"))
    if axes is None:
        fig = Figure(figsize=(11, 4.2))
        axes = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.8, bottom=0.14, top=0.84, wspace=0.28)
    axes = list(axes)
    fig = axes[0].figure
    panels = (("usd_wasted", "LLM dollars wasted per run (USD)",
               "Dollars paid for LLM calls cut short or made again"),
              ("duplicate_effects", "duplicate side effects per run", "Side effects that happened twice"))
    for ax, (col, ylabel, title) in zip(axes, panels):
        for name, part in df.groupby("model", sort=False):
            part = part.sort_values("crash_rate_per_hour")
            st = model_style(name)
            err = (_Z95 * part[f"{col}_stderr"].fillna(0.0)).to_numpy()
            cont = ax.errorbar(part["crash_rate_per_hour"], part[f"{col}_mean"], yerr=err, color=st.color,
                               marker=st.marker, linestyle=st.linestyle, linewidth=1.8, markersize=6,
                               markeredgecolor="black", markeredgewidth=0.5, capsize=3, label=name)
            cont.lines[0].set_gid(f"mc-line:{col}:{name}")
        ax.set_xlabel("worker crash rate (crashes per hour of running)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.grid(color=OKABE_ITO["grey"], alpha=0.3, linewidth=0.5)
        ax.set_ylim(bottom=0)
    axes[0].yaxis.set_major_formatter("${x:,.3f}")
    runs = int(df["runs"].iloc[0])
    fig.suptitle(f"Monte Carlo: scenario {df['scenario'].iloc[0]}, {runs} runs per point "
                 f"(error bars: 95% confidence)", fontsize=11)
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False, title="model")
    return fig


def plot_recovery(df, crash_rate: float | None = None, ax=None) -> Figure:
    """The distribution of recovery times, per model, at one crash rate.

    Each run that crashed and recovered from every crash falls in a 10 s bin by its
    mean time from a crash until the work ran again; the last bin collects 600 s and
    more. Runs that never resumed have no recovery time and are left out (the legend
    gives the share that finished).

    Args:
        df: a frame from `montecarlo_data`.
        crash_rate: which crash rate to show (default: the highest in the frame).
        ax: axes to draw on; a new figure is made when None.
    """
    _check_frame(df, ("model", "crash_rate_per_hour", "recovery_hist_10s", "completed_rate", "scenario"))
    rates = sorted(set(df["crash_rate_per_hour"]))
    if crash_rate is None:
        crash_rate = rates[-1]
    if crash_rate not in rates:
        raise ConfigError(f"crash rate {crash_rate!r} is not in the frame; allowed: "
                          f"{', '.join(f'{r:g}' for r in rates)}")
    if ax is None:
        fig = Figure(figsize=(10, 4.2))
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.08, right=0.74, bottom=0.14, top=0.86)
    fig = ax.figure
    edges = np.arange(_HIST_BINS + 2) * 10.0
    top = 0
    for _, row in df[df["crash_rate_per_hour"] == crash_rate].iterrows():
        counts = np.asarray(row["recovery_hist_10s"], dtype=float)
        total = counts.sum()
        name = row["model"]
        st = model_style(name)
        if not total:
            label = f"{name} (no run crashed and recovered)"
            share = counts
        else:
            share = 100.0 * counts / total
            label = name if row["completed_rate"] >= 0.999 else \
                f"{name} ({100 * row['completed_rate']:.0f}% finished; the rest never resumed)"
        # The highest non-empty bin bounds the x axis; the overflow bin stays visible when used.
        nz = np.nonzero(counts)[0]
        top = max(top, int(nz[-1]) + 1 if len(nz) else 0)
        s = ax.stairs(share, edges, color=st.color, linestyle=st.linestyle, linewidth=2.0, label=label,
                      baseline=0.0, fill=False)
        s.set_gid(f"recovery:{name}")
    ax.set_xlim(0, max(60.0, (top + 1) * 10.0))
    # name the overflow bin only when some run fell in it, i.e. when the axis reaches it
    overflow = f"; last bin = {_HIST_BINS * 10} s or more" if top > _HIST_BINS else ""
    ax.set_xlabel(f"mean time from a crash until the work runs again, per run (s{overflow})")
    ax.set_ylabel("share of the runs that recovered (%)")
    ax.set_ylim(bottom=0)
    ax.grid(color=OKABE_ITO["grey"], alpha=0.3, linewidth=0.5)
    ax.set_title(f"Recovery times: scenario {df['scenario'].iloc[0]}, {crash_rate:g} crashes per hour",
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False, title="model")
    return fig

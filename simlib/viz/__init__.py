"""Pictures drawn from run histories and summaries (matplotlib, static images).

* `timeline`: one lane per worker process, several models on one time axis,
  with crashes, replays, stalls and duplicated side effects marked;
* `state_map`: where a model keeps its state and what each component's crash does;
* `plot_montecarlo` / `plot_recovery` (data from `montecarlo_data`): dollars
  re-spent, duplicate effects and recovery times under random crashes;
* `draw_decision_tree`: the selection graph with a learner's route;
* `step_graph` / `draw_step_graph`: the graph a workflow really took, as the
  union of many runs' step paths (a chain for a static DAG, a fan of branches
  for an agent loop).

Every function returns a plain `matplotlib.figure.Figure` (not registered with
pyplot, so there is nothing to close) that Jupyter shows inline and
``fig.savefig`` writes to a file. Colours are the Okabe-Ito palette, and every
colour is doubled by a label, a marker or a hatch.

Example:
    >>> import simlib
    >>> from simlib import viz
    >>> runs = [simlib.simulate("q1", m, seed=1) for m in ("none", "app-checkpoint", "temporal")]
    >>> fig = viz.timeline(runs)
    >>> fig = viz.state_map("temporal")
"""

from . import decision_tree
from .decision_tree import draw_decision_tree
from .lanes import LaneData, lane_data
from .montecarlo import MC_COLUMNS, montecarlo_data, plot_montecarlo, plot_recovery
from .palette import CATEGORIES, MARKS, OKABE_ITO, model_style, time_unit
from .statemap import WORLD, state_graph, state_map
from .stepgraph import draw_step_graph, step_graph
from .timeline import count_gids, timeline

__all__ = [
    "timeline", "lane_data", "LaneData", "count_gids",
    "state_map", "state_graph", "WORLD",
    "montecarlo_data", "plot_montecarlo", "plot_recovery", "MC_COLUMNS",
    "decision_tree", "draw_decision_tree",
    "step_graph", "draw_step_graph",
    "OKABE_ITO", "CATEGORIES", "MARKS", "model_style", "time_unit",
]

"""Scenarios: workflows written as ordinary Python, plus the world they run in.

Each module below registers its scenarios in `simlib.core.scenario` when it is
imported; this package imports them all, in the order ``python -m simlib
scenarios`` lists them. Adding a scenario module means adding one import line
here. `simlib.scenarios.compose` (ready-made multi-engine systems) registers no
scenario and loads on demand.
"""

from ..core.scenario import SCENARIOS, Scenario, get_scenario, register_scenario, scenario_names
from . import builtin, restate, saga  # noqa: F401  (imported to register their scenarios)
from ..course import selfheal  # noqa: F401  (registers "self-heal")
from . import batch, dag  # noqa: F401

__all__ = ["Scenario", "register_scenario", "get_scenario", "scenario_names", "SCENARIOS"]

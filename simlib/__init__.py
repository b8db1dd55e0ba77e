"""simlib: a deterministic SimPy simulator of durable execution for LLM-agent workflows.

Quick use::

    import simlib
    r = simlib.simulate("q1", "temporal", seed=1)
    print(r.summary.table())
"""

from . import _moved

_moved.install()

# noqa below: the finder must be in place before the rest of the package loads
from .core.engine import ReplayToken, RunResult, simulate
from .core.errors import ActivityError, BudgetExceeded, ConfigError, NondeterminismError, WorkerCrash
from .core.faults import CRASH_POINTS, CodeChange, CrashAt, CrashAtTime, FaultSchedule, Outage, RandomCrashes, parse_crash
from .core.history import History, Record
from .core.llm import LLMConfig
from .models import get_model, model_names
from .scenarios import Scenario, get_scenario, register_scenario, scenario_names
from .core.summary import Summary

__all__ = [
    "simulate", "RunResult", "ReplayToken", "Summary",
    "Scenario", "get_scenario", "register_scenario", "scenario_names",
    "get_model", "model_names", "LLMConfig",
    "FaultSchedule", "CrashAt", "CrashAtTime", "RandomCrashes", "Outage", "CodeChange", "CRASH_POINTS",
    "parse_crash", "History", "Record",
    "ConfigError", "WorkerCrash", "ActivityError", "NondeterminismError", "BudgetExceeded",
]

__version__ = "0.1.0"

"""simlib: a deterministic SimPy simulator of durable execution for LLM-agent workflows.

Quick use::

    import simlib
    r = simlib.simulate("q1", "temporal", seed=1)
    print(r.summary.table())
"""

from .engine import ReplayToken, RunResult, simulate
from .errors import ActivityError, BudgetExceeded, ConfigError, NondeterminismError, WorkerCrash
from .faults import CRASH_POINTS, CodeChange, CrashAt, CrashAtTime, FaultSchedule, Outage, RandomCrashes, parse_crash
from .history import History, Record
from .llm import LLMConfig
from .models import get_model, model_names
from .scenarios import Scenario, get_scenario, register_scenario, scenario_names
from .summary import Summary

__all__ = [
    "simulate", "RunResult", "ReplayToken", "Summary",
    "Scenario", "get_scenario", "register_scenario", "scenario_names",
    "get_model", "model_names", "LLMConfig",
    "FaultSchedule", "CrashAt", "CrashAtTime", "RandomCrashes", "Outage", "CodeChange", "CRASH_POINTS",
    "parse_crash", "History", "Record",
    "ConfigError", "WorkerCrash", "ActivityError", "NondeterminismError", "BudgetExceeded",
]

__version__ = "0.1.0"

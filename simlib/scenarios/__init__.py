"""Scenarios: workflows written as ordinary Python, plus the world they run in."""

from .builtin import SCENARIOS, Scenario, get_scenario, register_scenario, scenario_names

__all__ = ["Scenario", "register_scenario", "get_scenario", "scenario_names", "SCENARIOS"]

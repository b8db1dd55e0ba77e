"""Sourced model settings; the definitions live in `simlib.core.params` (the fault schedule uses them too)."""

from ..core.params import ASSUMED_RECORD_S, RECORD_S_SOURCE, SOURCE_KINDS, Parameter, param, parameters

__all__ = ["SOURCE_KINDS", "Parameter", "param", "parameters", "ASSUMED_RECORD_S", "RECORD_S_SOURCE"]

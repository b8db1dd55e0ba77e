"""Conformance tests: the real engines, run offline here, against the simulator's models of them."""

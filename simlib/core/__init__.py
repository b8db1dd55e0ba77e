"""The simulator's core: clock, step pipeline, faults, history, checkers and the run loop.

Nothing here knows a particular engine, scenario or lesson; the layers above
(`simlib.models`, `simlib.course`, `simlib.scenarios`, ...) plug in through
the registries and the `EngineModel` interface.
"""

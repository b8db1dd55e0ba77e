"""A fresh incarnation of a learner's workflow inside this process.

A simulated crash kills a worker, and the next worker starts the learner's
code afresh: whatever the previous one kept in module-level variables is gone.
The batch grader gets that for real by starting a new process in the sandbox;
the notebook's own feedback (`simlib.grading.check_workflow`) runs in the
learner's process and emulates it here.

`Incarnations` takes a snapshot of everything the workflow function can reach
(the module-level names its code uses, transitively through helper functions
defined beside it; its closures; its default arguments; its attributes; for a
bound method, its instance) when grading starts. Each `Incarnations.fresh` call
hands out a new copy of the function bound to a new copy of that state, so a
set filled by one incarnation is empty again in the next, as after a restart.

Limits, all documented to learners as "don't": state kept in an imported
module's attributes, in class attributes, or in an object that refuses to be
copied is shared between incarnations here (the sandboxed batch grader loses it
anyway, since it starts a real new process).
"""

from __future__ import annotations

import copy
import types

__all__ = ["Incarnations"]

_SHARED = (types.ModuleType, type, types.BuiltinFunctionType, types.BuiltinMethodType)


def _code_names(code: types.CodeType, out: set) -> set:
    out.update(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_names(c, out)
    return out


class _Copier:
    """One copy of a function's reachable state; objects shared inside it stay shared in the copy."""

    def __init__(self, namespace: dict):
        self.ns = namespace
        self.globals: dict = dict(namespace)
        self.memo: dict = {}
        self.done: set = set()

    def value(self, v):
        if id(v) in self.memo:
            return self.memo[id(v)]
        if isinstance(v, types.FunctionType):
            return self.function(v)
        if isinstance(v, types.MethodType):
            out = types.MethodType(self.value(v.__func__), self.value(v.__self__))
            self.memo[id(v)] = out
            return out
        if isinstance(v, _SHARED):
            return v
        try:
            return copy.deepcopy(v, self.memo)
        except Exception:   # noqa: BLE001 - an object that cannot be copied is shared (see the module's limits)
            return v

    def function(self, f: types.FunctionType) -> types.FunctionType:
        own = f.__globals__ is self.ns
        closure = None
        if f.__closure__:
            cells = []
            for cell in f.__closure__:
                if id(cell) not in self.memo:
                    new = types.CellType()
                    self.memo[id(cell)] = new
                    try:
                        new.cell_contents = self.value(cell.cell_contents)
                    except ValueError:          # an empty cell (a name not bound yet)
                        pass
                cells.append(self.memo[id(cell)])
            closure = tuple(cells)
        g = self.globals if own else f.__globals__
        new_f = types.FunctionType(f.__code__, g, f.__name__, None, closure)
        self.memo[id(f)] = new_f
        new_f.__defaults__ = self.value(f.__defaults__)
        new_f.__kwdefaults__ = self.value(f.__kwdefaults__)
        new_f.__qualname__ = f.__qualname__
        new_f.__module__ = f.__module__
        new_f.__doc__ = f.__doc__
        new_f.__dict__.update(self.value(dict(f.__dict__)))
        if own:
            self.reach(f.__code__)
        return new_f

    def reach(self, code: types.CodeType) -> None:
        """Copy the module-level names ``code`` uses into the new globals."""
        for name in sorted(_code_names(code, set())):
            if name in self.done or name not in self.ns or name.startswith("__"):
                continue
            self.done.add(name)
            self.globals[name] = self.value(self.ns[name])


class Incarnations:
    """Fresh copies of one workflow function, each with its own copy of the state it can reach.

    Args:
        fn: the learner's workflow (a function or a bound method; any other callable is
            used as it is, state and all).
    """

    def __init__(self, fn):
        self.original = fn
        self._snapshot = self._copy(fn)

    @staticmethod
    def _copy(fn):
        target = fn.__func__ if isinstance(fn, types.MethodType) else fn
        if not isinstance(target, types.FunctionType):
            return fn
        return _Copier(target.__globals__).value(fn)

    def fresh(self):
        """A new copy of the workflow, as a newly started worker would run it."""
        return self._copy(self._snapshot)

"""Old module paths, kept importable after the package was split into layers.

``import simlib.engine`` (or ``from simlib.recommend import Profile``) still
works: a finder maps each old name to its new module, and both names refer to
the same module object, so a monkeypatch on one is seen through the other.
New code imports the new paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MOVED", "install"]

# old dotted name -> new dotted name
MOVED: dict[str, str] = {
    **{f"simlib.{m}": f"simlib.core.{m}" for m in
       ("engine", "context", "faults", "history", "checkers", "rng", "llm", "summary", "world", "stores",
        "sweep", "errors", "compare", "intervals")},
    "simlib.nesting": "simlib.models.nesting",
    "simlib.compose": "simlib.models.systems",
    "simlib.timetravel": "simlib.models.timetravel",
    "simlib.scenarios_restate": "simlib.scenarios.restate",
    "simlib.scenarios_saga": "simlib.scenarios.saga",
    "simlib.scenarios_batch": "simlib.scenarios.batch",
    "simlib.scenarios_dag": "simlib.scenarios.dag",
    "simlib.scenarios_compose": "simlib.scenarios.compose",
    **{f"simlib.{m}": f"simlib.course.{m}" for m in
       ("matrix", "decision_tree", "recommend", "evidence", "saga", "selfheal", "drills", "postmortem",
        "timed_crashes")},
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old module name to the module now living at its new name."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module) -> None:
        """Nothing to run: the new module is already executed."""


def install() -> None:
    """Put the finder on `sys.meta_path` once."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())  # before any editable-install finder

"""Models are written against public names only: no SimPy internals, no leading-underscore name of the core.

SimPy's private state is reached only by `simlib.core.clock`, the step runner (`simlib.core.context`)
and the run loop (`simlib.core.engine`); see the clock module's docstring for why.
"""

import ast
from pathlib import Path

import pytest

SIMLIB = Path(__file__).resolve().parent.parent / "simlib"
SIMPY_PRIVATE = {"_queue", "_eid", "_now", "_active_proc", "_target", "_resume", "_ok", "_value", "_defused"}
ALLOWED_SIMPY = {"core/clock.py", "core/context.py", "core/engine.py"}
# The layers written against the model API. (grading, viz and widgets are being rewritten on other
# branches; they join this list when those land.)
CHECKED = ("models", "scenarios", "course", "cli")
MODULES = sorted(p for layer in CHECKED for p in (SIMLIB / layer).rglob("*.py"))


def core_private_names() -> set[str]:
    """Leading-underscore names the core defines: functions, methods, class attributes, ``self._x``."""
    names: set[str] = set()
    for path in (SIMLIB / "core").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                names.add(node.attr)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name) and t.id.startswith("_")
                             and not t.id.startswith("__"))
    return names


def own_names(tree: ast.AST) -> set[str]:
    """Leading-underscore names a module defines itself (so using them is not reaching into the core)."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            own.add(node.value)      # __slots__ entries
    return own


def offences(source: str, rel: str, core_private: set[str]) -> list[str]:
    """Every use of a SimPy private or a core private in ``source`` (the module at ``rel``)."""
    tree = ast.parse(source)
    own = own_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and ("core" in node.module.split(".")):
            found += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names if a.name.startswith("_")]
        if isinstance(node, ast.Attribute):
            if node.attr in SIMPY_PRIVATE and rel not in ALLOWED_SIMPY:
                found.append(f"{rel}:{node.lineno} touches SimPy's {node.attr}")
            elif node.attr in core_private and node.attr not in own:
                found.append(f"{rel}:{node.lineno} uses the core's private {node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(SIMLIB).as_posix())
def test_no_model_or_layer_above_uses_core_or_simpy_privates(path):
    rel = path.relative_to(SIMLIB).as_posix()
    assert offences(path.read_text(encoding="utf-8"), rel, core_private_names()) == []


def test_the_rule_catches_both_kinds_of_offence():
    found = offences("def f(ctx, env):\n    return ctx._tc, env._now\n", "models/x.py", {"_tc"})
    assert found == ["models/x.py:2 uses the core's private _tc", "models/x.py:2 touches SimPy's _now"]


def test_a_module_s_own_private_names_are_its_business():
    assert offences("class C:\n    def f(self):\n        self._tc = 1\n        return self._tc\n",
                    "models/x.py", {"_tc"}) == []


def test_the_core_privates_include_the_step_runner_s():
    assert {"_tc", "_new"} <= core_private_names()

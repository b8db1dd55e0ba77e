"""The package's layers: a module may import its own layer and the layers below it, never one above.

Order, lowest first (each layer's reason for sitting where it does):

1. ``core``      the clock, step pipeline, faults, history, checkers, registries, run loop, sweep;
2. ``models``    engine models and model-like compositions (nesting, systems, time travel);
3. ``course``    matrix, decision tree, recommender, evidence, sagas, self-healing, drills;
4. ``scenarios`` workflows; a scenario may use a course helper (the saga, the self-heal policy);
5. ``viz``       pictures of histories, sweeps and the decision tree;
6. ``widgets``   notebook widgets over viz and the library;
7. ``grading``   graders for the exercises (draws with viz);
8. ``cli``       every subcommand and its argument parser.

The package root (``simlib/__init__.py``, ``__main__``, ``_moved``) is the facade above them all: it
imports the model and scenario packages so their registries are filled before anything runs.

Imports are read with `ast`, including those inside functions and dotted ``"simlib.x"`` strings handed to
`importlib`, so a lazy import cannot hide an upward dependency or a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LAYERS = ("core", "models", "course", "scenarios", "viz", "widgets", "grading", "cli")
FACADE = {"simlib", "simlib.__main__", "simlib._moved"}
ROOT = Path(__file__).resolve().parent.parent / "simlib"
_MODULE_STRING = re.compile(r"^(simlib(?:\.\w+)+)(?::\w+)?$")


def module_name(path: Path, root: Path = ROOT) -> str:
    """``simlib/core/engine.py`` -> ``simlib.core.engine``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every simlib module ``source`` imports, at any depth, plus module paths named in strings."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("simlib"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("simlib"):
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            found.update(subs or {target})
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = _MODULE_STRING.match(node.value)
            if m and m.group(1) in known:
                found.add(m.group(1))
    found.discard(module)
    return found


def layer_of(module: str) -> int | None:
    """The layer index of a module (None for the facade)."""
    if module in FACADE:
        return None
    part = module.split(".")[1]
    if part not in LAYERS:
        raise ValueError(f"module {module!r} is in no layer; allowed top-level packages: {', '.join(LAYERS)}")
    return LAYERS.index(part)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a lower layer to a higher one (or from a layer into the facade), as text."""
    bad = []
    for mod, deps in sorted(graph.items()):
        low = layer_of(mod)
        if low is None:
            continue
        for dep in sorted(deps):
            high = layer_of(dep)
            if high is None or high > low:
                where = "the package facade" if high is None else f"layer {LAYERS[high]!r}"
                bad.append(f"{mod} (layer {LAYERS[low]!r}) imports {dep} ({where})")
    return bad


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the simlib modules it imports, for every module under ``root``."""
    paths = sorted(root.rglob("*.py"))
    known = {module_name(p, root) for p in paths}
    return {module_name(p, root): imports_of(p.read_text(encoding="utf-8"), module_name(p, root),
                                             p.name == "__init__.py", known) for p in paths}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_every_module_belongs_to_a_layer(graph):
    for mod in graph:
        layer_of(mod)


def test_no_layer_imports_a_higher_one(graph):
    assert upward_imports(graph) == []


def test_no_import_cycles(graph):
    assert find_cycle(graph) is None


def test_library_modules_never_import_the_cli(graph):
    offenders = [m for m, deps in graph.items()
                 if not m.startswith("simlib.cli") and m not in FACADE and any(d.startswith("simlib.cli") for d in deps)]
    assert offenders == []


# ------------------------------------------------------------- the rules themselves, on made-up modules
def test_an_upward_import_is_reported_even_inside_a_function():
    known = {"simlib.core.engine", "simlib.models.temporal"}
    src = "def f():\n    from ..models.temporal import Temporal\n"
    deps = imports_of(src, "simlib.core.engine", False, known)
    assert deps == {"simlib.models.temporal"}
    assert upward_imports({"simlib.core.engine": deps}) == [
        "simlib.core.engine (layer 'core') imports simlib.models.temporal (layer 'models')"]


def test_a_module_path_in_a_string_counts_as_an_import():
    known = {"simlib.core.registry", "simlib.course.selfheal"}
    deps = imports_of('LOAD = ["simlib.course.selfheal:main"]\n', "simlib.core.registry", False, known)
    assert upward_imports({"simlib.core.registry": deps}) != []


def test_downward_and_sideways_imports_are_allowed():
    graph = {"simlib.cli": {"simlib.grading.batch", "simlib.core.errors"},
             "simlib.models.temporal": {"simlib.core.context", "simlib.models.base"}}
    assert upward_imports(graph) == []


def test_importing_the_facade_from_a_layer_is_upward():
    assert upward_imports({"simlib.course.matrix": {"simlib"}}) != []


def test_a_cycle_is_found():
    graph = {"simlib.course.a": {"simlib.course.b"}, "simlib.course.b": {"simlib.course.a"}}
    assert find_cycle(graph) == ["simlib.course.a", "simlib.course.b", "simlib.course.a"]
    assert find_cycle({"simlib.course.a": {"simlib.course.b"}, "simlib.course.b": set()}) is None


def test_a_module_outside_every_layer_is_rejected():
    with pytest.raises(ValueError, match="simlib.misc"):
        layer_of("simlib.misc")

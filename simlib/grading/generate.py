"""Generate ``exercises/`` and the answer key from the reference notebooks in ``solutions/``.

The solution notebooks are the single source. In them, answers sit between
marker lines::

    # BEGIN SOLUTION: a hint for the learner
    a_compensation_steps = {3, 4}
    # END SOLUTION

and explanations between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
in markdown. The exercise version replaces each code region with a stub that
raises ``NotImplementedError`` with the hint (keeping the names to set as
comments), each markdown region with a placeholder, clears every output, and
tags cells whose stub raises ``raises-exception`` (so nbval accepts them while
the final grading cell still fails).

The same pass writes `simlib/grading/key.py`: salted digests of the answers to
the questions graded against a key, read from the solution regions with
``ast.literal_eval`` (never executed). Partial credit for other choices comes
from the answer cell's ``metadata.simlib.credit``.

Usage: ``python -m simlib exercises [--check]``.
``--check`` changes nothing and exits 1 when a generated file differs from the
one on disk (the drift test in CI).
"""

from __future__ import annotations

import ast
import copy
import json
import textwrap
from pathlib import Path

from ..core.errors import ConfigError

__all__ = ["exercise_from_solution", "build_key", "generate", "BEGIN", "END"]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
MD_BEGIN = "<!-- BEGIN SOLUTION -->"
MD_END = "<!-- END SOLUTION -->"
MD_PLACEHOLDER = "_Write your answer here._"
RAISES_TAG = "raises-exception"
KEY_PATH = Path(__file__).with_name("key.py")


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _regions(lines: list[str], cell_ref: str):
    """Yield (begin index, end index, hint, indent) of each marked region."""
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith(BEGIN):
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            hint = stripped[len(BEGIN):].lstrip(" :").strip()
            for j in range(i + 1, len(lines)):
                if lines[j].strip().startswith(BEGIN):
                    raise ConfigError(f"{cell_ref}: nested {BEGIN!r}")
                if lines[j].strip().startswith(END):
                    yield i, j, hint, indent
                    i = j
                    break
            else:
                raise ConfigError(f"{cell_ref}: {BEGIN!r} without {END!r}")
        elif stripped.startswith(END):
            raise ConfigError(f"{cell_ref}: {END!r} without {BEGIN!r}")
        i += 1


def _assigned_names(code: str) -> list[str]:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            if isinstance(t, ast.Name) and t.id not in names:
                names.append(t.id)
    return names


def _stub_code(source: str, cell_ref: str) -> tuple[str, bool]:
    """The exercise version of a code cell's source, and whether a stub raises at top level."""
    lines = source.split("\n")
    out: list[str] = []
    raises = False
    last = 0
    for b, e, hint, indent in _regions(lines, cell_ref):
        out.extend(lines[last:b])
        if not indent:
            out.extend(f"# {name} = ..." for name in _assigned_names("\n".join(lines[b + 1:e])))
            raises = True
        what = "answer" if not indent else "code"
        message = f"{hint or 'write your ' + what + ' here'} (replace this line with your {what})"
        out.append(f"{indent}raise NotImplementedError({message!r})")
        last = e + 1
    out.extend(lines[last:])
    return "\n".join(out), raises


def _stub_markdown(source: str, cell_ref: str) -> str:
    out, pos = [], 0
    while True:
        b = source.find(MD_BEGIN, pos)
        if b < 0:
            out.append(source[pos:])
            return "".join(out)
        e = source.find(MD_END, b)
        if e < 0:
            raise ConfigError(f"{cell_ref}: {MD_BEGIN!r} without {MD_END!r}")
        out.append(source[pos:b] + MD_PLACEHOLDER)
        pos = e + len(MD_END)


def exercise_from_solution(nb: dict, name: str = "notebook") -> dict:
    """The learner's version of a solution notebook (a new dict; ``nb`` is not changed)."""
    ex = copy.deepcopy(nb)
    for i, cell in enumerate(ex.get("cells", [])):
        ref = f"{name} cell {i} ({cell.get('id', '?')})"
        src = _source(cell)
        meta = cell.get("metadata", {})
        tags = [t for t in meta.get("tags", []) if t != RAISES_TAG]
        if cell.get("cell_type") == "code":
            src, raises = _stub_code(src, ref)
            if raises:
                tags.append(RAISES_TAG)
            cell["outputs"] = []
            cell["execution_count"] = None
        elif cell.get("cell_type") == "markdown":
            src = _stub_markdown(src, ref)
        cell["source"] = src
        # Only tags survive: metadata.simlib holds grading data (partial credit) learners don't need.
        cell["metadata"] = {"tags": tags} if tags else {}
    meta = ex.setdefault("metadata", {})
    meta.pop("widgets", None)
    return ex


# ---------------------------------------------------------------------- the answer key
def _solution_literals(nb: dict, name: str) -> dict:
    """Answer variable -> (literal value, cell metadata) for every assignment in a solution region."""
    found = {}
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        lines = _source(cell).split("\n")
        for b, e, _hint, indent in _regions(lines, f"{name} cell {i}"):
            if indent:
                continue
            tree = ast.parse("\n".join(lines[b + 1:e]))
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        continue
                    found[node.targets[0].id] = (value, cell.get("metadata", {}).get("simlib", {}))
    return found


def build_key(solutions: dict[str, dict]) -> str:
    """The source of ``key.py`` from the solution notebooks (assignment id -> notebook)."""
    from . import digest as dg
    from .assignments import get_assignment
    from .normalize import as_choice, as_step_set
    from .questions import KeyedChoice, KeyedSet

    key: dict = {}
    for aid, nb in sorted(solutions.items()):
        assignment = get_assignment(aid)
        literals = _solution_literals(nb, aid)
        for q in assignment.questions:
            if not isinstance(q, (KeyedSet, KeyedChoice)):
                continue
            if q.id not in literals:
                raise ConfigError(f"{aid}: no solution region assigns a literal to {q.id!r}")
            value, meta = literals[q.id]
            if isinstance(q, KeyedSet):
                key[q.id] = dg.set_entry(q.id, as_step_set(value, q.universe, q.names))
            else:
                credits = {as_choice(value, q.aliases, q.sentences): 1.0}
                for other, credit in (meta.get("credit") or {}).items():
                    credits[as_choice(other, q.aliases, q.sentences)] = credit
                key[q.id] = dg.choice_entry(q.id, credits)
    body = json.dumps(dict(sorted(key.items())), indent=4, sort_keys=True)
    return ('"""Salted digests of the reference answers, generated from solutions/ by\n'
            '``python -m simlib exercises``: do not edit by hand (see `simlib.grading.digest`)."""\n\n'
            f"KEY = {body}\n")


# ---------------------------------------------------------------------- files
def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"cannot read solution notebook {str(path)!r}: {e}") from None


def _dump(nb: dict) -> str:
    # Written by nbformat, as Jupyter writes it, so that saving a notebook causes no diff noise.
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def generate(solutions_dir: Path, exercises_dir: Path, key_path: Path = KEY_PATH,
             check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) the exercises and the key; return the files that differ."""
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    if not solutions_dir.is_dir():
        raise ConfigError(f"solutions folder {str(solutions_dir)!r} does not exist")
    paths = sorted(solutions_dir.glob("*.ipynb"))
    if not paths:
        raise ConfigError(f"no .ipynb files in {str(solutions_dir)!r}")
    wanted: dict[Path, str] = {}
    by_assignment: dict[str, dict] = {}
    for p in paths:
        nb = _read(p)
        aid = nb.get("metadata", {}).get("simlib", {}).get("assignment")
        if aid:
            by_assignment[aid] = nb
        wanted[exercises_dir / p.name] = _dump(exercise_from_solution(nb, p.name))
    wanted[Path(key_path)] = build_key(by_assignment)
    stale = [q for q in exercises_dir.glob("*.ipynb") if q not in wanted] if exercises_dir.is_dir() else []
    differ = [str(p) for p, text in wanted.items()
              if not p.exists() or p.read_text(encoding="utf-8") != text]
    differ += [f"{q} (no solution notebook)" for q in stale]
    if not check:
        exercises_dir.mkdir(parents=True, exist_ok=True)
        for p, text in wanted.items():
            if not p.exists() or p.read_text(encoding="utf-8") != text:
                p.write_text(text, encoding="utf-8")
    return differ


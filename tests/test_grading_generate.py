"""exercises/ and the answer key are generated from solutions/, and CI fails when they drift."""

import json
import shutil
from pathlib import Path

import pytest

from simlib.cli import main as cli
from simlib.core.errors import ConfigError
from simlib.grading.generate import KEY_PATH, build_key, exercise_from_solution, generate

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def test_exercises_and_key_match_what_the_generator_writes():
    differ = generate(SOLUTIONS, EXERCISES, KEY_PATH, check=True)
    assert differ == [], f"run `python -m simlib exercises`: {differ}"


def test_the_check_command_reports_drift(tmp_path, capsys):
    ex = tmp_path / "exercises"
    shutil.copytree(EXERCISES, ex)
    key = tmp_path / "key.py"
    shutil.copy(KEY_PATH, key)
    args = ["exercises", "--check", "--solutions", str(SOLUTIONS), "--exercises", str(ex), "--key", str(key)]
    assert cli(args) == 0
    nb = ex / "self-check-64.4.ipynb"
    nb.write_text(nb.read_text().replace("Q1", "Q one"))
    assert cli(args) == 1 and "self-check-64.4.ipynb" in capsys.readouterr().out
    assert cli(args[:1] + args[2:]) == 0          # regenerate ...
    assert cli(args) == 0                          # ... and it matches again
    assert cli(["exercises", "--solutions", str(tmp_path / "nope")]) == 2


def cells(nb):
    return {c["id"]: c for c in nb["cells"]}


@pytest.mark.parametrize("name", ["self-check-64.4.ipynb", "exercise-64.4.1-returns-agent.ipynb"])
def test_exercises_hold_no_solution_and_no_output(name):
    sol = json.loads((SOLUTIONS / name).read_text())
    ex = json.loads((EXERCISES / name).read_text())
    assert [c["id"] for c in sol["cells"]] == [c["id"] for c in ex["cells"]]
    text = json.dumps(ex)
    for cell in sol["cells"]:
        src = "".join(cell["source"])
        inside = False
        for line in src.splitlines():
            if "END SOLUTION" in line:
                inside = False
            if inside and len(line.strip()) > 12:
                assert line.strip() not in text, f"solution line leaked: {line.strip()}"
            if "BEGIN SOLUTION" in line:
                inside = True
    for c in ex["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
        assert "simlib" not in c["metadata"]
        src = "".join(c["source"])
        top_level_stub = any(line.startswith("raise NotImplementedError") for line in src.splitlines())
        assert top_level_stub == ("raises-exception" in c["metadata"].get("tags", []))
    assert ex["metadata"]["simlib"] == sol["metadata"]["simlib"]


def test_the_final_cell_stays_untagged_so_it_fails_until_solved():
    for name in ("self-check-64.4.ipynb", "exercise-64.4.1-returns-agent.ipynb"):
        grade = cells(json.loads((EXERCISES / name).read_text()))["grade"]
        assert "assert_all_correct" in "".join(grade["source"])
        assert "raises-exception" not in grade["metadata"].get("tags", [])


def nb(*cells):
    return {"cells": [dict(c, metadata=c.get("metadata", {})) for c in cells], "metadata": {}, "nbformat": 4,
            "nbformat_minor": 5}


def test_regions_become_stubs_with_hints_and_names():
    src = ("x = 1\n# BEGIN SOLUTION: the answer to everything\nanswer = 42\nother: int = 7\n# END SOLUTION\n"
           "check(answer)")
    fn = "def f(ctx):\n    '''doc'''\n    # BEGIN SOLUTION\n    yield ctx.tool('a')\n    # END SOLUTION"
    md = "Explain.\n\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nDone."
    out = exercise_from_solution(nb({"cell_type": "code", "id": "a", "source": src, "outputs": [1],
                                     "execution_count": 3, "metadata": {"simlib": {"credit": {}}}},
                                    {"cell_type": "code", "id": "b", "source": fn, "outputs": [],
                                     "execution_count": None},
                                    {"cell_type": "markdown", "id": "c", "source": md}))
    a, b, c = out["cells"]
    assert a["source"].splitlines() == [
        "x = 1", "# answer = ...", "# other = ...",
        "raise NotImplementedError('the answer to everything (replace this line with your answer)')",
        "check(answer)"]
    assert a["metadata"] == {"tags": ["raises-exception"]} and a["outputs"] == []
    assert b["source"].splitlines()[-1] == \
        "    raise NotImplementedError('write your code here (replace this line with your code)')"
    assert b["metadata"] == {}
    assert c["source"] == "Explain.\n\n_Write your answer here._\nDone."


@pytest.mark.parametrize("src,msg", [
    ("# BEGIN SOLUTION\nx = 1", "without"),
    ("x = 1\n# END SOLUTION", "without"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
])
def test_broken_markers_are_reported(src, msg):
    with pytest.raises(ConfigError, match=msg):
        exercise_from_solution(nb({"cell_type": "code", "id": "a", "source": src, "outputs": []}))


def test_the_key_needs_a_literal_answer_for_every_keyed_question():
    sol = json.loads((SOLUTIONS / "exercise-64.4.1-returns-agent.ipynb").read_text())
    for cell in sol["cells"]:
        if cell["id"] == "a-comp":
            cell["source"] = "a_compensation_steps = {3, 4}\n"     # outside a solution region
    with pytest.raises(ConfigError, match="a_compensation_steps"):
        build_key({"exercise-64.4.1-returns-agent": sol})

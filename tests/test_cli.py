"""The command line: listings, runs, JSON, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from simlib.cli import main


def test_models_one_per_line(capsys):
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[:3] == ["none", "app-checkpoint", "temporal"]


def test_scenarios_include_the_contract_names(capsys):
    assert main(["scenarios"]) == 0
    names = capsys.readouterr().out.split()
    assert "q1" in names and "five-effects" in names


def test_run_json_has_the_contract_fields(capsys):
    assert main(["run", "--model", "temporal", "--scenario", "q1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for k in ("completed", "duration_s", "llm_calls", "llm_cost_usd", "steps_reexecuted", "duplicate_effects",
              "effects_per_step", "history_sha256"):
        assert k in d
    assert d["steps_reexecuted"] == 1 and len(d["effects_per_step"]) == 20


def test_run_with_crashes_and_seed(capsys):
    assert main(["run", "--model", "none", "--scenario", "five-effects", "--crash", "2:after-effect",
                 "--crash", "4:before-step", "--seed", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["seed"] == 3 and d["duplicate_effects"] > 0


def test_run_table_output(capsys):
    assert main(["run", "--model", "none", "--scenario", "q1"]) == 0
    out = capsys.readouterr().out
    assert "completed_steps_lost" in out and "replay token" in out


@pytest.mark.parametrize("argv,word", [
    (["run", "--model", "tempo", "--scenario", "q1"], "tempo"),
    (["run", "--model", "none", "--scenario", "q9"], "q9"),
    (["run", "--model", "none", "--scenario", "q1", "--crash", "21:after-effect"], "out of range"),
    (["run", "--model", "none", "--scenario", "q1", "--crash", "3:midway"], "midway"),
    (["run", "--model", "none", "--scenario", "q1", "--crash", "three"], "malformed"),
    (["run", "--model", "none", "--scenario", "q1", "--outage", "x"], "malformed outage"),
    (["run", "--model", "none", "--scenario", "q1", "--faults", "/nonexistent.json"], "cannot read"),
    (["run", "--model", "none", "--scenario", "q1", "--seed", "-4"], "seed"),
    (["run", "--scenario", "q1"], "--model"),
    (["frobnicate"], "frobnicate"),
    ([], "a command is needed"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert word in err and err.count("\n") == 1 and "Traceback" not in err


def test_faults_file(tmp_path, capsys):
    p = tmp_path / "f.json"
    p.write_text(json.dumps({"crashes": ["3:after-effect"], "restart_delay_s": 1}))
    assert main(["run", "--model", "temporal", "--scenario", "five-effects", "--faults", str(p), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["effects_per_step"] == [1, 1, 2, 1, 1]
    p.write_text("{nope")
    assert main(["run", "--model", "temporal", "--scenario", "five-effects", "--faults", str(p)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_module_entry_point_really_runs():
    out = subprocess.run([sys.executable, "-m", "simlib", "run", "--model", "nope", "--scenario", "q1"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("error: unknown model 'nope'")
    assert out.stdout == ""


def test_the_readme_command_list_has_every_command():
    from pathlib import Path

    from simlib.cli import EXTRA_COMMANDS
    from simlib.cli.simulate import HANDLERS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## The simulator from the command line", 1)[1].split("```", 2)[1]
    listed = {line.split()[3] for line in block.splitlines() if line.startswith("python -m simlib ")
              and not line.split()[3].startswith("-")}
    assert listed == {*HANDLERS, *EXTRA_COMMANDS}

"""The README's table "Where each number comes from" is generated, and every number in it has a source.

`python -m simlib sources --update README.md` writes the table from the models' config dataclasses;
these tests fail when the README says something the code no longer does, or when any setting of a
registered model (a number, a mode, a switch) was declared without `simlib.models.params.param`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simlib.cli import main
from simlib.cli.settings import apply_settings
from simlib.cli.sources import BEGIN, END, all_rows, readme_block, setting_rows, to_markdown, with_block
from simlib.core.errors import ConfigError
from simlib.models import all_models, get_model, model_names
from simlib.models.params import SOURCE_KINDS, parameters

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert with_block(text, readme_block(all_rows()), "README.md") == text, (
        "README.md's sources table is out of date: run `python -m simlib sources --update README.md`")


def test_the_check_command_agrees(capsys):
    assert main(["sources", "--check", str(README)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("name", model_names())
def test_every_setting_has_a_source(name):
    """Numbers, modes and switches alike: the README promises a source or an assumption for each."""
    unsourced = [p.name for p in parameters(get_model(name).config_class) if p.kind not in SOURCE_KINDS]
    assert not unsourced, f"{name}: declare {', '.join(unsourced)} with param(default, kind=..., source=...)"


def test_every_declared_kind_is_known_and_every_source_says_something():
    for row in all_rows():
        assert row["kind"] in SOURCE_KINDS, row
        assert row["source"].strip(), row


@pytest.mark.parametrize("name", model_names())
def test_a_choice_setting_refuses_what_its_choices_do_not_hold(name):
    """A mode declared with ``choices`` lists them in the table, and --set takes exactly those words."""
    model = get_model(name)
    for p in parameters(model.config_class):
        if p.choices is None:
            continue
        assert p.default in p.choices
        row = next(r for r in setting_rows([model]) if r["setting"] == p.name)
        assert row["type"] == "one of " + ", ".join(p.choices)
        for word in p.choices:
            apply_settings([model], [f"{p.name}={word}"])
        with pytest.raises(ConfigError, match=f"bad value 'nope' for {name} setting {p.name}; allowed: "):
            apply_settings([model], [f"{p.name}=nope"])


def test_assumptions_are_labelled_as_such_in_the_table():
    rows = setting_rows(all_models())
    table = to_markdown(rows).splitlines()
    body = [line for line in table if line.startswith("| `")]
    assert len(body) == len(rows)
    for row, line in zip(rows, body):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells[:2] == [f"`{row['model']}`", f"`{row['setting']}`"]
        assert cells[3] == (f"**{row['kind']}**" if row["kind"] == "assumption" else row["kind"])


def test_update_writes_between_the_markers_and_check_then_passes(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\nbefore\n\n{BEGIN}\nstale\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["sources", "--check", str(page)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["sources", "--update", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "stale" not in text and text.startswith("# Title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert main(["sources", "--check", str(page)]) == 0


@pytest.mark.parametrize("text", ["no markers", f"{END}\n{BEGIN}", f"{BEGIN}\n{BEGIN}\n{END}"])
def test_markers_missing_or_out_of_order_are_refused(text):
    with pytest.raises(ConfigError, match="sources-table"):
        with_block(text, "x")

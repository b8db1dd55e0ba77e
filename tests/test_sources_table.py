"""The README's table "Where each number comes from" is generated, and every number in it has a source.

`python -m simlib sources --update README.md` writes the table from the models' config dataclasses;
these tests fail when the README says something the code no longer does, or when a numeric setting
of a registered model was declared without `simlib.models.params.param` (kind "unsourced").
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

import pytest

from simlib.cli import main
from simlib.cli.settings import field_types
from simlib.cli.sources import BEGIN, END, all_rows, readme_block, setting_rows, to_markdown, with_block
from simlib.core.errors import ConfigError
from simlib.models import all_models, get_model, model_names
from simlib.models.params import SOURCE_KINDS, parameters

README = Path(__file__).resolve().parent.parent / "README.md"


def _numeric(tp) -> bool:
    members = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    return any(m in (int, float) for m in members)


def test_the_readme_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert with_block(text, readme_block(all_rows()), "README.md") == text, (
        "README.md's sources table is out of date: run `python -m simlib sources --update README.md`")


def test_the_check_command_agrees(capsys):
    assert main(["sources", "--check", str(README)]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("name", model_names())
def test_every_numeric_setting_has_a_source(name):
    cls = get_model(name).config_class
    types = field_types(cls)
    unsourced = [p.name for p in parameters(cls) if _numeric(types[p.name]) and p.kind == "unsourced"]
    assert not unsourced, f"{name}: declare {', '.join(unsourced)} with param(default, kind=..., source=...)"


def test_every_declared_kind_is_known_and_every_source_says_something():
    for row in setting_rows(all_models()):
        assert row["kind"] in (*SOURCE_KINDS, "unsourced"), row
        assert (row["kind"] == "unsourced") == (not row["source"].strip()), row


def test_assumptions_are_labelled_as_such_in_the_table():
    rows = setting_rows(all_models())
    table = to_markdown(rows).splitlines()
    body = [line for line in table if line.startswith("| `")]
    assert len(body) == len(rows)
    for row, line in zip(rows, body):
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells[:2] == [f"`{row['model']}`", f"`{row['setting']}`"]
        assert cells[3] == (f"**{row['kind']}**" if row["kind"] in ("assumption", "unsourced") else row["kind"])


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

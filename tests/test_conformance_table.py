"""The conformance table itself, without running any engine: agreement rules, formats and the CLI's exit status."""

import json

import pytest

from simlib.cli import main
from simlib.conformance import ENGINES, rows as rows_mod
from simlib.conformance.rows import (
    KNOWN_GAP,
    REAL_EXTRA,
    exact,
    not_installed,
    skipped,
    to_json,
    to_markdown,
    to_text,
    within,
)


def test_a_time_agrees_only_within_its_tolerance():
    assert within("E", "t (s)", 1.0, 1.4, abs_s=0.5).agree
    assert not within("E", "t (s)", 1.0, 1.6, abs_s=0.5).agree
    assert within("E", "t (s)", 10.0, 11.4, abs_s=0.5, rel=0.1).agree      # 0.5 + 10 % of 10
    assert within("E", "t (s)", 0.01, 0.02, abs_s=0.0, rel=1.0).agree       # a factor 2
    assert within("E", "t (s)", 0.01, 0.02, abs_s=0.0, rel=1.0).tolerance == "±100% of real"


def test_counts_agree_only_when_equal():
    assert exact("E", "effects", [1, 1, 2], [1, 1, 2]).agree
    assert not exact("E", "effects", [1, 1, 2], [2, 2, 2]).agree


def test_a_known_gap_shows_as_disagreeing_with_its_reason():
    r = exact("E", "checkpoints", 7, 5, known_gap=KNOWN_GAP)
    text = to_text([r])
    assert f"NO ({KNOWN_GAP})" in text and "7" in text and "5" in text


def test_a_skipped_engine_says_why_in_the_agree_column():
    """A missing package and a missing server binary are different fixes: the agree column names the one it is."""
    binary, package = skipped("Restate", "no restate-server binary"), not_installed("DBOS", ["dbos"])
    head, _, *body = to_text([binary, package]).splitlines()
    agree_at, tolerance_at = head.index("agree"), head.index("tolerance")
    cells = [line[agree_at:tolerance_at].strip() for line in body]
    assert cells == ["skipped: no restate-server binary",
                     f"skipped: missing package dbos (install the real extra: {REAL_EXTRA})"]
    assert "install the real extra" not in body[0]


def test_markdown_and_strict_json():
    rows = [exact("A|B", "x", 1, 1), within("E", "t (s)", 1.0, 1.2, abs_s=0.5), skipped("S", "missing s")]
    md = to_markdown(rows).splitlines()
    assert md[0].startswith("| engine | behaviour | real | simulated | agree")
    assert len(md) == 2 + len(rows) and "A\\|B" in md[2]
    data = json.loads(to_json(rows, {"date": "d"}), parse_constant=lambda c: pytest.fail(c))
    assert [r["agree"] for r in data["rows"]] == [True, True, None]


def test_every_engine_is_listed_once():
    assert list(ENGINES) == ["langgraph", "dbos", "restate", "temporal", "inngest", "agents"]


def test_exit_status_is_0_when_only_skipped_rows_and_1_on_a_disagreement(monkeypatch, capsys):
    import simlib.cli.conformance as cli

    monkeypatch.setattr(cli, "run", lambda engines, progress=None: ([not_installed("X", ["x"])], {
        "date": "d", "machine": "m", "python": "p", "seconds": {"x": 0.0}}))
    assert main(["conformance", "--engines", "dbos"]) == 0
    assert "skipped: missing package x (install the real extra" in capsys.readouterr().out
    monkeypatch.setattr(cli, "run", lambda engines, progress=None: ([exact("X", "b", 1, 2)], {
        "date": "d", "machine": "m", "python": "p", "seconds": {}}))
    assert main(["conformance", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["rows"][0]["agree"] is False


def test_rows_module_exports():
    assert {"Row", "exact", "within", "skipped", "not_installed"} <= set(rows_mod.__all__)


@pytest.mark.parametrize("name", list(ENGINES))
def test_an_engine_that_is_not_installed_gives_one_skipped_row(name, monkeypatch):
    import importlib

    module = importlib.import_module(ENGINES[name])
    monkeypatch.setattr(module, "installed", lambda *mods: list(mods))
    rows = [r for r in module.rows() if r.source != "recorded"]   # a recorded row needs no engine
    assert len(rows) == 1 and rows[0].source == "skipped" and rows[0].agree is None
    assert rows[0].note.startswith("missing package ") and "install the real extra" in rows[0].note


def test_restate_without_its_server_binary_says_so_not_install_the_extra(monkeypatch):
    """The SDK installed but no restate-server: the fix is the binary, so the row must not send you to pip."""
    from simlib.conformance import restate

    monkeypatch.setattr(restate, "installed", lambda *mods: [])
    monkeypatch.setattr(restate, "server_binary", lambda: None)
    (row,) = restate.rows()
    assert row.source == "skipped" and row.note.startswith("no restate-server binary")
    assert "RESTATE_SERVER_BIN" in to_text([row]) and "install the real extra" not in to_text([row])

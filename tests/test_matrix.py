"""The decision matrix: names, scales and the side-by-side table of Section 64.4.1.6."""

import dataclasses

import pandas as pd
import pytest

from simlib.core.registry import get_model, model_names
from simlib.course import matrix
from simlib.course.matrix import ENGINES, Footprint, Guarantee, Maturity

EXPECTED = ["temporal", "inngest", "langgraph", "restate", "hatchet", "dag", "openai-agents",
            "openai-agents+temporal", "app-checkpoint", "none", "dbos"]
CORE = ["State location", "Operates as", "Best for", "Watch out for"]


def test_engine_names_match_the_model_registry_names():
    assert list(ENGINES) == EXPECTED
    assert all(ENGINES[n].name == n for n in ENGINES)


def test_every_registered_model_has_a_matrix_entry_and_every_entry_a_model():
    assert sorted(ENGINES) == sorted(model_names())


@pytest.mark.parametrize("name", model_names())
def test_the_matrix_and_the_model_state_the_same_facts(name):
    model, entry = get_model(name), ENGINES[name]
    assert (entry.family, entry.state_location) == (model.family, model.state_location)
    assert model.family in matrix.FAMILIES


def test_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ENGINES["temporal"].footprint = Footprint.MINIMAL  # type: ignore[misc]


def test_every_entry_is_filled_in():
    for e in ENGINES.values():
        for attr in ("display_name", "state_location", "operates_as", "best_for", "watch_out_for",
                     "when_it_fits", "section"):
            assert getattr(e, attr).strip(), (e.name, attr)
        assert e.family in matrix.FAMILIES
        assert e.languages
        assert isinstance(e.guarantee, Guarantee)
        assert isinstance(e.footprint, Footprint)
        assert isinstance(e.maturity, Maturity)


def test_section_references_point_at_the_when_it_fits_subsections():
    sections = {n: ENGINES[n].section for n in matrix.SECTION_ENGINES}
    assert sections == {"temporal": "64.4.1.1", "inngest": "64.4.1.2", "langgraph": "64.4.1.3",
                        "restate": "64.4.1.4", "hatchet": "64.4.1.5"}
    assert ENGINES["dag"].section == "64.4.1.7"
    assert ENGINES["openai-agents"].section == "64.4.1.8"


def test_get_returns_the_entry():
    assert matrix.get("restate") is ENGINES["restate"]


@pytest.mark.parametrize("bad", ["airflow", "Temporal", "", None])
def test_get_rejects_unknown_names_listing_the_allowed_ones(bad):
    with pytest.raises(ValueError) as info:
        matrix.get(bad)
    assert isinstance(info.value, KeyError)
    msg = str(info.value)
    assert "\n" not in msg and repr(bad) in msg
    assert all(name in msg for name in EXPECTED)


def test_scales_are_ordered_and_labelled():
    for scale in (Guarantee, Footprint, Maturity):
        levels = list(scale)
        assert levels == sorted(levels)
        assert all(level.label for level in levels)
    assert Guarantee.NONE < Guarantee.AT_LEAST_ONCE_TASK < Guarantee.AT_LEAST_ONCE_STEP
    assert Guarantee.AT_LEAST_ONCE_STEP < Guarantee.EXACTLY_ONCE_RECORDING


def test_guarantees_follow_the_real_semantics():
    """Temporal records exactly once but still runs activities at least once."""
    g = {n: e.guarantee for n, e in ENGINES.items()}
    assert g["temporal"] == Guarantee.EXACTLY_ONCE_RECORDING
    assert "idempotency" in g["temporal"].label
    assert any("at least once" in s for s in ENGINES["temporal"].gotchas)
    # The section: Hatchet's side-effect guarantee is weaker than Temporal's.
    assert g["hatchet"] < g["temporal"]
    assert g["restate"] == g["temporal"]
    # The Agents SDK gives nothing to calls made outside it; neither does plain code.
    assert g["openai-agents"] == g["none"] == Guarantee.NONE
    assert g["none"] < g["app-checkpoint"] < g["langgraph"]


def test_footprints_follow_the_section():
    f = {n: e.footprint for n, e in ENGINES.items()}
    assert f["temporal"] == Footprint.HEAVY  # separate cluster
    assert f["inngest"] == Footprint.MINIMAL  # managed platform
    assert f["restate"] < f["temporal"]  # single sidecar binary
    assert f["langgraph"] <= Footprint.LIGHT  # library in your app
    assert f["hatchet"] > f["langgraph"]  # engine + Postgres + workers


def test_restate_carries_the_maturity_gap():
    assert ENGINES["restate"].maturity < ENGINES["temporal"].maturity
    assert ENGINES["restate"].maturity < ENGINES["langgraph"].maturity


def test_families():
    fam = {n: e.family for n, e in ENGINES.items()}
    assert {n for n, f in fam.items() if f == "workflow-as-code"} >= set(matrix.SECTION_ENGINES)
    assert fam["dag"] == "dag-as-config"
    assert fam["openai-agents"] == "agent-runtime"
    assert fam["app-checkpoint"] == fam["none"] == "homegrown"
    assert {"Airflow", "Dagster", "AWS Step Functions (Standard)"} <= set(ENGINES["dag"].members)


def test_corrected_facts():
    """DAG tools declare graphs (Python DSL, YAML, visual editor; 64.4.1.7), some as managed services;
    Restate is a server, not a sidecar; Prefect 2+ is plain Python; Hatchet is Python-first, not Python-only."""
    dag = ENGINES["dag"]
    assert {"python", "yaml", "visual editor"} <= set(dag.languages)
    assert dag.supports("typescript") and dag.footprint == Footprint.MINIMAL
    assert "Step Functions" in dag.operates_as and "Prefect" not in dag.display_name
    assert any("Prefect 2" in g for g in dag.gotchas)
    restate = ENGINES["restate"]
    assert "sidecar" not in restate.operates_as.lower() and "Restate Cloud" in restate.operates_as
    assert restate.sdk_count < ENGINES["temporal"].sdk_count
    assert f"{restate.sdk_count} against {ENGINES['temporal'].sdk_count}" in restate.watch_out_for
    hatchet = ENGINES["hatchet"]
    assert {"python", "typescript", "go"} <= set(hatchet.languages) and "Python first" in hatchet.operates_as


def test_supports_language():
    assert ENGINES["hatchet"].supports("python")
    assert not ENGINES["langgraph"].supports("java")
    assert ENGINES["app-checkpoint"].supports("go")  # "any"


def test_side_by_side_default_is_the_section_table():
    df = matrix.side_by_side()
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == ["temporal", "inngest", "langgraph", "restate", "hatchet"]
    assert list(df.columns[1:5]) == CORE
    assert df.loc["temporal", "Operates as"] == ENGINES["temporal"].operates_as
    assert df.loc["hatchet", "State location"].startswith("PostgreSQL")
    assert df["Guarantee level"].loc["temporal"] > df["Guarantee level"].loc["hatchet"]


def test_side_by_side_all_and_custom_selection():
    assert list(matrix.side_by_side("all").index) == EXPECTED
    assert list(matrix.side_by_side(["dbos", "dag"]).index) == ["dbos", "dag"]
    assert list(matrix.side_by_side("none").index) == ["none"]
    with pytest.raises(ValueError, match="allowed"):
        matrix.side_by_side(["temporal", "celery"])

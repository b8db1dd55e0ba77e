"""Replay tokens, histories and summaries."""

import json

import pytest

from simlib import ConfigError, FaultSchedule, RandomCrashes, ReplayToken, get_scenario, simulate
from simlib.core.history import COLUMNS, History



def test_same_token_same_history_byte_for_byte():
    f = FaultSchedule(random=RandomCrashes(300.0))
    a = simulate("q1", "temporal", seed=5, faults=f)
    b = simulate("q1", "temporal", seed=5, faults=f)
    assert a.history.to_json() == b.history.to_json()
    assert a.summary.history_sha256 == b.summary.history_sha256


def test_different_seeds_give_different_histories():
    assert simulate("q1", "none", seed=1).summary.history_sha256 != simulate("q1", "none", seed=2).summary.history_sha256


def test_replay_token_round_trip_reproduces_the_run():
    f = FaultSchedule(random=RandomCrashes(200.0))
    a = simulate("five-effects", "app-checkpoint", seed=9, faults=f)
    tok = ReplayToken.from_json(a.token.to_json())
    b = simulate(tok.scenario, tok.model, seed=tok.seed, faults=tok.faults)
    assert a.summary.history_sha256 == b.summary.history_sha256


def test_bad_replay_token():
    with pytest.raises(ConfigError, match="not valid JSON"):
        ReplayToken.from_json("{")
    with pytest.raises(ConfigError, match="needs the fields"):
        ReplayToken.from_json("{}")


def test_record_false_gives_the_same_summary():
    f = FaultSchedule(random=RandomCrashes(400.0))
    a = simulate("q1", "temporal", seed=3, faults=f).summary.to_dict()
    b = simulate("q1", "temporal", seed=3, faults=f, record=False).summary.to_dict()
    a.pop("history_sha256"), b.pop("history_sha256")
    assert a == b


def test_history_dataframe_and_ordering():
    r = simulate("q1", "temporal", seed=1)
    df = r.dataframe()
    assert list(df.columns) == list(COLUMNS)
    assert list(df["time"]) == sorted(df["time"])
    assert set(df["kind"]) <= {"invoke", "ok", "fail", "info"}
    assert History.from_records(json.loads(r.history.to_json())).sha256() == r.summary.history_sha256


def test_q1_takes_about_fifteen_minutes_without_faults():
    s = simulate("q1", "temporal", seed=1, faults=FaultSchedule()).summary
    assert 13 * 60 < s.duration_s < 17 * 60 and s.llm_calls == 20 and s.crashes == 0


def test_summary_table_mentions_every_headline_field():
    text = simulate("q1", "none", seed=1).summary.table()
    for field in ("completed", "duration_s", "llm_calls", "llm_cost_usd", "steps_reexecuted",
                  "duplicate_effects", "effects_per_step", "history_sha256"):
        assert field in text


def test_unknown_names_are_rejected_with_the_allowed_ones():
    with pytest.raises(ConfigError, match="allowed: .*temporal"):
        simulate("q1", "temporall")
    with pytest.raises(ConfigError, match="allowed: q1"):
        simulate("q2", "temporal")


def test_event_budget_stops_a_runaway_run():
    from simlib import BudgetExceeded
    with pytest.raises(BudgetExceeded):
        simulate("q1", "none", seed=1, event_budget=5)


def test_model_settings_are_validated():
    from simlib import get_model
    with pytest.raises(ConfigError, match="unknown temporal setting 'start_to_close'"):
        get_model("temporal", start_to_close=3)
    with pytest.raises(ConfigError, match="start_to_close_s must be > 0"):
        get_model("temporal", start_to_close_s=-1)
    m = get_model("temporal", start_to_close_s=60.0)     # longer than every Q1 call (36.8-52.2 s)
    assert simulate("q1", m, seed=1).summary.time_to_recover_s < 70


def test_scenario_registry_rejects_duplicates():
    from simlib import register_scenario
    with pytest.raises(ConfigError, match="already registered"):
        register_scenario(get_scenario("q1"))

"""The recommender: the section's worked cases, validation, transparency, and the CLI."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simlib.course import matrix
from simlib.course.decision_tree import walk
from simlib.course.recommend import (
    BOOL_FIELDS,
    CHOICES,
    COMBINATIONS,
    RULES,
    Profile,
    Recommendation,
    recommend,
)
from simlib.cli.recommend import main as recommend_main

EXERCISE = {"moves_money": True, "cost_of_failure": "high", "trigger": "on-demand",
            "graph": "runtime"}


def profiles():
    """Every valid profile: each categorical value, each flag, any crash rate."""
    return st.builds(Profile, **{k: st.sampled_from(v) for k, v in CHOICES.items()},
                     **{b: st.booleans() for b in BOOL_FIELDS},
                     crash_rate_per_hour=st.floats(0, 50))


def rank(**fields):
    return recommend(Profile(**fields)).ranking


# --- The section's cases -------------------------------------------------------------


@pytest.mark.parametrize("cost", ["high", "critical"])
def test_exercise_returns_agent_picks_temporal_then_restate(cost):
    """Exercise 64.4.1: ordered refunds with compensation -> Temporal, Restate a credible second."""
    ranking = rank(**{**EXERCISE, "cost_of_failure": cost})
    assert ranking[:2] == ["temporal", "restate"]
    assert ranking.index("hatchet") > ranking.index("restate")


def test_exercise_hatchet_rises_only_when_the_system_is_task_queue_shaped():
    plain = rank(**EXERCISE)
    batchy = rank(**EXERCISE, batch_shaped=True, language="python")
    assert batchy.index("hatchet") < plain.index("hatchet")
    assert batchy[0] == "temporal"


@pytest.mark.parametrize("trigger", ["schedule", "on-demand"])
def test_python_llm_batch_jobs_pick_hatchet(trigger):
    assert rank(batch_shaped=True, language="python", trigger=trigger,
                cost_of_failure="medium")[0] == "hatchet"


@pytest.mark.parametrize("cost", ["low", "medium"])
def test_langgraph_team_wanting_checkpoints_and_hitl_keeps_langgraph(cost):
    assert rank(uses_langgraph=True, needs_hitl=True, cost_of_failure=cost)[0] == "langgraph"
    assert rank(uses_langgraph=True, cost_of_failure=cost)[0] == "langgraph"


def test_greenfield_team_finding_temporal_heavy_picks_restate():
    ranking = rank(ops_appetite="low", cost_of_failure="high", team_size="small")
    assert ranking[0] == "restate"
    assert ranking.index("temporal") > 1


def test_web_app_with_no_ops_appetite_picks_inngest():
    assert rank(ops_appetite="none", language="typescript", trigger="event")[0] == "inngest"


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("ops", ["low", "medium"])
def test_nightly_static_batch_picks_the_dag_family(batch, ops):
    ranking = rank(graph="static", trigger="schedule", batch_shaped=batch, ops_appetite=ops)
    assert ranking[0] == "dag"


def test_runtime_graph_pushes_dag_down():
    assert rank(graph="runtime", trigger="schedule").index("dag") > 3


def test_agent_inside_the_openai_stack():
    assert rank(openai_stack=True)[0] == "openai-agents"
    money = recommend(Profile(openai_stack=True, moves_money=True))
    assert money.top == "openai-agents+temporal"
    assert money.answer == "OpenAI Agents SDK inside Temporal"
    assert "agents-sdk-plus-temporal" in money.combinations
    assert money.ranking.index("openai-agents") > 2


def test_low_stakes_simple_flow_needs_little():
    assert rank(cost_of_failure="low")[0] == "app-checkpoint"


def test_platform_team_tips_toward_temporal():
    base = {"cost_of_failure": "high", "ops_appetite": "high"}
    assert rank(**base, team_size="platform-team")[0] == "temporal"


# --- Combinations ------------------------------------------------------------------


def test_combinations():
    def combos(**f):
        return recommend(Profile(**f)).combinations

    assert combos() == []
    assert "langgraph-inside-temporal-with-event-bus" in combos(uses_langgraph=True,
                                                                cost_of_failure="critical")
    assert "langgraph-inside-temporal-with-event-bus" not in combos(uses_langgraph=True)
    assert "airflow-data-layer-temporal-agent-layer" in combos(nightly_batch=True)
    assert "airflow-data-layer-temporal-agent-layer" not in combos(nightly_batch=True,
                                                                   graph="static")
    assert combos(openai_stack=True) == []
    assert set(combos(openai_stack=True, cost_of_failure="high")) == {"agents-sdk-plus-temporal"}
    assert "langgraph-inside-temporal-with-event-bus" in combos(uses_langgraph=True, cost_of_failure="high",
                                                                team_size="platform-team")
    assert all(COMBINATIONS[c] for c in COMBINATIONS)


# --- Validation --------------------------------------------------------------------


def test_defaults_are_documented_values():
    p = Profile.from_dict({})
    assert p == Profile()
    assert (p.cost_of_failure, p.team_size, p.language) == ("medium", "medium", "python")
    assert p.crash_rate_per_hour == 0.5


def test_unknown_field_is_rejected_listing_the_fields():
    with pytest.raises(ValueError) as info:
        Profile.from_dict({"language": "python", "budget": 3})
    msg = str(info.value)
    assert "\n" not in msg and "'budget'" in msg
    assert all(name in msg for name in ("cost_of_failure", "team_size", "moves_money"))


@pytest.mark.parametrize("field, value", [
    ("language", "rust"), ("cost_of_failure", "huge"), ("team_size", "large"),
    ("ops_appetite", "lots"), ("graph", "dynamic"), ("trigger", "cron"),
])
def test_unknown_value_is_rejected_listing_the_allowed_ones(field, value):
    with pytest.raises(ValueError) as info:
        Profile.from_dict({field: value})
    msg = str(info.value)
    assert "\n" not in msg and repr(field) in msg and repr(value) in msg
    assert all(allowed in msg for allowed in CHOICES[field])


@pytest.mark.parametrize("bad", [{"moves_money": "yes"}, {"uses_langgraph": 1},
                                 {"crash_rate_per_hour": -1}, {"crash_rate_per_hour": "fast"},
                                 {"crash_rate_per_hour": float("nan")},
                                 {"crash_rate_per_hour": True}])
def test_bad_types_are_rejected(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Profile.from_dict(bad)


def test_non_mapping_is_rejected():
    with pytest.raises(ValueError, match="JSON object"):
        Profile.from_dict(["python"])


def test_profile_is_frozen_and_crash_rate_becomes_float():
    p = Profile(crash_rate_per_hour=2)
    assert isinstance(p.crash_rate_per_hour, float)
    with pytest.raises(AttributeError):
        p.language = "go"  # type: ignore[misc]


# --- Transparency, evidence and rendering ------------------------------------------


def test_scores_are_exactly_the_sum_of_the_reasons():
    rec = recommend(Profile(**EXERCISE))
    for name in matrix.ENGINES:
        points = [int(re.match(r"([+-]\d+) ", r).group(1)) for r in rec.reasons[name]]
        assert sum(points) == rec.scores[name]


def test_rules_are_named_and_reference_the_text():
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.reason and rule.section
        assert set(rule.points) <= set(matrix.ENGINES)


def test_path_and_watch_outs():
    rec = recommend(Profile(**EXERCISE))
    assert rec.path == walk(Profile(**EXERCISE))
    assert list(rec.watch_outs) == rec.ranking[:3]
    assert matrix.get("temporal").watch_out_for in rec.watch_outs["temporal"]
    assert any("idempotency key" in w for w in rec.watch_outs["temporal"])


def test_evidence_callable_receives_top_two():
    seen = []

    def evidence(profile, engines):
        seen.append((profile, list(engines)))
        return {"lost_runs": {e: 0 for e in engines}}

    p = Profile(**EXERCISE)
    rec = recommend(p, evidence=evidence)
    assert seen == [(p, ["temporal", "restate"])]
    assert rec.evidence == {"lost_runs": {"temporal": 0, "restate": 0}}
    assert recommend(p).evidence is None
    assert "Evidence" in rec.format_text()


def test_to_dict_is_json_safe_and_format_text_reads_well():
    rec = recommend({"openai_stack": True, "moves_money": True})
    d = json.loads(json.dumps(rec.to_dict()))
    assert d["ranking"] == rec.ranking and d["reasons"]["temporal"]
    assert {"path", "watch_outs", "combinations", "profile", "evidence"} <= set(d)
    text = rec.format_text()
    assert text.startswith("Recommended: OpenAI Agents SDK inside Temporal")
    assert "1. OpenAI Agents SDK inside Temporal" in text and "agents-sdk-plus-temporal" in text
    assert "q:stack ->" in text


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_any_profile_gets_a_complete_deterministic_ranking(profile):
    rec = recommend(profile)
    assert isinstance(rec, Recommendation)
    assert sorted(rec.ranking) == sorted(matrix.ENGINES)
    assert len(set(rec.ranking)) == len(rec.ranking)
    assert rec.reasons[rec.top] and all(rec.reasons[rec.top])
    assert rec.scores[rec.ranking[0]] >= rec.scores[rec.ranking[-1]]
    again = recommend(Profile.from_dict(rec.to_dict()["profile"]))
    assert again == rec


# --- recommend_main -----------------------------------------------------------------


def _write(tmp_path, content):
    path = tmp_path / "profile.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_main_prints_text(tmp_path, capsys):
    assert recommend_main(["--profile", _write(tmp_path, EXERCISE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Recommended: Temporal")
    assert "Ranking" in out and "Decision path" in out


def test_main_prints_json(tmp_path, capsys):
    assert recommend_main(["--profile", _write(tmp_path, EXERCISE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ranking"][0] == "temporal" and "reasons" in data


@pytest.mark.parametrize("content, needle", [
    ('{"language": "python",', "not valid JSON"),
    ({"budget": 3}, "unknown field 'budget'"),
    ({"language": "cobol"}, "invalid value 'cobol' for field 'language'"),
    ([1, 2], "JSON object"),
])
def test_main_rejects_bad_input_in_one_line(tmp_path, capsys, content, needle):
    assert recommend_main(["--profile", _write(tmp_path, content)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert needle in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize("argv, needle", [
    (["--profile", "/no/such/profile.json"], "not found"),
    ([], "--profile"),
    (["--profile", "x.json", "--frobnicate"], "--frobnicate"),
])
def test_main_usage_errors_exit_2_in_one_line(capsys, argv, needle):
    assert recommend_main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1

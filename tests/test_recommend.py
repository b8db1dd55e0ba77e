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
    assert list(rec.watch_outs) == rec.section_ranking[:3]
    assert "dbos" not in rec.section_ranking and len(rec.section_ranking) == len(rec.ranking) - 1
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


# --- One decision model: floor, ties, outside engines, departures, crash evidence ------------------

_PLACES = ("64.4", "Figure 64.4.1", "Self-Check Q", "Exercise 64.4.1")


def test_every_rule_cites_the_section_or_says_it_is_the_course_own():
    from simlib.course.rules import OWN

    for rule in RULES:
        own = rule.section.startswith(OWN)
        assert own or any(place in rule.section for place in _PLACES), rule.name
        if own:
            assert "(" in rule.section, f"{rule.name}: a course addition must name its source"


def test_human_waits_cite_q3_only_for_the_engines_q3_names():
    """Self-Check Q3 names Temporal and Inngest; LangGraph's HITL comes from 64.4.1.3."""
    q3 = [r for r in RULES if "Self-Check Q3" in r.section and r.name == "human-waits"]
    assert q3 and all(set(r.points) & {"langgraph", "restate"} == set() for r in q3)
    assert next(r for r in RULES if r.name == "langgraph-hitl").section == "64.4.1.3"


@settings(max_examples=200, deadline=None)
@given(profiles())
def test_stakes_are_a_floor(profile):
    rec = recommend(profile)
    if profile.moves_money or profile.cost_of_failure == "critical":
        assert matrix.get(rec.top).guarantee == matrix.Guarantee.EXACTLY_ONCE_RECORDING
        assert rec.top not in rec.barred
    assert rec.top != "dbos"


def test_langgraph_that_outgrew_its_checkpoints_gets_the_combination_as_the_answer():
    rec = recommend(Profile(uses_langgraph=True, cost_of_failure="critical"))
    assert rec.top == "temporal" == rec.tree_leaf
    assert rec.answer.startswith("LangGraph inside a Temporal workflow")
    assert rec.summary_lines()[0] == f"Recommended: {rec.answer}"
    assert "langgraph" in rec.barred


def test_a_tie_is_shown_with_the_stated_rule():
    from simlib.course.recommend import TIE_BREAK

    recs = [recommend(Profile(cost_of_failure="low", needs_hitl=True, team_size="small", ops_appetite=ops,
                              graph="static", language=lang))
            for lang in ("python", "java") for ops in ("low", "high")]
    with_tie = [r for r in recs if r.ties]
    assert with_tie, "expected at least one tie among these profiles"
    for rec in with_tie:
        assert rec.top in rec.ties and len(rec.ties) >= 2
        assert len({rec.scores[n] for n in rec.ties}) == 1
        assert TIE_BREAK in rec.tie_break
        assert rec.top == rec.tree_leaf or rec.tree_leaf not in rec.ties


def test_dbos_is_only_ever_also_worth_a_look():
    p = Profile(cost_of_failure="low", team_size="small", ops_appetite="low", graph="static", needs_hitl=True)
    rec = recommend(p)
    assert rec.scores["dbos"] > rec.scores[rec.top]
    assert rec.top != "dbos" and "dbos" in rec.barred
    assert "not covered by Section 64.4" in rec.also_worth_a_look["dbos"]
    assert any(line.startswith("Also worth a look: DBOS") for line in rec.summary_lines())


def test_a_departure_names_the_one_factor():
    rec = recommend(Profile(graph="static", language="java", team_size="small", ops_appetite="none"))
    assert rec.top != rec.tree_leaf
    assert rec.departure.startswith(f"the tree says {matrix.get(rec.tree_leaf).display_name}; we rank")
    assert "because" in rec.departure
    assert recommend(Profile(**EXERCISE)).departure is None


def test_crash_rate_changes_the_advice_with_the_reason():
    """A LangGraph batch job: calm, its checkpoints suffice; at 20 crashes an hour every stopped run
    costs, and the simulated difference (95% intervals apart) moves the first place to Hatchet."""
    fields = {"uses_langgraph": True, "batch_shaped": True, "cost_of_failure": "low", "team_size": "small",
              "graph": "static", "trigger": "schedule"}
    calm = recommend(Profile(**fields, crash_rate_per_hour=0.5))
    busy = recommend(Profile(**fields, crash_rate_per_hour=20.0))
    assert calm.top == "langgraph" == calm.tree_leaf
    assert busy.top == "hatchet"
    assert "20 crashes/hour" in busy.departure and "95% interval" in busy.departure
    lg = busy.crash["langgraph"]
    assert lg["low"] > busy.crash["hatchet"]["high"]
    assert busy.crash["langgraph"]["usd_per_10k"] > 5 * calm.crash["langgraph"]["usd_per_10k"]
    assert busy.crash["langgraph"]["stranded_per_10k"] <= 10_000  # a run is left stopped at most once
    assert recommend(Profile(**fields), crash_evidence=False).crash is None

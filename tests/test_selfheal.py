"""Self-healing retries: semantic failures, three retry policies, their success rates and dollars."""

import json
import math

import pytest
from hypothesis import given, strategies as st

from simlib import ConfigError, CrashAt, FaultSchedule, simulate
from simlib.cli import main
from simlib.course.selfheal import POLICIES, SelfHealConfig, policy_sweep, policy_table, theory

NO_FAULTS = FaultSchedule()
RUNS = 600
CALL_USD = 0.0155


@pytest.fixture(scope="module")
def sweep():
    return {r["policy"]: r for r in policy_sweep(runs=RUNS, seed=11)}


def _stderr(p, n):
    return math.sqrt(max(p * (1 - p), 1e-9) / n)


# ---------------------------------------------------------------- policy ordering
def test_reflecting_succeeds_more_often_than_asking_again_with_the_same_attempts(sweep):
    same, refl = sweep["same-prompt"], sweep["reflect-and-rewrite"]
    assert same["mean_reflections"] == 0 and refl["mean_reflections"] > 0
    assert refl["success_rate"] > same["success_rate"] + 2 * _stderr(same["success_rate"], RUNS)
    # Reflections are paid for: each one is an extra LLM call.
    assert refl["mean_usd"] > same["mean_usd"]


def test_the_cost_aware_budget_spends_less_per_run(sweep):
    cost, refl = sweep["cost-aware"], sweep["reflect-and-rewrite"]
    assert cost["mean_usd"] < refl["mean_usd"] and cost["mean_attempts"] < refl["mean_attempts"]
    assert cost["usd_per_success"] < refl["usd_per_success"]
    assert 0 < cost["stopped_by_budget"] < 1
    assert cost["success_rate"] <= refl["success_rate"]     # it gives up on some tasks that would have passed


@pytest.mark.parametrize("policy", POLICIES)
def test_simulation_agrees_with_the_closed_form(sweep, policy):
    sim, th = sweep[policy], theory(policy=policy)
    assert abs(sim["success_rate"] - th["success_rate"]) < 4 * _stderr(th["success_rate"], RUNS)
    assert sim["mean_attempts"] == pytest.approx(th["mean_attempts"], rel=0.08)
    assert sim["mean_usd"] == pytest.approx(th["mean_usd"], rel=0.08)


def test_sweep_rows_have_the_report_columns_and_repeat_exactly():
    a = policy_sweep(runs=30, seed=5)
    assert [r["policy"] for r in a] == list(POLICIES)
    for r in a:
        assert {"policy", "runs", "success_rate", "mean_usd", "mean_attempts", "usd_per_success"} <= set(r)
    assert a == policy_sweep(runs=30, seed=5)
    df = policy_table(runs=30, seed=5)
    assert list(df.index) == list(POLICIES) and "usd_per_success" in df.columns


def test_every_policy_sees_the_same_tasks():
    # With p_first = 1 a solvable task passes at once and an unsolvable one never does, so the
    # share of successes is the share of solvable tasks, identical for all policies.
    rows = policy_sweep(runs=200, seed=3, p_first=1.0, value_usd=10.0)
    rates = {r["success_rate"] for r in rows}
    assert len(rates) == 1 and 0.55 < rates.pop() < 0.85


# ---------------------------------------------------------------- a semantic failure is not a crash
def _run_until_semantic_failure(model="temporal", faults=NO_FAULTS, **params):
    for seed in range(50):
        r = simulate("self-heal", model, seed=seed, faults=faults, params=params)
        if r.summary.extra.get("semantic_failures"):
            return r
    raise AssertionError("no seed produced a semantic failure")


def test_a_wrong_answer_is_its_own_failure_class():
    r = _run_until_semantic_failure()
    fails = [x for x in r.history if x.event == "semantic-failure"]
    assert fails and all(x.kind == "fail" for x in fails)
    assert r.summary.crashes == 0 and r.summary.steps_reexecuted == 0 and r.summary.failed_attempts == 0
    assert r.summary.extra["semantic_failures"] == len(fails)
    # The engine saw every LLM call succeed; the retries are new steps with new names.
    names = [x.detail["name"] for x in r.history if x.kind == "ok" and x.step is not None]
    assert names[:3] == ["answer-1", "reflect-1", "answer-2"]


def test_a_recorded_answer_replays_with_the_same_verdict():
    base = _run_until_semantic_failure()
    seed = base.run.seed
    r = simulate("self-heal", "temporal", seed=seed, faults=FaultSchedule(crashes=(CrashAt(2, "after-record"),)))
    assert r.summary.crashes == 1 and r.run.instances[0].result == base.run.instances[0].result
    assert [x.detail for x in r.history if x.event == "semantic-failure"] == \
        [x.detail for x in base.history if x.event == "semantic-failure"]


def test_without_durability_a_crash_repeats_the_answers_and_their_checks():
    base = _run_until_semantic_failure(model="none")
    r = simulate("self-heal", "none", seed=base.run.seed, faults=FaultSchedule(crashes=(CrashAt(2, "after-record"),)))
    assert r.summary.llm_calls_repeated >= 1 and r.summary.crashes == 1
    first = [x for x in r.history if x.event in ("semantic-failure", "validated") and x.detail["attempt"] == 1]
    assert len(first) == 2                      # attempt 1 was answered and judged twice


@pytest.mark.parametrize("solvable,p_first,ok", [(0.0, 1.0, False), (1.0, 1.0, True)])
def test_solvability_bounds_every_policy(solvable, p_first, ok):
    for policy in POLICIES:
        out = simulate("self-heal", "none", seed=1, params={"policy": policy, "solvable": solvable,
                                                              "p_first": p_first, "value_usd": 100.0})
        assert out.run.instances[0].result["ok"] is ok, policy


def test_cost_aware_does_not_even_start_when_the_answer_is_worth_less_than_a_call():
    r = simulate("self-heal", "none", seed=1, params={"policy": "cost-aware", "value_usd": 0.01})
    assert r.run.instances[0].result == {"ok": False, "attempts": 0, "reflections": 0, "stopped": "budget"}
    assert r.summary.llm_calls == 0


# ---------------------------------------------------------------- the model's arithmetic
def test_reflection_shrinks_the_failure_chance_geometrically():
    cfg = SelfHealConfig(p_first=0.4, reflection_gain=0.5)
    assert [cfg.p_success(k) for k in (1, 2, 3)] == [0.4, 0.7, 0.85]
    assert SelfHealConfig(policy="same-prompt", p_first=0.4).p_success(3) == 0.4


@given(st.floats(0.05, 0.95), st.floats(0.0, 0.9), st.floats(0.05, 1.0), st.floats(0.0, 2.0),
       st.integers(1, 8))
def test_theory_orders_the_policies(p_first, gain, solvable, value, attempts):
    kw = dict(p_first=p_first, reflection_gain=gain, solvable=solvable, value_usd=value, max_attempts=attempts)
    same = theory(CALL_USD, policy="same-prompt", **kw)
    refl = theory(CALL_USD, policy="reflect-and-rewrite", **kw)
    cost = theory(CALL_USD, policy="cost-aware", **kw)
    assert refl["success_rate"] >= same["success_rate"] - 1e-12
    assert cost["planned_attempts"] <= refl["planned_attempts"] == attempts
    assert cost["mean_usd"] <= refl["mean_usd"] + 1e-12
    assert cost["success_rate"] <= refl["success_rate"] + 1e-12
    cfg = SelfHealConfig(**kw)
    beliefs = [cfg.belief_solvable(k) for k in range(attempts + 1)]
    assert all(a >= b - 1e-12 for a, b in zip(beliefs, beliefs[1:]))   # failures only lower the belief


@given(st.floats(0.05, 0.95), st.floats(0.0, 0.9), st.floats(0.05, 1.0), st.floats(0.0, 2.0))
def test_the_budget_stops_exactly_when_cost_exceeds_expected_value(p_first, gain, solvable, value):
    cfg = SelfHealConfig(policy="cost-aware", p_first=p_first, reflection_gain=gain, solvable=solvable,
                         value_usd=value, max_attempts=8)
    n = cfg.planned_attempts(CALL_USD)
    for k in range(n):   # every attempt made was worth its cost ...
        assert cfg.belief_solvable(k) * cfg.p_success(k + 1) * value >= CALL_USD * (2 if k else 1)
    if n < 8:            # ... and the one not made was not
        assert cfg.belief_solvable(n) * cfg.p_success(n + 1) * value < CALL_USD * (2 if n else 1)


# ---------------------------------------------------------------- bad input and the command line
@pytest.mark.parametrize("kw,word", [
    ({"policy": "pray"}, "pray"), ({"p_first": 1.5}, "p_first"), ({"max_attempts": 0}, "max_attempts"),
    ({"value_usd": -1}, "value_usd"), ({"solvable": "yes"}, "solvable"),
])
def test_bad_settings_name_the_field(kw, word):
    with pytest.raises(ConfigError, match=word):
        SelfHealConfig(**kw)
    with pytest.raises(ConfigError, match=word):
        policy_sweep(runs=1, **{k: v for k, v in kw.items() if k != "policy"},
                     policies=(kw.get("policy", "same-prompt"),))


def test_unknown_settings_are_named():
    with pytest.raises(ConfigError, match="temperature"):
        policy_sweep(runs=1, temperature=0.7)
    s = simulate("self-heal", "none", seed=1, params={"temperature": 0.7}).summary
    assert not s.completed and "temperature" in s.error and "p_first" in s.error


def test_cli_json_and_table(capsys):
    assert main(["self-heal", "--runs", "40", "--seed", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["policy"] for r in rows] == list(POLICIES)
    assert main(["self-heal", "--runs", "20", "--policies", "cost-aware", "--value-usd", "0.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("policy") and out[1].startswith("cost-aware") and len(out) == 2


@pytest.mark.parametrize("argv,word", [
    (["self-heal", "--policies", "pray"], "pray"),
    (["self-heal", "--runs", "0"], "runs"),
    (["self-heal", "--p-first", "2"], "p_first"),
    (["self-heal", "--seed", "-1"], "seed"),
    (["self-heal", "--frobnicate"], "frobnicate"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert word in err and err.count("\n") == 1

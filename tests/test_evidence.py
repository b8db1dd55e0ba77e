"""The evidence estimator agrees with plain Monte Carlo and ranks engines sensibly."""

import pytest

from simlib.course.evidence import estimate, evidence, workload_for
from simlib.course.recommend import Profile, recommend
from simlib.core.sweep import sweep


def test_first_order_estimate_matches_monte_carlo_for_none_on_q1():
    rate = 0.3  # crashes per hour: about 7 % of 15-minute runs see one
    est = estimate("q1", "none", rate, samples=300, seed=1)
    mc = sweep("q1", "none", runs=3000, mtbf_s=3600 / rate, seed=50_000)
    assert est["usd_reexecuted_per_10k"] == pytest.approx(mc.per_10k("llm_cost_reexecuted_usd"), rel=0.3)


def test_durable_engine_re_spends_far_less_than_none():
    none = estimate("q1", "none", 1.0, samples=100)
    temporal = estimate("q1", "temporal", 1.0, samples=100)
    assert none["usd_reexecuted_per_10k"] > 10 * temporal["usd_reexecuted_per_10k"]


def test_money_workload_duplicates_without_durability():
    none = estimate("five-effects", "none", 2.0, samples=150)
    app = estimate("five-effects", "app-checkpoint", 2.0, samples=150)
    assert none["duplicate_effects_per_10k"] > app["duplicate_effects_per_10k"]


def test_evidence_hook_fills_the_recommendation():
    p = Profile.from_dict({"cost_of_failure": "critical", "moves_money": True, "crash_rate_per_hour": 1.0})
    rec = recommend(p, evidence=lambda prof, engines: evidence(prof, engines, samples=20))
    assert rec.evidence["workload"] == workload_for(p) == "five-effects"
    assert set(rec.evidence["engines"]) == set(rec.section_ranking[:2])
    assert "Evidence from the simulator" in rec.format_text()
    assert "ranking" in rec.to_dict() and "evidence" in rec.to_dict()


def test_estimate_reports_95_percent_intervals():
    est = estimate("q1", "none", 1.0, samples=60, seed=2)
    lo, hi = est["usd_reexecuted_per_10k_ci95"]
    assert lo <= est["usd_reexecuted_per_10k"] <= hi and hi > lo
    lo, hi = est["duplicate_effects_per_10k_ci95"]
    assert lo <= est["duplicate_effects_per_10k"] <= hi


def test_crash_loss_scales_with_the_rate_and_carries_an_interval():
    """The ranking's crash evidence: zero without crashes, growing with the rate, a run stopped at most once."""
    from simlib.course.evidence import CRASH_SAMPLES, crash_loss

    base = {"uses_langgraph": True, "graph": "static"}
    quiet = crash_loss(Profile(**base, crash_rate_per_hour=0.0), "langgraph")
    calm = crash_loss(Profile(**base, crash_rate_per_hour=0.5), "langgraph")
    busy = crash_loss(Profile(**base, crash_rate_per_hour=20.0), "langgraph")
    assert quiet.usd_per_10k == 0 and quiet.crashes_per_run == 0
    assert calm.scenario == busy.scenario == "q1" and busy.samples == CRASH_SAMPLES
    assert calm.low <= calm.usd_per_10k <= calm.high
    assert busy.usd_per_10k > 5 * calm.usd_per_10k
    assert calm.stranded_per_10k < busy.stranded_per_10k <= 10_000
    durable = crash_loss(Profile(**base, crash_rate_per_hour=20.0), "temporal")
    assert durable.stranded_per_10k == 0 and durable.high < busy.low

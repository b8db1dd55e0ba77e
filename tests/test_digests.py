"""Behaviour pinned while the step pipeline is refactored: every model on every scenario, many fault schedules.

`tests/fixtures/digests.json` holds, for each registered scenario, a fixed list of fault schedules (hand-picked
ones plus schedules drawn by hypothesis from a fixed seed, stored so the set never moves) and, for every
registered model, the start of the history's SHA-256 and of the summary's counters under each schedule (or the
exception a run raised). The test reruns them all and compares. A change that alters a digest on purpose (a bug
fix) regenerates the file and says in its commit which digests moved and why::

    PYTHONPATH=. python tests/test_digests.py     # recomputes the outcomes on the stored schedules
    PYTHONPATH=. python tests/test_digests.py --redraw   # draws the schedules again too (new fixture)

Recorded on the code of the LAYOUT DONE commit (bb9fe01). Changed on purpose since:

* queued step events fire at their planned time exactly (``StepEvent`` takes the absolute time;
  ``now + (t - now)`` had missed ``t`` by up to 5e-13 s, so an inline and a queued run of the same
  schedule could disagree). 19 of 1958 history digests moved (approval, doc-batch,
  agent-loop-delegated: time values in the last bits and the order of tied records); every summary
  digest stayed the same.
* the summary gained ``llm_cost_lost_usd`` and ``time_to_recover_s`` became None for a run that never
  resumed after a crash, so every summary digest moved; no history digest did. Beyond the new field,
  107 of 1958 summaries changed a number: runs where a crash cut an LLM call short count that call's
  partial bill as lost, no longer as re-spent. Timed-out attempts now count as calls paid for, but
  no stored schedule times an LLM call out.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from simlib import (CRASH_POINTS, CodeChange, CrashAt, CrashAtTime, FaultSchedule, Outage, RandomCrashes, get_scenario,
                    model_names, scenario_names, simulate)

FIXTURE = Path(__file__).parent / "fixtures" / "digests.json"
DIGEST_CHARS = 16          # 64 bits of each SHA-256: plenty to notice any change
EVENT_BUDGET = 400_000     # a crash loop ends as BudgetExceeded, which is recorded like any other outcome
DRAWN_PER_SCENARIO = 6     # hypothesis-drawn schedules per scenario
DRAW_SEED = 64_4           # the seed the drawn schedules came from (kept for the record)


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


def outcome(scenario: str, model: str, seed: int, faults: dict | None) -> str:
    """``history:summary`` digests of one run, or ``raised:<ExceptionType>: <message>``."""
    schedule = None if faults is None else FaultSchedule.from_dict(faults)
    try:
        res = simulate(scenario, model, seed=seed, faults=schedule, event_budget=EVENT_BUDGET)
    except Exception as e:  # noqa: BLE001 - an exception is an outcome to pin too
        return f"raised:{type(e).__name__}: {e}"
    counters = res.summary.to_dict()
    counters.pop("history_sha256", None)
    return f"{res.summary.history_sha256[:DIGEST_CHARS]}:{_short(json.dumps(counters, sort_keys=True, default=str))}"


# ---------------------------------------------------------------------------------- making the schedules
def fixed_schedules(scenario: str) -> list[dict]:
    """The hand-picked schedules for ``scenario``: defaults, each crash point, an outage, random crashes,
    and a code change deployed after a crash for every code variant the scenario has."""
    sc = get_scenario(scenario)
    steps = sc.max_steps
    mid = max(1, min(steps, (steps + 1) // 2))
    none = FaultSchedule()
    out = [{"label": "scenario-default", "seed": 644, "faults": None},
           {"label": "scenario-default-seed-7", "seed": 7, "faults": None},
           {"label": "no-faults", "seed": 644, "faults": none.to_dict()}]
    for point in CRASH_POINTS:
        out.append({"label": f"crash-mid-{point}", "seed": 644,
                    "faults": FaultSchedule(crashes=(CrashAt(mid, point),)).to_dict()})
    out.append({"label": "crash-first-step-every-attempt-twice", "seed": 3,
                "faults": FaultSchedule(crashes=(CrashAt(1, "after-effect"), CrashAt(1, "after-effect", attempt=2)),
                                        restart_delay_s=0.0).to_dict()})
    out.append({"label": "store-outage", "seed": 644,
                "faults": FaultSchedule(outages=(Outage(1.0, 90.0),)).to_dict()})
    out.append({"label": "random-crashes", "seed": 11,
                "faults": FaultSchedule(random=RandomCrashes(400.0)).to_dict()})
    out.append({"label": "timed-crash", "seed": 5,
                "faults": FaultSchedule(timed=(CrashAtTime(30.0),), restart_delay_s=12.0).to_dict()})
    for variant in sorted(sc.variants):
        out.append({"label": f"code-change-{variant}", "seed": 644,
                    "faults": FaultSchedule(crashes=(CrashAt(mid, "after-effect"),),
                                            code_change=CodeChange(variant)).to_dict()})
    return out


def drawn_schedules(scenario: str, count: int = DRAWN_PER_SCENARIO) -> list[dict]:
    """``count`` schedules drawn by hypothesis, deterministically (derandomized, no database)."""
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    steps = get_scenario(scenario).max_steps
    crash = st.builds(CrashAt, step=st.integers(1, steps), point=st.sampled_from(CRASH_POINTS),
                      attempt=st.integers(1, 2))
    outage = st.builds(lambda a, d: Outage(a, a + d), st.floats(0, 300), st.floats(0.5, 200))
    schedule = st.builds(
        FaultSchedule,
        crashes=st.lists(crash, max_size=4).map(tuple),
        timed=st.lists(st.builds(CrashAtTime, st.floats(0, 600)), max_size=1).map(tuple),
        outages=st.lists(outage, max_size=2).map(tuple),
        random=st.none() | st.builds(RandomCrashes, st.floats(300.0, 3000.0)),
        restart_delay_s=st.floats(0.0, 60.0),
    )
    seen: list[dict] = []

    @settings(derandomize=True, database=None, max_examples=count * 20, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(schedule, st.integers(0, 10_000))
    def collect(s: FaultSchedule, seed: int) -> None:
        entry = {"label": f"drawn-{len(seen)}", "seed": seed, "faults": s.to_dict()}
        if len(seen) < count and not s.empty and entry["faults"] not in [e["faults"] for e in seen]:
            seen.append(entry)

    collect()
    return seen


def build_fixture() -> dict:
    """Every scenario's schedules and every model's outcome under each."""
    scenarios = {}
    for sc in scenario_names():
        schedules = fixed_schedules(sc) + drawn_schedules(sc)
        scenarios[sc] = {"schedules": schedules,
                         "outcomes": {m: [outcome(sc, m, s["seed"], s["faults"]) for s in schedules]
                                      for m in model_names()}}
    return {"note": "history and summary digests per (scenario, model, schedule); see tests/test_digests.py",
            "draw_seed": DRAW_SEED, "scenarios": scenarios}


# ---------------------------------------------------------------------------------- the test
def _fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_the_fixture_covers_every_model_and_scenario_with_enough_cases():
    data = _fixture()["scenarios"]
    assert sorted(data) == sorted(scenario_names())
    cases = 0
    for entry in data.values():
        assert sorted(entry["outcomes"]) == sorted(model_names())
        assert any(s["label"].startswith("drawn-") for s in entry["schedules"])
        cases += sum(len(v) for v in entry["outcomes"].values())
    assert cases >= 500


@pytest.mark.parametrize("scenario", scenario_names())
def test_every_model_still_produces_the_recorded_histories(scenario):
    entry = _fixture()["scenarios"][scenario]
    changed = []
    for model, expected in entry["outcomes"].items():
        for sched, want in zip(entry["schedules"], expected):
            got = outcome(scenario, model, sched["seed"], sched["faults"])
            if got != want:
                changed.append(f"{model} / {sched['label']}: {want} -> {got}")
    assert not changed, f"{len(changed)} outcome(s) changed on {scenario!r}:\n" + "\n".join(changed[:20])


def test_a_changed_run_changes_its_outcome():
    """The comparison can fail: another seed gives another history digest."""
    a = outcome("q1", "temporal", 644, None)
    b = outcome("q1", "temporal", 645, None)
    assert a != b and ":" in a and not a.startswith("raised:")


def recompute_outcomes(fixture: dict) -> dict:
    """The stored schedules kept as they are, every model's outcome under each computed again."""
    for sc, entry in fixture["scenarios"].items():
        entry["outcomes"] = {m: [outcome(sc, m, s["seed"], s["faults"]) for s in entry["schedules"]]
                             for m in model_names()}
    return fixture


if __name__ == "__main__":
    # Default: keep the stored schedules (hypothesis may draw other ones under another version) and
    # recompute the outcomes. `--redraw` makes the schedules again, for a new scenario or a new fixture.
    if "--redraw" in sys.argv[1:] or not FIXTURE.exists():
        fixture = build_fixture()
    else:
        fixture = recompute_outcomes(_fixture())
        missing = sorted(set(scenario_names()) - set(fixture["scenarios"]))
        for sc in missing:
            schedules = fixed_schedules(sc) + drawn_schedules(sc)
            fixture["scenarios"][sc] = {"schedules": schedules, "outcomes": {
                m: [outcome(sc, m, s["seed"], s["faults"]) for s in schedules] for m in model_names()}}
    FIXTURE.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    n = sum(len(v) for e in fixture["scenarios"].values() for v in e["outcomes"].values())
    print(f"wrote {FIXTURE} with {n} outcomes", file=sys.stderr)

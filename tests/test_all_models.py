"""One suite of fault schedules against every registered engine model.

The parametrization reads the registry when the tests are collected, so a new
model is tested as soon as its registry line exists. The checks here are the
ones every engine must pass whatever its design: the same replay token gives
the same history; idempotency keys are never defeated; a run that completes
has every step's result; a run that does not complete says why, and the reason
is one its model declares (it has no supervisor, its store outage fails the
run, its graph must be declared up front). Each model's own guarantees and
weaknesses are tested in its own file.
"""

import json

import pytest
from hypothesis import given, strategies as st

from simlib import (CRASH_POINTS, CrashAt, FaultSchedule, Outage, RandomCrashes, ReplayToken, get_model,
                    get_scenario, model_names, scenario_names, simulate)
from simlib.core.checkers import INVALID, effects_exactly_once
from simlib.cli import main
from simlib.core.compare import COMPARE_COLUMNS

from strategies import schedules  # noqa: E402

MODELS = model_names()
SCENARIOS = scenario_names()
REQUIRED = {"model": str, "completed": bool, "steps_reexecuted": int, "duplicate_effects": int,
            "llm_cost_reexecuted_usd": (int, float), "llm_cost_lost_usd": (int, float),
            "time_to_recover_s": (int, float, type(None)),
            "time_stalled_s": (int, float)}
# A safety net against a crash loop: far more events than any of these runs needs.
BUDGET = 200_000

# Per scenario: steps, the middle step, an outage window inside the run, a crash rate that
# hits most runs at least once but lets a run that starts over still finish.
SETUP = {
    "q1": {"steps": 20, "mid": 10, "outage": (100.0, 400.0), "mtbf": 600.0},
    "five-effects": {"steps": 5, "mid": 3, "outage": (1.5, 60.0), "mtbf": 5.0},
    "five-effects-keyed": {"steps": 5, "mid": 3, "outage": (1.5, 60.0), "mtbf": 5.0},
}
SEED = 2   # with this seed the random-crash schedules crash every model at least once
FAULTS = ("no-faults", "before-step", "after-effect", "after-record", "outage", "random-crashes")


def schedule(scenario: str, name: str) -> FaultSchedule:
    """The named fault schedule of the fixed suite, sized for ``scenario``."""
    s = SETUP[scenario]
    if name == "no-faults":
        return FaultSchedule()
    if name in CRASH_POINTS:
        return FaultSchedule(crashes=(CrashAt(s["mid"], name),))
    if name == "outage":
        return FaultSchedule(outages=(Outage(*s["outage"]),))
    return FaultSchedule(random=RandomCrashes(s["mtbf"]))


CASES = [(m, sc, f) for m in MODELS for sc in SETUP for f in FAULTS]
IDS = [f"{m}-{sc}-{f}" for m, sc, f in CASES]


# ---------------------------------------------------------------- what each model declares
def _no_supervisor(m) -> bool:
    return getattr(m.config, "supervisor_restart_s", 0) is None


def resumes_after_a_crash(m) -> bool:
    """Does the model, as configured, carry a crashed run on by itself?

    LangGraph and the Agents SDK: "nothing resumes by itself", unless
    ``supervisor_restart_s`` names someone who invokes again. The DAG family: a
    zombie task with ``retries`` 0 fails the DAG run. Every other model resumes.
    """
    if _no_supervisor(m):
        return False
    if m.family == "dag-as-config":
        return m.config.retries > 0
    return True


def _events(r) -> set:
    return {x.event for x in r.history}


def _error(r, *words) -> bool:
    return bool(r.summary.error) and all(w in r.summary.error for w in words)


def _stopped(m, r) -> bool:
    return "stopped" in _events(r) and _no_supervisor(m)


# How a run may legitimately end unfinished, per model, as each module's docstring declares it.
# A model missing here (registered later) gets only the generic checks.
UNFINISHED = {
    "none": lambda m, r: False,                       # restarts from step 1 after every crash
    "app-checkpoint": lambda m, r: False,             # resumes from the last saved step
    "temporal": lambda m, r: False,                   # activities retried without limit; outages stall
    "openai-agents+temporal": lambda m, r: False,     # recovers like Temporal
    # "Nothing resumes by itself"; "a checkpointer outage makes the write raise and the run fail".
    "langgraph": lambda m, r: _stopped(m, r) or _error(r, "CheckpointWriteError"),
    # "After a crash nothing resumes by itself"; a "server" session outage makes the run error.
    "openai-agents": lambda m, r: _stopped(m, r) or (m.config.session_store == "server" and bool(r.summary.error)),
    # "retries is 0 by default, so that failure fails the task and the DAG run"; a dynamic graph
    # "fails before it starts with a DagDeclarationError".
    "dag": lambda m, r: _error(r, "zombie") or _error(r, "DagDeclarationError"),
    # internal retries (10 per task) or the user's retries (0 by default) used up.
    "hatchet": lambda m, r: _error(r, "TaskFailed"),
    # a step whose 5 attempts are used up "is memoized as an error and thrown into the function".
    "inngest": lambda m, r: _error(r, "attempts"),
    # "70 attempts in all, then the invocation is *paused*".
    "restate": lambda m, r: "paused" in _events(r),
    # "recovered more than max_recovery_attempts times goes to the dead-letter state".
    "dbos": lambda m, r: "dead-letter" in _events(r),
}


# ---------------------------------------------------------------- universal invariants
@pytest.fixture(scope="module")
def runs():
    """Each (model, scenario, schedule) is simulated once and shared by the checks below."""
    cache = {}

    def get(model, scenario, fault, seed=SEED):
        key = (model, scenario, fault, seed)
        if key not in cache:
            cache[key] = simulate(scenario, model, seed=seed, faults=schedule(scenario, fault),
                                  event_budget=BUDGET)
        return cache[key]

    return get


@pytest.mark.parametrize("model,scenario,fault", CASES, ids=IDS)
def test_same_token_same_history(runs, model, scenario, fault):
    first = runs(model, scenario, fault)
    token = ReplayToken.from_json(first.token.to_json())
    again = simulate(token.scenario, token.model, seed=token.seed, faults=token.faults, event_budget=BUDGET)
    assert again.history.to_json() == first.history.to_json()
    assert again.summary.to_dict() == first.summary.to_dict()


@pytest.mark.parametrize("model,scenario,fault", CASES, ids=IDS)
def test_summary_agrees_with_history_and_ledger(runs, model, scenario, fault):
    r = runs(model, scenario, fault)
    s = r.summary
    hist = list(r.history)
    assert s.model == model and s.scenario == scenario
    assert s.crashes == sum(1 for x in hist if x.event == "crash")
    assert s.effects == sum(1 for x in hist if x.event == "effect" and not x.detail["deduplicated"])
    assert s.duplicate_effects == r.ledger.duplicates()
    assert 0 <= s.llm_cost_reexecuted_usd <= s.llm_cost_usd + 1e-9
    assert 0 <= s.llm_cost_lost_usd and s.llm_cost_reexecuted_usd + s.llm_cost_lost_usd <= s.llm_cost_usd + 1e-9
    assert 0 <= s.llm_calls_repeated <= s.llm_calls
    assert 0 <= s.steps_reexecuted <= s.steps_executed
    assert min(s.time_stalled_s, s.work_lost_s, s.duration_s) >= 0
    # A recovery time exactly when every crash was followed by a resume of its workflow.
    resumed = sum(1 for x in hist if x.event == "resume")
    if s.time_to_recover_s is None:
        assert s.crashes > 0 and not s.completed
    else:
        assert s.time_to_recover_s >= 0 and (s.crashes == 0 or resumed > 0)
    assert [x.time for x in hist] == sorted(x.time for x in hist)


@pytest.mark.parametrize("model,scenario,fault", CASES, ids=IDS)
def test_a_run_completes_with_every_result_or_says_why(runs, model, scenario, fault):
    r = runs(model, scenario, fault)
    s = r.summary
    hist = list(r.history)
    if s.completed:
        assert s.stalled is None and s.error is None
        ok_steps = {x.step for x in hist if x.kind == "ok" and x.step is not None}
        assert set(range(1, SETUP[scenario]["steps"] + 1)) <= ok_steps
        result = r.run.instances[0].result
        if scenario == "q1":
            assert isinstance(result, str) and result.startswith("llm-20:")
        else:
            kinds = ["charge_card", "send_email", "create_label", "reserve_inventory", "publish_event"]
            assert len(result) == 5 and all(str(v).startswith(k) for v, k in zip(result, kinds))
            assert all(n >= 1 for n in s.effects_per_step[:5])
        return
    m = get_model(model)
    assert fault != "no-faults", f"{model} did not finish a fault-free {scenario}: {s.stalled or s.error}"
    assert s.stalled or s.error
    assert s.crashes >= 1 or fault == "outage", "only a crash or an outage can leave a static workflow unfinished"
    assert not any(x.event == "complete" for x in hist)
    if "stopped" in _events(r):
        # The engine stopped it because the model will not resume it: nothing runs afterwards.
        t_stop = next(x.time for x in hist if x.event == "stopped")
        assert any(x.event == "crash" and x.time <= t_stop for x in hist)
        assert not any(x.kind == "invoke" and x.time > t_stop for x in hist)
    explain = UNFINISHED.get(model)
    if explain is not None:
        assert explain(m, r), f"{model} ended unfinished in a way it does not declare: {s.stalled or s.error}"


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scenario", SETUP)
def test_the_random_crash_schedule_really_crashes(runs, model, scenario):
    assert runs(model, scenario, "random-crashes").summary.crashes >= 1


@pytest.mark.parametrize("model", MODELS)
def test_a_fault_free_run_does_no_work_twice(runs, model):
    for scenario in SETUP:
        s = runs(model, scenario, "no-faults").summary
        assert s.completed, f"{model} {scenario}: {s.stalled or s.error}"
        assert s.crashes == 0 and s.steps_reexecuted == 0 and s.duplicate_effects == 0
        assert s.llm_calls_repeated == 0 and s.llm_cost_reexecuted_usd == 0 and s.time_to_recover_s == 0


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("fault", FAULTS)
def test_idempotency_keys_are_never_defeated(runs, model, fault):
    r = runs(model, "five-effects-keyed", fault)
    assert r.summary.duplicate_effects == 0
    assert effects_exactly_once(r.history, only_keyed=True).status != INVALID


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_crash_at_the_middle_step_matches_the_declared_recovery(runs, model, point):
    r = runs(model, "five-effects", point)
    s = r.summary
    m = get_model(model)
    mid = SETUP["five-effects"]["mid"]
    assert s.crashes == 1
    if not resumes_after_a_crash(m):
        # Nobody runs the interrupted work again, so nothing starts twice or happens twice, nothing is
        # paid for twice, and a run that stayed stopped has no recovery time.
        assert s.steps_reexecuted == 0 and s.duplicate_effects == 0
        assert s.llm_calls_repeated == 0 and s.llm_cost_reexecuted_usd == 0
        assert s.completed or s.time_to_recover_s is None
        assert s.completed or s.stalled or s.error
        return
    assert s.completed, s.stalled or s.error
    assert s.time_to_recover_s > 0 and s.effects_per_step[mid - 1] >= 1
    if point == "before-step":
        # The effect had not happened, so whoever runs the step again runs it for the first time.
        assert s.effects_per_step[mid - 1] == 1


def with_recovery(m):
    """The same model configured so that it resumes: a supervisor, or one task retry (else None)."""
    if _no_supervisor(m):
        return m.with_config(supervisor_restart_s=5.0)
    if m.family == "dag-as-config" and m.config.retries == 0:
        return m.with_config(retries=1)
    return None


NON_RESUMING = [n for n in MODELS if with_recovery(get_model(n)) is not None]


@pytest.mark.parametrize("model", NON_RESUMING)
@pytest.mark.parametrize("scenario", SETUP)
@pytest.mark.parametrize("fault", ["before-step", "after-effect", "after-record", "random-crashes"])
def test_a_model_that_stops_by_default_finishes_once_given_a_way_to_resume(model, scenario, fault):
    m = with_recovery(get_model(model))
    assert resumes_after_a_crash(m)
    r = simulate(scenario, m, seed=SEED, faults=schedule(scenario, fault), event_budget=BUDGET)
    s = r.summary
    assert s.completed and s.crashes >= 1, s.stalled or s.error
    assert "stopped" not in _events(r)
    if scenario == "five-effects-keyed":
        assert s.duplicate_effects == 0


schedule_st = schedules(max_crashes=3, max_outages=1, outage_start_s=10.0, outage_len_s=40.0,
                        mtbf_s=(5.0, 100.0))


@pytest.mark.parametrize("model", MODELS)
@given(faults=schedule_st, seed=st.integers(0, 10_000))
def test_under_any_schedule_keys_hold_and_runs_repeat(model, faults, seed):
    a = simulate("five-effects-keyed", model, seed=seed, faults=faults, event_budget=BUDGET)
    b = simulate("five-effects-keyed", model, seed=seed, faults=faults, event_budget=BUDGET)
    assert a.history.sha256() == b.history.sha256()
    assert a.summary.duplicate_effects == 0
    if a.summary.completed:
        assert len(a.run.instances[0].result) == 5
    else:
        assert a.summary.stalled or a.summary.error
        explain = UNFINISHED.get(model)
        if explain is not None:
            assert explain(get_model(model), a), a.summary.stalled or a.summary.error


# ---------------------------------------------------------------- `compare` on every scenario
def _compare(capsys, *argv):
    assert main(["compare", *argv]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def _check_rows(rows, seed=None):
    assert isinstance(rows, list) and [r["model"] for r in rows] == MODELS
    for r in rows:
        for col, typ in REQUIRED.items():
            assert col in r, f"{r['model']} row lacks {col}"
            assert isinstance(r[col], typ) and not (typ is int and isinstance(r[col], bool)), (r["model"], col)
        assert set(COMPARE_COLUMNS) <= set(r)
        assert json.loads(r["replay_token"])["model"] == r["model"]
        if seed is not None:
            assert r["seed"] == seed
        if not r["completed"]:
            assert r["stalled"] or r["error"], f"{r['model']} did not complete and gave no reason"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_compare_json_on_every_scenario(capsys, scenario):
    _check_rows(json.loads(_compare(capsys, "--scenario", scenario, "--json")))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_compare_with_a_crash_and_a_seed(capsys, scenario):
    step = min(2, get_scenario(scenario).max_steps)
    rows = json.loads(_compare(capsys, "--scenario", scenario, "--crash", f"{step}:after-effect",
                               "--seed", "3", "--json"))
    _check_rows(rows, seed=3)
    for r in rows:
        faults = json.loads(r["replay_token"])["faults"]
        assert faults["crashes"] == [{"step": step, "point": "after-effect", "attempt": 1, "workflow": None}]


def test_compare_table_has_one_line_per_model(capsys):
    out = _compare(capsys, "--scenario", "five-effects", "--crash", "3:after-effect")
    lines = out.strip().splitlines()
    assert len(lines) == len(MODELS) + 2
    assert [ln.split()[0] for ln in lines[2:]] == MODELS


@pytest.mark.parametrize("argv,word", [
    (["compare", "--scenario", "nope"], "nope"),
    (["compare", "--scenario", "q1", "--crash", "99:after-effect"], "out of range"),
    (["compare", "--scenario", "q1", "--crash", "3:sideways"], "sideways"),
    (["compare", "--scenario", "q1", "--models", "temporal", "nope"], "nope"),
])
def test_compare_bad_input_is_one_line_and_exit_2(capsys, argv, word):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert word in err and err.count("\n") == 1 and "Traceback" not in err

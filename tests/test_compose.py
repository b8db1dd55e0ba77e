"""Composition: nesting (LangGraph inside Temporal), the event bus, migration, who recovered what."""

import pytest
from hypothesis import given, strategies as st

from simlib import (CRASH_POINTS, ConfigError, CrashAt, FaultSchedule, Outage, RandomCrashes, Scenario, get_model,
                    simulate)
from simlib.cli import main
from simlib.models.systems import (LangGraphInTemporal, Service, System, agent_activity, format_recovery_table, publish,
                            recovery_table, run_system)
from simlib.scenarios.compose import migration_system, nested_agent_system
from simlib.core.faults import NO_FAULTS


# ---------------------------------------------------------------- nesting
def test_nested_agent_reports_which_layer_recovered_what():
    r = run_system(nested_agent_system(), seed=1)
    s = r.summary
    assert s.completed and s.duplicate_effects == 0 and s.crashes == 2
    assert [i.id for i in r.run.instances] == ["support-1", "notify-1"]
    rows = [row for row in recovery_table(r) if row["workflow"] == "support-1"]
    inner, outer, world = rows
    assert inner["layer"] == "langgraph (inside temporal)" and inner["re_executed"] == [4]
    assert "heartbeat" in inner["recovered_by"] and "checkpoint 2" in inner["recovered_by"]
    assert inner["resumed_after_s"] == pytest.approx(30.0 + 1.0)
    assert outer["layer"] == "temporal" and outer["re_executed"] == [6]
    assert world["layer"] == "outside world" and "idempotency key" in world["recovered_by"]
    assert "langgraph (inside temporal)" in format_recovery_table(rows)


def test_a_finished_agent_activity_comes_back_from_the_temporal_history():
    r = run_system(nested_agent_system(), seed=1)
    replays = [x for x in r.history if x.event == "replay" and x.workflow == "support-1"]
    assert {x.detail["layer"] for x in replays} == {"temporal", "langgraph"}
    graph_done = next(x.time for x in r.history if x.kind == "ok" and x.detail.get("name") == "triage-agent")
    assert not any(x.kind == "invoke" and x.step in (2, 3, 4) and x.time > graph_done for x in r.history)


def test_checkpointer_outage_inside_the_activity_is_retried_by_temporal():
    f = FaultSchedule(outages=(Outage(5.0, 100.0, "checkpointer"),))
    r = run_system(nested_agent_system(), seed=1, faults=f)
    assert r.summary.completed
    row = recovery_table(r)[0]
    assert row["failure"].startswith("checkpoint write failed") and "retries the activity" in row["recovered_by"]
    assert r.summary.time_to_recover_s >= 100.0 - 10.0


def _support(r, event):
    return [x for x in r.history if x.workflow == "support-1" and x.event == event]


def test_a_failed_async_checkpoint_write_fails_the_activity_only_when_the_graph_returns():
    """As in plain LangGraph: async durability lets the later nodes run before invoke() raises; sync stops at once."""
    f = FaultSchedule(outages=(Outage(5.0, 100.0, "checkpointer"),))
    runs = {mode: run_system(nested_agent_system(durability=mode), seed=1, faults=f) for mode in ("async", "sync")}
    for mode, r in runs.items():
        crash = _support(r, "crash")[0]
        assert crash.detail["point"] == "store-unavailable" and r.summary.completed
        ran_before = {x.detail["name"] for x in r.history
                      if x.workflow == "support-1" and x.kind == "invoke" and x.time < crash.time}
        if mode == "async":
            assert {"lookup-order", "draft-reply"} <= ran_before and _support(r, "write-failed")
        else:
            assert "lookup-order" not in ran_before and not _support(r, "write-failed")


def test_agent_activity_runs_inline_on_other_engines():
    def graph(ctx):
        return (yield ctx.llm("think"))

    def wf(ctx):
        return (yield from agent_activity(ctx, "agent", graph))

    sc = Scenario("inline", "", wf, max_steps=2)
    for model in ("none", "temporal", "langgraph"):
        assert simulate(sc, model, seed=1).summary.steps_executed == 1
    assert simulate(sc, LangGraphInTemporal(), seed=1).summary.steps_executed == 2   # + the activity's completion


@given(st.lists(st.builds(CrashAt, step=st.integers(1, 7), point=st.sampled_from(CRASH_POINTS),
                          attempt=st.integers(1, 2), workflow=st.just("support-1")), max_size=3),
       st.none() | st.builds(RandomCrashes, st.floats(60.0, 600.0)), st.integers(0, 10_000),
       st.sampled_from(["sync", "async", "exit"]))
def test_nested_agent_always_completes_without_duplicate_keyed_effects(crashes, rnd, seed, mode):
    r = run_system(nested_agent_system(durability=mode), seed=seed,
                   faults=FaultSchedule(crashes=tuple(crashes), random=rnd))
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    assert len(r.run.instances) == 2                     # the bus started the notifier exactly once
    assert len(recovery_table(r)) >= s.crashes


# ---------------------------------------------------------------- the event bus
def test_migration_runs_old_and_new_engines_side_by_side():
    r = run_system(migration_system(), seed=1)
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    ids = [i.id for i in r.run.instances]
    assert sum(i.startswith("fulfilment-") for i in ids) == 6           # every order fulfilled once
    sources = {x.workflow.split("-")[1] for x in r.history if x.event == "bus-publish"}
    assert sources == {"old", "new"}                                   # events flow from both engines
    layers = {(row["workflow"], row["layer"]) for row in recovery_table(r)}
    assert ("orders-old-1", "app-checkpoint") in layers
    assert ("orders-new-2", "temporal") in layers and ("orders-new-2", "event bus") in layers
    assert ("fulfilment-2", "outside world") in layers


def producer(ctx, keyed: bool = True):
    yield ctx.tool("work", latency_s=1.0)
    yield publish(ctx, "done", {"by": ctx.workflow_id}, event_id=ctx.key("done") if keyed else None)


def consumer(ctx, event=None):
    return (yield ctx.tool("react", effect="send_email", payload=event["data"]))


def bus_system(keyed: bool, engine="app-checkpoint", **kw):
    return System("bus", "a producer and a consumer", services=(
        Service("producer", engine, producer, params={"keyed": keyed}),
        Service("consumer", "temporal", consumer, trigger="done")), **kw)


def test_an_event_id_stops_a_republished_event_from_running_the_consumer_twice():
    f = FaultSchedule(crashes=(CrashAt(2, "after-effect", workflow="producer-1"),))
    keyed = run_system(bus_system(True), seed=1, faults=f)
    unkeyed = run_system(bus_system(False), seed=1, faults=f)
    assert len(keyed.run.instances) == 2 and keyed.summary.duplicate_effects == 0
    assert len(unkeyed.run.instances) == 3                              # consumer-1 and consumer-2
    row = next(r for r in recovery_table(unkeyed) if r["layer"] == "event bus")
    assert row["recovered_by"].startswith("nobody")


def test_events_are_durable_in_the_bus_during_an_outage():
    f = FaultSchedule(outages=(Outage(0.0, 500.0, "bus"),))
    r = run_system(bus_system(True), seed=1, faults=f)
    assert r.summary.completed
    delivered = next(x for x in r.history if x.event == "bus-deliver")
    assert delivered.time == pytest.approx(500.0)


def test_a_stopped_layer_is_reported():
    sys_ = System("lg", "", services=(Service("agent", "langgraph", producer),
                                      Service("consumer", "temporal", consumer, trigger="done")))
    r = run_system(sys_, seed=1, faults=FaultSchedule(crashes=(CrashAt(1, "after-effect"),)))
    assert not r.summary.completed
    row = recovery_table(r)[0]
    assert row["layer"] == "langgraph" and row["recovered_by"].startswith("nobody") and row["resumed_after_s"] is None


@given(st.lists(st.builds(CrashAt, step=st.integers(1, 4), point=st.sampled_from(CRASH_POINTS),
                          attempt=st.integers(1, 2),
                          workflow=st.sampled_from(["orders-old-1", "orders-old-2", "orders-new-1",
                                                    "orders-new-3", "fulfilment-1", "fulfilment-4"])),
                max_size=4),
       st.lists(st.builds(lambda a, d, c: Outage(a, a + d, c), st.floats(0, 100), st.floats(1, 60),
                          st.sampled_from(["db", "server", "bus"])), max_size=2),
       st.integers(0, 10_000))
def test_migration_fulfils_every_order_exactly_once(crashes, outages, seed):
    r = run_system(migration_system(), seed=seed, faults=FaultSchedule(crashes=tuple(crashes), outages=tuple(outages)))
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    assert sum(i.id.startswith("fulfilment-") for i in r.run.instances) == 6
    assert r.run.ledger.count("charge_card") == 6 and r.run.ledger.count("create_label") == 6


def test_same_seed_same_system_history():
    a = run_system(migration_system(), seed=5)
    b = run_system(migration_system(), seed=5)
    assert a.history.to_json() == b.history.to_json()


def test_recovery_table_of_single_engine_runs():
    r = simulate("q1", get_model("langgraph", durability="exit", supervisor_restart_s=10.0,
                                   resume_with="input"), seed=1)
    (row,) = recovery_table(r)
    assert row["layer"] == "langgraph" and "supervisor" in row["recovered_by"]
    assert row["re_executed"] == list(range(1, 16)) and row["replayed"] == 0
    (row,) = recovery_table(simulate("q1", "temporal", seed=1))
    assert row["layer"] == "temporal" and row["recovered_by"] == "temporal resumed the run"
    assert row["re_executed"] == [15] and row["replayed"] == 14


# ---------------------------------------------------------------- API and CLI
def test_bad_systems_fail_early():
    with pytest.raises(ConfigError, match="distinct names"):
        System("x", "", services=(Service("a", "none", producer), Service("a", "none", producer)))
    with pytest.raises(ConfigError, match="unknown model"):
        run_system(System("x", "", services=(Service("a", "nonesuch", producer),)))
    with pytest.raises(ConfigError, match="record=True"):
        recovery_table(run_system(migration_system(), record=False, faults=NO_FAULTS))


def test_cli_system_command(capsys):
    assert main(["system", "nested-agent", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "langgraph (inside temporal)" in out and "completed=True" in out
    assert main(["system", "nowhere"]) == 2
    assert "allowed: migration, nested-agent" in capsys.readouterr().err


def test_migration_works_with_inngest_as_the_old_engine():
    """The bus keeps its own keys in the instance memo; Inngest's memo must live beside them."""
    from simlib.models.systems import run_system
    from simlib.scenarios.compose import migration_system

    r = run_system(migration_system(old="inngest"))
    assert not any("KeyError" in (i.error or "") for i in r.run.instances)


def test_migration_to_hatchet_runs_under_the_composite_model():
    """Regression: Hatchet's context read its settings from ``run.model``, the composite, and crashed."""
    r = run_system(migration_system(old="none", new="hatchet"), seed=1)
    s = r.summary
    assert s.completed and s.duplicate_effects == 0
    assert sum(i.id.startswith("fulfilment-") for i in r.run.instances) == 6
    layers = {(row["workflow"], row["layer"]) for row in recovery_table(r)}
    assert ("orders-new-2", "hatchet") in layers and ("fulfilment-2", "hatchet") in layers


def _always_fails(ctx):
    yield ctx.tool("load", latency_s=1.0, fail_p=1.0)


@pytest.mark.parametrize("engine, starts", [
    (get_model("dag", retries=2, retry_delay_s=7.0), [0.0, 8.0, 16.0]),          # 1 s call, then 7 s waits
    (get_model("hatchet", retries=2, backoff_factor=3.0), [0.0, 4.0, 14.0]),     # waits of 3 s, then 9 s
])
def test_a_service_retries_with_its_own_engines_settings(engine, starts):
    """Inside a system each context must use its service's model config, not the composite's."""
    r = run_system(System("x", "", services=(Service("a", engine, _always_fails),)), seed=1)
    invokes = [x.time for x in r.history if x.workflow == "a-1" and x.kind == "invoke"]
    assert invokes == pytest.approx(starts)
    assert not r.summary.completed

"""Times, not only counts: ``simlib.conformance`` on the real engines, row by row.

Each engine runs once per module (its rows are cached by a fixture): LangGraph +
SQLite, DBOS + SQLite and Restate (when its server binary is present) with a
crash after step 3's effect, the Temporal Replayer on a history holding an
activity in flight, and Inngest's mocked server. Every time is measured inside
the engine's processes (from ``invoke``/``launch()``/the replacement service
accepting connections), so process start-up is not in it; each row states its
tolerance. Every row is expected to agree; a gap found later goes in as a strict
xfail (``pytest.mark.xfail(strict=True)``) until the model is fixed, so the fix shows up as XPASS.
"""

import os

import pytest

from ._harness import require

def row(rows, fragment: str):
    """The one row whose behaviour contains ``fragment``."""
    found = [r for r in rows if fragment in r.behaviour]
    assert len(found) == 1, f"{len(found)} rows match {fragment!r}: {[r.behaviour for r in rows]}"
    return found[0]


def agrees(r) -> None:
    assert r.source in ("live", "recorded"), r
    assert r.agree, f"{r.engine}: {r.behaviour}: real {r.real} vs simulated {r.simulated} (tolerance {r.tolerance})"


# ----------------------------------------------------------------------------------------------- LangGraph
@pytest.fixture(scope="module")
def langgraph_rows():
    require("langgraph", "langgraph.checkpoint.sqlite")
    from simlib.conformance import langgraph

    return langgraph.rows()


def test_langgraph_effects_per_node_agree(langgraph_rows):
    agrees(row(langgraph_rows, "sync, crash after node 3's effect: effects per node"))


def test_langgraph_resume_starts_the_interrupted_node_at_once(langgraph_rows):
    """``invoke(None, cfg)`` is in-process: node 3 runs again within 0.1 s of the call (the model: 0 s)."""
    r = row(langgraph_rows, "invoke(None) to node 3 running again")
    assert 0 <= r.real < 0.1
    agrees(r)


def test_langgraph_time_from_resume_to_done_agrees(langgraph_rows):
    """Three nodes of 0.2 s after the re-invoke: within ±0.15 s + 15 % of the real time."""
    r = row(langgraph_rows, "invoke(None) to done")
    assert r.real >= 0.6, "three nodes of 0.2 s cannot finish sooner"
    agrees(r)


def test_langgraph_model_write_window_is_within_a_factor_two_of_real_sqlite(langgraph_rows):
    agrees(row(langgraph_rows, "one checkpoint write"))


def test_langgraph_async_keeps_checkpoints_of_fast_nodes(langgraph_rows):
    agrees(row(langgraph_rows, "async, nodes of"))


def test_langgraph_stores_n_plus_2_checkpoints(langgraph_rows):
    r = row(langgraph_rows, "checkpoints stored")
    assert r.real == 7, "real LangGraph writes N+2 checkpoints for N nodes (input, START, one per node)"
    agrees(r)


def test_langgraph_exit_mode_invoke_none_raises_empty_input_error(langgraph_rows):
    r = row(langgraph_rows, "what invoke(None) raises")
    assert r.real == "EmptyInputError", "exit mode checkpoints nothing before the graph exits"
    agrees(r)


def test_langgraph_invoke_with_the_input_again_restarts_from_start(langgraph_rows):
    r = row(langgraph_rows, "then invoke(input) on the same thread")
    assert r.real == [2, 2, 2, 1, 1], "every node before the crash runs twice"
    agrees(r)


# ----------------------------------------------------------------------------------------------- DBOS
@pytest.fixture(scope="module")
def dbos_rows():
    require("dbos")
    from simlib.conformance import dbos

    return dbos.rows()


def test_dbos_effects_per_step_agree(dbos_rows):
    agrees(row(dbos_rows, "effects per step"))


def test_dbos_recovery_time_agrees(dbos_rows):
    """launch() enqueues the PENDING workflow; a poller picks it up about 1 s later (model: 1.0 s), ±0.5 s."""
    r = row(dbos_rows, "launch() to step 3 running again")
    assert 0.5 <= r.real <= 3.0, r
    agrees(r)


def test_dbos_completion_time_agrees(dbos_rows):
    agrees(row(dbos_rows, "launch() to done"))


# ----------------------------------------------------------------------------------------------- Restate
@pytest.fixture(scope="module")
def restate_rows():
    if os.environ.get("REAL_ENGINES_RESTATE") != "1":
        pytest.skip("opt-in: set REAL_ENGINES_RESTATE=1 (needs the restate-server binary from npm)")
    require("restate", "hypercorn")
    from simlib.conformance import restate

    if not restate.server_binary():
        pytest.skip("restate-server binary not found: set RESTATE_SERVER_BIN")
    rows = restate.rows()
    if rows[0].source == "skipped":
        pytest.skip(rows[0].note)
    return rows


def test_restate_effects_per_step_agree(restate_rows):
    agrees(row(restate_rows, "effects per step"))


def test_restate_retry_reaches_the_replacement_in_time(restate_rows):
    """The server's backoff (0.5 s x2, jittered) decides when the replacement gets the retry; ±0.6 s."""
    agrees(row(restate_rows, "service killed: replacement up to step 3"))


def test_restate_completion_after_the_service_restart_agrees(restate_rows):
    agrees(row(restate_rows, "service killed: replacement up to done"))


def test_restate_completion_after_a_server_restart_agrees(restate_rows):
    """The restarted server retries from a fresh count (0.5, 1, 2 s, jittered) about 0.6 s after it is back;
    the service returns midway between two of those retries, so both find it on the same one; ±1.4 s of jitter."""
    agrees(row(restate_rows, "server killed too: replacement up to done"))


def test_restate_server_restart_resets_the_retry_count(restate_rows):
    assert row(restate_rows, "retry count").real == 1


def test_restate_model_resets_the_retry_count_on_a_server_restart(restate_rows):
    agrees(row(restate_rows, "retry count"))


# ----------------------------------------------------------------------------------------------- Temporal
@pytest.fixture(scope="module")
def temporal_rows():
    require("temporalio")
    from simlib.conformance import temporal

    return temporal.rows()


def test_temporal_history_with_an_activity_in_flight_replays_with_the_same_code(temporal_rows):
    agrees(row(temporal_rows, "same code"))


def test_temporal_replayer_rejects_a_timer_before_the_activity_in_flight(temporal_rows):
    """The real Replayer: the history's ActivityTaskScheduled meets the new code's StartTimer."""
    assert row(temporal_rows, "adds a timer").real == "NondeterminismError"


def test_temporal_model_rejects_a_timer_before_the_activity_in_flight(temporal_rows):
    agrees(row(temporal_rows, "adds a timer"))


def test_temporal_model_retries_the_interrupted_activity_when_the_dev_server_did(temporal_rows):
    """Start-to-close 5 s, then the 1 s backoff: attempt 2 starts 6.0 s after the kill (±0.5 s)."""
    agrees(row(temporal_rows, "kill to attempt 2"))


def test_temporal_model_recovery_matches_the_recorded_dev_server_time(temporal_rows):
    """Retry at 6 s, then 10 s on the dead worker's sticky queue: 15.1 s real, within ±1 s + 10 % (2.5 s)."""
    agrees(row(temporal_rows, "restarted at once: restart to done"))


def test_temporal_model_without_a_workflow_cache_skips_the_sticky_wait(temporal_rows):
    """max_cached_workflows=0: no sticky queue, 2.36 s real, within ±1 s + 10 %."""
    r = row(temporal_rows, "max_cached_workflows=0")
    assert r.simulated < row(temporal_rows, "restarted at once: restart to done").simulated
    agrees(r)


# ----------------------------------------------------------------------------------------------- Inngest
@pytest.fixture(scope="module")
def inngest_rows():
    require("inngest")
    from simlib.conformance import inngest

    return inngest.rows()


@pytest.mark.parametrize("fragment", ["effects per step", "attempts per step", "finished"])
def test_inngest_mocked_server_agrees(inngest_rows, fragment):
    agrees(row(inngest_rows, fragment))


# ----------------------------------------------------------------------------------------------- Agents SDK
@pytest.fixture(scope="module")
def agents_rows():
    require("agents")
    from simlib.conformance import agents

    return agents.rows()


def test_agents_runstate_resume_charges_once(agents_rows):
    agrees(row(agents_rows, "charges"))


def test_agents_runstate_resume_does_not_repeat_the_draft(agents_rows):
    assert row(agents_rows, "model calls").real == 2, "the draft and the answer, once each"


def test_agents_model_does_not_repeat_the_draft_after_an_approval_pause(agents_rows):
    agrees(row(agents_rows, "model calls"))

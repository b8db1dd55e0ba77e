"""Workloads the DAG-as-config family is built for, and the way it hands agents to another engine.

* ``nightly-etl``: the same six tasks every night on a cron schedule (extract,
  transform, train, evaluate, an LLM-written summary, publish). The LLM's
  answer is data, not a choice of the next task, so the graph stays static.
* ``agent-loop-delegated``: the agent of ``agent-loop`` behind a fixed pair of
  tasks. The DAG stays static; one task starts the agent as a workflow in an
  agent engine (a Temporal workflow, say), a sensor waits for its answer (it
  arrives after 2 minutes). The workflow id is the idempotency key, so a
  retried start attaches to the same agent run instead of starting a second
  one. This is the "Airflow task that starts a Temporal workflow" pattern many
  teams run.
"""

from __future__ import annotations

from ..core.scenario import Scenario, register_scenario

__all__ = ["nightly_etl", "agent_loop_delegated", "delegate_to_agent_service", "NIGHT_S"]

NIGHT_S = 24 * 3600.0


def delegate_to_agent_service(ctx, name: str = "run-agent", service: str = "temporal",
                              timeout_s: float = 3600.0, payload: dict | None = None):
    """Start an agent run in an outside engine, then wait for its answer; use with ``yield from``.

    Two tasks: a quick one that starts the agent workflow (keyed by a workflow id
    derived from this run and task, so a repeat finds the run already there) and
    a wait for the ``<name>-done`` event that the agent service sends back, as a
    deferrable sensor waits without holding a worker. The agent's branching,
    tool calls and recovery all happen in that service; the DAG sees two fixed
    tasks.

    Args:
        name: the task id of the start; the wait is ``<name>-done``.
        service: which engine runs the agent (only recorded in the payload).
        timeout_s: how long to wait for the answer (None comes back on timeout).
        payload: input for the agent.
    """
    workflow_id = ctx.key(name)
    yield ctx.tool(name, effect="call_api", payload={"service": service, "workflow_id": workflow_id,
                                                     **(payload or {})},
                   idempotency_key=workflow_id, latency_s=1.0)
    answer = yield ctx.wait_event(f"{name}-done", timeout_s)
    return answer


def nightly_etl(ctx, extract_s: float = 600.0, transform_s: float = 900.0, train_s: float = 1800.0,
                evaluate_s: float = 600.0):
    """A nightly pipeline: the same tasks in the same order every night."""
    yield ctx.tool("extract", effect=None, latency_s=extract_s)
    # Writes overwrite the night's partition, so a retried task leaves one copy.
    yield ctx.tool("transform", effect="write_db", payload={"partition": ctx.workflow_id},
                   idempotency_key=ctx.key("transform"), latency_s=transform_s)
    yield ctx.tool("train", effect=None, latency_s=train_s)
    yield ctx.tool("evaluate", effect=None, latency_s=evaluate_s)
    summary = yield ctx.llm("summarize-metrics", prompt="write the nightly report", mean_latency_s=30.0)
    yield ctx.tool("publish-report", effect="send_email", payload={"report": summary},
                   idempotency_key=ctx.key("publish-report"), latency_s=2.0)
    return "published"


def agent_loop_delegated(ctx, max_turns: int = 6):
    """A static DAG around a dynamic agent: load the ticket, run the agent elsewhere, record the outcome."""
    ticket = yield ctx.tool("load-ticket", effect=None, latency_s=1.0)
    outcome = yield from delegate_to_agent_service(ctx, "run-agent", payload={"ticket": str(ticket),
                                                                              "max_turns": max_turns})
    yield ctx.tool("record-outcome", effect="write_db", payload={"outcome": outcome},
                   idempotency_key=ctx.key("record-outcome"), latency_s=1.0)
    return outcome


register_scenario(Scenario(
    name="nightly-etl",
    description="a static nightly pipeline on a cron schedule, 3 nights: extract, transform, train, "
                "evaluate, LLM summary, publish (about 65 minutes a night)",
    workflow=nightly_etl, max_steps=6, instances=3, interarrival_s=NIGHT_S,
))
register_scenario(Scenario(
    name="agent-loop-delegated",
    description="the agent loop delegated from a static DAG: one task starts it in an agent engine, "
                "a sensor waits for the answer (after 2 minutes)",
    workflow=agent_loop_delegated, max_steps=4, params={"max_turns": 6},
    signals={"run-agent-done": (120.0, "resolved")},
))

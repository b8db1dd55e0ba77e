"""The summary of a run: the numbers a learner compares across engines."""

from __future__ import annotations

from typing import Any

from dataclasses import asdict, dataclass, field

__all__ = ["Summary", "summarize", "SUMMARY_FIELDS"]


@dataclass(slots=True)
class Summary:
    """What a run cost and what went wrong.

    Attributes:
        completed: every workflow instance finished.
        duration_s: simulated seconds until the last instance ended, finished or stopped (or the clock
            stopped); when ``completed`` is False it is when the run ended, not a finishing time.
        llm_calls: LLM calls made and paid for in full, repeats included: calls that returned a reply
            and attempts the worker gave up on at their time limit (the provider bills those too).
        llm_cost_usd: dollars spent on LLM calls. Three parts of it do not overlap: each step's first
            call that returned a reply, ``llm_cost_reexecuted_usd`` and ``llm_cost_lost_usd``; the last
            two are what the run paid beyond one useful reply per step.
        llm_calls_repeated: calls made for a step that had already paid for a call (every retry after a
            timed-out attempt is one).
        llm_cost_reexecuted_usd: dollars re-spent: what those repeated calls cost. Only repeats count,
            so a run that never ran again after a crash re-spends nothing.
        llm_cost_lost_usd: dollars paid for nothing that are not repeats: the partial bills of calls a
            crash cut short (not counted as calls) and a step's first call when it timed out.
        steps_executed: step executions started, all attempts.
        steps_reexecuted: executions beyond the first of the same step.
        completed_steps_lost: executions of steps that had already completed once (their results were lost).
        steps_replayed: steps whose result came from durable state instead of running again.
        effects: side effects that really happened in the outside world.
        effects_per_step: how many effects each step number caused (index 0 is step 1).
        effects_per_key: effects per idempotency key (or per "workflow/step/name" without one).
        duplicate_effects: effects beyond the first for the same logical operation.
        crashes: worker crashes.
        work_lost_s: seconds of step execution whose results were thrown away.
        time_stalled_s: seconds waiting for an unavailable state store.
        time_to_recover_s: seconds from crashes until the workflow ran again, summed over crashes;
            0.0 without crashes, None when a crash was never followed by a resume (the run never
            recovered; its ``duration_s`` is then when it stopped, not when it finished).
        failed_attempts: attempts that failed transiently and were retried.
        stalled: why the run stopped without finishing (None when it did not).
        error: the workflow's error when it failed.
        history_sha256: digest of the history (None when the run kept none).
        extra: model-specific counters.
    """

    scenario: str
    model: str
    seed: int
    completed: bool
    duration_s: float
    llm_calls: int
    llm_cost_usd: float
    llm_calls_repeated: int
    llm_cost_reexecuted_usd: float
    llm_cost_lost_usd: float
    steps_executed: int
    steps_reexecuted: int
    completed_steps_lost: int
    steps_replayed: int
    effects: int
    effects_per_step: list[Any]
    effects_per_key: dict[Any, Any]
    duplicate_effects: int
    crashes: int
    work_lost_s: float
    time_stalled_s: float
    time_to_recover_s: float | None
    failed_attempts: int
    stalled: str | None
    error: str | None
    history_sha256: str | None
    extra: dict[Any, Any] = field(default_factory=dict)

    @property
    def llm_cost_wasted_usd(self) -> float:
        """Dollars paid beyond one useful reply per step: re-spent plus lost (derived, not stored)."""
        return self.llm_cost_reexecuted_usd + self.llm_cost_lost_usd

    def to_dict(self) -> dict[Any, Any]:
        """JSON-safe dict; floats rounded to the microsecond."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, float):
                d[k] = round(v, 6)
        return d

    def table(self) -> str:
        """A two-column text table.

        A missing recovery time (the run never recovered) shows as ``-``, and the duration of a run
        that did not complete is marked ``(stopped)``: it is when the run ended, not a finish.
        """
        d = self.to_dict()
        if d["time_to_recover_s"] is None:
            d["time_to_recover_s"] = "-"
        if not self.completed:
            d["duration_s"] = f"{d['duration_s']} (stopped)"
        rows = [(k, v) for k, v in d.items() if k not in ("effects_per_key",)]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


SUMMARY_FIELDS = [f for f in Summary.__dataclass_fields__ if f not in ("extra",)]


def summarize(run: Any) -> Summary:
    """Build the `Summary` of a finished `simlib.core.engine.Run`."""
    st = run.stats
    insts = run.instances
    now = run.env._now
    executed = 0
    n_steps = 0
    lost = 0
    completed = True
    duration = None
    stalled = error = None
    unrecovered = False     # some instance crashed and never started again
    extra: dict[Any, Any] = {}
    for i in insts:
        executed += sum(i.starts.values())
        if i.attempts:
            n_steps = max(n_steps, max(i.attempts))
        lost += i.exec_time - sum(i.ok_time.values())
        completed = completed and i.finished
        unrecovered = unrecovered or i.crash_at is not None
        end = i.ended_at if i.ended_at is not None else now
        if duration is None or end > duration:
            duration = end
        if stalled is None and i.stalled:
            stalled = i.stalled
        if error is None and i.error:
            error = i.error
        for k, v in i.extra.items():
            extra[k] = extra.get(k, 0) + v
    per_step = [0] * n_steps
    per_key: dict[Any, Any] = {}
    effects = run.ledger.effects
    for e in effects:
        if e.deduplicated:
            continue
        if 1 <= e.step <= n_steps:
            per_step[e.step - 1] += 1
        k = e.key if e.key is not None else f"{e.workflow}/{e.step}/{e.name}"
        per_key[k] = per_key.get(k, 0) + 1
    return Summary(
        scenario=run.scenario.name, model=run.model.name, seed=run.seed,
        completed=completed,
        duration_s=duration if duration is not None else 0.0,
        llm_calls=st.llm_calls, llm_cost_usd=st.llm_cost,
        llm_calls_repeated=st.llm_calls_again, llm_cost_reexecuted_usd=st.llm_cost_again,
        llm_cost_lost_usd=st.llm_cost_lost,
        steps_executed=executed, steps_reexecuted=st.reexecuted, completed_steps_lost=st.completed_lost,
        steps_replayed=st.replayed,
        effects=sum(per_step),
        effects_per_step=per_step, effects_per_key=per_key,
        duplicate_effects=run.ledger.duplicates() if effects else 0,
        crashes=st.crashes, work_lost_s=max(0.0, lost), time_stalled_s=st.stalled_s,
        time_to_recover_s=None if unrecovered else st.recovery_s, failed_attempts=st.failed_attempts,
        stalled=stalled, error=error,
        history_sha256=run.history.sha256() if run.history is not None else None,
        extra=extra,
    )

"""The simulated side of a conformance check: the same workflow and crash, run by an engine model.

The real apps run a chain of steps that each work ``work_s`` seconds and then
have a side effect; `chain` is that workflow for the simulator. Times are read
off the run's history the way the real ones are read off the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.engine import RunResult, simulate
from ..core.faults import CodeChange, CrashAt, FaultSchedule
from ..models import get_model
from ..scenarios import Scenario

__all__ = ["chain_scenario", "crash_run", "SimRun"]


def _chain(ctx, steps: int = 5, work_s: float = 0.2, timer_before: int = 0):
    """``steps`` tools in a row, each working ``work_s`` seconds, then having an effect.

    With ``timer_before=k`` a one-second durable timer runs before step ``k`` (the code change
    the Temporal row deploys).
    """
    out = []
    for i in range(1, steps + 1):
        if i == timer_before:
            yield ctx.sleep("pause", 1.0)
        out.append((yield ctx.tool(f"s{i}", effect="send_email", latency_s=work_s)))
    return out


def _chain_with_timer(ctx, steps: int = 5, work_s: float = 0.2, timer_before: int = 0):
    return (yield from _chain(ctx, steps, work_s, timer_before=2))


def chain_scenario(steps: int, work_s: float) -> Scenario:
    """The real apps' workflow as a simulator scenario (variant ``timer`` adds a timer before step 2)."""
    return Scenario(name=f"conformance-chain-{steps}", description="the conformance apps' chain of steps",
                    workflow=_chain, max_steps=steps + 1, params={"steps": steps, "work_s": work_s},
                    variants={"timer": _chain_with_timer})


@dataclass
class SimRun:
    """A simulated run and the numbers the conformance rows compare."""

    result: RunResult
    crashed: float | None

    @property
    def summary(self):
        return self.result.summary

    @property
    def crash_at(self) -> float:
        """When the crash happened (simulated seconds)."""
        if self.crashed is None:
            raise RuntimeError("the simulated run did not crash")
        return self.crashed

    @property
    def history(self) -> list:
        return list(self.result.history or [])

    def starts(self, steps: int) -> list[int]:
        """Executions started per step 1..steps (replays excluded)."""
        inst = self.result.run.instances[0]
        return [inst.starts.get(i, 0) for i in range(1, steps + 1)]

    def effects(self, steps: int) -> list[int]:
        """Effects per step 1..steps (zeros for steps never reached)."""
        per = list(self.summary.effects_per_step)
        return (per + [0] * steps)[:steps]

    def rerun_start(self, step: int) -> float:
        """Simulated time when ``step`` started executing again (its second attempt)."""
        times = [r.time for r in self.history
                 if r.kind == "invoke" and r.step == step and r.attempt >= 2]
        if not times:
            raise RuntimeError(f"step {step} never ran again in the simulated run")
        return min(times)

    def completed_at(self) -> float:
        """When the workflow finished."""
        return max(r.time for r in self.history if r.event == "complete")

    def checkpoints(self) -> int:
        """Checkpoint records in the history (LangGraph's super-step checkpoints)."""
        return len([r for r in self.history if r.event == "checkpoint"])


def crash_run(model_name: str, steps: int, work_s: float, crash_step: int | None, restart_s: float = 0.0,
              code_change: str | None = None, outages: tuple = (), **config) -> SimRun:
    """Simulate the chain under ``model_name`` (with ``config``), crashing after ``crash_step``'s effect.

    Args:
        model_name: registered model.
        steps: steps in the chain.
        work_s: each step's work in seconds.
        crash_step: the step whose effect is followed by the crash (None: no crash).
        restart_s: seconds from the crash until the replacement process is up.
        code_change: a variant of the chain deployed at the restart (``"timer"``).
        outages: `Outage` windows (a component unreachable for a while).
        **config: model settings.
    """
    model = get_model(model_name)
    if config:
        model = model.with_config(**config)
    crashes = (CrashAt(crash_step, "after-effect"),) if crash_step else ()
    faults = FaultSchedule(crashes=crashes, restart_delay_s=restart_s, outages=tuple(outages),
                           code_change=CodeChange(code_change) if code_change else None)
    result = simulate(chain_scenario(steps, work_s), model, seed=1, faults=faults)
    crash = [r.time for r in (result.history or []) if r.event == "crash"]
    return SimRun(result, crash[0] if crash else None)

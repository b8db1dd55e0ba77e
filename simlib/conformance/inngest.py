"""Inngest through the Python SDK's in-memory server (``inngest.experimental.mocked``), against the ``inngest`` model.

No Inngest server runs offline here (the dev server downloads its binary at
install), but the SDK ships a simulation of the server for unit tests: it
re-invokes the function for each step, hands back memoized step results and
retries failed steps. The function runs five ``ctx.step.run`` steps; step 3's
request fails once right after its effect (as when the app dies before the
result reaches Inngest), so the platform retries it. The model runs the same
chain with a crash after step 3's effect. The mock runs in this process; no
time is compared (the mock has no clock).
"""

from __future__ import annotations

from .proc import installed
from .rows import Row, exact, not_installed
from .sim import crash_run

__all__ = ["ENGINE", "REQUIRES", "rows", "run_mocked"]

ENGINE = "Inngest (Python SDK, mocked server)"
REQUIRES = ("inngest", "inngest.experimental.mocked")
STEPS = 5


class _AppDied(Exception):
    """The request of step 3 ends before its result is stored."""


def run_mocked(fail_after_effect: int) -> dict:
    """Run the function under the mocked server; return effects per step, step attempts and the status."""
    import inngest
    from inngest.experimental import mocked

    effects = [0] * STEPS
    attempts = [0] * STEPS
    client = mocked.Inngest(app_id="conformance", is_production=False)

    def make_step(i: int):
        def step() -> str:
            attempts[i - 1] += 1
            effects[i - 1] += 1
            if i == fail_after_effect and attempts[i - 1] == 1:
                raise _AppDied(f"request of s{i} lost")
            return f"s{i}"
        return step

    @client.create_function(fn_id="chain", trigger=inngest.TriggerEvent(event="order"), retries=4)
    def chain(ctx: inngest.ContextSync) -> list:
        return [ctx.step.run(f"s{i}", make_step(i)) for i in range(1, STEPS + 1)]

    res = mocked.trigger(chain, inngest.Event(name="order"), client)
    return {"effects": effects, "attempts": attempts, "status": res.status.name, "output": res.output}


def rows() -> list[Row]:
    """Run the mocked server (if the SDK is installed) and the model; one row per behaviour."""
    missing = installed(*REQUIRES)
    if missing:
        return [not_installed(ENGINE, missing)]
    real = run_mocked(3)
    sim = crash_run("inngest", STEPS, 0.2, 3)
    return [
        exact(ENGINE, "request of step 3 lost after its effect: effects per step", real["effects"], sim.effects(STEPS)),
        exact(ENGINE, "attempts per step", real["attempts"], sim.starts(STEPS)),
        exact(ENGINE, "finished", real["status"] == "COMPLETED", sim.summary.completed),
    ]

"""Self-healing retries: when a step returns a wrong answer, how should the agent try again?

A crash is an infrastructure failure: the step did not finish and the engine
runs it again. A *semantic* failure is different: the LLM call finished, was
paid for and recorded, but a validator (a schema check, a test, a judge) says
the answer is wrong. Replaying the recorded answer would only return the same
wrong answer, so recovering is the workflow's job, not the engine's. This
module models three retry policies for that failure class:

* ``same-prompt``: ask again with the same prompt; every attempt has the same
  chance ``p_first`` of passing.
* ``reflect-and-rewrite`` (in the spirit of Reflexion and Self-Refine): after a
  failure, one extra LLM call writes a reflection on what went wrong, and the
  next prompt includes it. Each reflection removes a share ``reflection_gain``
  of the remaining chance of failing: p(k) = 1 - (1 - p_first)(1 - gain)^k.
* ``cost-aware``: reflect-and-rewrite with a budget rule. Some tasks are beyond
  the model (only a share ``solvable`` can pass at all), so every failure makes
  it more likely that the task is one of those. Before paying for another
  round, the policy compares the expected value of trying,
  P(solvable | failures so far) * p(next) * value, with the expected cost of the
  round, and stops when the cost is larger.

The model runs on the simulator as the ``self-heal`` scenario, so crashes and
engines compose with it: the answers are LLM steps, the validator is pure
workflow code (it runs again on replay and, given the replayed answer, agrees
with itself). `policy_sweep` runs many seeds per policy and reports success
rate and dollars; `theory` gives the same numbers in closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..core.errors import ConfigError
from ..core.history import Record
from ..core.rng import DEFAULT_SEED
from ..core.scenario import Scenario, register_scenario

__all__ = ["POLICIES", "SelfHealConfig", "self_heal", "policy_sweep", "policy_table", "theory"]

POLICIES = ("same-prompt", "reflect-and-rewrite", "cost-aware")
SCENARIO = "self-heal"
_GRID = 100  # the fake LLM picks uniformly among its choices, so odds are set in 1 % steps


@dataclass(frozen=True)
class SelfHealConfig:
    """Settings of the self-healing model, validated once.

    Attributes:
        policy: one of `POLICIES`.
        max_attempts: answer attempts allowed (each policy stops here at the latest).
        p_first: chance that one attempt with the original prompt passes the validator.
        reflection_gain: share of the remaining failure chance one reflection removes.
        solvable: share of tasks the model can solve at all (the rest always fail).
        value_usd: what a validated answer is worth, for the cost-aware rule.
    """

    policy: str = "reflect-and-rewrite"
    max_attempts: int = 5
    p_first: float = 0.4
    reflection_gain: float = 0.35
    solvable: float = 0.7
    value_usd: float = 0.25

    def __post_init__(self):
        if self.policy not in POLICIES:
            raise ConfigError(f"unknown self-heal policy {self.policy!r}; allowed: {', '.join(POLICIES)}")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be a whole number >= 1, got {self.max_attempts!r}")
        for name in ("p_first", "reflection_gain", "solvable"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be a number in [0, 1], got {v!r}")
        v = self.value_usd
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
            raise ConfigError(f"value_usd must be a number >= 0, got {v!r}")

    @classmethod
    def from_params(cls, params: dict) -> "SelfHealConfig":
        """Build from workflow parameters; an unknown name is a ConfigError listing the allowed ones."""
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ConfigError(f"unknown self-heal setting {unknown[0]!r}; allowed: {', '.join(allowed)}")
        return cls(**params)

    @property
    def reflects(self) -> bool:
        """True when failures are followed by a reflection and a rewritten prompt."""
        return self.policy != "same-prompt"

    def p_success(self, attempt: int) -> float:
        """Chance that answer attempt ``attempt`` (1-based) passes, for a solvable task."""
        reflections = attempt - 1 if self.reflects else 0
        p = 1.0 - (1.0 - self.p_first) * (1.0 - self.reflection_gain) ** reflections
        return round(p * _GRID) / _GRID   # the odds the fake LLM can express

    def belief_solvable(self, failures: int) -> float:
        """P(the task is solvable | ``failures`` failed attempts), by Bayes' rule."""
        miss = math.prod(1.0 - self.p_success(k) for k in range(1, failures + 1))
        num = self.solvable * miss
        den = num + (1.0 - self.solvable)
        return num / den if den > 0 else 0.0

    def worth_another(self, failures: int, call_usd: float) -> bool:
        """The cost-aware rule: is attempt ``failures + 1`` worth its expected cost?

        The next round costs one answer call, plus a reflection call after a failure.
        Other policies always go on (up to ``max_attempts``).
        """
        if self.policy != "cost-aware":
            return True
        cost = call_usd * (2 if failures else 1)
        gain = self.belief_solvable(failures) * self.p_success(failures + 1) * self.value_usd
        return gain >= cost

    def planned_attempts(self, call_usd: float) -> int:
        """How many attempts the policy makes on a task that keeps failing."""
        n = 0
        while n < self.max_attempts and self.worth_another(n, call_usd):
            n += 1
        return n


# ---------------------------------------------------------------------- the workflow
def _peek(run, name: str) -> float:
    """A uniform draw from the run's named stream that every invocation sees the same.

    Whether a task can be solved is a property of the task, not of the process that
    works on it, so a restarted or replayed workflow must find the same answer.
    """
    stream = run.rng.stream(name)
    state = stream.getstate()
    u = stream.random()
    stream.setstate(state)
    return u


def _choices(p: float) -> tuple:
    k = round(p * _GRID)
    return ("valid",) * k + ("invalid",) * (_GRID - k)


def _validate(answer) -> bool:
    """The validator: a pure check of the answer (a schema, a unit test, a judge's verdict)."""
    return answer == "valid"


def self_heal(ctx, **params):
    """Answer a task, check the answer, and retry wrong answers by the chosen policy.

    Params are the fields of `SelfHealConfig`.

    Returns:
        ``{"ok", "attempts", "reflections", "stopped"}``; ``stopped`` is ``"valid"``,
        ``"budget"`` (the cost-aware rule gave up) or ``"max-attempts"``.
    """
    cfg = SelfHealConfig.from_params(params)
    solvable = _peek(ctx.run, f"selfheal-task/{ctx.workflow_id}") < cfg.solvable
    call_usd = ctx.run.llm.cfg.mean_cost_usd
    prompt = "task"
    reflections = 0
    attempt = 0
    stopped = "max-attempts"
    while attempt < cfg.max_attempts:
        if not cfg.worth_another(attempt, call_usd):
            stopped = "budget"
            break
        if attempt and cfg.reflects:
            note = yield ctx.llm(f"reflect-{attempt}", prompt=f"why did this answer fail? {prompt}")
            reflections += 1
            prompt = f"task, rewritten after reflection {reflections}: {note}"
        attempt += 1
        p = cfg.p_success(attempt) if solvable else 0.0
        answer = yield ctx.llm(f"answer-{attempt}", prompt=prompt, choices=_choices(p))
        ok = yield ctx.compute(f"validate-{attempt}", _validate, answer)
        _log(ctx, "validated" if ok else "semantic-failure",
             {"attempt": attempt, "policy": cfg.policy, "p_success": p}, ok)
        if ok:
            stopped = "valid"
            break
    return {"ok": stopped == "valid", "attempts": attempt, "reflections": reflections, "stopped": stopped}


def _log(ctx, event: str, detail: dict, ok: bool) -> None:
    """Record a validation verdict once per real validation (replays do not repeat it)."""
    inst = ctx.inst
    hist = ctx.run.history
    wid = ctx.workflow_id
    if getattr(ctx, "replaying", False) and hist is not None and any(
            r.workflow == wid and r.event == event and r.detail == detail for r in hist):
        return
    if not ok:
        inst.extra["semantic_failures"] = inst.extra.get("semantic_failures", 0) + 1
    if hist is not None:
        hist.append(Record(ctx.now(), wid, None, inst.invocations, "info" if ok else "fail", ctx.worker,
                           event, detail))


register_scenario(Scenario(
    name=SCENARIO,
    description="an LLM answer checked by a validator; wrong answers (semantic failures) are retried by "
                "a policy: same-prompt, reflect-and-rewrite or cost-aware",
    workflow=self_heal, max_steps=2 * SelfHealConfig.max_attempts - 1,
    params={"policy": "reflect-and-rewrite"},
))


# ---------------------------------------------------------------------- sweeps and theory
def policy_sweep(runs: int = 500, seed: int = DEFAULT_SEED, policies=POLICIES, model: str = "none",
                 progress=None, **params) -> list[dict]:
    """Run the ``self-heal`` scenario over ``runs`` seeds per policy, with no crashes.

    Every policy sees the same seeds, so the same tasks (common random numbers).

    Args:
        runs: seeds per policy.
        seed: the first seed; runs use ``seed .. seed + runs - 1``.
        policies: which of `POLICIES` to run.
        model: the engine model (without faults they all give the same numbers).
        progress: called with 1 after each run (a progress bar's update), or None.
        **params: other `SelfHealConfig` fields.

    Returns:
        one dict per policy: policy, runs, success_rate, mean_usd, mean_attempts,
        mean_reflections, usd_per_success, stopped_by_budget.
    """
    from ..core.engine import simulate
    from ..core.scenario import get_scenario

    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ConfigError(f"runs must be a whole number >= 1, got {runs!r}")
    for p in policies:
        SelfHealConfig.from_params(dict(params, policy=p))   # reject bad settings before any run
    scenario = get_scenario(SCENARIO)
    rows = []
    for policy in policies:
        cfg = dict(params, policy=policy)
        ok = usd = attempts = refl = budget = 0
        for i in range(runs):
            res = simulate(scenario, model, seed=seed + i, record=False, params=cfg)
            out = res.run.instances[0].result
            ok += out["ok"]
            attempts += out["attempts"]
            refl += out["reflections"]
            budget += out["stopped"] == "budget"
            usd += res.summary.llm_cost_usd
            if progress is not None:
                progress(1)
        rows.append({"policy": policy, "runs": runs, "success_rate": ok / runs, "mean_usd": usd / runs,
                     "mean_attempts": attempts / runs, "mean_reflections": refl / runs,
                     "usd_per_success": usd / ok if ok else math.inf, "stopped_by_budget": budget / runs})
    return rows


def policy_table(runs: int = 500, seed: int = DEFAULT_SEED, **kw):
    """`policy_sweep` as a pandas DataFrame indexed by policy."""
    import pandas as pd

    return pd.DataFrame(policy_sweep(runs, seed, **kw)).set_index("policy")


def theory(call_usd: float | None = None, **params) -> dict:
    """Closed-form success rate, attempts and dollars of one policy (no sampling).

    Args:
        call_usd: expected dollars of one LLM call (default: the scenario's fake LLM).
        **params: `SelfHealConfig` fields.
    """
    from ..core.scenario import get_scenario

    cfg = SelfHealConfig.from_params(params)
    if call_usd is None:
        call_usd = get_scenario(SCENARIO).llm.mean_cost_usd
    n = cfg.planned_attempts(call_usd)
    s = cfg.solvable
    reach = []                     # P(attempt k is made), k = 1..n
    miss = 1.0
    for k in range(1, n + 1):
        reach.append(s * miss + (1.0 - s))
        miss *= 1.0 - cfg.p_success(k)
    success = s * (1.0 - miss)
    attempts = sum(reach)
    calls = attempts + (sum(reach[1:]) if cfg.reflects else 0.0)
    return {"policy": cfg.policy, "planned_attempts": n, "success_rate": success,
            "mean_attempts": attempts, "mean_usd": calls * call_usd,
            "usd_per_success": calls * call_usd / success if success else math.inf}

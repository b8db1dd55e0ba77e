"""The interface every engine model implements, with defaults that suit most.

A model is a small class: a name and a one-line description of where its state
lives, the components of its deployment, a `Context` subclass that sets how
steps are recorded and replayed, and `recovery_delay`, which says when a
crashed workflow resumes (or that it never does by itself).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Generic, TypeVar, cast

from ..core.context import Context
from ..core.errors import ConfigError, WorkerCrash
from ..core.stores import Component
from .params import param

__all__ = ["EngineModel", "ModelConfig", "ConfigT", "GUARANTEES", "in_bounds"]

GUARANTEES = {
    "keeps-finished-steps": "under any crash and outage schedule the run completes, and no step whose "
                            "result was recorded runs again",
    "duplicates-only-after-effect": "an effect repeats only for a step that crashed after its effect and before "
                                    "its record; with no such crash nothing repeats",
}
"""Guarantees a model may declare; `tests/test_guarantees.py` checks each declared one on random schedules."""


@dataclass(frozen=True)
class ModelConfig:
    """Base of each model's settings; subclasses add fields with documented defaults.

    Every number must be >= 0 unless `BOUNDS` names another range for its field; each field has
    exactly one range, so a refusal states the same bound whatever the bad value.
    """

    BOUNDS: ClassVar[dict[str, str]] = {"workers": ">= 1"}
    """Field -> its allowed range when it is not ``>= 0``: ``">= 1"``, ``"> 0 (why)"``, ``"between 0 and 1"``."""

    workers: int = param(1, kind="assumption",
                         source="one worker process, so a crash leaves nobody to take the work until it restarts")

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                bound = self.BOUNDS.get(f.name, ">= 0")
                if not in_bounds(v, bound):
                    raise ConfigError(f"{type(self).__name__}.{f.name} must be {bound}, got {v!r}")

    def notes(self, changed: set[str]) -> list[str]:
        """Warnings for a user who changed the settings ``changed``: one line per setting that has no effect here.

        A valid value can still change nothing (a choice about re-invoking when nobody re-invokes);
        ``--set`` prints these lines so the user is not left wondering. None by default.
        """
        return []


def in_bounds(value: float, bound: str) -> bool:
    """Whether ``value`` lies in ``bound``: ``">= 1"``, ``"> 0"`` or ``"between 0 and 1"`` (a note may follow)."""
    words = bound.split()
    if words[0] == "between":
        return float(words[1]) <= value <= float(words[3])
    low = float(words[1])
    return value > low if words[0] == ">" else value >= low


ConfigT = TypeVar("ConfigT", bound=ModelConfig)
_M = TypeVar("_M", bound="EngineModel[Any]")


class EngineModel(Generic[ConfigT]):
    """Base class of the engine models, generic over the settings dataclass.

    A model subclasses ``EngineModel[ItsConfig]`` and sets ``config_class = ItsConfig``, so
    ``self.config`` has the model's own type (``TemporalConfig``, not the base ``ModelConfig``).

    Attributes:
        name: the registry name (``"temporal"``).
        title: the product's name as people write it.
        family: ``workflow-as-code``, ``dag-as-config``, ``agent-runtime`` or ``homegrown``.
        state_location: one line: where the workflow's state lives.
        components: the deployment's boxes (`Component`), for diagrams and crash drills.
        context_class: the `Context` subclass workflow code talks to.
        config_class: the settings dataclass.
        guarantees: names from `GUARANTEES` this model promises (the property suite tests them).
        instance_state_class: the dataclass of what the model keeps per workflow instance across
            invocations (its journal, memo, checkpoints), stored in ``Instance.state``; None for none.
    """

    name: str = "base"
    title: ClassVar[str] = "Base"
    family: ClassVar[str] = "workflow-as-code"
    state_location = ""
    components: tuple[Component, ...] = ()
    context_class: ClassVar[type[Context]] = Context
    config_class: ClassVar[type[ModelConfig]] = ModelConfig
    instance_state_class: ClassVar[type | None] = None
    guarantees: ClassVar[frozenset[str]] = frozenset()
    config: ConfigT

    def __init__(self, **config: Any):
        allowed = {f.name for f in fields(self.config_class)}
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise ConfigError(f"unknown {self.name} setting {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
        self.config = cast(ConfigT, self.config_class(**config))

    def with_config(self: _M, **changes: Any) -> _M:
        """A copy of this model with some settings changed."""
        m = type(self).__new__(type(self))
        m.__dict__.update(self.__dict__)
        m.config = replace(self.config, **changes)
        return m

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.config}>"

    # ------------------------------------------------------------------ hooks
    def new_instance_state(self) -> Any:
        """A fresh ``Instance.state``: the model's durable per-instance state (`instance_state_class`), or None."""
        cls = self.instance_state_class
        return cls() if cls is not None else None

    def new_run_state(self, run) -> Any:
        """Per-run state the model needs (None by default)."""
        return None

    def context(self, run, inst, worker: str) -> Context:
        """The context for a new invocation of ``inst`` on ``worker``."""
        return self.context_class(run, inst, worker)

    def admission(self, run, inst):
        """None to start an invocation now, or a SimPy event to wait for (a lock, a slot).

        Called before every invocation of ``inst``; pair it with `release`.
        """
        return None

    def release(self, run, inst) -> None:
        """Called when an invocation of ``inst`` ends (finished, failed or crashed)."""

    def worker_back_in(self, run) -> float:
        """Seconds until some worker can take the work after a crash."""
        return 0.0 if self.config.workers > 1 else run.plan.restart_delay_s

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        """Seconds from the crash until the workflow runs again; None = it never resumes by itself."""
        delay = self.worker_back_in(run)
        return max(delay, self._store_wait(run, ctx, crash))

    def _store_wait(self, run, ctx: Context, crash: WorkerCrash) -> float:
        if crash.point == "store-unavailable":
            back = run.plan.down_until(ctx.store, run.env.now)
            if back is not None:
                return back - run.env.now
        return 0.0

    def on_complete(self, run, inst, ctx: Context) -> None:
        """Called when an instance finishes."""

    def on_nondeterminism(self, run, inst, ctx: Context, error: Exception) -> None:
        """Called when replay found different commands than the history holds."""

    def describe(self) -> dict:
        """Plain-data description for tables and diagrams."""
        return {
            "model": self.name, "title": self.title, "family": self.family,
            "state_location": self.state_location,
            "components": [c.__dict__ for c in self.components],
        }

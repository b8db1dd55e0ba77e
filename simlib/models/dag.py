"""The DAG-as-config family (Airflow, Dagster, Step Functions Standard; Prefect 1), with Airflow's defaults.

The graph is declared before anything runs: the scheduler parses the DAG file
into tasks, and a *DAG run* is a set of *task instances* whose states live in the
*metadata database*; a task's return value goes there too (XCom). The scheduler
never replays code: it starts the tasks whose upstream tasks succeeded, and a
finished task is simply not scheduled again.

The declaration pass (`declare_dag`) stands in for parsing the DAG file. It runs
the workflow function against a probe context that records the task names
without running anything, once with every LLM answer set to one value and again
with other values. If the task list changes with the answers, the next task is
chosen by the LLM while the run goes on: such a graph cannot be declared up
front, and the run fails before it starts with a `DagDeclarationError` that says
so. (A branch operator can pick between paths that are all declared in advance;
a loop the LLM steers has no such finite list.) The way out is to keep the DAG
static and hand the dynamic part to an agent service as one opaque task; see
`simlib.scenarios.dag.delegate_to_agent_service` and ``agent-loop-delegated``.

Failure handling, with Airflow's defaults:

* A task instance heartbeats every 5 s. When its worker dies, the scheduler
  notices only after 300 s without a heartbeat (a *zombie* task) and marks the
  try failed.
* ``retries`` is 0 by default, so that failure fails the task and the DAG run;
  nothing runs again until someone clears the task. With ``retries >= 1`` the
  task is *up for retry* and runs again, from its beginning, ``retry_delay``
  (300 s) later: about 600 s after the crash. A zombie try and a failed try use
  up the same retries.
* While the metadata database is down the scheduler cannot schedule or record
  anything: the run stalls and loses nothing.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast
from functools import cached_property, lru_cache

from ..core.clock import StepEvent
from ..core.context import MISSING, Context, RetryPolicy
from ..core.errors import ActivityError, ConfigError, WorkerCrash
from ..core.history import Record
from ..core.stores import Component, NOTHING, STALL
from .base import EngineModel, ModelConfig
from .params import ASSUMED_RECORD_S, RECORD_S_SOURCE, param

__all__ = ["Dag", "DagConfig", "DagContext", "DagDeclaration", "DagDeclarationError", "declare_dag"]

_TASK_KINDS = ("llm", "tool")
_MAX_PROBE_STEPS = 10_000          # a probe run longer than this is treated as unbounded
AIRFLOW_DOCS = "https://airflow.apache.org/docs/apache-airflow/stable"
AIRFLOW_CONFIG = f"{AIRFLOW_DOCS}/configurations-ref.html"


class DagDeclarationError(ConfigError):
    """The workflow cannot be written down as a DAG before it runs."""


@dataclass(frozen=True)
class DagConfig(ModelConfig):
    """Settings, with Airflow's defaults.

    Attributes:
        retries: extra tries of a failed task (Airflow default 0).
        retry_delay_s: wait before a retry (300 s).
        retry_exponential_backoff: double the wait after each failed try (off by default).
        max_retry_delay_s: cap on one wait when backing off exponentially.
        heartbeat_interval_s: how often a running task instance heartbeats (5 s).
        zombie_threshold_s: silence after which the scheduler declares the task a zombie (300 s).
        record_s: seconds from a task's effect to its state and XCom being in the metadata
            database (the window in which a crash repeats the task).
    """

    BOUNDS: ClassVar[dict[str, str]] = {**ModelConfig.BOUNDS, "heartbeat_interval_s": "> 0"}

    retries: int = param(0, kind="docs", source=f"{AIRFLOW_CONFIG}#default-task-retries (0)")
    retry_delay_s: float = param(300.0, kind="docs", source=f"{AIRFLOW_CONFIG}#default-task-retry-delay (300)")
    retry_exponential_backoff: bool = param(False, kind="docs", source=(
        f"{AIRFLOW_DOCS}/core-concepts/tasks.html (BaseOperator retry_exponential_backoff=False)"))
    max_retry_delay_s: float = param(24 * 3600.0, kind="docs", source=(
        f"{AIRFLOW_CONFIG}#max-task-retry-delay (86400 s: the cap on one retry wait)"))
    heartbeat_interval_s: float = param(5.0, kind="docs", source=f"{AIRFLOW_CONFIG}#job-heartbeat-sec (5)")
    zombie_threshold_s: float = param(300.0, kind="docs", source=(
        f"{AIRFLOW_CONFIG}#task-instance-heartbeat-timeout (300; scheduler_zombie_task_threshold before Airflow 3)"))
    record_s: float = param(ASSUMED_RECORD_S, kind="assumption", source=RECORD_S_SOURCE)

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise ConfigError(f"DagConfig.retries must be a whole number, got {self.retries!r}")


@lru_cache(maxsize=64)
def _retry_policy(cfg: DagConfig) -> RetryPolicy:
    return RetryPolicy(initial_interval_s=cfg.retry_delay_s,
                       backoff_coefficient=2.0 if cfg.retry_exponential_backoff else 1.0,
                       maximum_interval_s=cfg.max_retry_delay_s, maximum_attempts=cfg.retries + 1)


# ---------------------------------------------------------------------- the declaration pass
@dataclass(frozen=True)
class DagDeclaration:
    """What parsing a workflow as a DAG found.

    Attributes:
        tasks: ``(kind, task_id)`` in the order the parser met them.
        dynamic: the task list changed with the LLM's answers.
        reason: why the workflow is not a static DAG ("" when it is).
        verified: False when the probe could not run the workflow through (then no
            task is rejected at run time).
    """

    tasks: tuple
    dynamic: bool = False
    reason: str = ""
    verified: bool = True

    @cached_property
    def task_ids(self) -> frozenset:
        """The declared task ids (worked out once: every step checks against them)."""
        return frozenset(name for _, name in self.tasks)


class _Yield:
    __slots__ = ("kind", "name", "value")

    def __init__(self, kind, name, value):
        self.kind = kind
        self.name = name
        self.value = value


class _Probe:
    """A stand-in context: records each step's name and answers at once, running nothing."""

    workflow_id = "dag-parse"

    def __init__(self, mode: int, signals: dict):
        self.mode = mode
        self.signals = signals
        self.calls = 0

    def now(self) -> float:
        return 0.0

    def key(self, name: str) -> str:
        return f"{self.workflow_id}:{name}"

    def patched(self, patch_id: str) -> bool:
        return True

    def llm(self, name, prompt="", choices=None, mean_latency_s=None):
        i = self.calls
        self.calls += 1
        if choices:
            choices = tuple(choices)
            pick = (0, len(choices) - 1, i % len(choices))[self.mode]
            return _Yield("llm", name, choices[pick])
        return _Yield("llm", name, f"probe-answer-{self.mode}-{i}")

    def tool(self, name, effect=None, payload=None, idempotency_key=None, latency_s=1.0, fail_p=0.0,
             declines=False):
        if declines:
            return _Yield("tool", name, ActivityError(name, "declined by the provider"))
        return _Yield("tool", name, {"name": name, "ok": True} if effect is None else f"{effect}-probe")

    def compute(self, name, fn, *args):
        return _Yield(None, name, fn(*args))

    def sleep(self, name, seconds):
        return _Yield("timer", name, None)

    def wait_event(self, name, timeout_s):
        arrival = self.signals.get(name)
        return _Yield("wait", name, arrival[1] if arrival else None)


def _trace(workflow, params: dict, mode: int, signals: dict) -> tuple[list, bool]:
    """The steps one probe run issues, and whether it ran through without a probe error."""
    made = workflow(_Probe(mode, signals), **params)
    if not inspect.isgenerator(made):
        return [], True
    gen: Generator[Any, Any, Any] = made
    steps: list = []
    value, error = None, None
    while True:
        try:
            y = gen.throw(error) if error is not None else gen.send(value)
        except StopIteration:
            return steps, True
        except ActivityError:
            return steps, True          # the workflow gave up after a failed task: a real ending
        except Exception:               # noqa: BLE001 - the probe could not imitate something
            return steps, False
        if not isinstance(y, _Yield):
            return steps, False
        if y.kind is not None:
            steps.append((y.kind, y.name))
            if len(steps) > _MAX_PROBE_STEPS:
                return steps, True
        if isinstance(y.value, ActivityError):
            value, error = None, y.value
        else:
            value, error = y.value, None


def declare_dag(workflow, params: dict | None = None, signals: dict | None = None,
                name: str = "workflow") -> DagDeclaration:
    """Parse ``workflow`` the way a DAG engine needs it: a fixed task list, known before the run.

    Args:
        workflow: a workflow generator function ``wf(ctx, **params)``, or a `Scenario`.
        params: the workflow's parameters (a scenario's own by default).
        signals: external events the workflow waits for (name -> (time, payload)).
        name: used in the error message.

    Returns:
        A `DagDeclaration`; ``dynamic`` is True when the LLM's answers change which tasks run.
    """
    if hasattr(workflow, "workflow") and hasattr(workflow, "params"):
        sc = workflow
        merged = dict(sc.params)
        merged.update(params or {})
        return declare_dag(sc.workflow, merged, signals if signals is not None else sc.signals, sc.name)
    params = dict(params or {})
    signals = dict(signals or {})
    traces = []
    for mode in (0, 1, 2):
        steps, ok = _trace(workflow, params, mode, signals)
        if not ok:
            return DagDeclaration(tuple(steps), verified=False)
        traces.append([n for _, n in steps])
        if len(steps) > _MAX_PROBE_STEPS:
            return DagDeclaration((), True, f"{name}: the parser gave up after {_MAX_PROBE_STEPS} tasks; "
                                            f"{_ADVICE}")
        if mode == 0:
            first = tuple(steps)
    for other in traces[1:]:
        if other != traces[0]:
            return DagDeclaration(first, True, _explain(name, traces[0], other))
    return DagDeclaration(first)


_ADVICE = ("the graph is generated at run time, but a DAG must be declared before the run. Keep the DAG "
           "static and delegate the dynamic part to an agent service: one task that calls out "
           "(see the agent-loop-delegated scenario)")


def _explain(name: str, a: list, b: list) -> str:
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    after = f"after {a[i - 1]!r}" if i else "at the start"
    nxt_a = repr(a[i]) if i < len(a) else "the end of the run"
    nxt_b = repr(b[i]) if i < len(b) else "the end of the run"
    return (f"{name}: the next task depends on an LLM answer ({after}, one answer leads to {nxt_a}, "
            f"another to {nxt_b}); {_ADVICE}")


@dataclass
class DagRunState:
    """Per run: each workflow's parsed declaration, so the scheduler parses a DAG file once per run.

    Attributes:
        declarations: workflow function -> its `DagDeclaration` for this run's parameters.
    """

    declarations: dict[Any, "DagDeclaration"] = field(default_factory=dict)


_CACHE: dict = {}


def _declaration(run, workflow) -> DagDeclaration:
    """The declaration of ``workflow`` for this run's parameters (parsed once per run)."""
    cache = run.model_state.declarations
    found = cache.get(workflow)
    if found is None:
        try:
            key = (run.scenario.name, workflow, tuple(sorted(run.params.items())),
                   tuple(sorted(run.signals.items())))
            hash(key)
        except TypeError:
            key = None
        found = _CACHE.get(key) if key is not None else None
        if found is None:
            found = declare_dag(workflow, run.params, run.signals, run.scenario.name)
            if key is not None and len(_CACHE) < 256:
                _CACHE[key] = found
        cache[workflow] = found
    return found


# ---------------------------------------------------------------------- the context
@dataclass
class DagState:
    """The metadata database's rows for one DAG run.

    Attributes:
        xcom: task id -> its recorded return value.
        failed: (step, task, error) of a zombie task with no retries left, until the scheduler acts on it.
    """

    xcom: dict = field(default_factory=dict)
    failed: tuple | None = None


class DagContext(Context):
    """Task instances whose states and XComs live in the metadata database."""

    __slots__ = ("t0", "cur", "dag", "seen", "task_of", "cfg", "record_latency_s")
    durable = True
    store = "metadata-db"
    outage = "stall"
    gate_start = True           # the scheduler reads the metadata DB before it queues a task
    check_determinism = False   # nothing is replayed: finished task instances are skipped by id

    def __init__(self, run, inst, worker: str, dag: DagDeclaration | None = None, cfg: DagConfig | None = None):
        super().__init__(run, inst, worker)
        # The model's own settings: in a composed system ``run.model`` is the composite, not the DAG model.
        self.cfg = cfg if cfg is not None else run.model.config
        self.record_latency_s = self.cfg.record_s
        self.t0 = run.env.now
        self.cur: tuple | None = None
        self.dag = dag
        self.seen: dict = {}      # task name -> how often this invocation met it
        self.task_of: dict = {}   # step -> task id

    @property
    def retry(self):  # type: ignore[override]  # read from the model's own settings on each use
        return _retry_policy(self.cfg)

    def lookup_step(self, seq: int, kind: str, name: str):
        n = self.seen.get(name, 0)
        self.seen[name] = n + 1
        task_id = name if n == 0 else f"{name}[{n}]"     # a repeated name is a mapped task
        self.task_of[seq] = task_id
        dag = self.dag
        if dag is not None and dag.verified and kind in _TASK_KINDS and name not in dag.task_ids:
            raise DagDeclarationError(f"task {name!r} is not in the declared DAG "
                                      f"({len(dag.tasks)} tasks); {_ADVICE}")
        xcom = self.inst.state.xcom
        if task_id not in xcom:
            self.replaying = False
            return MISSING
        value = xcom[task_id]
        self.replaying = True
        self.stats.replayed += 1
        if isinstance(value, ActivityError):
            return StepEvent(self.env, self.env.now, False, value, None)
        if self.history is not None:
            self.history.append(Record(self.env.now, self.workflow_id, seq, self.inst.attempts.get(seq, 1), "info",
                                     "scheduler", "replay", {"name": name, "kind": kind, "state": "success"}))
        return self.ready_now(value)

    def record_step(self, seq: int, kind: str, name: str, value) -> None:
        self.inst.state.xcom[self.task_of.get(seq, name)] = value

    # The per-step hooks call Context's methods by name, not through super(): a super() call costs
    # about 0.1 us more, and this one runs on every step (measured on CPython 3.11).
    def execute_step(self, seq, kind, name, latency, action, fail_p):
        self.cur = (seq, kind, self.task_of.get(seq, name))
        return Context.execute_step(self, seq, kind, name, latency, action, fail_p)


# ---------------------------------------------------------------------- the model
class Dag(EngineModel[DagConfig]):
    """A DAG engine with Airflow's defaults: declared graph, 0 retries, 300 s zombie detection."""

    name = "dag"
    title = "DAG-as-config (Airflow, Dagster, Step Functions Standard; Prefect 1)"
    family = "dag-as-config"
    state_location = "the metadata database: one row per task instance (state, try number) plus XCom values"
    guarantees = frozenset({"duplicates-only-after-effect"})
    context_class = DagContext
    config_class = DagConfig
    instance_state_class = DagState
    components = (
        Component("scheduler", "scheduler (parses DAG files, queues ready tasks, finds zombies)", False, STALL,
                  "stateless between loops: it reads everything from the metadata database"),
        Component("metadata-db", "metadata database (DAG runs, task instances, XCom)", True, STALL,
                  "while it is down nothing is scheduled or recorded; nothing is lost"),
        Component("worker", "worker (Celery/Kubernetes executor) running one task instance", False, NOTHING,
                  "if it dies the task becomes a zombie after 300 s and is failed or retried from its start"),
    )

    @property
    def crash_fails_run(self) -> bool:
        """True when a worker dying in the middle of a task fails the DAG run (no retries configured)."""
        return self.config.retries == 0

    def new_run_state(self, run) -> DagRunState:
        # Without the scheduler nothing is queued either: its outage acts as the metadata DB's.
        run.plan.alias_outages("scheduler", "metadata-db")
        return DagRunState()

    def _workflow(self, run, inst):
        return run.scenario.workflow_for(run.plan.code_variant(inst.crashes))

    def context(self, run, inst, worker: str) -> DagContext:
        return DagContext(run, inst, worker, _declaration(run, self._workflow(run, inst)),
                          cast(DagConfig, self.config))

    def admission(self, run, inst):
        state: DagState = inst.state
        failed, state.failed = state.failed, None
        if failed is not None:
            # The scheduler found the zombie with no retries left: the task and the DAG run fail.
            _fail(run, inst, *failed)
            return run.env.event()
        dag = _declaration(run, self._workflow(run, inst))
        if not dag.dynamic:
            return None
        # An import error: the DAG never shows up, so no run of it ever starts.
        inst.error = f"DagDeclarationError: {dag.reason}"
        inst.ended_at = run.env.now
        if run.history is not None:
            run.history.append(Record(run.env.now, inst.id, None, 0, "fail", "scheduler", "dag-import-error",
                                      {"error": dag.reason}))
        return run.env.event()

    def recovery_delay(self, run, inst, ctx: Context, crash: WorkerCrash) -> float | None:
        assert isinstance(ctx, DagContext)
        cfg = self.config
        now = run.env.now
        resume = now + self.worker_back_in(run)
        seq = crash.step
        cur = ctx.cur if ctx.cur and ctx.cur[0] == seq else None
        if cur is not None and cur[1] in _TASK_KINDS and crash.point in ("before-step", "mid-step", "after-effect"):
            hb = cfg.heartbeat_interval_s
            last_hb = ctx.t0 + math.floor((now - ctx.t0) / hb) * hb
            found = max(now, last_hb + cfg.zombie_threshold_s)
            down = run.plan.down_until(ctx.store, found)
            found = down if down is not None else found      # the scheduler needs the DB to find zombies
            tries = inst.attempts.get(seq, 1)
            inst.extra["zombie_tasks"] = inst.extra.get("zombie_tasks", 0) + 1
            task = cur[2]
            if tries > cfg.retries:
                inst.state.failed = (seq, task, f"TaskFailed: task {task!r} became a zombie (no heartbeat "
                                                 f"for {cfg.zombie_threshold_s:g} s) and retries={cfg.retries} "
                                                 f"are used up, so the DAG run failed; clear the task to run it again")
                return found - now
            wait = _retry_policy(cfg).delay(tries) or 0.0
            assert seq is not None    # cur matched it
            _note_later(run, inst, found, seq, "zombie",
                        {"task": task, "state": "up_for_retry", "try_number": tries, "retry_in_s": wait})
            resume = max(resume, found + wait)
        down = run.plan.down_until(ctx.store, resume)
        if down is not None:
            resume = down
        return resume - now


def _note_later(run, inst, at: float, seq: int, event: str, detail: dict) -> None:
    if run.history is None:
        return
    ev = run.env.timeout(max(0.0, at - run.env.now))
    ev.callbacks.append(lambda _e: run.history.append(
        Record(run.env.now, inst.id, seq, inst.attempts.get(seq, 0), "info", "scheduler", event, detail)))


def _fail(run, inst, seq: int, task: str, error: str) -> None:
    inst.error = error
    inst.ended_at = run.env.now
    if run.history is not None:
        t = run.env.now
        run.history.append(Record(t, inst.id, seq, inst.attempts.get(seq, 0), "fail", "scheduler", "zombie",
                                  {"task": task, "state": "failed"}))
        run.history.append(Record(t, inst.id, None, inst.invocations, "fail", "scheduler", "workflow-failed",
                                  {"error": error}))

"""The fault layer: fault schedules as plain data, and the plan a run consults.

Engine models never import this module. The engine compiles a
`FaultSchedule` into a `FaultPlan` and hands it to the model's context, which
only calls the plan's methods. A schedule round-trips through JSON, so
(scenario, model, seed, schedule) is a complete replay token.

Crash points of a step:

* ``before-step``: the worker dies just before the step starts;
* ``after-effect``: the step's effect happened (the card was charged, the LLM
  call was billed) but its result is not yet recorded anywhere durable;
* ``after-record``: the result was recorded, then the worker died.
"""

from __future__ import annotations

from typing import Any

import math
import random
from dataclasses import asdict, dataclass, fields

from .params import param
from .errors import ConfigError
from .rng import RunRandom

__all__ = [
    "CRASH_POINTS", "CrashAt", "CrashAtTime", "RandomCrashes", "Outage", "CodeChange",
    "FaultSchedule", "FaultPlan", "parse_crash", "NO_FAULTS", "CRASH_LOOP_LIMIT",
]

CRASH_POINTS = ("before-step", "after-effect", "after-record")
INF = math.inf
# An every-attempt crash rule that fires this many times in a row on one step of one workflow,
# with no step of that workflow completing for the first time in between, stops the workflow.
# Far above every model's own retry limit (Restate 70, DBOS 100 recoveries), so engines that
# give up by themselves still do; only a loop nothing would ever end is cut short.
CRASH_LOOP_LIMIT = 1000


def _num(name: str, value: Any, minimum: float = 0.0) -> float:
    # Finite only: a schedule must round-trip through strict JSON, which has no Infinity.
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value)
            or value < minimum):
        raise ConfigError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")
    return float(value)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:   # an int too large for a float
        return False


def _workflow(value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"a fault's workflow must be a workflow id such as 'wf-1' or null, got {value!r}")


@dataclass(frozen=True)
class CrashAt:
    """Crash the worker at a named point of one step.

    Attributes:
        step: the step's sequence number, 1-based.
        point: one of `CRASH_POINTS`.
        attempt: which execution attempt of that step crashes (1 = the first);
            ``None`` crashes every attempt (a crash loop).
        workflow: the workflow instance (``None`` = every instance).
    """

    step: int
    point: str
    attempt: int | None = 1
    workflow: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.step, bool) or not isinstance(self.step, int) or self.step < 1:
            raise ConfigError(f"crash step must be a whole number >= 1, got {self.step!r}")
        if self.point not in CRASH_POINTS:
            raise ConfigError(f"unknown crash point {self.point!r}; allowed: {', '.join(CRASH_POINTS)}")
        if self.attempt is not None and (isinstance(self.attempt, bool) or not isinstance(self.attempt, int)
                                         or self.attempt < 1):
            raise ConfigError(f"crash attempt must be a whole number >= 1 or null, got {self.attempt!r}")
        _workflow(self.workflow)


@dataclass(frozen=True)
class CrashAtTime:
    """Crash the worker running a workflow at a simulated time (seconds)."""

    time_s: float
    workflow: str | None = None

    def __post_init__(self) -> None:
        _num("crash time_s", self.time_s)
        _workflow(self.workflow)


@dataclass(frozen=True)
class RandomCrashes:
    """Crash workers at random, with exponentially distributed gaps.

    Attributes:
        mtbf_s: mean time between failures of one worker, in simulated seconds.
    """

    mtbf_s: float

    def __post_init__(self) -> None:
        _num("mtbf_s", self.mtbf_s, 1e-9)


@dataclass(frozen=True)
class Outage:
    """A component (by default the model's state store) is unreachable in [start_s, end_s)."""

    start_s: float
    end_s: float
    component: str = "store"

    def __post_init__(self) -> None:
        _num("outage start_s", self.start_s)
        _num("outage end_s", self.end_s)
        if self.end_s <= self.start_s:
            raise ConfigError(f"outage end_s ({self.end_s}) must be after start_s ({self.start_s})")
        if not isinstance(self.component, str) or not self.component:
            raise ConfigError(f"outage component must be a component name such as 'store', got {self.component!r}")


@dataclass(frozen=True)
class CodeChange:
    """Deploy another version of the workflow code when the worker restarts.

    Attributes:
        variant: the scenario variant to run after the crash (``"v2"``).
        after_crash: the restart after which the new code is live (1 = the first).
    """

    variant: str
    after_crash: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.variant, str) or not self.variant:
            raise ConfigError(f"code_change variant must be a variant name such as 'v2', got {self.variant!r}")
        if isinstance(self.after_crash, bool) or not isinstance(self.after_crash, int) or self.after_crash < 1:
            raise ConfigError(f"code_change after_crash must be a whole number >= 1, got {self.after_crash!r}")


@dataclass(frozen=True)
class FaultSchedule:
    """Everything that goes wrong in a run, as data. Faults compose freely."""

    crashes: tuple[CrashAt, ...] = ()
    timed: tuple[CrashAtTime, ...] = ()
    random: RandomCrashes | None = None
    outages: tuple[Outage, ...] = ()
    restart_delay_s: float = param(
        5.0, kind="assumption",
        source="how long a crashed worker process takes to come back (a supervisor such as systemd or Kubernetes "
               "restarting it); the course's choice, set with --restart-delay")
    code_change: CodeChange | None = None

    def __post_init__(self) -> None:
        _num("restart_delay_s", self.restart_delay_s)

    @property
    def empty(self) -> bool:
        """True when nothing is scheduled to go wrong."""
        return not (self.crashes or self.timed or self.random or self.outages or self.code_change)

    def __add__(self, other: "FaultSchedule") -> "FaultSchedule":
        return FaultSchedule(
            crashes=self.crashes + other.crashes,
            timed=self.timed + other.timed,
            random=other.random or self.random,
            outages=self.outages + other.outages,
            restart_delay_s=max(self.restart_delay_s, other.restart_delay_s),
            code_change=other.code_change or self.code_change,
        )

    def to_dict(self) -> dict[Any, Any]:
        """A JSON-safe dict that `from_dict` turns back into an equal schedule."""
        d = asdict(self)
        d["crashes"] = [asdict(c) for c in self.crashes]
        d["timed"] = [asdict(c) for c in self.timed]
        d["outages"] = [asdict(o) for o in self.outages]
        return d

    @classmethod
    def from_dict(cls, d: dict[Any, Any]) -> "FaultSchedule":
        """Build and validate a schedule from plain data (as read from JSON)."""
        if not isinstance(d, dict):
            raise ConfigError(f"a fault schedule must be a JSON object, got {type(d).__name__}")
        allowed = {"crashes", "timed", "random", "outages", "restart_delay_s", "code_change"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise ConfigError(f"unknown fault schedule field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")

        def build(kind: Any, value: Any, what: str) -> Any:
            try:
                if isinstance(value, str) and kind is CrashAt:
                    return parse_crash(value)
                if not isinstance(value, dict):
                    raise TypeError
                return kind(**value)
            except TypeError:
                names = ", ".join(f.name for f in fields(kind))
                raise ConfigError(f"malformed {what} entry {value!r}; allowed: an object with {names}") from None

        def many(key: str, kind: Any) -> tuple[Any, ...]:
            items = d.get(key) or []
            if not isinstance(items, list):
                raise ConfigError(f"{key} must be a list, got {items!r}")
            return tuple(build(kind, v, key) for v in items)

        rnd = d.get("random")
        cc = d.get("code_change")
        return cls(
            crashes=many("crashes", CrashAt),
            timed=many("timed", CrashAtTime),
            random=build(RandomCrashes, rnd, "random") if rnd else None,
            outages=many("outages", Outage),
            restart_delay_s=d.get("restart_delay_s", 5.0),
            code_change=build(CodeChange, cc, "code_change") if cc else None,
        )


NO_FAULTS = FaultSchedule()


def parse_crash(text: str) -> CrashAt:
    """Parse ``STEP:POINT`` (``"15:after-effect"``) or ``STEP:POINT:ATTEMPT``."""
    if not isinstance(text, str):
        raise ConfigError(f"malformed crash {text!r}; expected STEP:POINT, e.g. 15:after-effect")
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not parts[0].strip().isdigit():
        raise ConfigError(f"malformed crash {text!r}; expected STEP:POINT, e.g. 15:after-effect "
                          f"(points: {', '.join(CRASH_POINTS)})")
    attempt = 1
    if len(parts) == 3:
        if not parts[2].isdigit():
            raise ConfigError(f"malformed crash {text!r}; the attempt after the second ':' must be a number")
        attempt = int(parts[2])
    return CrashAt(step=int(parts[0]), point=parts[1].strip(), attempt=attempt)


class FaultPlan:
    """A compiled schedule: what the engine and models ask while a run goes on."""

    __slots__ = ("schedule", "restart_delay_s", "has_outages", "has_step_crashes", "has_timed", "quiet",
                 "has_loops", "_points", "_outages", "_timed", "_rng", "_rand", "_mtbf", "_next_random", "_asked",
                 "_loop_fired", "_loop_streak")

    def __init__(self, schedule: FaultSchedule, rng: RunRandom):
        self.schedule = schedule
        self.restart_delay_s = schedule.restart_delay_s
        # Every run compiles its schedule, most often an empty one: each part is worked out only
        # when the schedule has it (an empty plan: 0.4-0.8 us instead of 2.3-2.6 us, of a 5 us `Run`).
        self._points: dict[Any, Any] = {}
        self._loop_fired: dict[tuple[str, int], int] = {}          # (workflow, step) -> firings not yet seen
        self._loop_streak: dict[tuple[str, int], tuple[int, int]] = {}  # -> (firings in a row, progress)
        self.has_loops = False
        if schedule.crashes:
            for c in schedule.crashes:
                self._points.setdefault((c.step, c.point), []).append(c)
            # Every-attempt rules (attempt None) can loop forever; `crash_loop` watches them.
            self.has_loops = any(c.attempt is None for c in schedule.crashes)
        self.has_step_crashes = bool(self._points)
        self._outages: dict[str, list[tuple[float, float]]] = {}
        if schedule.outages:
            for o in schedule.outages:
                self._outages.setdefault(o.component, []).append((o.start_s, o.end_s))
            for windows in self._outages.values():
                windows.sort()
        self.has_outages = bool(self._outages)
        self._timed = sorted((c.time_s, c.workflow) for c in schedule.timed) if schedule.timed else []
        self._mtbf = schedule.random.mtbf_s if schedule.random else None
        self._rng = rng
        self._rand: random.Random | None = None   # the "faults" stream, made at the first random crash drawn
        self._next_random: dict[str, float] = {}
        self._asked: dict[str, tuple[float, float]] = {}   # workflow -> (after, answer) of the last query
        self.has_timed = bool(self._timed) or self._mtbf is not None
        # No crash point and no outage is planned: only timed crashes can interrupt a step.
        self.quiet = not (self.has_step_crashes or self.has_outages)

    def step_crash(self, workflow: str, step: int, attempt: int, point: str) -> bool:
        """True (once) when the schedule crashes this step's attempt at ``point``."""
        lst = self._points.get((step, point))
        if not lst:
            return False
        for c in lst:
            if (c.attempt is None or c.attempt == attempt) and (c.workflow is None or c.workflow == workflow):
                if c.attempt is not None:
                    lst.remove(c)
                else:
                    key = (workflow, step)
                    self._loop_fired[key] = self._loop_fired.get(key, 0) + 1
                return True
        return False

    def crash_loop(self, workflow: str, step: int, progress: int) -> str | None:
        """After a crash of ``workflow`` at ``step``: why the workflow cannot go on, or None.

        The engine calls this after every crash when the schedule has every-attempt rules.
        ``progress`` counts the workflow's steps that have ever completed. A crash that an
        every-attempt rule caused, for the `CRASH_LOOP_LIMIT`-th time in a row on this step with
        ``progress`` unchanged, means no attempt can ever get past the step.
        """
        key = (workflow, step)
        if not self._loop_fired.pop(key, 0):
            return None     # some other fault crashed this attempt
        n, before = self._loop_streak.get(key, (0, -1))
        n = n + 1 if progress == before else 1
        self._loop_streak[key] = (n, progress)
        if n < CRASH_LOOP_LIMIT:
            return None
        return (f"step {step} crashes on every attempt: the run cannot make progress (stopped after {n} "
                f"crashes in a row with no new step completed)")

    def next_crash(self, workflow: str, after: float) -> float:
        """The first timed or random crash of this workflow's worker strictly after ``after``."""
        last = self._asked.get(workflow)
        if last is not None and last[0] <= after < last[1]:
            # Nothing falls between the last question and its answer, so the answer stands.
            return last[1]
        best = INF
        for t, wf in self._timed:
            if t > after and (wf is None or wf == workflow):
                best = t
                break
        if self._mtbf is not None:
            rand = self._rand
            if rand is None:
                rand = self._rand = self._rng.stream("faults")
            known = self._next_random.get(workflow)
            t = rand.expovariate(1.0 / self._mtbf) if known is None else known
            while t <= after:
                t += rand.expovariate(1.0 / self._mtbf)
            self._next_random[workflow] = t
            best = min(best, t)
        self._asked[workflow] = (after, best)
        return best

    def down_until(self, component: str, t: float) -> float | None:
        """If ``component`` is in an outage at time ``t``, the time it comes back."""
        windows = self._outages.get(component)
        if not windows:
            return None
        end = None
        for start, stop in windows:
            if start <= t < stop or (end is not None and start <= end < stop):
                end = stop
        return end

    def alias_outages(self, source: str, target: str) -> None:
        """Make outages of component ``source`` apply to ``target`` too (a box whose loss stops ``target``).

        For example Hatchet's engine: nothing is dispatched while it is down, so its outage acts as
        Postgres's. The plan's summary flags are left as they are: ``source`` outages already set them.
        """
        windows = self.outages(source)
        if windows:
            self._outages[target] = sorted(self.outages(target) + windows)

    def alias_store(self, component: str) -> None:
        """Make outages of the generic ``"store"`` apply to the model's own state component."""
        if component == "store" or "store" not in self._outages:
            return
        merged = self._outages.get(component, []) + self._outages["store"]
        self._outages[component] = sorted(merged)

    def outages(self, component: str) -> list[tuple[float, float]]:
        """The outage windows of ``component``, sorted."""
        return list(self._outages.get(component, ()))

    def code_variant(self, crashes_so_far: int) -> str | None:
        """The workflow variant live after ``crashes_so_far`` restarts, if the code changed."""
        cc = self.schedule.code_change
        if cc and crashes_so_far >= cc.after_crash:
            return cc.variant
        return None

"""The fault options of ``run`` and ``compare``, turned into one checked `FaultSchedule`.

How the options combine (also in ``--help``): ``--faults FILE`` is the starting schedule;
``--crash`` and ``--outage`` add to it; ``--mtbf`` and ``--restart-delay`` replace its values.
Without any of them the scenario's default faults apply; ``--no-faults`` starts from nothing.

Checked before anything runs, each with one line naming the value and what is allowed:
crash steps within the scenario, workflow ids the scenario has, outage components the chosen
models know, and a mean time between failures no smaller than `numbers.min_mtbf`.
"""

from __future__ import annotations

import argparse
import math

from ..core.errors import ConfigError
from ..core.faults import (
    CRASH_POINTS,
    FaultSchedule,
    Outage,
    RandomCrashes,
    parse_crash,
)
from .jsonio import read_json
from .numbers import MAX_RESTART_DELAY_S, MAX_SEED, min_mtbf, number, whole

__all__ = ["add_fault_args", "fault_schedule", "components", "workflow_ids"]

COMBINE = ("--faults FILE is the starting schedule; --crash and --outage add to it, --mtbf and --restart-delay "
           "replace its values")


def add_fault_args(p: argparse.ArgumentParser) -> None:
    """The options every fault-taking command shares."""
    p.add_argument("--scenario", required=True, help="a built-in scenario (see `scenarios`)")
    p.add_argument("--crash", action="append", metavar="STEP:POINT[:ATTEMPT]",
                   help=f"crash the worker at STEP (1-based) and POINT: {', '.join(CRASH_POINTS)}")
    p.add_argument("--mtbf", type=number(0.0, lo_open=True),
                   help="random crashes with this mean time between failures in seconds; at least 5 s per "
                        "workflow instance of the scenario")
    p.add_argument("--outage", action="append", metavar="START:END[:COMPONENT]",
                   help="COMPONENT (default: the state store) is down from START to END seconds; `models -v` "
                        "lists each model's components")
    p.add_argument("--restart-delay", type=number(0.0, MAX_RESTART_DELAY_S),
                   help=f"seconds until a crashed worker is back (default 5, at most {MAX_RESTART_DELAY_S:g})")
    p.add_argument("--faults", metavar="FILE.json", help=f"a whole fault schedule as JSON; {COMBINE}")
    p.add_argument("--no-faults", action="store_true", help="ignore the scenario's default faults")
    p.add_argument("--seed", type=whole(0, MAX_SEED), default=None, help="the run's seed (default 644)")
    p.add_argument("--json", action="store_true", help="print strict JSON (non-finite numbers as null)")


def components(models) -> list[str]:
    """Outage component names the models know: ``store`` (any model's state store) and their parts."""
    names = ["store"]
    for m in models:
        for name in (m.context_class.store, *(c.name for c in m.components)):
            if name not in names:
                names.append(name)
    return names


def workflow_ids(scenario) -> list[str]:
    """The workflow instance ids a run of ``scenario`` has (``wf-1`` ...)."""
    return [f"wf-{i + 1}" for i in range(scenario.instances)]


def _outage(text: str) -> Outage:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ConfigError(f"malformed outage {text!r}; expected START:END[:COMPONENT] in seconds, e.g. 300:420")
    try:
        start, end = float(parts[0]), float(parts[1])
    except ValueError:
        raise ConfigError(f"malformed outage {text!r}; expected START:END[:COMPONENT] in seconds, e.g. 300:420") from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ConfigError(f"outage {text!r} must have finite START and END seconds, e.g. 300:420 "
                          f"(a run stops at its horizon anyway)")
    return Outage(start, end, parts[2] if len(parts) == 3 else "store")


def fault_schedule(args, scenario, models) -> FaultSchedule:
    """The checked schedule the options ask for (see the module docstring for how they combine)."""
    base = FaultSchedule.from_dict(read_json(args.faults, "fault schedule")) if args.faults else None
    crashes = tuple(parse_crash(v) for v in args.crash or ())
    outages = tuple(_outage(v) for v in args.outage or ())
    flags = crashes or outages or args.mtbf is not None or args.restart_delay is not None
    if base is None and not flags and not args.no_faults:
        schedule = scenario.default_faults
    else:
        start = base or FaultSchedule()
        schedule = FaultSchedule(
            crashes=start.crashes + crashes, timed=start.timed,
            random=RandomCrashes(args.mtbf) if args.mtbf is not None else start.random,
            outages=start.outages + outages,
            restart_delay_s=args.restart_delay if args.restart_delay is not None else start.restart_delay_s,
            code_change=start.code_change)
    check(schedule, scenario, models)
    return schedule


def check(schedule: FaultSchedule, scenario, models) -> None:
    """Refuse what a run would silently ignore or take hours over."""
    scenario.validate_faults(schedule)
    ids = workflow_ids(scenario)
    named = [c.workflow for c in schedule.crashes] + [t.workflow for t in schedule.timed]
    for wf in named:
        if wf is not None and wf not in ids:
            shown = ", ".join(ids) if len(ids) <= 5 else f"{ids[0]} .. {ids[-1]}"
            raise ConfigError(f"unknown workflow {wf!r} in a crash; scenario {scenario.name!r} has: {shown}")
    known = components(models)
    for o in schedule.outages:
        if o.component not in known:
            raise ConfigError(f"unknown outage component {o.component!r}; allowed for "
                              f"{', '.join(m.name for m in models)}: {', '.join(known)}")
    if schedule.random is not None and schedule.random.mtbf_s < min_mtbf(scenario):
        raise ConfigError(f"mtbf {schedule.random.mtbf_s:g} s is too small for scenario {scenario.name!r}; "
                          f"allowed: >= {min_mtbf(scenario):g} s (smaller makes a run take minutes or hours)")
    if schedule.restart_delay_s > MAX_RESTART_DELAY_S:
        raise ConfigError(f"restart_delay_s {schedule.restart_delay_s:g} is too large; "
                          f"allowed: 0..{MAX_RESTART_DELAY_S:g} s")

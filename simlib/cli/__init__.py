"""The command line: ``python -m simlib COMMAND ...``.

Commands: ``models``, ``scenarios``, ``run``, ``compare``, ``sweep``, plus the
commands other modules contribute (``recommend``, ``grade``) through
`EXTRA_COMMANDS`. Bad input prints one line naming the bad value and the
allowed ones, and exits with status 2; there is never a traceback for it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from ..core.errors import ConfigError
from .parser import Parser

__all__ = ["main", "EXTRA_COMMANDS"]

# name -> "module:function(argv) -> int", for commands that live with their feature.
EXTRA_COMMANDS: dict[str, str] = {
    "recommend": "simlib.cli.recommend:main",
    "system": "simlib.cli.system:main",
    "self-heal": "simlib.cli.selfheal:main",
    "grade": "simlib.cli.grade:main",
    "exercises": "simlib.cli.exercises:main",
}


def _crashes(values: list[str]):
    from ..core.faults import parse_crash

    return tuple(parse_crash(v) for v in values or ())


def _faults(args, scenario):
    """The schedule a command asked for: --faults FILE, --crash/--mtbf/--outage, or the scenario default."""
    from ..core.faults import FaultSchedule, Outage, RandomCrashes

    if getattr(args, "faults", None):
        try:
            with open(args.faults, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as e:
            raise ConfigError(f"cannot read fault schedule {args.faults!r}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"fault schedule {args.faults!r} is not valid JSON: {e.msg} (line {e.lineno})") from None
        return FaultSchedule.from_dict(data)
    crashes = _crashes(args.crash)
    outages = []
    for text in args.outage or ():
        parts = text.split(":")
        try:
            start, end = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ConfigError(f"malformed outage {text!r}; expected START:END in seconds, e.g. 300:420") from None
        outages.append(Outage(start, end, parts[2] if len(parts) > 2 else "store"))
    rnd = RandomCrashes(args.mtbf) if args.mtbf is not None else None
    if not crashes and not outages and rnd is None and not args.no_faults and args.restart_delay is None:
        return scenario.default_faults
    return FaultSchedule(crashes=crashes, outages=tuple(outages), random=rnd,
                         restart_delay_s=5.0 if args.restart_delay is None else args.restart_delay)


def _add_fault_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", required=True, help="a built-in scenario (see `scenarios`)")
    p.add_argument("--crash", action="append", metavar="STEP:POINT",
                   help="crash the worker at STEP (1-based) and POINT: before-step, after-effect, after-record")
    p.add_argument("--mtbf", type=float, help="random crashes with this mean time between failures (s)")
    p.add_argument("--outage", action="append", metavar="START:END[:COMPONENT]",
                   help="the state store (or COMPONENT) is down from START to END seconds")
    p.add_argument("--restart-delay", type=float, help="seconds until a crashed worker is back (default 5)")
    p.add_argument("--faults", metavar="FILE.json", help="a whole fault schedule as JSON")
    p.add_argument("--no-faults", action="store_true", help="ignore the scenario's default faults")
    p.add_argument("--seed", type=int, default=None, help="the run's seed (default 644)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _cmd_models(args) -> int:
    from ..models import get_model, model_names

    for name in model_names():
        if args.verbose:
            print(f"{name:24s} {get_model(name).state_location}")
        else:
            print(name)
    return 0


def _cmd_scenarios(args) -> int:
    from ..scenarios import SCENARIOS, scenario_names

    for name in scenario_names():
        sc = SCENARIOS[name]
        print(f"{name:20s} {sc.description}" if args.verbose else name)
    return 0


def _seed(args) -> int:
    from ..core.rng import DEFAULT_SEED

    if args.seed is None:
        return DEFAULT_SEED
    if args.seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {args.seed}")
    return args.seed


def _cmd_run(args) -> int:
    from ..core.engine import simulate
    from ..models import get_model
    from ..scenarios import get_scenario

    model = get_model(args.model)
    scenario = get_scenario(args.scenario)
    res = simulate(scenario, model, seed=_seed(args), faults=_faults(args, scenario))
    if args.json:
        d = res.summary.to_dict()
        d["replay_token"] = json.loads(res.token.to_json())
        print(json.dumps(d, sort_keys=True))
    else:
        print(res.summary.table())
        print(f"replay token: {res.token.to_json()}")
    return 0


def _cmd_compare(args) -> int:
    from ..core.compare import compare_table, compare_runs
    from ..scenarios import get_scenario

    scenario = get_scenario(args.scenario)
    rows = compare_runs(scenario, seed=_seed(args), faults=_faults(args, scenario), models=args.models)
    if args.json:
        print(json.dumps(rows, sort_keys=True))
    else:
        print(compare_table(rows))
    return 0


def _cmd_sweep(args) -> int:
    from ..scenarios import get_scenario
    from ..core.sweep import sweep

    scenario = get_scenario(args.scenario)
    models = args.models or ["none", "app-checkpoint", "temporal"]
    out = []
    for m in models:
        agg = sweep(scenario, m, runs=args.runs, mtbf_s=args.mtbf_sweep, seed=_seed(args), workers=args.workers)
        out.append(agg.to_dict())
    if args.json:
        print(json.dumps(out, sort_keys=True))
    else:
        for d in out:
            print(f"{d['model']:24s} runs={d['runs']} completed={d['completed_rate']:.3f} "
                  f"crashes/run={d['mean']['crashes']:.3f} dup/10k={d['per_10k']['duplicate_effects']:.1f} "
                  f"usd-again/10k={d['per_10k']['llm_cost_reexecuted_usd']:.2f}")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m simlib", description="Durable Execution Lab simulator")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    m = sub.add_parser("models", help="list the engine models")
    m.add_argument("-v", "--verbose", action="store_true", help="also say where each keeps its state")
    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.add_argument("-v", "--verbose", action="store_true", help="also describe each")
    r = sub.add_parser("run", help="run one scenario under one model")
    r.add_argument("--model", required=True, help="an engine model (see `models`)")
    _add_fault_args(r)
    c = sub.add_parser("compare", help="run the same faults through every model")
    c.add_argument("--models", nargs="+", help="only these models")
    _add_fault_args(c)
    w = sub.add_parser("sweep", help="Monte Carlo: many seeds with random crashes")
    w.add_argument("--scenario", required=True)
    w.add_argument("--models", nargs="+")
    w.add_argument("--runs", type=int, default=1000)
    w.add_argument("--mtbf-sweep", type=float, default=3600.0, dest="mtbf_sweep",
                   help="mean time between worker crashes, seconds (default 3600)")
    w.add_argument("--workers", type=int, default=1, help="processes to spread the runs over")
    w.add_argument("--seed", type=int, default=None)
    w.add_argument("--json", action="store_true")
    for name in EXTRA_COMMANDS:
        sub.add_parser(name, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in EXTRA_COMMANDS:
        module, _, fn = EXTRA_COMMANDS[argv[0]].partition(":")
        return getattr(importlib.import_module(module), fn)(argv[1:])
    handlers = {"models": _cmd_models, "scenarios": _cmd_scenarios, "run": _cmd_run,
                "compare": _cmd_compare, "sweep": _cmd_sweep}
    try:
        args = _build_parser().parse_args(argv)
        if not args.command:
            raise ConfigError(f"a command is needed; allowed: {', '.join([*handlers, *EXTRA_COMMANDS])}")
        return handlers[args.command](args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

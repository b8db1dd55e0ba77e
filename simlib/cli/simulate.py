"""The simulator's own commands: ``models``, ``scenarios``, ``run``, ``compare`` and ``sweep``."""

from __future__ import annotations

import json
import sys

from ..core.errors import ConfigError
from ..core.rng import DEFAULT_SEED
from .faultargs import add_fault_args, components, fault_schedule
from .jsonio import dumps
from .numbers import (
    MAX_SEED,
    MAX_SWEEP_RUNS,
    MAX_SWEEP_WORK,
    MAX_WORKERS,
    horizon_of,
    min_mtbf,
    number,
    whole,
)
from .progress import bar
from .settings import SET_HELP, apply_settings, setting_notes
from .sources import setting_rows, show_default, to_text

__all__ = ["add_commands", "HANDLERS", "stop_reason"]

QUIET_HELP = "no progress bar (there is none anyway when stderr is not a terminal)"
MANY_SET_HELP = (SET_HELP + "; with several models each setting goes to every model that has it, and a NAME "
                 "none of them has is refused")


def add_commands(sub) -> None:
    """Add the simulator's subcommands to ``sub`` (an argparse subparsers action)."""
    m = sub.add_parser("models", help="list the engine models")
    m.add_argument("names", nargs="*", metavar="MODEL", help="only these models, shown as with -v")
    m.add_argument("-v", "--verbose", action="store_true",
                   help="also say where each keeps its state, which components an --outage may name, and "
                        "each setting --set can change: type, default, kind of source (docs, code, measured, "
                        "assumption) and the source")
    m.add_argument("--json", action="store_true", help="strict JSON with every detail -v shows")
    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.add_argument("-v", "--verbose", action="store_true", help="also describe each")
    r = sub.add_parser("run", help="run one scenario under one model")
    r.add_argument("--model", required=True, help="an engine model (see `models`)")
    add_fault_args(r)
    r.add_argument("--set", action="append", metavar="NAME=VALUE", dest="settings", help=SET_HELP)
    r.positional_hints = {"--scenario": _is_scenario, "--model": _is_model}
    c = sub.add_parser("compare", help="run the same faults through every model")
    c.add_argument("--models", nargs="+", help="only these models")
    add_fault_args(c)
    c.add_argument("--set", action="append", metavar="NAME=VALUE", dest="settings", help=MANY_SET_HELP)
    c.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    c.positional_hints = {"--scenario": _is_scenario, "--models": _is_model}
    w = sub.add_parser("sweep", help="Monte Carlo: many seeds with random crashes")
    w.add_argument("--scenario", required=True, help="a built-in scenario (see `scenarios`)")
    w.add_argument("--models", nargs="+", help="engine models (default: none app-checkpoint temporal)")
    w.add_argument("--runs", type=whole(1, MAX_SWEEP_RUNS), default=1000,
                   help=f"seeds per model (default 1000, at most {MAX_SWEEP_RUNS:,})")
    w.add_argument("--mtbf-sweep", type=number(0.0, lo_open=True), default=3600.0,
                   dest="mtbf_sweep",
                   help="mean time between worker crashes, seconds (default 3600; at least 5 s per workflow "
                        f"instance, and runs x instances x week / mtbf at most {MAX_SWEEP_WORK:.0e})")
    w.add_argument("--workers", type=whole(1, MAX_WORKERS), default=1,
                   help=f"processes to spread the runs over (1..{MAX_WORKERS})")
    w.add_argument("--seed", type=whole(0, MAX_SEED), default=None, help="the first seed (default 644)")
    w.add_argument("--set", action="append", metavar="NAME=VALUE", dest="settings", help=MANY_SET_HELP)
    w.add_argument("--json", action="store_true", help="print strict JSON (non-finite numbers as null)")
    w.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    w.positional_hints = {"--scenario": _is_scenario, "--models": _is_model}


def _is_scenario(word: str) -> bool:
    from ..scenarios import SCENARIOS

    return word in SCENARIOS


def _is_model(word: str) -> bool:
    from ..models import model_names

    return word in model_names()


def _models(args) -> int:
    from ..models import get_model, model_names

    names = list(dict.fromkeys(args.names)) or model_names()
    models = [get_model(n) for n in names]      # an unknown name is refused before anything prints
    if args.json:
        print(dumps([{"model": m.name, "title": m.title, "family": m.family, "state_location": m.state_location,
                      "outage_components": components([m]),
                      "settings": [{k: v for k, v in r.items() if k != "model"} for r in setting_rows([m])]}
                     for m in models], sort_keys=True, indent=1))
        return 0
    for model in models:
        if args.verbose or args.names:
            print(f"{model.name:24s} {model.state_location}  [outage components: {', '.join(components([model]))}]")
            print(to_text(setting_rows([model]), ("setting", "type", "default", "kind", "source"), indent="    "))
        else:
            print(model.name)
    return 0


def _scenarios(args) -> int:
    from ..scenarios import SCENARIOS, scenario_names

    for name in scenario_names():
        sc = SCENARIOS[name]
        print(f"{name:20s} {sc.description}" if args.verbose else name)
    return 0


def _seed(args) -> int:
    return DEFAULT_SEED if args.seed is None else args.seed


def stop_reason(result, settings: list[str] | None = None) -> str | None:
    """Why a run ended unfinished: the summary's own reason, or where the clock stopped.

    Args:
        result: the run's result.
        settings: the ``--set NAME=VALUE`` items the run was given, named in the horizon hint
            (a timeout set that long is a likely cause).
    """
    s = result.summary
    if s.completed:
        return None
    if s.stalled or s.error:
        return s.stalled or s.error
    run = result.run
    if run.env.peek() != float("inf"):
        given = f" given: --set {' --set '.join(settings)}" if settings else ""
        return (f"the clock reached the scenario's horizon ({horizon_of(run.scenario):g} s) with work still "
                f"scheduled (an outage, restart delay, timer or setting that long?{given})")
    return "nothing was left to run: a workflow waited for something that never happened"


def _settings_note(applied: dict[str, dict]) -> str:
    """One line saying which settings each model took: ``settings: temporal start_to_close_s=5; dbos -``."""
    return "settings: " + "; ".join(
        f"{name} " + (", ".join(f"{k}={show_default(v)}" for k, v in changes.items()) or "-")
        for name, changes in applied.items())


def _notes(models: list, applied: dict[str, dict]) -> None:
    """Print on stderr (so ``--json`` stays strict) each accepted setting that changes nothing here."""
    for line in setting_notes(models, applied):
        print(line, file=sys.stderr)


def _run(args) -> int:
    from ..core.engine import simulate
    from ..models import get_model
    from ..scenarios import get_scenario

    (model,), applied = apply_settings([get_model(args.model)], args.settings)
    _notes([model], applied)
    scenario = get_scenario(args.scenario)
    res = simulate(scenario, model, seed=_seed(args), faults=fault_schedule(args, scenario, [model]))
    why = stop_reason(res, args.settings)
    if args.json:
        d = res.summary.to_dict()
        d["replay_token"] = json.loads(res.token.to_json())
        d["stopped_because"] = why
        d["settings"] = applied[model.name]
        print(dumps(d, sort_keys=True))
    else:
        print(res.summary.table())
        if why and why not in (res.summary.stalled, res.summary.error):   # the table shows those already
            print(f"stopped because: {why}")
        if args.settings:
            print(_settings_note(applied))
        print(f"replay token: {res.token.to_json()}")
    return 0


def _compare(args) -> int:
    from ..core.compare import compare_runs, compare_table
    from ..models import get_model, model_names
    from ..scenarios import get_scenario

    scenario = get_scenario(args.scenario)
    names = list(args.models) if args.models else model_names()
    # every name and setting checked before anything runs
    models, applied = apply_settings([get_model(n) for n in names], args.settings)
    _notes(models, applied)
    faults = fault_schedule(args, scenario, models)
    rows: list[dict] = []
    with bar(len(models), "compare", args.quiet, unit="model") as progress:
        for model in models:
            rows += compare_runs(scenario, seed=_seed(args), faults=faults, models=[model])
            rows[-1]["settings"] = applied[model.name]
            progress.update()
    for r in rows:
        r["stopped_because"] = None if r["completed"] else (
            r["stalled"] or r["error"] or f"not finished when the clock stopped at the horizon "
                                          f"({horizon_of(scenario):g} s)")
    if args.json:
        print(dumps(rows, sort_keys=True))
    else:
        print(compare_table([dict(r, stalled=r["stopped_because"]) for r in rows]))
        if args.settings:
            print(_settings_note(applied))
    return 0


def _sweep(args) -> int:
    from ..core.sweep import sweep
    from ..models import get_model
    from ..scenarios import get_scenario

    scenario = get_scenario(args.scenario)
    names = list(args.models) if args.models else ["none", "app-checkpoint", "temporal"]
    models, applied = apply_settings([get_model(n) for n in names], args.settings)
    _notes(models, applied)
    floor = min_mtbf(scenario)
    if args.mtbf_sweep < floor:
        raise ConfigError(f"--mtbf-sweep {args.mtbf_sweep:g} is too small for scenario {scenario.name!r}; "
                          f"allowed: >= {floor:g} s")
    work = args.runs * scenario.instances * horizon_of(scenario) / args.mtbf_sweep
    if work > MAX_SWEEP_WORK:
        raise ConfigError(f"--runs {args.runs} with --mtbf-sweep {args.mtbf_sweep:g} is too much work for "
                          f"{scenario.name!r} (runs x instances x horizon / mtbf = {work:.2g}; allowed <= "
                          f"{MAX_SWEEP_WORK:.0e}): lower --runs or raise --mtbf-sweep")
    # Dense crashes make runs slow: smaller chunks keep the bar moving (500, the default, from 3600 s up).
    chunk = max(1, min(500, int(args.mtbf_sweep / 7.2)))
    out = []
    with bar(args.runs * len(models), "sweep", args.quiet) as progress:
        for model in models:
            progress.set_postfix_str(model.name)
            agg = sweep(scenario.name, model, runs=args.runs, mtbf_s=args.mtbf_sweep, seed=_seed(args),
                        workers=args.workers, chunk=chunk, progress=progress.update)
            out.append(dict(agg.to_dict(), settings=applied[model.name]))
    if args.json:
        print(dumps(out, sort_keys=True))
    else:
        for d in out:
            print(f"{d['model']:24s} runs={d['runs']} completed={d['completed_rate']:.3f} "
                  f"crashes/run={d['mean']['crashes']:.3f} "
                  f"duplicate_effects/10k_runs={d['per_10k']['duplicate_effects']:.1f} "
                  f"llm_usd_paid_again/10k_runs=${d['per_10k']['llm_cost_reexecuted_usd']:.2f}")
        if args.settings:
            print(_settings_note(applied))
    return 0


HANDLERS = {"models": _models, "scenarios": _scenarios, "run": _run, "compare": _compare, "sweep": _sweep}

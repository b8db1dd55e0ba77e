"""One widget as a standalone page for a workshop room: ``python -m simlib.widgets.app crash-lab``.

The page is served by Voila on 127.0.0.1 with no notebook, no code and no editing UI, only the
panel, so it can go on a projector. Everything it loads comes from this machine: the page uses the
``simlib-offline`` Voila template (shipped in ``simlib/widgets/jupyter/``), which drops the Font
Awesome links Voila's default template makes to a CDN (its own bundle already has the icons).

Apps: ``crash-lab``, ``explorer``, ``recommender``, ``sweep``. Options: ``--port N`` (default: a
free port), ``--seed N`` (the panel's starting seed), ``--open`` (open a browser tab too).

Example:
    $ python -m simlib.widgets.app crash-lab --port 8866
    Crash lab: http://127.0.0.1:8866/  (Ctrl-C to stop)
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ..core.errors import ConfigError

__all__ = ["APPS", "main", "app_notebook", "voila_command", "voila_env", "TEMPLATE", "TEMPLATE_ROOT"]

# name -> (title, panel class, the arguments that build it; ``seed`` is filled in)
APPS: dict[str, tuple[str, str, str]] = {
    "crash-lab": ("Crash lab", "CrashLab", "seed={seed}"),
    "explorer": ("State explorer", "StateExplorer", "seed={seed}"),
    "recommender": ("Engine recommender", "Recommender", ""),
    "sweep": ("Crash-rate sweep", "SweepControl", "runs=50, seed={seed}, run=True"),
}
TEMPLATE = "simlib-offline"
TEMPLATE_ROOT = Path(__file__).resolve().parent / "jupyter"
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def app_notebook(name: str, seed: int | None = None) -> dict:
    """The one-panel notebook (as nbformat JSON) that Voila serves for app ``name``."""
    if name not in APPS:
        raise ConfigError(f"unknown app {name!r}; allowed: {', '.join(APPS)}")
    from ..core.rng import DEFAULT_SEED

    title, cls, args = APPS[name]
    code = f"from simlib.widgets import {cls}\n\n{cls}({args.format(seed=DEFAULT_SEED if seed is None else seed)})"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": f"## {title}"},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": code}]
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": kernel}, "cells": cells}


def voila_env(base: dict | None = None) -> dict:
    """An environment in which Voila finds the offline template and the kernel imports this simlib."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATE_ROOT), env.get("JUPYTER_PATH", "")) if p)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
    return env


def voila_command(target: str | os.PathLike, port: int, open_browser: bool = False) -> list[str]:
    """The Voila command line serving ``target`` (a notebook or a folder) on 127.0.0.1:``port``."""
    cmd = [sys.executable, "-m", "voila", str(target), f"--port={port}", "--Voila.ip=127.0.0.1",
           f"--template={TEMPLATE}", "--show_tracebacks=True"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parser() -> argparse.ArgumentParser:
    class Parser(argparse.ArgumentParser):
        def error(self, message: str):
            raise ConfigError(message)

    p = Parser(prog="python -m simlib.widgets.app", description=__doc__.splitlines()[0])
    p.add_argument("app", help=f"one of: {', '.join(APPS)}")
    p.add_argument("--port", default=None, help="TCP port on 127.0.0.1 (default: a free one)")
    p.add_argument("--seed", default=None, help="the panel's starting seed (a whole number >= 0)")
    p.add_argument("--open", action="store_true", help="also open the page in a browser")
    return p


def _whole(text, what: str, low: int, high: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigError(f"{what} must be a whole number from {low} to {high}, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Serve one app until Ctrl-C. Bad input: one line on stderr, exit status 2."""
    try:
        args = _parser().parse_args(argv)
        if args.app not in APPS:
            raise ConfigError(f"unknown app {args.app!r}; allowed: {', '.join(APPS)}")
        port = _whole(args.port, "--port", 1, 65535) or _free_port()
        seed = _whole(args.seed, "--seed", 0, 2**31 - 1)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import json

    with tempfile.TemporaryDirectory(prefix="simlib-app-") as tmp:
        nb = Path(tmp) / f"{args.app}.ipynb"
        nb.write_text(json.dumps(app_notebook(args.app, seed)))
        print(f"{APPS[args.app][0]}: http://127.0.0.1:{port}/  (Ctrl-C to stop)", flush=True)
        proc = subprocess.Popen(voila_command(nb, port, args.open), env=voila_env(), cwd=tmp)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait(timeout=15)
            return 0


if __name__ == "__main__":
    sys.exit(main())

"""The quality gates run with the tests: `ruff check simlib` and `mypy simlib` must report nothing.

Both read their settings (the rule set, the modules still exempt) from ``pyproject.toml``.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_ruff_finds_nothing():
    res = _run("ruff", "check", "simlib")
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    res = _run("mypy", "simlib")
    assert res.returncode == 0, res.stdout + res.stderr

"""The Binder configuration (.binder/) installs what pyproject.toml declares, and the README badge points at it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / ".binder"


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def test_binder_installs_this_package_with_existing_extras():
    lines = requirement_lines()
    local = [ln for ln in lines if re.match(r"^(-e\s+)?\.(\[[\w,\s-]+\])?$", ln)]
    assert local, f".binder/requirements.txt must install the package itself (-e .[...]); has {lines}"
    extras = set(re.findall(r"[\w-]+", local[0].split("[", 1)[1])) if "[" in local[0] else set()
    declared = set(pyproject()["project"].get("optional-dependencies", {}))
    assert extras <= declared, f"unknown extras {extras - declared}; pyproject declares {sorted(declared)}"
    # The workshop apps need Voila: it must come through one of the extras Binder installs.
    deps = [d for e in extras for d in pyproject()["project"]["optional-dependencies"][e]]
    assert any(d.lower().startswith("voila") for d in deps), "Binder would not install Voila for the apps"
    # Everything else comes from pyproject.toml through the package; no second, drifting list.
    assert len(lines) == len(local), f"pin dependencies in pyproject.toml, not in .binder: {lines}"


def test_binder_python_satisfies_requires_python():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert m, f"runtime.txt must read python-X.Y, got {runtime!r}"
    need = re.fullmatch(r">=\s*(\d+)\.(\d+)", pyproject()["project"]["requires-python"])
    assert need, "requires-python must be a lower bound like >=3.10"
    assert (int(m[1]), int(m[2])) >= (int(need[1]), int(need[2]))


def test_readme_badge_opens_an_existing_notebook_of_this_project():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\(https://mybinder\.org/v2/gh/[\w.-]+/([\w.-]+)/HEAD\?urlpath=lab/tree/([\w./-]+\.ipynb)\)", readme)
    assert m, "README has no Binder badge opening a notebook in JupyterLab"
    assert m[1] == pyproject()["project"]["name"], "the badge names another repository"
    assert (ROOT / m[2]).is_file(), f"the badge opens {m[2]}, which does not exist"
    assert "https://mybinder.org/badge_logo.svg" in readme

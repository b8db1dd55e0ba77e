"""The install story holds together: pyproject, the workshop lock, CI and the README say the same thing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "constraints" / "workshop.txt"
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def requirements() -> list[tuple[str, Requirement]]:
    """Every requirement pyproject declares, with the extra that declares it ('' for the base)."""
    project = PYPROJECT["project"]
    found = [("", Requirement(r)) for r in project["dependencies"]]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        found += [(extra, Requirement(r)) for r in reqs]
    return found


def lock_pins() -> dict[str, list[tuple[Version, Requirement]]]:
    """The lock's pins by package name; a package may be pinned once per marker branch."""
    pins: dict[str, list[tuple[Version, Requirement]]] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"the lock must pin exactly, not {line!r}"
        pins.setdefault(canonicalize_name(req.name), []).append((Version(spec.version), req))
    return pins


def test_every_dependency_has_a_lower_bound():
    for extra, req in requirements():
        lows = [s for s in req.specifier if s.operator in (">=", "==", "~=")]
        assert lows, f"{req} (extra {extra or 'base'!r}) needs a tested lower bound"


def test_the_lock_pins_every_declared_dependency_within_its_range():
    pins = lock_pins()
    env = default_environment()
    for extra, req in requirements():
        if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is missing from {LOCK.name}: run `bash .ci/update-lock`"
        here = [v for v, pin in pins[name] if pin.marker is None or pin.marker.evaluate(env)]
        assert here, f"{LOCK.name} has no pin of {req.name} for this Python"
        assert all(v in req.specifier for v in here), (
            f"{LOCK.name} pins {req.name} {here[0]} outside {req.specifier}: run `bash .ci/update-lock`")


def test_the_readme_test_command_is_the_one_ci_runs():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.DOTALL)
    test_cmds = [line.strip() for b in blocks for line in b.splitlines() if "pytest" in line]
    assert test_cmds, "the README has no test command"
    assert test_cmds[0] in CI, f"{test_cmds[0]!r} is not what .ci/run runs"


def test_the_quick_start_makes_a_venv_and_opens_lab_at_the_repository_root():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "python3 -m venv" in quick and "externally-managed-environment" in quick
    lab = [line for line in quick.splitlines() if "jupyter lab" in line and "pip install" in line]
    assert lab, "the quick start has no install-and-open command"
    assert "--ServerApp.root_dir=." in lab[0] and "notebooks/00-start-here.ipynb" in lab[0]


@pytest.mark.parametrize("folder", [".ci/venv/", ".ci/venv-lock/", ".ci/venv-oldest/", ".ci/node/", ".venv/"])
def test_what_ci_and_the_readme_create_is_ignored_by_git(folder):
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert folder in ignored


def test_simpy_has_an_upper_bound_we_test():
    (simpy,) = [r for extra, r in requirements() if r.name == "simpy"]
    assert any(s.operator in ("<", "<=", "~=") for s in simpy.specifier), "SimPy's internals are used: pin a range"

"""The guide `docs/adding-an-engine.md` works: its model module, plus its one registration line, runs."""

import re
import sys
import types
from pathlib import Path

import pytest

from simlib import CrashAt, FaultSchedule, get_model, scenario_names, simulate
from simlib.core import registry

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "adding-an-engine.md"


@pytest.fixture
def guide_model():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    module_src, registration = blocks[0], blocks[1]
    module = types.ModuleType("simlib.models.celery")
    sys.modules[module.__name__] = module
    exec(compile(module_src, "docs/adding-an-engine.md", "exec"), module.__dict__)  # noqa: S102
    exec(registration, {"register_model": registry.register_model})  # noqa: S102
    yield module
    registry.REGISTRY.pop("celery-acks-late", None)
    sys.modules.pop(module.__name__, None)


def test_the_guide_takes_one_module_and_one_registration_line(guide_model):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert blocks[1].strip().count("\n") == 0          # the registration is one line
    model = get_model("celery-acks-late", visibility_timeout_s=60.0)
    assert model.config.visibility_timeout_s == 60.0


def test_the_guide_s_model_runs_every_scenario(guide_model):
    for name in scenario_names():
        res = simulate(name, "celery-acks-late", seed=1)
        assert res.summary.completed or res.summary.stalled or res.summary.error, name


def test_the_guide_s_model_starts_over_after_the_visibility_timeout(guide_model):
    res = simulate("q1", get_model("celery-acks-late", visibility_timeout_s=60.0), seed=1,
                   faults=FaultSchedule(crashes=(CrashAt(5, "after-effect"),)))
    assert res.summary.completed and res.summary.steps_reexecuted == 5
    assert res.summary.time_to_recover_s == pytest.approx(60.0)

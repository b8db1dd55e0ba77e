"""Every setting of these models says where its default comes from (docs, code, a measurement or an assumption)."""

import pytest

from simlib import get_model
from simlib.models.params import ASSUMED_RECORD_S, SOURCE_KINDS, parameters

MODELS = ("none", "app-checkpoint", "hatchet", "dag", "inngest", "dbos")
RECORD_DELAYS = {"app-checkpoint": "save_s", "hatchet": "record_s", "dag": "record_s",
                 "inngest": "request_overhead_s", "dbos": "checkpoint_write_s"}


@pytest.mark.parametrize("name", MODELS)
def test_every_field_has_a_kind_and_a_source(name):
    for p in parameters(get_model(name).config_class):
        assert p.kind in SOURCE_KINDS and p.source.strip(), p


@pytest.mark.parametrize("name,field", sorted(RECORD_DELAYS.items()))
def test_record_delays_are_the_one_assumed_value(name, field):
    """No document gives any of these engines' effect-to-record delay, so all use the same assumption."""
    p = next(p for p in parameters(get_model(name).config_class) if p.name == field)
    assert p.default == ASSUMED_RECORD_S and p.kind == "assumption"


@pytest.mark.parametrize("name,field", sorted(RECORD_DELAYS.items()))
def test_the_context_reads_its_record_delay_from_the_config(name, field):
    from simlib.core.engine import Run
    from simlib.core.scenario import get_scenario

    model = get_model(name).with_config(**{field: 0.25})
    run = Run(get_scenario("five-effects"), model, seed=1)
    ctx = model.context(run, run.instances[0], "worker-1")
    assert ctx.record_latency_s == 0.25

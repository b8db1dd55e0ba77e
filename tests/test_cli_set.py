"""``--set NAME=VALUE`` and ``models MODEL``: a setting changed on the command line really changes the run.

The refusals (unknown names, bad values, values the model's config check refuses) are cases in
`tests/test_cli_bad_inputs.py`; here are the runs that are accepted, and the reading of values by type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, Optional

import pytest

from simlib.cli import main
from simlib.cli.settings import apply_settings, field_types, parse_value, type_name
from simlib.core.errors import ConfigError
from simlib.models import get_model, model_names
from simlib.models.params import parameters

CRASH = ["--scenario", "five-effects", "--crash", "3:after-effect", "--restart-delay", "30"]


def _json(argv, capsys):
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_a_setting_changes_the_recovery_time_and_says_so(capsys):
    """With two workers the crashed workflow moves to the other one at once instead of waiting 30 s."""
    alone = _json(["run", "--model", "app-checkpoint", *CRASH, "--json"], capsys)
    two = _json(["run", "--model", "app-checkpoint", *CRASH, "--set", "workers=2", "--json"], capsys)
    assert alone["settings"] == {} and two["settings"] == {"workers": 2}
    assert two["time_to_recover_s"] < alone["time_to_recover_s"]
    assert two["duration_s"] < alone["duration_s"]
    assert two["history_sha256"] != alone["history_sha256"]


def test_a_run_with_settings_is_deterministic(capsys):
    argv = ["run", "--model", "temporal", "--scenario", "q1", "--set", "start_to_close_s=1000", "--set", "workers=1"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out == first
    assert "settings: temporal start_to_close_s=1000, workers=1" in first


def test_a_setting_repeated_with_the_same_value_is_taken_once(capsys):
    once = _json(["run", "--model", "app-checkpoint", *CRASH, "--set", "workers=2", "--json"], capsys)
    twice = _json(["run", "--model", "app-checkpoint", *CRASH, "--set", "workers=2", "--set", "workers=2",
                   "--json"], capsys)
    assert once == twice


def test_a_setting_repeated_with_another_value_is_refused(capsys):
    """Which of two values was meant is a guess; the command names the setting and both values instead."""
    assert main(["run", "--model", "app-checkpoint", *CRASH, "--set", "workers=5", "--set", "workers=2"]) == 2
    err = capsys.readouterr().err
    assert err == "error: setting workers given twice (--set workers=5 and --set workers=2); allowed: one value " \
                  "per setting\n"


def test_resume_with_without_a_supervisor_prints_a_note_and_runs(capsys):
    """``resume_with`` only says how a supervisor re-invokes the thread; with none the run is unchanged."""
    base = ["run", "--model", "langgraph", *CRASH, "--json"]
    plain = _json(base, capsys)
    assert main([*base, "--set", "resume_with=input"]) == 0
    out, err = capsys.readouterr()
    changed = json.loads(out)
    assert changed["history_sha256"] == plain["history_sha256"]
    assert err.startswith("note: langgraph: resume_with=input has no effect here") and err.count("\n") == 1
    assert "supervisor_restart_s" in err
    assert main([*base, "--set", "resume_with=input", "--set", "supervisor_restart_s=5"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["history_sha256"] != plain["history_sha256"]


def test_compare_applies_a_setting_only_to_the_models_that_have_it(capsys):
    """Q1's LLM calls take longer than 20 s: a 20 s start-to-close changes Temporal's run; DBOS has no such field."""
    base = ["compare", "--scenario", "q1", "--models", "temporal", "dbos", "--json", "--quiet"]
    plain = {r["model"]: r for r in _json(base, capsys)}
    changed = {r["model"]: r for r in _json([*base, "--set", "start_to_close_s=20"], capsys)}
    assert changed["temporal"]["settings"] == {"start_to_close_s": 20.0}
    assert changed["dbos"]["settings"] == {}
    assert changed["dbos"]["history_sha256"] == plain["dbos"]["history_sha256"]
    assert changed["temporal"]["history_sha256"] != plain["temporal"]["history_sha256"]


def test_compare_text_names_which_model_took_which_setting(capsys):
    assert main(["compare", *CRASH, "--models", "temporal", "dbos", "--quiet", "--set", "workers=2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "settings: temporal workers=2; dbos workers=2"


def test_sweep_settings_reach_every_process(capsys):
    """A configured model is pickled to the pool's processes: one and two processes agree."""
    argv = ["sweep", "--scenario", "five-effects", "--models", "app-checkpoint", "--runs", "40", "--mtbf-sweep",
            "20", "--json", "--quiet"]
    plain = _json(argv, capsys)[0]
    one = _json([*argv, "--set", "workers=2"], capsys)[0]
    two = _json([*argv, "--set", "workers=2", "--workers", "2"], capsys)[0]
    assert one["settings"] == {"workers": 2} and plain["settings"] == {}
    assert one["mean"]["time_to_recover_s"] < plain["mean"]["time_to_recover_s"]
    # chunks finish in any order across processes: sums agree up to rounding, counts exactly
    assert one["recovery_hist_10s"] == two["recovery_hist_10s"] and one["completed_rate"] == two["completed_rate"]
    assert one["mean"] == pytest.approx(two["mean"], rel=1e-12)


# ---------------------------------------------------------------- models MODEL, models -v, --json
def test_models_named_lists_every_setting_with_its_source(capsys):
    assert main(["models", "temporal"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("temporal ") and "outage components" in out[0]
    assert out[1].split() == ["setting", "type", "default", "kind", "source"]
    params = parameters(get_model("temporal").config_class)
    assert [line.split()[0] for line in out[2:]] == [p.name for p in params]
    kind_at, source_at = out[1].index("kind"), out[1].index("source")    # a type may hold spaces: "float | None"
    for line, p in zip(out[2:], params):
        assert line[kind_at:source_at].strip() == p.kind and line[source_at:] == " ".join(p.source.split())


def test_models_named_shows_the_words_a_choice_setting_takes(capsys):
    assert main(["models", "langgraph"]) == 0
    out = capsys.readouterr().out.splitlines()
    type_at, default_at = out[1].index("type"), out[1].index("default")
    types = {line.split()[0]: line[type_at:default_at].strip() for line in out[2:]}
    assert types["durability"] == "one of sync, async, exit"
    assert types["resume_with"] == "one of none, input"
    assert types["retry_policy"] == "bool"


def test_models_verbose_covers_every_model(capsys):
    assert main(["models", "-v"]) == 0
    out = capsys.readouterr().out
    heads = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert heads == model_names()


def test_models_json_holds_the_settings(capsys):
    data = _json(["models", "--json", "dbos", "restate"], capsys)
    assert [d["model"] for d in data] == ["dbos", "restate"]
    for d in data:
        params = parameters(get_model(d["model"]).config_class)
        assert [(s["setting"], s["default"], s["kind"], s["source"]) for s in d["settings"]] == [
            (p.name, p.default, p.kind, p.source) for p in params]


# ---------------------------------------------------------------- reading values by type
@dataclass(frozen=True)
class _Odd:
    mode: Literal["fast", "slow"] = "fast"
    level: Literal[1, 2, 3] = 1
    limit: Optional[int] = None
    either: int | str = 0
    flag: bool = False
    pair: tuple = ()


TYPES = field_types(_Odd)


@pytest.mark.parametrize("name,text,value", [
    ("mode", "slow", "slow"), ("level", "3", 3), ("limit", "none", None), ("limit", "NULL", None),
    ("limit", "12", 12), ("either", "7", 7), ("either", "seven", "seven"),
    ("flag", "yes", True), ("flag", "OFF", False), ("flag", "1", True), ("flag", "false", False),
])
def test_values_are_read_by_the_field_type(name, text, value):
    got = parse_value("odd", name, TYPES[name], text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("name,text,allowed", [
    ("mode", "medium", "allowed: fast, slow"), ("level", "4", "allowed: 1, 2, 3"),
    ("limit", "1.5", "allowed: a whole number or none"), ("flag", "maybe", "allowed: true or false"),
    ("pair", "1,2", "which --set cannot write"),
])
def test_a_value_the_type_refuses_names_what_is_allowed(name, text, allowed):
    with pytest.raises(ConfigError, match=allowed):
        parse_value("odd", name, TYPES[name], text)


def test_type_names_for_help():
    assert type_name(TYPES["mode"]) == "one of fast, slow"
    assert type_name(TYPES["limit"]) == "int or none"


def test_apply_settings_leaves_the_models_without_the_field_alone():
    temporal, dbos = get_model("temporal"), get_model("dbos")
    (t, d), applied = apply_settings([temporal, dbos], ["start_to_close_s=2"])
    assert d is dbos and t.config.start_to_close_s == 2.0 and temporal.config.start_to_close_s != 2.0
    assert applied == {"temporal": {"start_to_close_s": 2.0}, "dbos": {}}


def test_an_unresolvable_annotation_is_refused_in_one_line():
    """A config whose annotation names a type imported only for type checkers: the other fields still work."""
    namespace: dict = {}
    exec("from __future__ import annotations\nfrom dataclasses import dataclass\n"
         "@dataclass(frozen=True)\nclass Cfg:\n    a: float = 1.0\n    b: Missing = None\n", namespace)
    types_ = field_types(namespace["Cfg"])
    assert parse_value("m", "a", types_["a"], "2") == 2.0
    with pytest.raises(ConfigError, match="which --set cannot write"):
        parse_value("m", "b", types_["b"], "x")


@pytest.mark.parametrize("name", model_names())
def test_every_bound_names_a_field_and_holds_its_default(name):
    """A model's `BOUNDS` (the one range --set quotes for a field) name real fields and admit their defaults."""
    from dataclasses import fields

    from simlib.models.base import in_bounds

    config = get_model(name).config
    names = {f.name for f in fields(config)}
    for field_name, bound in type(config).BOUNDS.items():
        assert field_name in names, (name, field_name)
        assert in_bounds(getattr(config, field_name), bound), (name, field_name, bound)
        assert bound.split()[0] in (">", ">=", "between"), bound

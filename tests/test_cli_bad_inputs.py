"""The command line's promise, case by case: bad input gets exit 2 and one short line, never a traceback.

Each case is (argv, expected exit status, a fragment of the message). ``{d}`` in an argument is the
folder of the fixture files below (fault schedules and profiles in odd encodings, deep nesting,
huge numbers). Every case runs in-process through `simlib.cli.main` and must finish fast: the
caps refuse the expensive inputs before anything runs. The ``grade`` cases reach the
grader's own option and output-folder checks (a grader problem, refused before any notebook runs).
"""

from __future__ import annotations

import codecs
import json

import pytest

from simlib.cli import main
from simlib.cli.parser import LINE_MAX

BIG = "x" * 5_000_000                      # a 5 MB value must not be echoed whole
LOOP = {"crashes": [{"step": 1, "point": "before-step", "attempt": None}], "restart_delay_s": 0}
GOOD = {"crashes": ["3:after-effect"], "restart_delay_s": 1}

# name -> bytes of a fixture file
FILES = {
    "good.json": json.dumps(GOOD).encode(),
    "utf16.json": json.dumps(GOOD).encode("utf-16"),                # with its byte-order mark
    "utf16be.json": codecs.BOM_UTF16_BE + json.dumps(GOOD).encode("utf-16-be"),
    "bom.json": codecs.BOM_UTF8 + json.dumps(GOOD).encode(),
    "utf16-nobom.json": json.dumps(GOOD).encode("utf-16-le"),
    "latin1.json": '{"crashes": [], "note": "café"}'.encode("latin-1"),
    "bad-utf16.json": codecs.BOM_UTF16_LE + b"{\x00\x00",
    "loop.json": json.dumps(LOOP).encode(),
    "loop5.json": json.dumps(dict(LOOP, restart_delay_s=5)).encode(),
    "deep.json": b"[" * 200_000 + b"]" * 200_000,
    "deep-object.json": b'{"a":' * 200_000 + b"1" + b"}" * 200_000,
    "list.json": b"[1, 2]",
    "empty.json": b"",
    "truncated.json": b'{"crashes": [',
    "nan.json": b'{"restart_delay_s": NaN}',
    "infinity.json": b'{"restart_delay_s": Infinity}',
    "overflow.json": b'{"restart_delay_s": 1e999}',
    "unknown-field.json": b'{"crashs": []}',
    "bad-point.json": b'{"crashes": ["3:sideways"]}',
    "step-range.json": b'{"crashes": [{"step": 99, "point": "before-step"}]}',
    "step-text.json": b'{"crashes": [{"step": "3", "point": "before-step"}]}',
    "step-huge.json": ('{"crashes": [{"step": %s, "point": "before-step"}]}' % ("9" * 400)).encode(),
    "step-4301.json": ('{"crashes": [{"step": %s, "point": "before-step"}]}' % ("9" * 4301)).encode(),
    "attempt0.json": b'{"crashes": [{"step": 1, "point": "before-step", "attempt": 0}]}',
    "crash-extra.json": b'{"crashes": [{"step": 1, "point": "before-step", "when": 3}]}',
    "crash-wf.json": b'{"crashes": [{"step": 1, "point": "before-step", "workflow": "wf-7"}]}',
    "crash-wf-num.json": b'{"crashes": [{"step": 1, "point": "before-step", "workflow": 7}]}',
    "timed-wf.json": b'{"timed": [{"time_s": 10, "workflow": "wf-9"}]}',
    "timed-neg.json": b'{"timed": [{"time_s": -1}]}',
    "outage-comp.json": b'{"outages": [{"start_s": 0, "end_s": 300, "component": "banana"}]}',
    "outage-back.json": b'{"outages": [{"start_s": 300, "end_s": 100}]}',
    "mtbf-tiny.json": b'{"random": {"mtbf_s": 1e-6}}',
    "mtbf-text.json": b'{"random": {"mtbf_s": "often"}}',
    "delay-neg.json": b'{"restart_delay_s": -5}',
    "delay-huge.json": b'{"restart_delay_s": 1e12}',
    "variant.json": b'{"code_change": {"variant": "v9"}}',
    "after-crash.json": b'{"code_change": {"variant": "v2", "after_crash": "x"}}',
    "crashes-obj.json": b'{"crashes": {"step": 1}}',
    "bigval.json": json.dumps({"crashes": [BIG]}).encode(),
    # recommend profiles
    "p-good.json": b'{"language": "python"}',
    "p-rate400.json": ('{"crash_rate_per_hour": %s}' % ("9" * 400)).encode(),
    "p-rate1e9.json": b'{"crash_rate_per_hour": 1e9}',
    "p-rate-neg.json": b'{"crash_rate_per_hour": -1}',
    "p-rate-text.json": b'{"crash_rate_per_hour": "often"}',
    "p-rate-nan.json": b'{"crash_rate_per_hour": NaN}',
    "p-unknown.json": b'{"budget": 3}',
    "p-cobol.json": b'{"language": "cobol"}',
    "p-bigval.json": json.dumps({"language": BIG}).encode(),
}


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-inputs")
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    (folder / "subdir").mkdir()
    (folder / "empty-dir").mkdir()
    (folder / "existing-file").write_text("not a folder")
    (folder / "one-notebook").mkdir()     # grade checks --out and the sandbox once it has found a notebook
    (folder / "one-notebook" / "a.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return folder


RUN = ["run", "--model", "temporal", "--scenario", "five-effects"]
Q1 = ["run", "--model", "none", "--scenario", "q1"]
CMP = ["compare", "--scenario", "five-effects", "--models", "temporal", "dbos"]
SW = ["sweep", "--scenario", "five-effects", "--models", "temporal"]
SH = ["self-heal", "--runs", "2"]
REC = ["recommend", "--no-evidence", "--profile"]

CASES = [
    # ---------------------------------------------------------------- top level
    ([], 2, "a command is needed"),
    (["frobnicate"], 2, "frobnicate"),
    (["--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
    (["models", "extra"], 2, "unknown model 'extra'; allowed: none"),
    (["models", "--verbose=yes"], 2, "ignored explicit argument"),
    (["scenarios", "-x"], 2, "unrecognized arguments: -x"),
    (["--version=2"], 2, "ignored explicit argument"),
    # ---------------------------------------------------------------- run: model, scenario, seed
    (["run", "--model", "tempo", "--scenario", "q1"], 2, "unknown model 'tempo'"),
    (["run", "--model", "none", "--scenario", "q9"], 2, "unknown scenario 'q9'"),
    (["run", "--scenario", "q1"], 2, "--model"),
    (["run", "--model", "none"], 2, "--scenario"),
    (["run", "--model", BIG, "--scenario", "q1"], 2, "unknown model 'xxxx"),
    (["run", "--model", "none", "--scenario", BIG], 2, "allowed: q1"),
    ([*Q1, "--seed", "-4"], 2, "must be a whole number in 0.."),
    ([*Q1, "--seed", "1.5"], 2, "--seed: must be a whole number"),
    ([*Q1, "--seed", "x"], 2, "got 'x'"),
    ([*Q1, "--seed", "9" * 30], 2, "--seed: must be a whole number"),
    ([*Q1, "--seed", "9" * 5000], 2, "--seed: must be a whole number"),
    ([*Q1, "--json=yes"], 2, "ignored explicit argument 'yes'"),
    ([*Q1, "--model"], 2, "expected one argument"),
    # ---------------------------------------------------------------- run: --crash
    ([*Q1, "--crash", "21:after-effect"], 2, "out of range"),
    ([*Q1, "--crash", "3:midway"], 2, "unknown crash point 'midway'"),
    ([*Q1, "--crash", "three"], 2, "malformed crash 'three'"),
    ([*Q1, "--crash", "-1:before-step"], 2, "malformed crash '-1:before-step'"),
    ([*Q1, "--crash=-1:before-step"], 2, "malformed crash '-1:before-step'"),
    ([*Q1, "--crash", "0:before-step"], 2, "crash step must be a whole number >= 1"),
    ([*Q1, "--crash", "1:before-step:0"], 2, "crash attempt must be a whole number >= 1"),
    ([*Q1, "--crash", "1:before-step:x"], 2, "the attempt after the second ':' must be a number"),
    ([*Q1, "--crash", "1:before-step:1:2"], 2, "expected STEP:POINT"),
    ([*Q1, "--crash", ""], 2, "malformed crash ''"),
    ([*Q1, "--crash", "1:"], 2, "unknown crash point ''"),
    ([*Q1, "--crash", "9" * 400 + ":after-effect"], 2, "out of range for scenario 'q1'"),
    ([*Q1, "--crash", BIG], 2, "malformed crash 'xxx"),
    ([*Q1, "--crash"], 2, "expected one argument"),
    # ---------------------------------------------------------------- run: --outage
    ([*Q1, "--outage", "x"], 2, "malformed outage 'x'"),
    ([*Q1, "--outage", "0:300:banana"], 2, "unknown outage component 'banana'; allowed for none: store"),
    (["run", "--model", "temporal", "--scenario", "q1", "--outage", "0:300:db"], 2, "allowed for temporal: store, server"),
    ([*Q1, "--outage", "0:inf"], 2, "finite START and END"),
    ([*Q1, "--outage", "nan:5"], 2, "finite START and END"),
    ([*Q1, "--outage", "300:100"], 2, "must be after start_s"),
    ([*Q1, "--outage", "-5:10"], 2, "outage start_s must be a finite number >= 0"),
    ([*Q1, "--outage", "0:300:"], 2, "outage component must be a component name"),
    ([*Q1, "--outage", "0:300:a:b"], 2, "expected START:END[:COMPONENT]"),
    ([*Q1, "--outage", "1e999:2e999"], 2, "finite START and END"),
    ([*Q1, "--outage", "0:" + "9" * 400], 2, "finite START and END"),
    # ---------------------------------------------------------------- run: --mtbf, --restart-delay
    ([*Q1, "--mtbf", "1e-6"], 2, "allowed: >= 5 s"),
    ([*Q1, "--mtbf", "4.9"], 2, "allowed: >= 5 s"),
    ([*Q1, "--mtbf", "0"], 2, "--mtbf: must be a finite number > 0"),
    ([*Q1, "--mtbf", "-1"], 2, "--mtbf: must be a finite number > 0"),
    ([*Q1, "--mtbf", "nan"], 2, "got 'nan'"),
    ([*Q1, "--mtbf", "inf"], 2, "got 'inf'"),
    ([*Q1, "--mtbf", "-inf"], 2, "got '-inf'"),
    ([*Q1, "--mtbf", "often"], 2, "got 'often'"),
    (["run", "--model", "none", "--scenario", "doc-batch", "--mtbf", "500"], 2, "allowed: >= 1000 s"),
    ([*Q1, "--restart-delay", "-1"], 2, "--restart-delay: must be a finite number in [0, 604800]"),
    ([*Q1, "--restart-delay", "nan"], 2, "got 'nan'"),
    ([*Q1, "--restart-delay", "inf"], 2, "got 'inf'"),
    ([*Q1, "--restart-delay", "1e9"], 2, "got '1e9'"),
    ([*Q1, "--restart-delay", "soon"], 2, "got 'soon'"),
    # ---------------------------------------------------------------- run: --faults files
    ([*RUN, "--faults", "{d}/missing.json"], 2, "file not found"),
    ([*RUN, "--faults", "{d}/subdir"], 2, "cannot read fault schedule"),
    ([*RUN, "--faults", "{d}/truncated.json"], 2, "is not valid JSON"),
    ([*RUN, "--faults", "{d}/empty.json"], 2, "is not valid JSON"),
    ([*RUN, "--faults", "{d}/latin1.json"], 2, "is not UTF-8 text (byte 0xe9"),
    ([*RUN, "--faults", "{d}/utf16-nobom.json"], 2, "UTF-16 without a byte-order mark?"),
    ([*RUN, "--faults", "{d}/bad-utf16.json"], 2, "is not valid UTF-16 text"),
    ([*RUN, "--faults", "{d}/deep.json"], 2, "nests lists or objects too deeply"),
    ([*RUN, "--faults", "{d}/deep-object.json"], 2, "at most 100 levels"),
    ([*RUN, "--faults", "{d}/list.json"], 2, "must be a JSON object, got list"),
    ([*RUN, "--faults", "{d}/nan.json"], 2, "NaN is not a JSON number"),
    ([*RUN, "--faults", "{d}/infinity.json"], 2, "Infinity is not a JSON number"),
    ([*RUN, "--faults", "{d}/overflow.json"], 2, "restart_delay_s must be a finite number"),
    ([*RUN, "--faults", "{d}/unknown-field.json"], 2, "unknown fault schedule field 'crashs'"),
    ([*RUN, "--faults", "{d}/bad-point.json"], 2, "unknown crash point 'sideways'"),
    ([*RUN, "--faults", "{d}/step-range.json"], 2, "crash step 99 is out of range"),
    ([*RUN, "--faults", "{d}/step-text.json"], 2, "crash step must be a whole number"),
    ([*RUN, "--faults", "{d}/step-huge.json"], 2, "is out of range for scenario"),
    ([*RUN, "--faults", "{d}/step-4301.json"], 2, "is not usable JSON"),
    ([*RUN, "--faults", "{d}/attempt0.json"], 2, "crash attempt must be a whole number >= 1 or null"),
    ([*RUN, "--faults", "{d}/crash-extra.json"], 2, "allowed: an object with step, point, attempt, workflow"),
    ([*RUN, "--faults", "{d}/crash-wf.json"], 2, "unknown workflow 'wf-7'"),
    ([*RUN, "--faults", "{d}/crash-wf-num.json"], 2, "a fault's workflow must be a workflow id"),
    ([*RUN, "--faults", "{d}/timed-wf.json"], 2, "unknown workflow 'wf-9' in a crash; scenario 'five-effects' has: wf-1"),
    ([*RUN, "--faults", "{d}/timed-neg.json"], 2, "crash time_s must be a finite number >= 0"),
    ([*RUN, "--faults", "{d}/outage-comp.json"], 2, "unknown outage component 'banana'"),
    ([*RUN, "--faults", "{d}/outage-back.json"], 2, "must be after start_s"),
    ([*RUN, "--faults", "{d}/mtbf-tiny.json"], 2, "mtbf 1e-06 s is too small"),
    ([*RUN, "--faults", "{d}/mtbf-text.json"], 2, "mtbf_s must be a finite number"),
    ([*RUN, "--faults", "{d}/delay-neg.json"], 2, "restart_delay_s must be a finite number >= 0"),
    ([*RUN, "--faults", "{d}/delay-huge.json"], 2, "restart_delay_s 1e+12 is too large"),
    ([*RUN, "--faults", "{d}/variant.json"], 2, "no code variant 'v9'"),
    ([*RUN, "--faults", "{d}/after-crash.json"], 2, "after_crash must be a whole number >= 1"),
    ([*RUN, "--faults", "{d}/crashes-obj.json"], 2, "crashes must be a list"),
    ([*RUN, "--faults", "{d}/bigval.json"], 2, "malformed crash 'xxx"),
    ([*RUN, "--faults", "{d}/good.json", "--mtbf", "1e-6"], 2, "allowed: >= 5 s"),
    ([*RUN, "--faults", "{d}/good.json", "--crash", "9:after-effect"], 2, "crash step 9 is out of range"),
    ([*RUN, "--faults", "{d}/good.json", "--outage", "0:9:banana"], 2, "unknown outage component 'banana'"),
    ([*RUN, "--faults", "{d}/" + "x" * 5000 + ".json"], 2, "cannot read fault schedule"),
    ([*RUN, "--faults"], 2, "expected one argument"),
    # ---------------------------------------------------------------- compare
    (["compare", "--scenario", "nope"], 2, "unknown scenario 'nope'"),
    (["compare", "--scenario", "q1", "--crash", "99:after-effect"], 2, "out of range"),
    (["compare", "--scenario", "q1", "--crash", "3:sideways"], 2, "sideways"),
    (["compare", "--scenario", "q1", "--models", "temporal", "nope"], 2, "unknown model 'nope'"),
    (["compare", "--scenario", "q1", "--models"], 2, "expected at least one argument"),
    ([*CMP, "--outage", "0:300:banana"], 2, "allowed for temporal, dbos: store, server, worker, db, app"),
    ([*CMP, "--mtbf", "1e-6"], 2, "allowed: >= 5 s"),
    ([*CMP, "--seed", "-1"], 2, "--seed: must be a whole number"),
    ([*CMP, "--faults", "{d}/loop.json", "--restart-delay", "-3"], 2, "--restart-delay: must be a finite"),
    (["compare"], 2, "--scenario"),
    # ---------------------------------------------------------------- sweep
    ([*SW, "--runs", "0"], 2, "--runs: must be a whole number in 1..1000000"),
    ([*SW, "--runs", "-5"], 2, "--runs: must be a whole number in 1..1000000"),
    ([*SW, "--runs", "1000000000"], 2, "got '1000000000'"),
    ([*SW, "--runs", "1e8"], 2, "got '1e8'"),
    ([*SW, "--runs", "many"], 2, "got 'many'"),
    ([*SW, "--mtbf-sweep", "1e-6"], 2, "--mtbf-sweep 1e-06 is too small for scenario 'five-effects'; allowed: >= 5 s"),
    ([*SW, "--mtbf-sweep", "0"], 2, "--mtbf-sweep: must be a finite number > 0"),
    ([*SW, "--mtbf-sweep", "-1"], 2, "--mtbf-sweep: must be a finite number > 0"),
    ([*SW, "--mtbf-sweep", "nan"], 2, "got 'nan'"),
    ([*SW, "--mtbf-sweep", "inf"], 2, "got 'inf'"),
    ([*SW, "--mtbf-sweep", "4"], 2, "allowed: >= 5 s"),
    ([*SW, "--runs", "1000", "--mtbf-sweep", "5"], 2, "too much work"),
    ([*SW, "--runs", "1000000", "--mtbf-sweep", "60"], 2, "lower --runs or raise --mtbf-sweep"),
    (["sweep", "--scenario", "doc-batch", "--mtbf-sweep", "500"], 2, "allowed: >= 1000 s"),
    ([*SW, "--workers", "0"], 2, "--workers: must be a whole number in 1..64"),
    ([*SW, "--workers", "-3"], 2, "--workers: must be a whole number in 1..64"),
    ([*SW, "--workers", "1000"], 2, "--workers: must be a whole number in 1..64"),
    ([*SW, "--workers", "two"], 2, "got 'two'"),
    ([*SW, "--seed", "-1"], 2, "--seed: must be a whole number"),
    (["sweep", "--scenario", "q1", "--models", "temporal", "nope"], 2, "unknown model 'nope'"),
    (["sweep", "--scenario", "nope"], 2, "unknown scenario 'nope'"),
    (["sweep"], 2, "--scenario"),
    # ---------------------------------------------------------------- self-heal
    ([*SH, "--max-attempts", "10000"], 2, "--max-attempts: must be a whole number in 1..100"),
    ([*SH, "--max-attempts", "0"], 2, "--max-attempts: must be a whole number in 1..100"),
    ([*SH, "--max-attempts", "-1"], 2, "--max-attempts: must be a whole number"),
    ([*SH, "--max-attempts", "2.5"], 2, "got '2.5'"),
    (["self-heal", "--runs", "1e8"], 2, "--runs: must be a whole number in 1..100000"),
    (["self-heal", "--runs", "100000000"], 2, "--runs: must be a whole number in 1..100000"),
    (["self-heal", "--runs", "0"], 2, "--runs: must be a whole number"),
    ([*SH, "--p-first", "2"], 2, "p_first must be a number in [0, 1]"),
    ([*SH, "--p-first", "nan"], 2, "p_first must be a number in [0, 1]"),
    ([*SH, "--p-first", "-0.1"], 2, "p_first must be a number in [0, 1]"),
    ([*SH, "--reflection-gain", "1.5"], 2, "reflection_gain must be a number in [0, 1]"),
    ([*SH, "--solvable", "most"], 2, "invalid float value: 'most'"),
    ([*SH, "--value-usd", "-1"], 2, "--value-usd: must be a finite number in [0, 1e+06]"),
    ([*SH, "--value-usd", "inf"], 2, "got 'inf'"),
    ([*SH, "--value-usd", "nan"], 2, "got 'nan'"),
    ([*SH, "--policies", "pray"], 2, "unknown self-heal policy 'pray'"),
    ([*SH, "--policies", BIG], 2, "unknown self-heal policy 'xxx"),
    ([*SH, "--seed", "-1"], 2, "--seed: must be a whole number"),
    ([*SH, "--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
    # ---------------------------------------------------------------- recommend
    (["recommend"], 2, "--profile"),
    ([*REC, "{d}/missing.json"], 2, "file not found"),
    ([*REC, "{d}/truncated.json"], 2, "is not valid JSON"),
    ([*REC, "{d}/p-rate400.json"], 2, "invalid value 9999"),
    ([*REC, "{d}/p-rate400.json"], 2, "allowed: a number in 0..20"),
    (["recommend", "--profile", "{d}/p-rate1e9.json"], 2, "invalid value 1000000000.0 for field 'crash_rate_per_hour'"),
    ([*REC, "{d}/p-rate-neg.json"], 2, "crash_rate_per_hour"),
    ([*REC, "{d}/p-rate-text.json"], 2, "crash_rate_per_hour"),
    ([*REC, "{d}/p-rate-nan.json"], 2, "NaN is not a JSON number"),
    ([*REC, "{d}/deep.json"], 2, "nests lists or objects too deeply"),
    ([*REC, "{d}/deep-object.json"], 2, "nests lists or objects too deeply"),
    ([*REC, "{d}/latin1.json"], 2, "is not UTF-8 text"),
    ([*REC, "{d}/utf16-nobom.json"], 2, "UTF-16 without a byte-order mark?"),
    ([*REC, "{d}/p-unknown.json"], 2, "unknown field 'budget'"),
    ([*REC, "{d}/p-cobol.json"], 2, "invalid value 'cobol' for field 'language'"),
    ([*REC, "{d}/list.json"], 2, "JSON object"),
    ([*REC, "{d}/p-bigval.json"], 2, "for field 'language'"),
    (["recommend", "--profile", "{d}/p-good.json", "--samples", "1e8"], 2, "--samples: must be a whole number in 1..5000"),
    (["recommend", "--profile", "{d}/p-good.json", "--samples", "100000000"], 2, "got '100000000'"),
    (["recommend", "--profile", "{d}/p-good.json", "--samples", "0"], 2, "--samples: must be a whole number"),
    # ---------------------------------------------------------------- system, exercises
    (["system", "nowhere"], 2, "unknown system 'nowhere'"),
    (["system", BIG], 2, "unknown system 'xxx"),
    (["system"], 2, "name"),
    (["system", "nested-agent", "--seed", "-1"], 2, "--seed: must be a whole number"),
    (["exercises", "--solutions", "{d}/missing-solutions"], 2, "does not exist"),
    # ---------------------------------------------------------------- conformance (refused before any engine runs)
    (["conformance", "--engines", "temporal,nope"], 2, "unknown engine 'nope'"),
    (["conformance", "--engines", ""], 2, "unknown engine ''"),
    (["conformance", "--json", "--markdown"], 2, "not allowed with"),
    (["conformance", "--fast"], 2, "unrecognized arguments: --fast"),
    # ---------------------------------------------------------------- --set NAME=VALUE (run, compare, sweep)
    ([*RUN, "--set", "start_to_close"], 2, "malformed --set 'start_to_close'; expected NAME=VALUE"),
    ([*RUN, "--set", "=5"], 2, "malformed --set '=5'"),
    ([*RUN, "--set", "-1"], 2, "malformed --set '-1'"),
    ([*RUN, "--set"], 2, "expected one argument"),
    ([*RUN, "--set", "start_to_close=5"], 2, "unknown setting 'start_to_close' for temporal; did you mean"),
    ([*RUN, "--set", "start_to_close=5"], 2, "allowed: workers, start_to_close_s"),
    ([*RUN, "--set", "colour=blue"], 2, "allowed: workers"),
    ([*RUN, "--set", BIG + "=1"], 2, "unknown setting 'xxxx"),
    ([*RUN, "--set", "start_to_close_s=soon"], 2,
     "bad value 'soon' for temporal setting start_to_close_s (float); allowed: a finite number"),
    ([*RUN, "--set", "start_to_close_s=nan"], 2, "allowed: a finite number"),
    ([*RUN, "--set", "start_to_close_s=inf"], 2, "bad value 'inf'"),
    ([*RUN, "--set", "start_to_close_s="], 2, "bad value ''"),
    ([*RUN, "--set", "start_to_close_s=" + BIG], 2, "bad value 'xxx"),
    # one bound per setting, whatever side of it the value falls, in the same words as a type error
    ([*RUN, "--set", "start_to_close_s=-1"], 2,
     "temporal setting start_to_close_s must be > 0 (the SDK requires a timeout), got -1.0"),
    ([*RUN, "--set", "start_to_close_s=-5"], 2, "temporal setting start_to_close_s must be > 0"),
    ([*RUN, "--set", "start_to_close_s=0"], 2, "temporal setting start_to_close_s must be > 0"),
    ([*RUN, "--set", "workers=0"], 2, "temporal setting workers must be >= 1, got 0"),
    ([*RUN, "--set", "workers=-3"], 2, "temporal setting workers must be >= 1, got -3"),
    ([*RUN, "--set", "retry_backoff_coefficient=-1"], 2, "temporal setting retry_backoff_coefficient must be >= 1"),
    (["run", "--model", "restate", "--scenario", "q1", "--set", "jitter_multiplier=-1"], 2,
     "restate setting jitter_multiplier must be between 0 and 1, got -1.0"),
    (["run", "--model", "restate", "--scenario", "q1", "--set", "jitter_multiplier=2"], 2,
     "restate setting jitter_multiplier must be between 0 and 1, got 2.0"),
    (["run", "--model", "langgraph", "--scenario", "q1", "--set", "checkpoint_write_s=1"], 2,
     "langgraph settings: checkpoint write times must satisfy"),
    # a setting given twice with different values: which one was meant is not guessed
    ([*RUN, "--set", "start_to_close_s=5", "--set", "start_to_close_s=60"], 2,
     "setting start_to_close_s given twice (--set start_to_close_s=5 and --set start_to_close_s=60)"),
    ([*RUN, "--set", "workers=1.5"], 2, "bad value '1.5' for temporal setting workers (int); allowed: a whole number"),
    ([*RUN, "--set", "workers=" + "9" * 5000], 2, "allowed: a whole number"),
    (["run", "--model", "dbos", "--scenario", "q1", "--set", "retries_allowed=maybe"], 2,
     "bad value 'maybe' for dbos setting retries_allowed (bool); allowed: true or false"),
    (["run", "--model", "langgraph", "--scenario", "q1", "--set", "supervisor_restart_s=soon"], 2,
     "allowed: a finite number or none"),
    (["run", "--model", "langgraph", "--scenario", "q1", "--set", "durability=fast"], 2,
     "bad value 'fast' for langgraph setting durability; allowed: sync, async, exit"),
    (["run", "--model", "openai-agents", "--scenario", "q1", "--set", "session_store=disk"], 2,
     "bad value 'disk' for openai-agents setting session_store; allowed: memory, sqlite, server"),
    # words where options belong: say which options they look like
    (["run", "q1", "temporal"], 2, "not understood: q1 temporal (did you mean --scenario q1 --model temporal?); "
                                   "the following arguments are required: --model, --scenario"),
    (["run", "--model", "temporal", "q1"], 2, "not understood: q1 (did you mean --scenario q1?)"),
    (["run", "q1", "--model", "temporal", "--seed", "abc"], 2, "(did you mean --scenario q1?); argument --seed"),
    (["compare", "q1", "--models", "temporal"], 2, "did you mean --scenario q1?"),
    (["sweep", "q1"], 2, "did you mean --scenario q1?"),
    (["run", "--scenario", "q1", "tmporal"], 2, "not understood: tmporal (this command takes options only"),
    ([*Q1, "--set", "start_to_close_s=5"], 2, "unknown setting 'start_to_close_s' for none; allowed: workers"),
    ([*CMP, "--set", "nope=1"], 2, "unknown setting 'nope' for temporal, dbos; allowed: workers, start_to_close_s"),
    ([*CMP, "--set", "start_to_close_s=1", "--set", "recovery_polls=1"], 2, "did you mean recovery_poll_s or"),
    ([*CMP, "--set", "start_to_close_s=x"], 2, "bad value 'x' for temporal setting start_to_close_s"),
    (["compare", "--scenario", "q1", "--set", "nope=1"], 2, "for any of the 11 models; allowed: workers"),
    (["compare", "--scenario", "q1", "--set", "nope=1"], 2, "(all: python -m simlib models -v)"),
    ([*SW, "--set", "nope=1"], 2, "unknown setting 'nope' for temporal"),
    ([*SW, "--set", "max_attempts=3"], 2, "unknown setting 'max_attempts' for temporal"),
    ([*SW, "--set", "sticky_timeout_s=-2"], 2, "temporal setting sticky_timeout_s must be >= 0"),
    # ---------------------------------------------------------------- models, sources
    (["models", "nope"], 2, "unknown model 'nope'; allowed: none, app-checkpoint"),
    (["models", "-v", "temporal", BIG], 2, "unknown model 'xxx"),
    (["models", "--json=yes"], 2, "ignored explicit argument 'yes'"),
    (["sources", "--json", "--markdown"], 2, "not allowed with"),
    (["sources", "--check", "{d}/missing.md"], 2, "cannot read '"),
    (["sources", "--update", "{d}/good.json"], 2, "needs one '<!-- BEGIN sources-table ...' line"),
    (["sources", "--check", "{d}/latin1.json"], 2, "cannot read '"),
    (["sources", "extra"], 2, "unrecognized arguments: extra"),
]

GRADE_CASES = [
    (["grade", "{d}/one-notebook", "--out", "{d}/g1", "--timeout", "nan"], 2, "--timeout"),
    (["grade", "{d}/one-notebook", "--out", "{d}/g2", "--timeout", "-1"], 2, "--timeout"),
    (["grade", "{d}/one-notebook", "--out", "{d}/g3", "--cell-timeout", "-5"], 2, "--cell-timeout"),
    (["grade", "{d}/one-notebook", "--out", "{d}/g4", "--memory-mb", "1"], 2, "grader problem"),
    (["grade", "{d}/one-notebook", "--out", "{d}/existing-file"], 2, "is a file; give a folder"),
    (["grade", "{d}/one-notebook", "--out", "/proc/nope"], 2, "'/proc/nope' is not writable"),
]


def _argv(argv, folder):
    return [a.replace("{d}", str(folder)) for a in argv]


def call(argv, capsys):
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as e:   # pragma: no cover - main returns its status; this guards the promise
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def _check(argv, code, fragment, d, capsys):
    status, out, err = call(_argv(argv, d), capsys)
    lines = err.splitlines()
    assert status == code, (status, err[:300])
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].strip(), lines[:3]
    assert fragment in lines[0], lines[0]
    assert len(lines[0]) <= LINE_MAX, len(lines[0])
    assert out == ""


def _id(case):
    return " ".join(a if len(a) < 30 else a[:12] + "..." for a in case[0])[:80] or "(nothing)"


def test_at_least_120_bad_inputs():
    assert len(CASES) + len(GRADE_CASES) >= 120


@pytest.mark.parametrize("argv,code,fragment", CASES, ids=[_id(c) for c in CASES])
def test_bad_input_is_one_line_and_exit_2(argv, code, fragment, d, capsys):
    _check(argv, code, fragment, d, capsys)


@pytest.mark.parametrize("argv,code,fragment", GRADE_CASES, ids=[_id(c) for c in GRADE_CASES])
def test_bad_grade_options_are_refused_before_grading(argv, code, fragment, d, capsys):
    _check(argv, code, fragment, d, capsys)


# ---------------------------------------------------------------- the valid inputs still work
def _strict(text):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_version_and_help(capsys):
    status, out, _ = call(["--version"], capsys)
    assert status == 0 and out.startswith("simlib ") and out.split()[1][0].isdigit()
    status, out, _ = call(["--help"], capsys)
    assert status == 0
    for command in ("models", "scenarios", "run", "compare", "sweep", "recommend", "system", "self-heal", "grade",
                    "exercises", "conformance", "sources", "app"):
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [command])
        assert len(line.split()) > 2, f"{command} has no help line"


@pytest.mark.parametrize("command", ["models", "scenarios", "run", "compare", "sweep", "recommend", "system",
                                     "self-heal", "exercises", "conformance", "sources"])
def test_every_command_has_help(command, capsys):
    status, out, err = call([command, "--help"], capsys)
    assert status == 0 and out.startswith("usage: python -m simlib") and err == ""


@pytest.mark.parametrize("name", ["utf16.json", "utf16be.json", "bom.json", "good.json"])
def test_fault_files_in_utf16_or_with_a_bom_are_read(name, d, capsys):
    status, out, err = call([*RUN, "--faults", str(d / name), "--json"], capsys)
    assert status == 0, err
    assert _strict(out)["effects_per_step"] == [1, 1, 2, 1, 1]


def test_faults_file_and_flags_merge(d, capsys):
    status, out, err = call([*RUN, "--faults", str(d / "good.json"), "--crash", "5:after-effect",
                             "--restart-delay", "2", "--json"], capsys)
    assert status == 0, err
    faults = _strict(out)["replay_token"]["faults"]
    assert [c["step"] for c in faults["crashes"]] == [3, 5] and faults["restart_delay_s"] == 2.0


@pytest.mark.parametrize("name", ["loop.json", "loop5.json"])
def test_a_crash_on_every_attempt_stops_at_once_and_says_why(name, d, capsys):
    status, out, err = call([*RUN, "--faults", str(d / name), "--json"], capsys)
    assert status == 0, err
    result = _strict(out)
    assert not result["completed"]
    assert "step 1 crashes on every attempt" in result["stalled"]
    assert result["stopped_because"] == result["stalled"]
    status, out, _ = call([*RUN, "--faults", str(d / name)], capsys)
    # the table's `stalled` row says why; it is not repeated underneath
    assert [line for line in out.splitlines() if "step 1 crashes on every attempt" in line] == [
        f"stalled                  {result['stalled']}"]
    assert "stopped because:" not in out


def test_a_horizon_stop_names_the_settings_given(capsys):
    status, out, _ = call(["run", "--model", "temporal", "--scenario", "q1", "--set", "start_to_close_s=1e9",
                           "--crash", "2:after-effect"], capsys)
    assert status == 0
    line = next(x for x in out.splitlines() if x.startswith("stopped because:"))
    assert "horizon" in line and "timer or setting that long? given: --set start_to_close_s=1e9" in line


def test_an_outage_past_the_horizon_says_where_the_clock_stopped(capsys):
    status, out, _ = call([*RUN, "--outage", "0:1e7", "--json"], capsys)
    result = _strict(out)
    assert status == 0 and not result["completed"] and result["stalled"] is None
    assert "horizon" in result["stopped_because"]


def test_sweep_prints_strict_json(capsys):
    status, out, err = call([*SW, "--runs", "1", "--json", "--quiet"], capsys)
    assert status == 0, err
    agg = _strict(out)[0]
    assert agg["runs"] == 1 and agg["stderr"]["crashes"] is None    # undefined for one run: null, not NaN


def test_self_heal_prints_strict_json_when_nothing_succeeds(capsys):
    status, out, err = call(["self-heal", "--runs", "2", "--solvable", "0", "--policies", "same-prompt", "--json"],
                            capsys)
    assert status == 0, err
    assert _strict(out)[0]["usd_per_success"] is None


def test_compare_and_models_list_outage_components(capsys):
    status, out, _ = call(["models", "-v"], capsys)
    assert status == 0 and "outage components: store, server, worker" in out
    status, out, err = call([*CMP, "--outage", "0:30:db", "--quiet"], capsys)
    assert status == 0, err
    assert out.splitlines()[0].startswith("model")


def test_recommend_still_works_with_evidence(d, capsys):
    status, out, err = call(["recommend", "--profile", str(d / "p-good.json"), "--samples", "5", "--json"], capsys)
    assert status == 0, err
    assert _strict(out)["ranking"]

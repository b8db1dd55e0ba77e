"""Part B grades the design, not one lucky run: a bank of learners' designs, each with its expected score.

The mistaken designs are the ones a class really writes (see `tests/partb_designs.py`); each
must lose exactly the invariants it breaks, on the practice seed and on a batch seed, and the
correct designs, in several styles, must score full marks.
"""

import gc
import re
import json
import sys
from pathlib import Path

import pytest

from simlib.grading import check_workflow, replay
from simlib.grading.campaign import campaign_cases, draw_orders, grade_workflow
from simlib.grading.invariants import INVARIANTS
from simlib.grading.returns import ORDERS, RETURN_WINDOW_DAYS, local_factory

sys.path.insert(0, str(Path(__file__).parent))
from partb_designs import CORRECT, GATE, MISTAKES, PRELUDE  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ALL = {i for i, _, _ in INVARIANTS}
SEEDS = (1, 6441)


def workflow_of(source: str):
    ns = {"__name__": "__main__"}
    exec(PRELUDE + source, ns)
    return ns["returns_workflow"]


def expected(failing: set) -> tuple[set, float]:
    if GATE in failing:
        return ALL, 0.0
    return failing, float(len(ALL) - len(failing))


def test_the_bank_is_big_enough():
    assert len(MISTAKES) >= 26 and len(CORRECT) >= 3


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_mistaken_design_loses_exactly_what_it_breaks(name):
    source, failing, _why = MISTAKES[name]
    want, score = expected(failing)
    for seed in SEEDS:
        report = check_workflow(workflow_of(source), seed=seed)
        assert {f.question for f in report.failing()} == want, (seed, report.text())
        assert report.score == score


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_a_correct_design_scores_full_marks(name):
    for seed in SEEDS:
        report = check_workflow(workflow_of(CORRECT[name][0]), seed=seed)
        assert report.passed and report.score == len(ALL), report.text()


def test_any_exception_type_costs_what_a_runtime_error_costs():
    texts = {}
    for name in ("raises-keyboard-interrupt-after-void", "raises-runtime-error-after-void",
                 "raises-system-exit-after-void"):
        report = check_workflow(workflow_of(MISTAKES[name][0]))
        texts[name] = report.score
    assert len(set(texts.values())) == 1, texts


def test_module_memory_does_not_survive_a_crash():
    source = '''
starts = []

def returns_workflow(ctx, order):
    starts.append(1)
    yield ctx.tool("validate")
    yield ctx.tool("check_inventory")
    yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"),
                   payload={"starts": len(starts)})
    return "refunded"
'''
    from simlib import CrashAt, FaultSchedule
    from simlib.grading import try_returns

    wf = workflow_of(source)
    run = try_returns(wf, "valid", FaultSchedule(crashes=(CrashAt(3, "before-step"),)))
    assert run.summary.crashes == 1
    assert [e.payload["starts"] for e in run.ledger.effects] == [1]   # the restarted worker saw a fresh list
    assert wf.__globals__["starts"] == []                             # and the notebook's own list is untouched


def test_the_wrong_keyword_gets_a_hint_naming_the_right_one():
    report = check_workflow(workflow_of(MISTAKES["wrong-keyword-key"][0]))
    gate = report.items[0]
    assert "unexpected keyword argument 'key'" in gate.message and "idempotency_key=" in gate.message


def test_the_step_time_limit_cannot_be_swallowed():
    source = '''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
'''
    import time

    factory = local_factory(workflow_of(source), step_limit_s=0.3)
    t = time.monotonic()
    items = grade_workflow(factory, campaign_cases(1, 0), broken=lambda: factory.broken)
    assert time.monotonic() - t < 5
    assert all(f.status == "error" and "between two steps" in f.message for f in items)


def test_a_swallowed_timeout_then_a_step_is_still_a_timeout():
    source = '''
def returns_workflow(ctx, order):
    try:
        while True:
            pass
    except BaseException:
        pass
    yield ctx.tool("validate")
    return "rejected"
'''
    from simlib.grading.workflow_api import Session

    reply = Session(workflow_of(source), "wf-1", dict(ORDERS["valid"]), step_limit_s=0.2).start()
    assert reply["op"] == "raise" and reply["type"] == "StepTimeout"


# ---------------------------------------------------------------- the campaign's orders and tokens
def test_orders_come_from_the_seed_and_cover_the_window_edge():
    a, b = draw_orders(1), draw_orders(6441)
    ids = lambda d: {o["order_id"] for kind in d for o in d[kind]}  # noqa: E731
    assert ids(a).isdisjoint(ids(b)) and ids(a).isdisjoint({o["order_id"] for o in ORDERS.values()})
    for d in (a, b):
        assert RETURN_WINDOW_DAYS in [o["days_since_delivery"] for o in d["valid"]]
        assert RETURN_WINDOW_DAYS + 1 in [o["days_since_delivery"] for o in d["invalid"]]
        assert all(o["days_since_delivery"] <= RETURN_WINDOW_DAYS for o in d["valid"] + d["declined"])
    assert draw_orders(1) == a


def test_the_replay_token_holds_the_failing_case_not_the_seed():
    wf = workflow_of(MISTAKES["void-without-key"][0])
    report = check_workflow(wf, seed=6441)
    fb = next(f for f in report.items if f.question == "b_compensation_keyed")
    token = fb.detail.split("replay token: ")[1].strip()
    data = json.loads(token)
    assert set(data) == {"scenario", "model", "seed", "faults", "order"}
    assert "6441" not in token and data["seed"] not in (1, 6441)
    assert data["order"] in draw_orders(6441)["declined"]
    again = replay(token, wf)
    assert any(e.kind == "void_label" and e.key is None for e in again.ledger.effects)


# ---------------------------------------------------------------- determinism
def test_grading_is_deterministic_byte_for_byte():
    names = ["declined-run-never-ends", "retries-declined-refund-catching-base-exception", "module-memory-"
             "instead-of-keys", "second-void", "clock-dependent-branch"]
    first = {n: check_workflow(workflow_of(MISTAKES[n][0]), seed=6441).text() for n in names}
    gc.collect()
    second = {}
    for n in reversed(names):
        second[n] = check_workflow(workflow_of(MISTAKES[n][0]), seed=6441).text()
        gc.collect()
    assert first == second


def test_a_collected_suspended_workflow_sends_nothing():
    """A run that never ends leaves the learner's generator suspended: closing it later is silent."""
    calls = []

    class Recording:
        def __init__(self, factory):
            self.factory = factory

        def new_incarnation(self):
            self.factory.new_incarnation()

        def __call__(self, wid, order):
            session = self.factory(wid, order)
            real = session.abandon

            def abandon():
                calls.append("abandon")
                real()
            session.abandon = abandon
            return session

    from simlib.grading.campaign import Case, run_case

    factory = Recording(local_factory(workflow_of(MISTAKES["declined-run-never-ends"][0])))
    outcome = run_case(Case("declined", 3), factory)
    assert not outcome.ended and calls == ["abandon"]
    del outcome
    gc.collect()
    assert calls == ["abandon"]


# ---------------------------------------------------------------- the notebooks
def _cell(path: Path, cell_id: str) -> str:
    nb = json.loads(path.read_text())
    return next("".join(c["source"]) for c in nb["cells"] if c.get("id") == cell_id)


def test_the_reference_solution_scores_full_marks_and_the_blank_exercise_zero():
    for folder, want in (("solutions", len(ALL)), ("exercises", 0)):
        path = ROOT / folder / "exercise-64.4.1-returns-agent.ipynb"
        ns = {}
        exec(_cell(path, "setup"), ns)
        exec(_cell(path, "workflow"), ns)
        assert check_workflow(ns["returns_workflow"], seed=6441).score == want


def test_grading_through_the_sandbox_is_deterministic_and_matches_the_notebook():
    """The batch path (a child process at the end of a pipe) gives the same verdicts, run after run."""
    from simlib.grading.runner import Limits, Sandbox

    setup = _cell(ROOT / "solutions" / "exercise-64.4.1-returns-agent.ipynb", "setup")
    texts = []
    for name in ("declined-run-never-ends", "second-void"):
        cells = [{"index": 0, "id": "setup", "source": setup},
                 {"index": 1, "id": "workflow", "source": MISTAKES[name][0]}]
        for _ in range(2):
            with Sandbox(cells, Limits(wall_s=120)) as box:
                assert box.start() == []
                items = grade_workflow(box.factory("returns_workflow"), campaign_cases(6441, 2),
                                       broken=lambda: box.broken)
            texts.append((name, "\n".join(f.text() for f in items)))
            gc.collect()
        local = check_workflow(workflow_of(MISTAKES[name][0]), seed=6441)
        assert {f.question for f in local.failing()} == expected(MISTAKES[name][1])[0]
    assert texts[0] == texts[1] and texts[2] == texts[3]
    assert "label was voided more than once" in texts[2][1]


def test_a_dead_invocation_never_runs_its_handlers_not_even_at_exit(tmp_path):
    """A handler that swallows GeneratorExit in a loop would hang the process if the dead generator were
    ever closed; the grader keeps dead invocations suspended for good, so the process exits at once."""
    import subprocess

    script = tmp_path / "grade.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from partb_designs import PRELUDE, MISTAKES\n"
        "from simlib.grading import check_workflow\n"
        "ns = {}\n"
        "exec(PRELUDE + MISTAKES['retries-declined-refund-catching-base-exception'][0], ns)\n"
        "print(check_workflow(ns['returns_workflow']).score)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "10.0", done.stderr[-2000:]


def test_module_memory_is_lost_in_the_sandbox_too():
    """The batch path starts a fresh learner incarnation per worker start (``factory.new_incarnation()``)."""
    from simlib.grading.runner import Limits, Sandbox

    setup = _cell(ROOT / "solutions" / "exercise-64.4.1-returns-agent.ipynb", "setup")
    name = "module-memory-instead-of-keys"
    cells = [{"index": 0, "id": "setup", "source": setup},
             {"index": 1, "id": "workflow", "source": MISTAKES[name][0]}]
    with Sandbox(cells, Limits(wall_s=120)) as box:
        assert box.start() == []
        factory = box.factory("returns_workflow")
        if not hasattr(factory, "new_incarnation"):
            pytest.skip("the sandbox's factory has no new_incarnation() yet (see LocalFactory's docstring)")
        items = grade_workflow(factory, campaign_cases(6441, 2), broken=lambda: box.broken)
    assert {f.question for f in items if not f.passed} == expected(MISTAKES[name][1])[0]


def test_an_exception_with_a_hostile_message_costs_the_same():
    source = '''
class Declined(Exception):
    def __str__(self):
        while True:
            pass

class Loud(Exception):
    def __str__(self):
        raise KeyboardInterrupt

def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    raise (Declined if order["days_since_delivery"] % 2 else Loud)()
'''
    from simlib.grading.workflow_api import Session

    for days in (1, 2):
        order = dict(ORDERS["valid"], days_since_delivery=days)
        session = Session(workflow_of(source), "wf-1", order, step_limit_s=2.0)
        assert session.start()["op"] == "command"
        out = session.send(None)
        assert out["op"] == "raise" and out["error"].endswith("<the message could not be shown>"), out


def test_wrong_keywords_name_the_right_ones():
    from simlib.grading.workflow_api import WorkflowAPI

    api = WorkflowAPI("wf-1")
    for call, words in ((lambda: api.tool("refund", effect="refund_card", idem_key="k"), "idempotency_key="),
                        (lambda: api.tool("refund", efect="refund_card"), "Did you mean effect=?"),
                        (lambda: api.llm("pick", promt="?"), "Did you mean prompt=?"),
                        (lambda: api.sleep("wait", secs=3), "Did you mean seconds=?"),
                        (lambda: api.sleep("wait"), "needs seconds=")):
        with pytest.raises(TypeError, match=re.escape(words)):
            call()

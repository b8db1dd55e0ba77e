"""The sandbox that runs a submission: IPython cells in order, errors recorded, isolation and limits in place.

These run through the real bubblewrap sandbox; without ``bwrap`` they are skipped.
"""

import io
from pathlib import Path

import pytest

from simlib.grading import isolate
from simlib.grading.runner import Limits, Sandbox, SandboxError
from simlib.grading.sandbox import CappedWriter

needs_bwrap = pytest.mark.skipif(isolate.bwrap_path() is None,
                                 reason="bubblewrap (bwrap) is not installed: apt-get install -y bubblewrap")


def test_capped_writer_keeps_the_start_and_drops_the_rest():
    buf = io.StringIO()
    w = CappedWriter(buf, 10)
    for _ in range(1000):
        assert w.write("0123456789") == 10
    assert buf.getvalue().startswith("0123456789\n[output truncated")
    assert len(buf.getvalue()) < 60


def cells(*sources):
    return [{"index": i, "id": f"c{i}", "source": s} for i, s in enumerate(sources)]


@needs_bwrap
def test_cells_run_as_in_jupyter_and_errors_do_not_stop_the_rest():
    """Magics, ``!`` lines and a ``%%time`` answer cell work; a failing cell costs only itself."""
    with Sandbox(cells("x = 1", "raise ValueError('boom')", "%%time\ny = x + 1", "import sys; sys.exit(2)",
                       "listing = !ls /\nlisting = list(listing)\nz = {3, 1}",
                       "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n"
                       "display(3)\n%timeit -n1 -r1 sum(range(10))\nplotted = 1",
                       "class Weird:\n    pass\nweird = Weird()\nfn = lambda: 1"),
                 Limits(wall_s=30, cell_s=5)) as box:
        errors = box.start()
        values = box.answers(["x", "y", "z", "weird", "fn", "nope", "listing", "plotted"])
    assert [(e["index"], e["error"].split(":")[0]) for e in errors] == [
        (1, "ValueError"), (3, "the cell called sys.exit()")]
    assert values["x"] == {"value": 1} and values["y"] == {"value": 2} and values["z"] == {"value": [1, 3]}
    assert "Weird" in values["weird"]["invalid"] and values["fn"] == {"callable": True}
    assert values["nope"] == {"missing": True} and values["plotted"] == {"value": 1}
    assert "grader" in values["listing"]["value"] and "solutions" not in values["listing"]["value"]


@needs_bwrap
def test_the_sandbox_sees_no_network_no_key_no_repository_and_is_not_root():
    probe = """
import os, socket
facts = {"uid": os.getuid()}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    facts["net"] = "connected"
except OSError as e:
    facts["net"] = type(e).__name__
facts["key"] = open("/grader/lib/simlib/grading/key.py").read()
facts["root"] = sorted(os.listdir("/"))
facts["env"] = sorted(os.environ)
facts["ppid"] = os.getppid()
facts["repo"] = [os.path.exists(p) for p in REPO_PATHS]
try:
    open("/grader/lib/simlib/grading/key.py", "w")
    facts["write"] = "written"
except OSError as e:
    facts["write"] = type(e).__name__
"""
    repo = Path(__file__).resolve().parents[1]
    paths = [str(repo / "solutions"), str(repo / "simlib" / "grading" / "key.py"), str(repo / ".git"), str(repo / "README.md")]  # the venv may sit inside the repo: its folder may show, empty
    with Sandbox(cells(f"REPO_PATHS = {paths!r}", probe), Limits(wall_s=30, cell_s=5)) as box:
        assert box.start() == []
        facts = box.answers(["facts"])["facts"]["value"]
    assert facts["uid"] != 0 and facts["net"] != "connected" and facts["write"] != "written"
    assert "digest" not in facts["key"] and "KEY: dict = {}" in facts["key"]
    assert facts["repo"] == [False, False, False, False]
    assert facts["ppid"] == 1 and "SIMLIB_GRADING_SANDBOX" in facts["env"]
    assert not any(k.startswith(("PYTEST", "JPY_", "VIRTUAL_ENV")) for k in facts["env"])


@needs_bwrap
def test_the_wall_clock_limit_ends_a_submission_that_hides_its_loop():
    src = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
    with Sandbox(cells(src), Limits(wall_s=3, cell_s=1)) as box:
        with pytest.raises(SandboxError, match="wall-clock limit"):
            box.start()
        assert box.broken


@needs_bwrap
def test_a_crash_wipes_the_workflows_memory():
    """Each worker incarnation is a fresh copy of the notebook's process: module state does not survive."""
    src = ("seen = []\n"
           "def wf(ctx, order):\n"
           "    seen.append(order)\n"
           "    yield ctx.tool('validate')\n"
           "    return len(seen)")
    with Sandbox(cells(src), Limits(wall_s=30, cell_s=5)) as box:
        box.start()
        factory = box.factory("wf")
        first = factory("wf-1", {"n": 1})
        assert first.start(0.0, 0)["op"] == "command"
        assert first.send(None, 1.0, 1) == {"op": "return", "value": 1}
        crashed = factory("wf-1", {"n": 1})
        assert crashed.start(1.0, 1)["op"] == "command"
        crashed.abandon()                            # a simulated crash, while the invocation was suspended
        after = factory("wf-1", {"n": 1})            # the restart: the appended order is gone
        after.start(3.0, 1)
        assert after.send(None, 4.0, 1) == {"op": "return", "value": 1}
        assert crashed.send(None, 5.0, 1)["type"] == "SandboxError"     # the dead invocation stays dead
        assert box.incarnations == 3


@needs_bwrap
def test_neither_the_seed_nor_the_key_goes_into_the_sandbox(monkeypatch):
    """The job and every request carry the learner's cells and plain step data only."""
    from simlib.grading import runner
    from simlib.grading.key import KEY
    from simlib.grading.submission import grade_submission

    seed = 987_654_321
    sent = []
    real_file, real_request = runner.isolate.data_file, runner._Channel.request

    def data_file(text):
        sent.append(text)
        return real_file(text)

    def request(self, msg, timeout, fds=()):
        sent.append(repr(msg))
        return real_request(self, msg, timeout, fds)

    monkeypatch.setattr(runner.isolate, "data_file", data_file)
    monkeypatch.setattr(runner._Channel, "request", request)
    solution = Path(__file__).resolve().parents[1] / "solutions" / "exercise-64.4.1-returns-agent.ipynb"
    r = grade_submission(solution, Limits(wall_s=60, cell_s=10, step_s=2), seed=seed, random_runs=1)
    assert r.score == r.max_score
    text = "\n".join(sent)
    digests = [v for entry in KEY.values() for v in _strings(entry) if len(v) == 64]
    assert any("wf.start" in s for s in sent) and digests
    assert str(seed) not in text and not any(d in text for d in digests)


def _strings(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


@needs_bwrap
def test_abandoning_a_session_sends_nothing_and_replies_never_get_out_of_step(monkeypatch):
    """A suspended learner generator closed by the garbage collector must not talk on the socket.

    ``abandon`` only marks its incarnation dead; a request made while another is waiting
    (a finalizer firing mid-request) is refused as a grader error instead of reading
    someone else's reply.
    """
    from simlib.grading import runner

    src = "def wf(ctx, order):\n    yield ctx.tool('validate')\n    yield ctx.tool('inventory')\n    return 'ok'"
    with Sandbox(cells(src), Limits(wall_s=30, cell_s=5)) as box:
        box.start()
        factory = box.factory("wf")
        first = factory("wf-1", {})
        assert first.start(0.0, 0)["name"] == "validate"
        sent = []
        real = runner._Channel.request
        monkeypatch.setattr(runner._Channel, "request",
                            lambda self, msg, timeout, fds=(): sent.append(msg) or real(self, msg, timeout, fds))
        first.abandon()
        assert sent == []
        second = factory("wf-1", {})
        assert second.start(1.0, 1)["name"] == "validate"
        chan = second.chan
        chan.busy = True                     # as if a finalizer ran while a request was waiting
        with pytest.raises(SandboxError, match="internal grader error"):
            chan.request({"op": "wf.send", "sid": second.sid}, timeout=2)
        assert box.broken

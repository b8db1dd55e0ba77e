"""The sandbox that runs a submission: cells in order, errors recorded, limits and guards in place."""

import io

import pytest

from simlib.grading.runner import Limits, Sandbox, SandboxError
from simlib.grading.sandbox import CappedWriter, strip_magics


def test_magics_and_shell_escapes_are_dropped():
    assert strip_magics("%matplotlib inline\nx = 1\n!pip install foo") == \
        "pass  # %matplotlib inline\nx = 1\npass  # !pip install foo"
    assert strip_magics("%%time\nx = 1") == ""


def test_capped_writer_keeps_the_start_and_drops_the_rest():
    buf = io.StringIO()
    w = CappedWriter(buf, 10)
    for _ in range(1000):
        assert w.write("0123456789") == 10
    assert buf.getvalue().startswith("0123456789\n[output truncated")
    assert len(buf.getvalue()) < 60


def cells(*sources):
    return [{"index": i, "id": f"c{i}", "source": s} for i, s in enumerate(sources)]


def test_cells_run_in_order_and_errors_do_not_stop_the_rest():
    with Sandbox(cells("x = 1", "raise ValueError('boom')", "%time y = x + 1\ny = x + 1", "import sys; sys.exit(2)",
                       "import subprocess\nsubprocess.run(['true'])", "import socket\nsocket.socket()",
                       "class Weird:\n    pass\nweird = Weird()\nfn = lambda: 1\nz = {3, 1}"),
                 Limits(wall_s=30, cell_s=5)) as box:
        errors = box.start()
        values = box.answers(["x", "y", "z", "weird", "fn", "nope"])
    assert [(e["index"], e["error"].split(":")[0]) for e in errors] == [
        (1, "ValueError"), (3, "the cell called sys.exit()"), (4, "PermissionError"), (5, "PermissionError")]
    assert values["x"] == {"value": 1} and values["y"] == {"value": 2} and values["z"] == {"value": [1, 3]}
    assert "Weird" in values["weird"]["invalid"] and values["fn"] == {"callable": True}
    assert values["nope"] == {"missing": True}


def test_the_wall_clock_limit_ends_a_submission_that_hides_its_loop():
    src = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
    with Sandbox(cells(src), Limits(wall_s=3, cell_s=1)) as box:
        with pytest.raises(SandboxError, match="wall-clock limit"):
            box.start()
        assert box.broken

"""Build the hostile bank: notebooks and file-system traps a curious class could hand in.

Every entry is built from the reference solution or the blank exercise of Exercise 64.4.1
(with `nbformat`), plus one thing that attacks the grader or runs away, and comes with
what the grader must make of it (`Expect`). Scores are stated relative to the reference
solution or the blank exercise graded in the same run, so the bank keeps its meaning when
the questions' points change.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
EX = "exercise-64.4.1-returns-agent"
SOLUTION = ROOT / "solutions" / f"{EX}.ipynb"
BLANK = ROOT / "exercises" / f"{EX}.ipynb"


@dataclass(frozen=True)
class Expect:
    """What the grader must make of one entry.

    Attributes:
        base: "solution" or "blank": the control it is compared with; None when it cannot be graded.
        lost: questions that must score below the control (every other question scores as the control).
        lost_part_b: every Part B check scores below the control too.
        lost_all: every question scores 0 (the sandbox died or was stopped).
        reason: text the one-line reason must contain ("" : there must be no reason).
        cell_error: text one of the cell errors must contain.
        ungradable: the entry is not run at all; its rows must give this reason.
        failing_mentions: some failing message or detail mentions this.
        may_lose: questions that may score below the control (they read a lost answer).
        may_lose_part_b: any Part B check may score below the control.
    """

    base: str | None = "solution"
    lost: frozenset = frozenset()
    lost_part_b: bool = False
    lost_all: bool = False
    reason: str = ""
    cell_error: str = ""
    ungradable: str = ""
    failing_mentions: str = ""
    may_lose: frozenset = frozenset()
    may_lose_part_b: bool = False


@dataclass
class BankContext:
    """Facts about the test run that hostile notebooks try to exploit."""

    src: Path
    out: Path
    port: int
    entries: dict = field(default_factory=dict)     # relative path -> Expect


def _load(path: Path):
    return nbformat.read(str(path), as_version=4)


def _with_cell(base: Path, source: str, before: str = "grade", replace: str | None = None, prefix: str = ""):
    nb = _load(base)
    cells = nb.cells
    if replace is not None:
        for c in cells:
            if c.get("id") == replace:
                c.source = source
        return nb
    if prefix:
        for c in cells:
            if c.get("id") == before:
                c.source = prefix + c.source
        return nb
    at = next(i for i, c in enumerate(cells) if c.get("id") == before)
    cell = nbformat.v4.new_code_cell(source)
    cell.id = "hostile"
    cells.insert(at, cell)
    return nb


def _write(ctx: BankContext, rel: str, nb, expect: Expect) -> None:
    path = ctx.src / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    ctx.entries[rel] = expect


def _raw(ctx: BankContext, rel, data: bytes, expect: Expect) -> None:
    path = ctx.src / rel if isinstance(rel, str) else Path(os.fsdecode(os.fsencode(str(ctx.src)) + b"/" + rel))
    path.write_bytes(data)
    ctx.entries[rel if isinstance(rel, str) else os.fsdecode(rel)] = expect


def _searcher(out: Path) -> str:
    """Code that looks for the grader's output folder everywhere a submission could think of."""
    return f'''
import os
places = {{{str(out)!r}, "/tmp", "/grader", os.getcwd()}}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            argv = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        for i, a in enumerate(argv):
            if a == b"--out" and i + 1 < len(argv):
                places.add(argv[i + 1].decode(errors="replace"))
found = []
for place in sorted(places):
    for root, dirs, files in os.walk(place):
        found += [os.path.join(root, f) for f in files if f.endswith((".csv", ".json"))]
'''


# ---------------------------------------------------------------------- the bank
def build(ctx: BankContext) -> dict:
    """Write every entry under ``ctx.src``; returns ``{relative path: Expect}``."""
    ctx.src.mkdir(parents=True, exist_ok=True)
    sol, blank = SOLUTION, BLANK
    w = lambda rel, nb, exp: _write(ctx, rel, nb, exp)

    # Controls.
    w(f"control-solution/{EX}.ipynb", _load(sol), Expect())
    w(f"control-blank/{EX}.ipynb", _load(blank), Expect(base="blank"))

    # ------------------------------------------------ reaching the grader's files
    w(f"forge-grades-csv/{EX}.ipynb", _with_cell(sol, _searcher(ctx.out) + '''
for f in found:
    if f.endswith("grades.csv"):
        open(f, "a").write("fake-learner,exercise-64.4.1-returns-agent,a_engine,16,16,correct,yes,FORGED\\n")
assert not [f for f in found if f.endswith("grades.csv")]
'''), Expect())
    w(f"rewrite-other-results/{EX}.ipynb", _with_cell(sol, _searcher(ctx.out) + '''
for f in found:
    if f.endswith(".json"):
        open(f, "w").write('{"score": 0, "max_score": 16, "tests": [], "output": "FORGED"}')
os.listdir(%r)
''' % str(ctx.out / "results")), Expect(cell_error="Read-only file system"))   # it found only the sandbox's job
    # The folder is made, but in the sandbox's own private /tmp: the grader's never sees it.
    w(f"plant-results/{EX}.ipynb", _with_cell(sol, '''
import json, os
os.makedirs(%r, exist_ok=True)
open(%r, "w").write(json.dumps({"score": 16, "max_score": 16, "output": "PLANTED", "tests": []}))
''' % (str(ctx.out / "results"), str(ctx.out / "results" / "zz-later-learner.json"))), Expect())
    w(f"rewrite-key/{EX}.ipynb", _with_cell(sol, '''
import simlib.grading.key as key
errors = []
for path in (key.__file__, %r):
    try:
        open(path, "w").write("KEY = {'FORGED': 1}")
    except OSError as e:
        errors.append(e)
raise errors[0]
''' % str(ROOT / "simlib" / "grading" / "key.py")), Expect(cell_error="Read-only file system"))
    w(f"read-solutions/{EX}.ipynb", _with_cell(blank, '''
import json
nb = json.load(open(%r))
for c in nb["cells"]:
    if c["cell_type"] == "code" and "BEGIN SOLUTION" in "".join(c["source"]):
        exec("".join(c["source"]))
''' % str(SOLUTION)), Expect(base="blank", cell_error="No such file"))
    w(f"read-repo-by-walking/{EX}.ipynb", _with_cell(blank, '''
import os
seen = [root for top in ("/", "/work", "/grader", "/tmp") for root, dirs, files in os.walk(top)
        if "solutions" in dirs or ".git" in dirs]
assert not seen, seen
a_engine = "Temporal" if seen else None
'''), Expect(base="blank"))

    # ------------------------------------------------ signals, processes, escapes
    w(f"kill-ppid/{EX}.ipynb", _with_cell(sol, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
      Expect(cell_error="Operation not permitted"))
    w(f"stop-ppid/{EX}.ipynb", _with_cell(sol, "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)"),
      Expect(cell_error="Operation not permitted"))
    w(f"kill-every-process/{EX}.ipynb", _with_cell(sol, "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\n"
                                                                  "except OSError:\n    pass\n"
                                                                  "os.kill(os.getpid(), signal.SIGKILL)"),
      Expect(lost_all=True, reason="killed"))
    w(f"stop-every-process/{EX}.ipynb", _with_cell(sol, "import os, signal\ntry:\n    os.kill(-1, signal.SIGSTOP)\n"
                                                                  "except OSError:\n    pass\n"
                                                                  "os.kill(os.getpid(), signal.SIGSTOP)"),
      Expect(lost_all=True, reason="wall-clock limit"))
    w(f"posix-fork-execv/{EX}.ipynb", _with_cell(sol, '''
import os, posix
pid = posix.fork()
if pid == 0:
    os.execv("/bin/sh", ["sh", "-c", "echo escaped > /tmp/escaped; ls / > /dev/null"])
os.waitpid(pid, 0)
'''), Expect())
    w(f"ctypes-system/{EX}.ipynb", _with_cell(sol, '''
import ctypes
status = ctypes.CDLL(None).system(b"cat /proc/1/cmdline > /tmp/init; id > /tmp/id")
'''), Expect())
    w(f"setsid-grandchild/{EX}.ipynb", _with_cell(sol, f'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(4)
        for path in ({str(ctx.out / "grades.csv")!r}, "/tmp/grades.csv"):
            try:
                open(path, "a").write("ghost-learner,x,x,1,1,correct,yes,GHOST\\n")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
'''), Expect())
    w(f"tcp-to-localhost/{EX}.ipynb", _with_cell(sol, f'''
import socket
socket.create_connection(("127.0.0.1", {ctx.port}), timeout=3)
'''), Expect(cell_error="Connection refused"))
    # Each process stays under the per-process limit; together they hold more than the sandbox may.
    w(f"memory-spread-over-processes/{EX}.ipynb", _with_cell(sol, '''
import os, time
for i in range(4):
    if os.fork() == 0:
        block = b"\\x01" * (450 * 1024 * 1024)
        time.sleep(30)
        os._exit(0)
time.sleep(7)
'''), Expect(lost_all=True, reason="memory"))
    w(f"env-and-paths/{EX}.ipynb", _with_cell(sol, '''
import json, os, sys
argv = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            argv.append(open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"))
        except OSError:
            pass
a_engine = json.dumps({"env": dict(os.environ), "argv": argv, "sys": sys.argv, "cwd": os.getcwd()})
'''), Expect(lost=frozenset({"a_engine"}), may_lose=frozenset({"a_why"})))
    w(f"forge-protocol/{EX}.ipynb", _with_cell(sol, '''
import os, socket
for fd in range(3, 64):
    try:
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    if s.family == socket.AF_UNIX:
        s.sendall(b'{"rid": 0, "op": "ready", "pid": 2, "errors": []}\\n'
                  b'{"rid": 1, "op": "answers", "values": {}}\\n')
'''), Expect(lost_all=True))          # it told the grader it had no answers
    w(f"close-grader-channel/{EX}.ipynb", _with_cell(sol, '''
import os
os.closerange(3, 256)
'''), Expect(lost_all=True, reason="ended the grading process"))
    w(f"shadow-simlib/{EX}.ipynb", _with_cell(sol, '''
import os, sys
os.makedirs("/tmp/fake/simlib/grading", exist_ok=True)
open("/tmp/fake/simlib/__init__.py", "w").write("")
open("/tmp/fake/simlib/grading/__init__.py", "w").write("")
open("/tmp/fake/simlib/grading/normalize.py", "w").write("def to_plain(v):\\n    return 'Temporal'\\n")
sys.path.insert(0, "/tmp/fake")
for name in [m for m in sys.modules if m.startswith("simlib")]:
    del sys.modules[name]
import simlib.grading.normalize
'''), Expect())
    w(f"fork-falls-through/{EX}.ipynb", _with_cell(sol, "import os\nforked = os.fork()"), Expect())
    w(f"fork-bomb/{EX}.ipynb", _with_cell(sol, '''
import os, time
for i in range(1000):
    if os.fork() == 0:
        time.sleep(6)
        os._exit(0)
'''), Expect(cell_error="Resource temporarily unavailable"))
    w(f"thread-bomb/{EX}.ipynb", _with_cell(sol, '''
import threading, time
for i in range(1000):
    threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
'''), Expect(cell_error="can't start new thread"))
    w(f"big-tmp-file/{EX}.ipynb", _with_cell(sol, 'open("/tmp/big", "wb").write(b"x" * (100 * 1024 * 1024))'),
      Expect(cell_error="File too large"))
    w(f"sparse-tmp-file/{EX}.ipynb", _with_cell(sol, 'open("/tmp/sparse", "wb").truncate(1 << 30)'),
      Expect(cell_error="File too large"))
    w(f"execv-replaces-the-notebook/{EX}.ipynb", _with_cell(sol, 'import os\nos.execv("/bin/true", ["true"])'),
      Expect(lost_all=True, reason="ended the grading process"))

    # ------------------------------------------------ ordinary runaways
    w(f"infinite-loop-cell/{EX}.ipynb", _with_cell(sol, "", before="a-comp", prefix="while True:\n    pass\n"),
      Expect(lost=frozenset({"a_compensation_steps"}), cell_error="ran for more than"))
    w(f"loop-that-ignores-the-timer/{EX}.ipynb", _with_cell(sol, '''
import signal
signal.signal(signal.SIGALRM, signal.SIG_IGN)
while True:
    pass
'''), Expect(lost_all=True, reason="wall-clock limit"))
    nb = _load(sol)
    for c in nb.cells:
        if c.get("id") == "workflow":
            c.source = c.source.replace('    yield ctx.tool("validate"', '    while True:\n        pass\n'
                                                                       '    yield ctx.tool("validate"')
    w(f"infinite-loop-workflow/{EX}.ipynb", nb, Expect(lost_part_b=True, reason="endless loop"))
    w(f"output-flood/{EX}.ipynb", _with_cell(sol, 'while True:\n    print("x" * 1000)'),
      Expect(cell_error="ran for more than"))
    w(f"sys-exit/{EX}.ipynb", _with_cell(sol, "import sys\nsys.exit(3)"), Expect(cell_error="sys.exit"))
    w(f"os-exit/{EX}.ipynb", _with_cell(sol, "import os\nos._exit(3)"),
      Expect(lost_all=True, reason="ended the grading process"))
    w(f"memory-hog/{EX}.ipynb", _with_cell(sol, "hog = bytearray(64 * 1024 ** 3)"), Expect(cell_error="MemoryError"))
    w(f"recursion/{EX}.ipynb", _with_cell(sol, "def f(n):\n    return f(n + 1)\nf(0)"),
      Expect(cell_error="RecursionError"))
    w(f"segfault/{EX}.ipynb", _with_cell(sol, "import ctypes\nctypes.string_at(0)"),
      Expect(lost_all=True, reason="died"))
    nb = _load(sol)
    nb.cells = [c for c in nb.cells if c.get("id") not in ("try", "replay")]   # never ran it in the notebook
    for c in nb.cells:
        if c.get("id") == "workflow":
            # Remembers in module memory what it already did instead of using idempotency keys.
            c.source = ("_done = set()\n\n" + re.sub(r",\s*idempotency_key=ctx\.key\(\"refund\"\)", "", c.source)
                        .replace('        refund = yield ctx.tool("issue_refund"',
                                 '        if order["order_id"] in _done:\n            refund = "done before"\n'
                                 '        else:\n            _done.add(order["order_id"])\n'
                                 '            refund = yield ctx.tool("issue_refund"'))
    w(f"memory-instead-of-keys/{EX}.ipynb", nb, Expect(lost=frozenset({"b_one_refund"}), may_lose_part_b=True))
    w(f"time-magic-on-an-answer/{EX}.ipynb", _with_cell(sol, "", before="a-comp", prefix="%%time\n"), Expect())
    w(f"shell-escapes/{EX}.ipynb", _with_cell(sol, "!curl -sS -m 3 http://example.com || echo no network\n"
                                                   "!ls / /work /grader\nlisting = !ls /"), Expect())
    nb = _load(blank)
    nb.metadata["simlib"] = {"assignment": EX, "score": 16, "max_score": 16, "graded": True}
    w(f"metadata-claims-full-marks/{EX}.ipynb", nb, Expect(base="blank"))

    # ------------------------------------------------ the file system itself
    _files(ctx)
    return ctx.entries


def _files(ctx: BankContext) -> None:
    src = ctx.src
    sol = SOLUTION.read_bytes()
    bad = lambda why: Expect(base=None, ungradable=why)
    os.mkfifo(src / f"fifo-{EX}.ipynb")
    ctx.entries[f"fifo-{EX}.ipynb"] = bad("FIFO")
    os.symlink("/dev/zero", src / f"devzero-{EX}.ipynb")
    ctx.entries[f"devzero-{EX}.ipynb"] = bad("symbolic link")
    with open(src / f"sparse-{EX}.ipynb", "wb") as fh:
        fh.truncate(1 << 30)
    ctx.entries[f"sparse-{EX}.ipynb"] = bad("larger than 50 MB")
    (src / f"folder-{EX}.ipynb").mkdir()
    (src / f"folder-{EX}.ipynb" / "inside.ipynb").write_bytes(sol)
    ctx.entries[f"folder-{EX}.ipynb"] = bad("folder named like a notebook")
    os.symlink(SOLUTION, src / f"symlink-to-solution-{EX}.ipynb")
    ctx.entries[f"symlink-to-solution-{EX}.ipynb"] = bad("symbolic link")
    os.symlink(SOLUTION.parent, src / "symlinked-folder")     # never entered: no entry at all
    _raw(ctx, b"caf\xe9-" + EX.encode() + b".ipynb", sol, Expect())
    deep = src / ("d" * 200) / ("e" * 200) / ("f" * 200)
    deep.mkdir(parents=True)
    (deep / f"{EX}-{'g' * 150}.ipynb").write_bytes(sol)
    ctx.entries[str((deep / f"{EX}-{'g' * 150}.ipynb").relative_to(src))] = Expect()
    (src / "coll").mkdir()
    (src / "coll" / f"x-{EX}.ipynb").write_bytes(sol)
    ctx.entries[f"coll/x-{EX}.ipynb"] = Expect()
    (src / f"coll__x-{EX}.ipynb").write_bytes(BLANK.read_bytes())
    ctx.entries[f"coll__x-{EX}.ipynb"] = Expect(base="blank")
    _raw(ctx, f"empty-{EX}.ipynb", b"", bad("not a valid notebook"))
    _raw(ctx, f"binary-{EX}.ipynb", bytes(range(256)) * 64, bad("not a valid notebook"))
    _raw(ctx, f"deep-json-{EX}.ipynb", b"[" * 200_000 + b"]" * 200_000, bad("not a valid notebook"))
    _raw(ctx, f"cells-not-a-list-{EX}.ipynb", json.dumps({"cells": {"a": 1}}).encode(), bad("no list of cells"))

"""Finding submissions: nothing is followed or opened that is not a regular notebook file.

These need no sandbox: they check the walk, the names and the bounded read on their own.
"""

import os

from simlib.grading.collect import find_entries, results_name
from simlib.grading.manifest import Manifest, write_atomic
from simlib.grading.submission import read_bounded, read_notebook


def test_traps_are_reported_not_opened(tmp_path):
    (tmp_path / "ok.ipynb").write_text('{"cells": []}')
    os.mkfifo(tmp_path / "fifo.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    (tmp_path / "folder.ipynb").mkdir()
    (tmp_path / "folder.ipynb" / "inner.ipynb").write_text("{}")
    os.symlink(tmp_path, tmp_path / "loop")                       # a link to a folder is never entered
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "ok-checkpoint.ipynb").write_text("{}")
    entries, warnings = find_entries(str(tmp_path))
    got = {e.rel: e.problem for e in entries}
    assert got == {"ok.ipynb": "", "fifo.ipynb": "it is a FIFO, not a notebook file",
                   "zero.ipynb": "it is a symbolic link, not a file (links are not followed)",
                   "folder.ipynb": "it is a folder named like a notebook"}
    assert warnings == []


def test_names_are_unique_short_and_printable(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.ipynb").write_text("{}")
    (tmp_path / "a__b.ipynb").write_text("{}")
    deep = tmp_path / ("d" * 200) / ("e" * 200)
    deep.mkdir(parents=True)
    (deep / ("f" * 240 + ".ipynb")).write_text("{}")
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.ipynb"
    with open(raw, "w") as fh:
        fh.write("{}")
    entries, _ = find_entries(str(tmp_path))
    names = [results_name(e) for e in entries]
    assert len(set(names)) == len(entries) == 4
    assert all(len(n.encode()) <= 90 and "/" not in n for n in names)
    assert {e.sid for e in entries} >= {"a/b", "a__b", "caf\\xe9"}


def test_reads_are_bounded_and_refuse_special_files(tmp_path):
    big = tmp_path / "big.ipynb"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)                                         # sparse: nothing is read
    assert read_bounded(big)[1] == "the file is larger than 50 MB"
    os.mkfifo(tmp_path / "fifo.ipynb")
    assert "not a regular file" in read_bounded(tmp_path / "fifo.ipynb")[1]
    os.symlink(big, tmp_path / "link.ipynb")
    assert "symbolic link" in read_bounded(tmp_path / "link.ipynb")[1]
    deep = tmp_path / "deep.ipynb"
    deep.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert read_notebook(deep)[1] == "not a valid notebook: its JSON is nested too deeply"


def test_resume_keeps_only_entries_whose_files_still_match(tmp_path):
    (tmp_path / "results").mkdir()
    m = Manifest(tmp_path, {"sha256": "s"})
    for name in ("one", "two"):
        data = f'{{"score": 1, "name": "{name}"}}'.encode()
        write_atomic(tmp_path / "results" / f"{name}.json", data)
        m.record(f"{name}.json", name, [[name, "a", "q", "1", "1", "correct", "yes", ""]], f"{name}.json", data,
                 "nb-digest", {})
    m.save()
    (tmp_path / "results" / "two.json").write_text('{"score": 99}')     # edited after grading
    again = Manifest(tmp_path, {"sha256": "s"})
    warnings = again.load_trusted()
    assert set(again.entries) == {"one.json"} and any("two" in w for w in warnings)
    assert again.done("one.json", "nb-digest") and not again.done("one.json", "other")
    other = Manifest(tmp_path, {"sha256": "different settings"})
    assert other.load_trusted() and other.entries == {}

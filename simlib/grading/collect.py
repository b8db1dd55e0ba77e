"""Find the submissions in a folder without ever trusting a name or a file type.

The folder is walked with `os.scandir` and nothing is followed: a symbolic
link, a FIFO, a device or a folder that is merely named like a notebook is
reported as an ungradable entry (with its reason), never opened. Every name is
kept as the file system gave it (``str`` with undecodable bytes held as
surrogates), shown escaped (`display_id`), and mapped to a results file name
that is short, safe and unique (`results_name`: a readable slug plus a hash of
the full id).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

__all__ = ["MAX_DEPTH", "Entry", "display_id", "find_entries", "results_name"]

MAX_DEPTH = 32
SUFFIX = ".ipynb"
_SLUG_CHARS = 60


@dataclass(frozen=True)
class Entry:
    """One submission found in the folder.

    Attributes:
        rel: path relative to the folder, ``/``-separated, as the file system names it.
        path: the full path to open.
        problem: why it cannot be graded ("" for a regular notebook file).
    """

    rel: str
    path: str
    problem: str = ""

    @property
    def sid(self) -> str:
        """The submission id: the relative path without ``.ipynb``, shown escaped."""
        return display_id(self.rel.removesuffix(SUFFIX))

    @property
    def raw(self) -> bytes:
        """The exact bytes of the relative path (hashed for the results name)."""
        return os.fsencode(self.rel)


def display_id(name: str) -> str:
    """A name made printable: bytes that are not UTF-8 appear as ``\\xNN``, control characters escaped."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def results_name(entry: Entry) -> str:
    """The results file name of an entry: ``<slug>-<12 hex of sha256>.json`` (at most ~80 bytes)."""
    slug = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in entry.sid.replace("/", "__"))
    slug = slug.strip(".")[:_SLUG_CHARS] or "submission"
    return f"{slug}-{hashlib.sha256(entry.raw).hexdigest()[:12]}.json"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def find_entries(root: str, skip: tuple[str, ...] = ()) -> tuple[list[Entry], list[str]]:
    """Every ``*.ipynb`` entry under ``root``, in a stable order, and warnings about the walk itself.

    Args:
        root: the submissions folder.
        skip: absolute real paths of folders not to enter (the output folder).
    """
    entries: list[Entry] = []
    warnings: list[str] = []

    def walk(folder: str, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            warnings.append(f"{display_id(prefix)}: nested more than {MAX_DEPTH} folders deep; not searched")
            return
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as e:
            warnings.append(f"{display_id(prefix) or '.'}: cannot list the folder ({e.strerror})")
            return
        for ent in items:
            rel = f"{prefix}{ent.name}"
            try:
                st = ent.stat(follow_symlinks=False)
            except OSError as err:
                if ent.name.endswith(SUFFIX):
                    entries.append(Entry(rel, ent.path, f"cannot read the file: {err.strerror}"))
                continue
            notebook = ent.name.endswith(SUFFIX)
            if stat.S_ISLNK(st.st_mode):
                if notebook:
                    entries.append(Entry(rel, ent.path, "it is a symbolic link, not a file (links are not followed)"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if notebook:
                    entries.append(Entry(rel, ent.path, "it is a folder named like a notebook"))
                elif ent.name != ".ipynb_checkpoints" and os.path.realpath(ent.path) not in skip:
                    walk(ent.path, rel + "/", depth + 1)
                continue
            if not notebook:
                continue
            if not stat.S_ISREG(st.st_mode):
                entries.append(Entry(rel, ent.path, f"it is {_kind(st.st_mode)}, not a notebook file"))
            else:
                entries.append(Entry(rel, ent.path))

    walk(os.fspath(root), "", 0)
    return entries, warnings

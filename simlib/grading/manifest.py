"""What the grader itself recorded in the output folder, so that ``--resume`` trusts nothing else.

The manifest (``manifest.json``) lists, per graded submission, its rows, the
name and SHA-256 of the results file the grader wrote, the SHA-256 of the
notebook it graded, and the grading settings. ``--resume`` keeps an entry only
when all of these still match: a results file the grader did not write, one
that was changed, a notebook that changed since, or other settings mean the
submission is graded again. ``grades.csv`` is always rewritten from the
manifest, so it holds exactly one set of rows per submission.

Every file goes to disk atomically (a temporary file in the same folder, then
`os.replace`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

__all__ = ["MANIFEST_NAME", "VERSION", "Manifest", "sha256", "write_atomic"]

MANIFEST_NAME = "manifest.json"
VERSION = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)            # mkstemp makes it private; results are meant to be shared
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class Manifest:
    """The grader's own record of an output folder.

    Args:
        out: the output folder.
        settings: the grading settings (seed, limits ...); entries made with others are not trusted.
    """

    def __init__(self, out: Path, settings: dict):
        self.out = Path(out)
        self.settings = settings
        self.entries: dict[str, dict] = {}

    @property
    def path(self) -> Path:
        return self.out / MANIFEST_NAME

    def load_trusted(self) -> list[str]:
        """Keep the entries that still match their files; returns warnings about the rest."""
        warnings: list[str] = []
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return warnings
        except (OSError, ValueError):
            return ["the manifest could not be read: everything is graded again"]
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("entries"), dict):
            return ["the manifest is not one this grader wrote: everything is graded again"]
        if data.get("settings") != self.settings:
            return ["the grading settings changed since the last run: everything is graded again"]
        for key, e in data["entries"].items():
            if self._still_valid(e):
                self.entries[key] = e
            else:
                warnings.append(f"{e.get('submission', key) if isinstance(e, dict) else key}: its recorded "
                                f"results no longer match: graded again")
        return warnings

    def _still_valid(self, e) -> bool:
        if not isinstance(e, dict) or not isinstance(e.get("rows"), list):
            return False
        name = e.get("results_file")
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            return False
        try:
            data = (self.out / "results" / name).read_bytes()
        except OSError:
            return False
        return sha256(data) == e.get("results_sha256")

    def done(self, key: str, notebook_sha256: str) -> bool:
        """True when ``key`` was graded from exactly these notebook bytes."""
        e = self.entries.get(key)
        return e is not None and e.get("notebook_sha256") == notebook_sha256

    def record(self, key: str, submission: str, rows: list[list], results_file: str, results: bytes,
               notebook_sha256: str, summary: dict) -> None:
        self.entries[key] = {"submission": submission, "rows": rows, "results_file": results_file,
                             "results_sha256": sha256(results), "notebook_sha256": notebook_sha256,
                             "summary": summary}

    def save(self) -> None:
        data = {"version": VERSION, "settings": self.settings,
                "entries": {k: self.entries[k] for k in sorted(self.entries)}}
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode())

    def rows(self) -> list[list]:
        """Every recorded row, ordered by submission then question (deterministic)."""
        out = []
        for key in sorted(self.entries, key=lambda k: (self.entries[k]["submission"], k)):
            out.extend(self.entries[key]["rows"])
        return out

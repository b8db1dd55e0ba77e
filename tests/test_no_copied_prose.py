"""Everything in the course is written in our own words: no run of 12 words taken from the section.

The section's text sits outside the repository (``../shared/seed/``, next to the
checkout or a folder above it); a learner's copy does not have it, and there the test is skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_NAME = Path("shared", "seed", "section-64.4-framework-selection.txt")
# ../shared next to the checkout (a git worktree one level deeper looks one level further up)
SEED_TEXT = next((p / _NAME for p in ROOT.parents if (p / _NAME).exists()), ROOT.parent / _NAME)
RUN = 12  # consecutive words that count as a copied sentence

pytestmark = pytest.mark.skipif(not SEED_TEXT.exists(), reason="the section's text is not next to this checkout")


def words(text: str) -> list[str]:
    """Lower-case words, punctuation and markup dropped (so formatting cannot hide a copy)."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("’", "'"))


def shingles(ws: list[str]) -> set[tuple[str, ...]]:
    return {tuple(ws[i:i + RUN]) for i in range(len(ws) - RUN + 1)}


def course_texts(folders=("notebooks", "exercises", "solutions"), readmes=True) -> dict[str, str]:
    """Every notebook's cell sources in ``folders``, and the two READMEs."""
    out = {}
    for folder in folders:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for i, cell in enumerate(cells):
                out[f"{folder}/{path.name} cell {i}"] = "".join(cell["source"])
    for readme in ("README.md", "grading/README.md") if readmes else ():
        if (ROOT / readme).exists():
            out[readme] = (ROOT / readme).read_text(encoding="utf-8")
    return out


def copied_runs(text: str, seed: set[tuple[str, ...]]) -> list[str]:
    ws = words(text)
    return [" ".join(ws[i:i + RUN]) for i in range(len(ws) - RUN + 1) if tuple(ws[i:i + RUN]) in seed]


def test_the_detector_finds_a_copy_and_ignores_a_paraphrase():
    seed = shingles(words(SEED_TEXT.read_text(encoding="utf-8")))
    copied = "The right workflow engine is the one your on-call engineer can debug at 3 a.m. without paging."
    assert copied_runs(copied, seed)
    assert not copied_runs("Pick the engine that a tired engineer can debug in the middle of the night.", seed)


def _copied(texts: dict[str, str]) -> dict[str, str]:
    seed = shingles(words(SEED_TEXT.read_text(encoding="utf-8")))
    return {where: runs[0] for where, text in texts.items() if (runs := copied_runs(text, seed))}


def test_no_notebook_or_readme_repeats_twelve_words_of_the_section():
    found = _copied(course_texts(folders=("notebooks",)))
    assert not found, "copied from the section (rewrite in your own words):\n" + "\n".join(
        f"  {where}: '{run} ...'" for where, run in found.items())


def test_no_exercise_or_solution_repeats_twelve_words_of_the_section():
    found = _copied(course_texts(folders=("exercises", "solutions"), readmes=False))
    assert not found, "copied from the section (rewrite in your own words):\n" + "\n".join(
        f"  {where}: '{run} ...'" for where, run in found.items())

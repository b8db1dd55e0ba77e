"""What a learner opens: predictions before their answers, figures stored small, readable outputs, links that work.

These tests read the stored notebooks (no kernel); nbval re-runs them separately.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simlib.grading.quizzes import QUIZZES

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_BYTES = 1_000_000
MAX_LINE = 120
CALLOUT = "> **Where the section simplifies:**"
FIGURE_CALL = r"\bviz\.(state_map|timeline|plot_\w+|draw_\w+)\(|draw_tree\("


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def ids(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_prediction_comes_before_its_reveal_and_nothing_in_between_shows_an_answer(path):
    cs = cells(path)
    predictions = [i for i, c in enumerate(cs) if "prediction" in tags(c)]
    assert predictions, "a notebook needs at least one prediction"
    for i, c in enumerate(cs):
        if c["cell_type"] == "markdown" and "**Predict:**" in source(c):
            assert "prediction" in tags(c), f"cell {i} asks for a prediction but is not tagged 'prediction'"
    for p in predictions:
        following = [j for j in range(p + 1, len(cs)) if {"prediction", "reveal"} & set(tags(cs[j]))]
        assert following and "reveal" in tags(cs[following[0]]), f"prediction in cell {p} has no reveal after it"
        for j in range(p + 1, following[0]):
            assert not cs[j].get("outputs"), f"cell {j} shows output between prediction {p} and its reveal"
    for i, c in enumerate(cs):
        if "reveal" in tags(c):
            assert any(p < i for p in predictions), f"reveal in cell {i} comes before any prediction"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_reveals_are_folded_in_what_the_learner_opens(path):
    for i, c in enumerate(cells(path)):
        if "reveal" in tags(c):
            assert c["cell_type"] == "code", f"cell {i}: only code cells can reveal"
            meta = c["metadata"]
            assert meta.get("jupyter", {}).get("outputs_hidden") is True and meta.get("collapsed") is True, (
                f"cell {i}: a reveal's output must be stored hidden (jupyter.outputs_hidden, collapsed)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_stored_outputs_are_small_and_readable(path):
    assert path.stat().st_size < MAX_BYTES
    for i, c in enumerate(cells(path)):
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"cell {i} stored an error"
            texts = [out.get("text", "")] + [out.get("data", {}).get("text/plain", "")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                for line in text.splitlines():
                    assert len(line) <= MAX_LINE, f"cell {i}: output line of {len(line)} characters: {line[:60]}..."
            for kind, data in out.get("data", {}).items():
                if kind.startswith("image/"):
                    assert kind in ("image/png", "image/svg+xml")
                    assert len("".join(data)) < 150_000, f"cell {i}: a stored figure over 150 kB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_figure_is_stored(path):
    for i, c in enumerate(cells(path)):
        src = source(c)
        draws = c["cell_type"] == "code" and re.search(FIGURE_CALL, src)
        if draws:
            kinds = {k for out in c.get("outputs", []) for k in out.get("data", {})}
            assert kinds & {"image/png", "image/svg+xml"}, f"cell {i} draws a figure but stores none"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_ends_with_three_to_five_checked_questions(path):
    number = path.name.split("-")[0]
    quiz = next(a for a in QUIZZES if a.id == f"quiz-{number}")
    asked = re.findall(r'check\("(n\w+)"', "".join(source(c) for c in cells(path)))
    assert sorted(asked) == sorted(q.id for q in quiz.questions)
    assert 3 <= len(asked) <= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_section_departures_use_one_callout_with_a_source(path):
    for i, c in enumerate(cells(path)):
        src = source(c)
        if "Where the section simplifies" in src:
            block = src[src.index(CALLOUT):] if CALLOUT in src else ""
            assert block, f"cell {i}: the callout must start with '{CALLOUT}'"
            assert "> *Source:*" in block, f"cell {i}: the callout needs a '> *Source:*' line"


def test_relative_links_resolve():
    texts = {p: "".join(source(c) for c in cells(p)) for p in NOTEBOOKS}
    texts[ROOT / "README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    for path, text in texts.items():
        for target in re.findall(r"\]\(((?:\.\./|notebooks/|exercises/)?[\w./-]+\.ipynb)\)", text):
            assert (path.parent / target).resolve().exists(), f"{path.name} links to missing {target}"


def test_the_map_lists_every_notebook_once():
    start = "".join(source(c) for c in cells(ROOT / "notebooks" / "00-start-here.ipynb"))
    for path in NOTEBOOKS:
        assert start.count(f"]({path.name})") >= 1, f"00's map does not link {path.name}"

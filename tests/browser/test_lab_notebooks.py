"""Every course notebook, Run All in JupyterLab at 1280x800 with the file browser open, as a learner sees it.

Fails on an unexpected error or stderr output, "Error displaying widget", a raw widget repr, a broken
image, a browser console error, or a figure, table or widget wider than the notebook column.
Expected errors are the exercises' stubs and cells tagged ``raises-exception``.
"""

from __future__ import annotations

import nbformat
import pytest

from . import harness, pages

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted(p.relative_to(harness.REPO).as_posix()
                   for d in ("notebooks", "exercises") for p in (harness.REPO / d).glob("*.ipynb"))


def expected_errors(path) -> set[int]:
    """Indexes of the cells whose error is part of the lesson.

    Those are cells tagged ``raises-exception``, an exercise's stubs (``raise NotImplementedError``)
    and its ``grade`` cell, which fails until every answer is right.
    """
    nb = nbformat.read(path, as_version=4)
    return {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (
        "raises-exception" in c.metadata.get("tags", []) or "raise NotImplementedError" in c.source
        or (path.parent.name == "exercises" and "grade" in c.metadata.get("tags", [])))}


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_run_all_in_lab(lab, lab_page, rel, widest_log):
    page = lab_page
    pages.open_notebook(page, lab.url(rel))
    assert page.locator("#filebrowser").is_visible(), "the file browser should be open, as on a learner's screen"
    pages.run_all(page)
    pages.wait_done(page)
    cells = pages.scan_cells(page)
    nb = nbformat.read(harness.REPO / rel, as_version=4)
    assert len(cells) == len(nb.cells)
    unrun = [c["index"] for c in cells if c["prompt"] in ("[ ]:", "") and nb.cells[c["index"]].cell_type == "code"]
    problems = pages.output_problems(cells, expected_errors(harness.REPO / rel))
    problems += [f"cell {i} never ran (Run All stopped early)" for i in unrun]
    problems += [f"broken image {src}" for src in pages.broken_images(page)]
    problems += pages.overflows(cells)
    problems += page.errors
    widest_log[rel] = pages.widest(cells)
    assert not problems, f"{rel}:\n" + "\n".join(problems)

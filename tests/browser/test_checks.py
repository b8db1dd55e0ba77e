"""The checks themselves: they catch the faults they are for, and a reopened widget cell explains itself.

A notebook with a deliberately wide figure, a raw widget repr, a broken image and an error must fail
every corresponding check; otherwise a green browser suite would mean nothing.
"""

from __future__ import annotations

import nbformat
import pytest

from simlib.widgets.base import _NOTE_HTML, REOPEN_NOTE

from . import pages
from .test_lab_widgets import KERNEL

pytestmark = pytest.mark.browser

FAULTS = [
    ("from IPython.display import SVG, HTML, display\n"
     "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1500\" height=\"60\">"
     "<rect width=\"1500\" height=\"60\" fill=\"#0072B2\"/></svg>'))"),
    "print('VBox(children=(IntSlider(value=3),))')",
    "display(HTML('<img src=\"files/no-such-picture.png\">'))",
    "1 / 0",
]


def test_the_checks_catch_each_fault(lab, lab_page, course):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_code_cell(src) for src in FAULTS]
    nbformat.write(nb, course / "faults.ipynb")
    page = lab_page
    pages.open_notebook(page, lab.url("faults.ipynb"))
    pages.run_all(page)
    pages.wait_done(page)
    cells = pages.scan_cells(page)
    wide = pages.overflows(cells)
    assert wide and wide[0].startswith("cell 0:"), f"the 1500 px figure was not caught: {wide}"
    found = pages.output_problems(cells, expected_errors=set())
    assert any(p.startswith("cell 1: raw widget repr") for p in found), found
    assert any(p.startswith("cell 3: unexpected error output") and "ZeroDivisionError" in p for p in found), found
    assert any("no-such-picture" in src for src in pages.broken_images(page))
    assert any("404" in e or "Failed to load" in e for e in page.errors), page.errors
    assert pages.output_problems(cells, expected_errors={3}) == [p for p in found if not p.startswith("cell 3")]


def test_a_reopened_widget_cell_says_how_to_bring_it_back(lab, lab_page, course):
    # What a saved notebook holds after a panel ran: the note, then a view of a model that is gone.
    view = {"application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                          "model_id": "0" * 32},
            "text/plain": f"CrashLab panel: {REOPEN_NOTE}"}
    cell = nbformat.v4.new_code_cell("from simlib.widgets import CrashLab\nCrashLab()", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": _NOTE_HTML, "text/plain": REOPEN_NOTE}),
                    nbformat.v4.new_output("display_data", data=view)]
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL}, cells=[cell])
    nbformat.write(nb, course / "reopened.ipynb")
    page = lab_page
    pages.open_notebook(page, lab.url("reopened.ipynb"))
    note = page.locator(".simlib-reopen-note")
    note.wait_for(state="visible", timeout=30_000)
    assert REOPEN_NOTE in note.inner_text()
    page.wait_for_timeout(1500)   # the widget manager gives up on the missing model
    shown = page.locator(pages.ACTIVE_CELLS).first.inner_text()
    assert "Error displaying widget" not in shown, shown

"""The checks themselves: they catch the faults they are for, and a reopened widget cell explains itself.

A notebook with a deliberately wide figure, a raw widget repr, a broken image and an error must fail
every corresponding check; otherwise a green browser suite would mean nothing.
"""

from __future__ import annotations

import nbformat
import pytest

from simlib.widgets.base import REOPEN_NOTE

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


def _saved_outputs(panel) -> list:
    """The outputs a saved notebook holds after ``panel`` ran: its note, then a view of its model."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown: list = []
    orig = shell.display_pub.publish
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)
    try:
        panel._ipython_display_()
    finally:
        shell.display_pub.publish = orig
    view = dict(shown[1])
    # a model id no kernel knows: the reopened notebook's widget state is gone
    view["application/vnd.jupyter.widget-view+json"] = {"version_major": 2, "version_minor": 0, "model_id": "0" * 32}
    return [nbformat.v4.new_output("display_data", data=shown[0]), nbformat.v4.new_output("display_data", data=view)]


def test_a_reopened_widget_cell_says_how_to_bring_it_back(lab, lab_page, course):
    """One line, once: neither Lab's error nor the widget's text fallback repeats the note."""
    from simlib.widgets import CrashLab

    cell = nbformat.v4.new_code_cell("from simlib.widgets import CrashLab\nCrashLab()", execution_count=1)
    cell.outputs = _saved_outputs(CrashLab(models=("temporal",)))
    assert cell.outputs[0]["data"]["text/plain"] == REOPEN_NOTE
    assert REOPEN_NOTE not in cell.outputs[1]["data"].get("text/plain", "")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL}, cells=[cell])
    nbformat.write(nb, course / "reopened.ipynb")
    page = lab_page
    pages.open_notebook(page, lab.url("reopened.ipynb"))
    note = page.locator(".simlib-reopen-note")
    note.wait_for(state="visible", timeout=30_000)
    assert REOPEN_NOTE in note.inner_text()
    page.wait_for_timeout(1500)   # the widget manager gives up on the missing model
    shown = page.locator(pages.ACTIVE_CELLS).first.locator(".jp-OutputArea").inner_text()
    assert "Error displaying widget" not in shown, shown
    assert shown.count("run this cell to bring it back") == 1, shown
    assert [line for line in shown.splitlines() if line.strip()] == [REOPEN_NOTE], shown

"""Every widget kind, driven in JupyterLab: each control changed as a learner would, each redraw checked.

For every control the twin panel in this process (see `widget_driver`) picks a new value that changes
the figure; after the same change in the browser, the browser's figure must be byte for byte the
twin's, so it both changed and shows the control's final value.
"""

from __future__ import annotations

import time
import warnings

import nbformat
import pytest

from simlib import widgets as simlib_widgets

from . import pages, widget_driver

pytestmark = pytest.mark.browser

PANELS = {
    "crash lab": "CrashLab()",
    "state explorer": "StateExplorer()",
    "recommender": "Recommender()",
    "sweep": "SweepControl(runs=20, crash_rates='0, 4', run=True)",
}
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_panels_notebook(path, panels: dict) -> None:
    """A notebook with one panel per cell, after one import cell."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    nb.cells = [nbformat.v4.new_code_cell("from simlib.widgets import CrashLab, StateExplorer, Recommender, "
                                          "SweepControl")]
    nb.cells += [nbformat.v4.new_code_cell(expr) for expr in panels.values()]
    nbformat.write(nb, path)


def browser_figure(root) -> tuple:
    """The ``src`` of every figure the panel shows in the browser, in order."""
    return tuple(root.locator("img.simlib-figure").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))"))


def expected_src(panel) -> tuple:
    """The ``src`` of every figure the twin panel shows, in order."""
    out = []
    for o in panel.out.outputs:
        html = o["data"].get("text/html", "")
        if "simlib-figure" in html:
            start = html.index('src="') + 5
            out.append(html[start:html.index('"', start)])
    return tuple(out)


def wait_for(fn, timeout_s: float = 30.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def panels_page(lab, browser, course):
    write_panels_notebook(course / "widget-kinds.ipynb", PANELS)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(f"console {m.type}: {m.text[:300]}") if m.type == "error" else None)
    pages.open_notebook(page, lab.url("widget-kinds.ipynb"))
    pages.run_all(page)
    pages.wait_done(page)
    yield page
    context.close()
    lab.shutdown_kernels()


@pytest.mark.parametrize("kind", list(PANELS))
def test_every_control_redraws_to_its_value(panels_page, kind):
    page = panels_page
    mirror = eval(PANELS[kind], vars(simlib_widgets))  # our own constant expressions
    cell = page.locator(pages.ACTIVE_CELLS).nth(1 + list(PANELS).index(kind))
    root = cell.locator(".simlib-live").first
    elements = root.locator(widget_driver.CONTROL_SELECTOR)
    ws = widget_driver.controls(mirror)
    assert elements.count() == len(ws), f"{kind}: {elements.count()} controls in the page, {len(ws)} in the panel"
    assert wait_for(lambda: browser_figure(root) == expected_src(mirror)), (
        f"{kind}: first figure differs: "
        + widget_driver.first_difference(browser_figure(root), expected_src(mirror)))
    problems = []
    for i, w in enumerate(ws):
        if w is mirror.button:
            continue
        old = w.value
        value, redraws = widget_driver.choose_change(mirror, i)
        if value is None:
            # A question can matter only in combination with other answers: say so, do not fail.
            warnings.warn(f"{kind}: {w.description} changes nothing in this state "
                          f"({', '.join(repr(c) for c in widget_driver.candidates(w))} tried)", stacklevel=1)
            continue
        text_before = root.locator(".widget-output").inner_text()
        widget_driver.apply_in_browser(page, elements.nth(i), w, old, value)
        if mirror.button is not None:
            root.locator("button.widget-button").click(timeout=5000)
        want = expected_src(mirror)
        def shown(want=want, redraws=redraws, text_before=text_before) -> bool:
            return browser_figure(root) == want and (
                redraws or root.locator(".widget-output").inner_text() != text_before)

        ok = wait_for(shown)
        if not ok:
            problems.append(f"{w.description}: set to {value!r}, the browser's output does not match the panel's: "
                            + widget_driver.first_difference(browser_figure(root), want))
    problems += [e for e in page.errors]
    assert not problems, f"{kind}:\n" + "\n".join(problems)

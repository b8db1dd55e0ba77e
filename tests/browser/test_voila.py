"""The dashboard notebooks and the workshop apps, served by Voila, loaded with nothing leaving 127.0.0.1.

Every request the page makes to another host is aborted and fails the test (Voila's default template
asks a CDN for Font Awesome; ours drops that). The same output checks as in JupyterLab apply.
"""

from __future__ import annotations

import sys

import pytest

from simlib.widgets import app

from . import harness, pages
from .test_lab_notebooks import expected_errors

pytestmark = pytest.mark.browser

# Notebooks with a widget: the ones a workshop would show as a dashboard.
DASHBOARDS = sorted(p.relative_to(harness.REPO).as_posix() for p in (harness.REPO / "notebooks").glob("*.ipynb")
                    if "from simlib.widgets import" in p.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def voila(browser, course, tmp_path_factory):
    """Voila on 127.0.0.1 serving the course copy, with the offline template."""
    home = tmp_path_factory.mktemp("voila-home")
    port = harness.free_port()
    proc = harness.start_process(app.voila_command(course, port), app.voila_env(harness.server_env(home)),
                                 home / "voila.log", course)
    try:
        harness.wait_http(f"http://127.0.0.1:{port}/", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        harness.stop(proc)


@pytest.fixture
def voila_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    blocked = pages.watch_requests(context)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text[:300]}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
    yield pg, blocked
    context.close()


def page_problems(page, blocked, expected=frozenset()) -> list[str]:
    cells = pages.scan_cells(page, "#rendered_cells .jp-Cell")
    problems = pages.output_problems(cells, set(expected))
    problems += [f"broken image {src}" for src in pages.broken_images(page)]
    problems += pages.overflows(cells)
    problems += [f"request left the machine: {url}" for url in blocked]
    problems += page.errors
    if not page.locator(".simlib-live img.simlib-figure").count():
        problems.append("no panel figure on the page")
    return problems


def test_dashboards_exist():
    assert DASHBOARDS, "no notebook shows a widget"


@pytest.mark.parametrize("rel", DASHBOARDS)
def test_dashboard_in_voila(voila, voila_page, rel, widest_log):
    page, blocked = voila_page
    page.goto(f"{voila}/voila/render/{rel}")
    pages.wait_voila(page)
    problems = page_problems(page, blocked, expected_errors(harness.REPO / rel))
    widest_log[f"voila {rel}"] = pages.widest(pages.scan_cells(page, "#rendered_cells .jp-Cell"))
    assert not problems, f"{rel} in Voila:\n" + "\n".join(problems)


# One app in the browser is enough: the dashboards above show every panel kind through the same template,
# and tests/test_widget_app.py builds every app's notebook and runs its panel headlessly.
@pytest.mark.parametrize("name", ["crash-lab"])
def test_workshop_app(browser, voila_page, name, tmp_path, widest_log):
    page, blocked = voila_page
    port = harness.free_port()
    proc = harness.start_process([sys.executable, "-m", "simlib.widgets.app", name, f"--port={port}"],
                                 harness.server_env(tmp_path), tmp_path / "app.log", tmp_path)
    try:
        harness.wait_http(f"http://127.0.0.1:{port}/", proc)
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(".simlib-live img.simlib-figure", timeout=180_000)
        pages.wait_voila(page)
        problems = page_problems(page, blocked)
        widest_log[f"app {name}"] = pages.widest(pages.scan_cells(page, "#rendered_cells .jp-Cell"))
    finally:
        harness.stop(proc)
    assert not problems, f"app {name}:\n" + "\n".join(problems)

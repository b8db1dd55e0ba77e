"""Fixtures for the browser tests: one Chromium and one JupyterLab per session, a fresh page per test.

The tests skip (with the reason) when Python Playwright or Debian's Chromium is missing; CI installs both.
Servers bind 127.0.0.1 on a free port and are stopped by their process group at the end of the session.
"""

from __future__ import annotations

import pytest

from . import harness

_WIDEST: dict[str, tuple] = {}


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven headless by Playwright (never a downloaded browser)."""
    reason = harness.playwright_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=harness.chromium_path(), headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A copy of notebooks/, exercises/ and examples/ with every output stripped."""
    return harness.make_course_copy(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def lab(browser, course, tmp_path_factory):
    """JupyterLab on 127.0.0.1 (free port, random token) rooted at the course copy."""
    server = harness.start_lab(course, tmp_path_factory.mktemp("lab-home"))
    yield server
    server.stop()


@pytest.fixture
def lab_page(lab, page):
    """A page for one notebook in Lab; the notebook's kernel is shut down afterwards."""
    yield page
    page.close()
    lab.shutdown_kernels()


@pytest.fixture
def page(browser):
    """A 1280x800 page that records console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text[:300]}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
    yield pg
    context.close()


@pytest.fixture(scope="session")
def widest_log():
    """Per notebook: the widest output element measured at 1280x800 (printed at the end of the run)."""
    return _WIDEST


def pytest_terminal_summary(terminalreporter):
    if _WIDEST:
        terminalreporter.section("widest output element at 1280x800, file browser open")
        for name, (w, col, where) in sorted(_WIDEST.items()):
            terminalreporter.write_line(f"{name}: {w} px in a {col} px column ({where})")

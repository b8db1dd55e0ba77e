"""Widget latency in a real browser: from a learner's input to the redrawn figure loaded on screen.

Starts JupyterLab on 127.0.0.1, opens a notebook holding the four panels in headless Chromium
(Debian's, through Playwright), and changes one control of each panel N times. The clock starts at
the input event in the page (the key press, the changed selection or the button click) and stops at
the ``load`` event of the new figure image, so it covers the round trip to the kernel, the
simulation, the drawing, the SVG encoding, the transfer and the browser's decoding.

Targets (median): crash lab <= 150 ms, state explorer <= 150 ms, recommender <= 250 ms, a 50-run
sweep <= 400 ms. Numbers depend on the machine and its load (printed alongside); this is a benchmark,
nothing is asserted. For the kernel side alone (no browser), see bench_widgets.py.

Usage: python benchmarks/bench_browser.py [--changes 12] [--sweep-changes 6]
Needs: Python playwright and Debian's chromium (apt-get install --no-install-recommends chromium).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tests.browser import harness, pages
from tests.browser.test_lab_widgets import write_panels_notebook

# panel -> (constructor, how to change it, target ms)
PANELS = {
    "crash lab": ("CrashLab()", "slider", 150),
    "state explorer": ("StateExplorer()", "seed", 150),
    "recommender": ("Recommender()", "cost", 250),
    "sweep (50 runs)": ("SweepControl(runs=50, crash_rates='0, 1, 2, 4', run=True)", "sweep", 400),
}

# Stamp the input event and the next figure load inside the page, so the clock is the browser's.
_ARM = r"""(root) => {
  window.__t0 = null; window.__t1 = null;
  if (!root.__armed) {
    const start = () => { if (window.__t0 === null) window.__t0 = performance.now(); };
    for (const ev of ['change', 'keydown', 'click']) root.addEventListener(ev, start, true);
    root.addEventListener('load', (e) => {
      // The last figure to load stops the clock (the explorer shows two).
      if (e.target.tagName === 'IMG' && window.__t0 !== null) window.__t1 = performance.now();
    }, true);
    root.__armed = true;
  }
}"""


def _change(page, root, how: str, i: int) -> None:
    if how == "slider":
        root.locator(".widget-hslider .noUi-handle").first.focus()
        page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
    elif how == "seed":
        box = root.locator(".widget-text input").last
        box.fill(str(100 + i))
        box.press("Enter")
    elif how == "cost":
        # "What does a failure cost?" is on every route: low and high take different branches.
        root.locator(".widget-dropdown select").first.select_option(label="low" if i % 2 == 0 else "high")
    elif how == "sweep":
        box = root.locator(".widget-text input").last
        box.fill(str(200 + i))
        box.press("Tab")
        page.evaluate("() => { window.__t0 = null; window.__t1 = null; }")
        root.locator("button.widget-button").click()
    else:
        raise ValueError(how)


def _srcs(root) -> list:
    return root.locator("img.simlib-figure").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")


def measure(page, root, how: str, n: int) -> list[float]:
    """Latencies in ms of ``n`` changes of one control (each must redraw the figure)."""
    out = []
    handle = root.element_handle()
    for i in range(n + 1):
        before = _srcs(root)
        page.evaluate(_ARM, handle)
        _change(page, root, how, i)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            t0, t1 = page.evaluate("() => [window.__t0, window.__t1]")
            if t1 is not None and _srcs(root) != before and root.locator("img.simlib-figure").evaluate_all(
                    "imgs => imgs.every(i => i.complete)"):
                t0, t1 = page.evaluate("() => [window.__t0, window.__t1]")
                break
            time.sleep(0.02)
        else:
            raise SystemExit(f"{how}: the figure did not change within 60 s")
        if i:  # the first change warms caches up
            out.append(t1 - t0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=12, help="control changes per panel (default 12)")
    ap.add_argument("--sweep-changes", type=int, default=6, help="sweep runs (default 6)")
    args = ap.parse_args(argv)
    reason = harness.playwright_missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        root_dir, home = Path(tmp) / "root", Path(tmp) / "home"
        root_dir.mkdir()
        write_panels_notebook(root_dir / "panels.ipynb", {k: v[0] for k, v in PANELS.items()})
        lab = harness.start_lab(root_dir, home)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=harness.chromium_path())
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                pages.open_notebook(page, lab.url("panels.ipynb"))
                pages.run_all(page)
                pages.wait_done(page)
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                print(f"control change -> figure loaded in Chromium, JupyterLab on 127.0.0.1 "
                      f"(load average {load:.2f} on {os.cpu_count()} CPUs)")
                for k, (name, (_expr, how, target)) in enumerate(PANELS.items()):
                    root = page.locator(pages.ACTIVE_CELLS).nth(1 + k).locator(".simlib-live").first
                    root.scroll_into_view_if_needed()
                    ms = measure(page, root, how, args.sweep_changes if how == "sweep" else args.changes)
                    ms.sort()
                    print(f"  {name:16s} median {statistics.median(ms):5.0f} ms, p90 {ms[int(0.9 * (len(ms) - 1))]:5.0f}"
                          f" ms over {len(ms)} changes; target <= {target} ms")
                browser.close()
        finally:
            lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

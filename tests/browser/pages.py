"""What a learner does in the browser, as Playwright calls: open a notebook, Run All, read the outputs.

The selectors are JupyterLab 4's (and Voila 0.5's, which reuses Lab's output area and widgets).
"""

from __future__ import annotations

import re
import time

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^-{20,}\n\s*\w+(Error|Exception)", re.MULTILINE)
IDLE = ".jp-StatusBar-TextItem:has-text('Idle')"
ACTIVE_CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"

# One pass over the page: per cell its prompt and outputs; per output what it is and how wide its
# contents are against the column it sits in.
_SCAN = r"""(sel) => {
  const px = (r) => Math.round(r.width);
  const widestIn = (o) => {
    let widest = 0, what = 'nothing';
    // Content, not containers: widget boxes are as wide as the column by design (overflow shows in scrollWidth).
    for (const el of o.querySelectorAll('img, svg, table, pre, canvas, select, .widget-inline-hbox, .widget-button')) {
      if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
      const w = Math.max(px(el.getBoundingClientRect()), el.scrollWidth || 0);
      if (w > widest) { widest = w; what = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''); }
    }
    // Images shrunk to the column: the smallest scale says how small their text became.
    let scale = 1;
    for (const img of o.querySelectorAll('img')) {
      if (img.naturalWidth > 0) {
        const s = img.getBoundingClientRect().width / img.naturalWidth;
        if (s > 0 && s < scale) scale = s;
      }
    }
    return [widest, what, scale];
  };
  return [...document.querySelectorAll(sel)].map((c, i) => ({
    index: i,
    prompt: ((c.querySelector('.jp-InputArea-prompt') || {}).textContent || '').trim(),
    outputs: [...c.querySelectorAll('.jp-OutputArea-output')].filter(o => !o.parentElement.closest('.jp-OutputArea-output')).map(o => {
      const [widest, what, scale] = widestIn(o);
      return {mime: o.dataset.mimeType || '', text: o.innerText.slice(0, 2000), column: o.clientWidth,
              scroll: o.scrollWidth, widest, what, scale};
    }),
  }));
}"""

_IMAGES = r"""() => [...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth === 0 && !(i.src || '').startsWith('data:image/svg'))
  .map(i => (i.src || '').slice(0, 80)).concat(
  [...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth === 0 && (i.src || '').startsWith('data:image/svg') && i.getBoundingClientRect().width === 0)
  .map(i => 'svg ' + (i.src || '').slice(0, 60)))"""


def open_notebook(page, url: str, timeout_ms: int = 90_000) -> None:
    """Open a notebook in Lab and wait for its kernel to be idle (Run All is ignored before that)."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def run_all(page) -> None:
    """Run > Run All Cells, as a learner would."""
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")


def wait_done(page, timeout_s: float = 300.0) -> None:
    """Wait until no cell is queued or running, the kernel is idle and every widget has drawn."""
    end = time.monotonic() + timeout_s
    time.sleep(0.5)
    quiet = 0
    while time.monotonic() < end:
        busy = page.evaluate(r"""() => {
          const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
          const idle = [...document.querySelectorAll('.jp-StatusBar-TextItem')].some(s => /\|\s*Idle/.test(s.textContent));
          const loading = document.body.innerText.includes('Loading widget...');
          const images = [...document.querySelectorAll('img')].some(i => !i.complete);
          return prompts.some(p => p.includes('*')) || !idle || loading || images;
        }""")
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return
        time.sleep(0.3)
    raise TimeoutError(f"notebook still running after {timeout_s:.0f} s")


def scan_cells(page, cell_selector: str = ACTIVE_CELLS) -> list[dict]:
    """Every cell's prompt and outputs (text, MIME type, widest element against the column)."""
    return page.evaluate(_SCAN, cell_selector)


def broken_images(page) -> list[str]:
    """The images on the page that failed to load."""
    return page.evaluate(_IMAGES)


def output_problems(cells: list[dict], expected_errors: set[int]) -> list[str]:
    """What a learner would see as wrong in these outputs, one line each (empty when all is well).

    Args:
        cells: `scan_cells` output.
        expected_errors: indexes of cells whose error is part of the lesson (stubs, ``raises-exception``).
    """
    problems = []
    for cell in cells:
        for out in cell["outputs"]:
            text = out["text"]
            where = f"cell {cell['index']}"
            if "Error displaying widget" in text:
                problems.append(f"{where}: {text.strip()[:120]}")
            if WIDGET_REPR_RE.search(text):
                problems.append(f"{where}: raw widget repr {WIDGET_REPR_RE.search(text).group(0)!r}")
            if out["mime"] == "application/vnd.jupyter.stderr" and cell["index"] not in expected_errors:
                kind = "error" if TRACEBACK.search(text) else "stderr"
                problems.append(f"{where}: unexpected {kind} output: {text.strip()[:300]}")
    return problems


def overflows(cells: list[dict]) -> list[str]:
    """Outputs whose widest figure, table or widget is wider than the notebook column."""
    return [f"cell {c['index']}: {o['what']} is {max(o['widest'], o['scroll'])} px in a {o['column']} px column"
            for c in cells for o in c["outputs"]
            if o["column"] and max(o["widest"], o["scroll"]) > o["column"] + 1]


def widest(cells: list[dict]) -> tuple[int, int, str]:
    """(widest element px, its column px, where and the smallest image scale) over all outputs."""
    best = (0, 0, "no output")
    scale = min((o["scale"] for c in cells for o in c["outputs"]), default=1.0)
    for c in cells:
        for o in c["outputs"]:
            if o["widest"] > best[0]:
                best = (o["widest"], o["column"], f"cell {c['index']} {o['what']}")
    return best[0], best[1], f"{best[2]}; images shown at >= {scale:.0%} of their size"


WIDGET_REPR_RE = re.compile(r"\b[A-Z]\w*\((?:children|layout|value|outputs)=")


def wait_voila(page, timeout_s: float = 300.0) -> None:
    """Wait until Voila has run every cell, shown the page and drawn every widget."""
    page.wait_for_selector("#rendered_cells", state="visible", timeout=timeout_s * 1000)
    end = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < end:
        busy = page.evaluate(r"""() => document.body.innerText.includes('Loading widget...')
            || [...document.querySelectorAll('img')].some(i => !i.complete)""")
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return
        time.sleep(0.3)
    raise TimeoutError(f"Voila page still loading after {timeout_s:.0f} s")


def watch_requests(context) -> list[str]:
    """Abort every request that would leave 127.0.0.1; the returned list fills with their URLs."""
    from .harness import is_local

    blocked: list[str] = []

    def route(r):
        if is_local(r.request.url):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return blocked

"""What every widget panel shares: an output area, redraws, and errors shown in words.

A panel is a `ipywidgets.VBox` of controls over an `Output` area. On every
control change it calls its plain view function, turns the figure into an
image (SVG by default: about twice as fast to produce as a PNG here, since the
browser draws the text, and sharp at any zoom; PNG on request) and the tables
into HTML, and replaces the output area's content in one message, so the
picture never flickers through an empty state. If the view
function raises, the output area shows a short, readable message instead (the
exception object stays on ``panel.last_error`` for anyone who wants the
traceback), and the panel keeps working.

The output area is filled by setting ``Output.outputs`` directly rather than
with ``with out:``, which also works without a running kernel: tests and
graders drive panels headlessly and read ``panel.out.outputs``.
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from typing import Any, Callable

import ipywidgets as widgets

from ..core.errors import ConfigError
from ..viz.palette import PNG_DPI

__all__ = ["Panel", "figure_output", "figure_svg", "svg_img", "frame_output", "text_output", "error_output",
           "error_message", "REOPEN_NOTE", "SEED_BOX_MAX", "seed_box"]

REOPEN_NOTE = "This control lives in the running kernel: run this cell to bring it back."
# Shown next to every panel. While the panel is live, its own CSS hides the note; in a reopened
# notebook (no kernel yet) the note stays and the note's CSS hides Lab's "Error displaying widget".
_NOTE_HTML = (
    "<style>.jp-OutputArea-child:has(.simlib-reopen-note) + .jp-OutputArea-child "
    "> .jp-OutputArea-output.jupyter-widgets:not(:has(*)){display:none}</style>"
    f'<div class="simlib-reopen-note"><i>{html.escape(REOPEN_NOTE)}</i></div>')
_LIVE_CSS = ("<style>.jp-OutputArea-child:has(.simlib-reopen-note):has(+ .jp-OutputArea-child .simlib-live)"
             "{display:none}.simlib-table td,.simlib-table th{white-space:normal;overflow-wrap:anywhere;"
             "padding:2px 5px}.simlib-table th{overflow-wrap:normal;word-break:normal}</style>")


# A seed box's upper bound. The browser keeps a number input as a double, exact only up to 2**53, so the
# box stops at 2**31 - 1 (as does `python -m simlib app --seed`); the CLI's 2**63 - 1 is for scripts.
SEED_BOX_MAX = 2**31 - 1


def seed_box(value: int, description: str = "seed") -> widgets.BoundedIntText:
    """A seed input whose label states its range, 0 to `SEED_BOX_MAX`.

    The browser moves a typed value outside the range to its nearest end; the label says so
    in advance instead of letting ``-5`` turn into ``0`` unannounced.

    Args:
        value: the seed shown at first.
        description: the label before the range.

    Raises:
        ConfigError: ``value`` is not a whole number in the range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_BOX_MAX:
        raise ConfigError(f"{description} must be a whole number from 0 to {SEED_BOX_MAX:,}, got {value!r}")
    return widgets.BoundedIntText(value=value, min=0, max=SEED_BOX_MAX, description=f"{description} (0 to {SEED_BOX_MAX:,})",
                                  tooltip=f"{description}: 0 to {SEED_BOX_MAX:,}; values outside move to the nearest end",
                                  style={"description_width": "initial"}, layout=widgets.Layout(width="290px"))


def figure_output(fig, dpi: int = PNG_DPI, fmt: str = "png") -> dict:
    """A display-data output holding ``fig`` as a PNG (or an SVG with ``fmt="svg"``).

    SVG is drawn faster (the browser renders the text) and stays sharp when
    zoomed; PNG looks exactly the same on every machine.
    """
    w, h = fig.get_size_inches()
    text = f"<Figure size {w * dpi:.0f}x{h * dpi:.0f} with {len(fig.axes)} Axes>"
    if fmt == "svg":
        import matplotlib

        buf = io.StringIO()
        # Text as <text> elements, and fixed ids so the same figure gives the same bytes.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "simlib"}):
            fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})
        return {"output_type": "display_data", "data": {"text/html": svg_img(buf.getvalue(), w * 96, text),
                                                        "text/plain": text}, "metadata": {}}
    if fmt != "png":
        raise ConfigError(f"unknown image format {fmt!r}; allowed: png, svg")
    buf = io.BytesIO()
    # Low zlib effort: the PNG is shown once and thrown away, so speed beats size.
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 1})
    return {"output_type": "display_data",
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": text},
            "metadata": {}}


def svg_img(svg: str, width_px: float, alt: str) -> str:
    """An ``<img>`` of an SVG that keeps its own size but shrinks (never cuts) to fit a narrower column.

    Shown as ``image/svg+xml``, JupyterLab and Voila draw an SVG at its full size even when the
    column is narrower, and the right part is cut off; as an ``<img>`` with ``max-width: 100%`` it
    scales down with its text, like a PNG.
    """
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="simlib-figure" src="{src}" alt="{html.escape(alt)}" width="{width_px:.0f}" '
            'style="max-width:100%;height:auto">')


def figure_svg(output: dict) -> str:
    """The SVG text inside a `figure_output` made with ``fmt="svg"`` (for tests and graders)."""
    page = output["data"]["text/html"]
    start = page.index("base64,") + len("base64,")
    return base64.b64decode(page[start:page.index('"', start)]).decode("utf-8")


def frame_output(df, caption: str = "") -> dict:
    """A display-data output holding a DataFrame as an HTML table (and plain text).

    Long headers and cells wrap (a header may break after an underscore), so the table fits the
    column instead of running off its right edge.
    """
    head = f"<b>{html.escape(caption)}</b>" if caption else ""
    # A missing number (a run that never recovered has no recovery time) shows as "-", not NaN.
    table = df.to_html(index=False, float_format=lambda v: f"{v:,.4g}", classes="simlib-table", border=0,
                       na_rep="-")
    table = re.sub(r"(<th>[^<]*</th>)", lambda m: m.group(1).replace("_", "_<wbr>"), table)
    return {"output_type": "display_data",
            "data": {"text/html": head + table,
                     "text/plain": (caption + "\n" if caption else "") + df.to_string(index=False, na_rep="-")},
            "metadata": {}}


def text_output(text: str, bold: bool = False, pre: bool = False) -> dict:
    """A display-data output holding one line (or a preformatted block) of text."""
    body = html.escape(text)
    if pre:
        body = f"<pre style='white-space:pre-wrap;font-size:85%'>{body}</pre>"
    elif bold:
        body = f"<b>{body}</b>"
    return {"output_type": "display_data", "data": {"text/html": body, "text/plain": text}, "metadata": {}}


def error_message(exc: BaseException) -> str:
    """One readable line for an exception raised by a view function."""
    if isinstance(exc, (ConfigError, ValueError)):
        return f"Cannot draw this: {exc}"
    return f"Something went wrong ({type(exc).__name__}: {exc}). The full traceback is in .last_error."


def error_output(exc: BaseException) -> dict:
    """A display-data output with the error message in a red box."""
    msg = error_message(exc)
    box = ("<div style='border-left:4px solid #D55E00;padding:4px 8px;background:#FBEAE0'>"
           f"<b>Error</b>: {html.escape(msg)}</div>")
    return {"output_type": "display_data", "data": {"text/html": box, "text/plain": f"Error: {msg}"},
            "metadata": {}}


class Panel(widgets.VBox):
    """Controls plus an output area, redrawn through a plain function.

    Subclasses build their controls, then call ``self._setup(controls)`` and
    implement `compute` (call the plain view function; return its result) and
    `render` (turn that result into a list of output dicts).

    Attributes:
        image_format: ``"svg"`` (default) or ``"png"``: how figures travel to the browser.
        out: the `ipywidgets.Output` area.
        last_result: what `compute` returned last time it succeeded.
        last_error: the exception of the last failed redraw (None after a success).
        last_redraw_ms: wall time of the last redraw, control change to outputs set.
    """

    def _setup(self, controls: list, auto: bool = True, button: str | None = None, per_row: int = 3,
               image_format: str = "svg") -> None:
        if image_format not in ("png", "svg"):
            raise ConfigError(f"unknown image format {image_format!r}; allowed: png, svg")
        self.image_format = image_format
        self.out = widgets.Output(layout=widgets.Layout(min_height="120px"))
        self.last_result: Any = None
        self.last_error: BaseException | None = None
        self.last_redraw_ms: float | None = None
        self._hold = False
        items = list(controls)
        self.button = None
        if button:
            self.button = widgets.Button(description=button, button_style="primary")
            self.button.on_click(lambda _b: self.refresh())
            items.append(self.button)
        if auto:
            for c in controls:
                if isinstance(c, widgets.ValueWidget):
                    c.observe(self._changed, names="value")
        rows = [widgets.HBox(items[i:i + per_row], layout=widgets.Layout(flex_flow="row wrap"))
                for i in range(0, len(items), per_row)]
        self.add_class("simlib-live")
        self.children = (widgets.HTML(_LIVE_CSS), *rows, self.out)

    def __repr__(self) -> str:
        # What a viewer without a kernel (nbconvert, GitHub) shows in place of the controls.
        return f"{type(self).__name__} panel: {REOPEN_NOTE}"

    def _repr_mimebundle_(self, **kwargs):
        # The note displayed just before the panel already asks to run the cell again. Lab shows
        # the view's text/plain when the widget model is gone, so that text stays empty rather
        # than repeat the note on a second line.
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = ""
        return data

    def _ipython_display_(self, **kwargs) -> None:
        from IPython.display import display

        display({"text/html": _NOTE_HTML, "text/plain": REOPEN_NOTE}, raw=True)
        display(self._repr_mimebundle_(**kwargs), raw=True)

    def _changed(self, _change=None) -> None:
        if not self._hold:
            self.refresh()

    def held(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` (which changes several controls) with one redraw at the end."""
        self._hold = True
        try:
            fn()
        finally:
            self._hold = False
        self.refresh()

    def compute(self) -> Any:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def render(self, result) -> list:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    def refresh(self) -> bool:
        """Redraw now; on error show the message in the output area. Returns True on success."""
        t0 = time.perf_counter()
        try:
            result = self.compute()
            outputs = self.render(result)
        except Exception as exc:  # noqa: BLE001 - every error is shown to the learner, none is swallowed
            self.last_error = exc
            self.out.outputs = (error_output(exc),)
            self.last_redraw_ms = (time.perf_counter() - t0) * 1000
            return False
        self.last_error = None
        self.last_result = result
        self.out.outputs = tuple(outputs)
        self.last_redraw_ms = (time.perf_counter() - t0) * 1000
        return True

"""Move a panel's controls in the browser and predict what the figure must become.

Each panel in the browser has a twin built in this process with the same arguments (a *mirror*).
For every control, the mirror tries new values until one changes its output; the browser then gets
that same change, and its figure must become exactly the mirror's SVG: the figure changed, and it
shows the control's final value. Panels are drawn from a seed, so both sides draw the same bytes.
"""

from __future__ import annotations

import ipywidgets as widgets

from simlib.widgets.base import Panel, figure_svg

# The DOM element of each kind of control (ipywidgets 8 class names), in the order they appear.
CONTROL_SELECTOR = (".widget-dropdown, .widget-select-multiple, .widget-hslider, .widget-text, "
                    ".widget-checkbox, button.widget-button")
_KINDS = (widgets.Dropdown, widgets.SelectMultiple, widgets.IntSlider, widgets.FloatSlider,
          widgets.BoundedIntText, widgets.IntText, widgets.Text, widgets.Checkbox, widgets.Button)


def controls(panel: Panel) -> list:
    """The panel's controls in display order (the same order as their DOM elements)."""
    found: list = []

    def walk(w):
        if isinstance(w, _KINDS):
            found.append(w)
        elif isinstance(w, widgets.Box) and w is not panel.out:
            for child in w.children:
                walk(child)

    for child in panel.children:
        walk(child)
    return found


def snapshot(panel: Panel) -> tuple:
    """What the panel shows now (its output area's data), comparable with ==."""
    return tuple(tuple(sorted(o["data"].items())) for o in panel.out.outputs)


def figure(panel: Panel) -> tuple:
    """The SVGs of the panel's figures, in order."""
    svgs = tuple(figure_svg(o) for o in panel.out.outputs if "simlib-figure" in o["data"].get("text/html", ""))
    if not svgs:
        raise AssertionError(f"{type(panel).__name__} shows no figure: {[sorted(o['data']) for o in panel.out.outputs]}")
    return svgs


def candidates(w) -> list:
    """New values worth trying for control ``w``, most natural first."""
    if isinstance(w, widgets.SelectMultiple):
        current = list(w.value)
        extra = [o for o in w.options if o not in current]
        return ([tuple(current + extra[:1])] if extra else []) + ([tuple(current[:-1])] if len(current) > 1 else [])
    if isinstance(w, widgets.Dropdown):
        return [o for o in w.options if o != w.value]
    if isinstance(w, (widgets.IntSlider, widgets.FloatSlider)):
        return [v for v in (w.value + w.step, w.value - w.step) if w.min <= v <= w.max]
    if isinstance(w, (widgets.BoundedIntText, widgets.IntText)):
        return [w.value + 1, w.value + 2, w.value + 7, w.value + 100]
    if isinstance(w, widgets.Checkbox):
        return [not w.value]
    if isinstance(w, widgets.Text):
        return ["0, 8", "0, 1, 2"]
    return []


def _set(panel: Panel, w, value) -> None:
    w.value = value
    if panel.button is not None:
        panel.refresh()


def choose_change(panel: Panel, i: int):
    """Set control ``i`` of the mirror to a new value that redraws its figure (else one that changes its output).

    Returns:
        (value, redraws_figure), or (None, False) when no candidate changes anything (the mirror is
        then left as it was).
    """
    w = controls(panel)[i]
    before, old, fig = snapshot(panel), w.value, figure(panel)
    fallback = None
    for value in candidates(w):
        _set(panel, w, value)
        if figure(panel) != fig:
            return value, True
        if fallback is None and snapshot(panel) != before:
            fallback = value
        _set(panel, w, old)
    if fallback is not None:
        _set(panel, w, fallback)
    return fallback, False


def apply_in_browser(page, element, w, old, value) -> None:
    """Give the browser's control ``element`` the value ``value`` the way a learner would."""
    if isinstance(w, widgets.SelectMultiple):
        element.locator("select").select_option(label=[str(v) for v in value])
    elif isinstance(w, widgets.Dropdown):
        element.locator("select").select_option(label=str(value))
    elif isinstance(w, (widgets.IntSlider, widgets.FloatSlider)):
        element.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight" if value > old else "ArrowLeft")
    elif isinstance(w, widgets.Checkbox):
        element.locator("input").click()
    elif isinstance(w, widgets.Text | widgets.IntText | widgets.BoundedIntText):
        box = element.locator("input")
        box.fill(str(value))
        box.press("Enter")
    else:
        raise TypeError(f"no way to set a {type(w).__name__}")


def first_difference(srcs_a: tuple, srcs_b: tuple) -> str:
    """Where two lists of figure ``src`` data URIs first differ, as SVG text (for a readable failure)."""
    import base64

    if len(srcs_a) != len(srcs_b):
        return f"{len(srcs_a)} figures != {len(srcs_b)}"
    pairs = [(x, y) for x, y in zip(srcs_a, srcs_b) if x != y]
    if not pairs:
        return "no difference"
    a, b = (base64.b64decode(s.split(",", 1)[1]).decode() for s in pairs[0])
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines())):
        if x != y:
            return f"line {n}: {x[:160]!r} != {y[:160]!r}"
    return f"lengths {len(a)} != {len(b)}"

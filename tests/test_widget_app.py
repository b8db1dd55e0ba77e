"""The workshop apps (``python -m simlib.widgets.app NAME``): notebooks, command line and offline template."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simlib.widgets import app


@pytest.mark.parametrize("name", list(app.APPS))
def test_every_app_notebook_builds_its_panel(name):
    nb = app.app_notebook(name, seed=3)
    code = nb["cells"][-1]["source"]
    env: dict = {}
    exec(code.splitlines()[0], env)  # noqa: S102 - our own generated cell, run as Voila would
    panel = eval(code.splitlines()[-1], env)
    assert type(panel).__name__ == app.APPS[name][1]
    assert panel.last_error is None and panel.out.outputs, f"{name}: the panel drew nothing"
    if hasattr(panel, "seed"):
        assert panel.seed.value == 3


@pytest.mark.parametrize("argv, message", [
    (["nope"], "unknown app 'nope'; allowed: crash-lab, explorer, recommender, sweep"),
    (["crash-lab", "--port", "x"], "--port must be a whole number from 1 to 65535, got 'x'"),
    (["sweep", "--seed", "-1"], "--seed must be a whole number from 0 to 2147483647, got '-1'"),
])
def test_bad_input_is_one_line_and_status_2(argv, message):
    done = subprocess.run([sys.executable, "-m", "simlib.widgets.app", *argv], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {message}"


def test_voila_runs_on_localhost_with_the_offline_template():
    cmd = app.voila_command("x.ipynb", 8123)
    assert "--Voila.ip=127.0.0.1" in cmd and "--port=8123" in cmd and f"--template={app.TEMPLATE}" in cmd
    tpl = app.TEMPLATE_ROOT / "voila" / "templates" / app.TEMPLATE
    assert (tpl / "conf.json").is_file()
    text = (tpl / "index.html.j2").read_text()
    assert "replace(cdn_all, '')" in text and "cdn.jsdelivr.net" in text
    assert str(app.TEMPLATE_ROOT) in app.voila_env({})["JUPYTER_PATH"]

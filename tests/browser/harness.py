"""Start JupyterLab on 127.0.0.1 and drive it with Debian's Chromium through Playwright.

Shared by the browser tests (``tests/browser/``) and ``benchmarks/bench_browser.py``. Nothing here
downloads a browser: Playwright drives the system Chromium (``CHROMIUM`` or ``/usr/bin/chromium``).
The server runs on a copy of the course with every output stripped, so stored outputs can never
satisfy a check before anything ran, and the kernel imports ``simlib`` from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
COURSE_DIRS = ("notebooks", "exercises", "examples")
SKIP_REASON_CHROMIUM = "no Chromium: install Debian's chromium (apt-get install --no-install-recommends chromium)"
SKIP_REASON_PLAYWRIGHT = "Python playwright is not installed (pip install playwright; no browser download needed)"
# Lab settings: no news pop-up, and every cell kept in the page so it can be measured.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when there is none."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


def playwright_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return SKIP_REASON_PLAYWRIGHT
    if chromium_path() is None:
        return SKIP_REASON_CHROMIUM
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strip_outputs(src: Path, dst: Path) -> None:
    """Copy a notebook without outputs, execution counts or saved widget state."""
    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, dst)


def make_course_copy(root: Path) -> Path:
    """Copy notebooks/, exercises/ and examples/ under ``root`` with outputs stripped."""
    for name in COURSE_DIRS:
        src = REPO / name
        if not src.is_dir():
            continue
        for f in src.rglob("*"):
            if ".ipynb_checkpoints" in f.parts or not f.is_file():
                continue
            dst = root / f.relative_to(REPO)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if f.suffix == ".ipynb":
                strip_outputs(f, dst)
            else:
                shutil.copy2(f, dst)
    return root


def server_env(home: Path) -> dict:
    """Environment for a server: private Jupyter dirs, this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("IPYTHONDIR", "ipython"), ("JUPYTER_DATA_DIR", "data")):
        env[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    for rel, value in LAB_SETTINGS.items():
        f = home / "settings" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    return env


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers (any HTTP status), or fail with the server's output."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started by `start_process` (its whole process group), then reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def start_process(cmd: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, output to ``log``."""
    with open(log, "wb") as fh:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


@dataclass
class Lab:
    """A running JupyterLab: where it is and how to stop it."""

    proc: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    def url(self, rel: str) -> str:
        """The Lab URL that opens the notebook at ``rel`` (relative to the server root)."""
        # A fresh workspace each time: Lab would otherwise reopen every notebook opened before.
        return f"http://127.0.0.1:{self.port}/lab/tree/{rel}?reset&token={self.token}"

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API; the decoded JSON answer (None when empty)."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every session's kernel, so notebooks never run side by side."""
        for session in self.api("GET", "sessions") or []:
            self.api("DELETE", f"sessions/{session['id']}")

    def stop(self) -> None:
        stop(self.proc)


def start_lab(root: Path, home: Path) -> Lab:
    """Start JupyterLab on 127.0.0.1 at a free port with a random token, rooted at ``root``."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "lab.log"
    proc = start_process(cmd, server_env(home), log, root)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/status?token={token}", proc)
    except Exception:
        stop(proc)
        raise
    return Lab(proc, port, token, root, log)


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (127.0.0.1, localhost, data:, blob:, about:)."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    m = re.match(r"^[a-z]+://([^/:]+)", url)
    return bool(m) and m.group(1) in ("127.0.0.1", "localhost", "[::1]")

"""Re-run course notebooks in place so their stored outputs match the current simulator.

Stored outputs matter twice: nbval compares the cells marked ``# NBVAL_CHECK_OUTPUT`` with them, and a
reader on GitHub sees them without running anything. Figures are stored as PNGs quantised to 128 colours
(about a fifth of matplotlib's size, no visible change for line and bar charts) so every notebook stays
well under 1 MB. Cell metadata (tags, folded reveals) is kept.

Usage: python tools/refresh_notebooks.py notebooks/05-decision-matrix.ipynb [more.ipynb ...]
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def shrink_png(data: str, colours: int = 128) -> str:
    """A base64 PNG re-encoded with at most ``colours`` colours, or the original if that is not smaller."""
    from PIL import Image

    raw = base64.b64decode(data)
    img = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    small = out.getvalue()
    return base64.b64encode(small).decode() if len(small) < len(raw) else data


def refresh(path: Path, timeout: int = 600) -> int:
    """Execute ``path`` in its own folder and write it back; returns the new size in bytes."""
    nb = nbformat.read(path, as_version=4)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "data" in out and "image/png" in out["data"]:
                out["data"]["image/png"] = shrink_png(out["data"]["image/png"])
    nbformat.write(nb, path)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)
    for p in args.notebooks:
        if not p.is_file() or p.suffix != ".ipynb":
            print(f"error: {p} is not a notebook file (.ipynb)", file=sys.stderr)
            return 2
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    for p in args.notebooks:
        size = refresh(p)
        print(f"{p}: {size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

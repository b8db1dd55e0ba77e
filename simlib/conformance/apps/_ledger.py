"""The apps' outside world: one fsynced line ``<event> <step> <unix time>`` per step start and effect."""

import os
import time


def note(path: str, event: str, step: str) -> None:
    """Append a line and fsync it, so it survives the SIGKILL that may follow."""
    with open(path, "a") as f:
        f.write(f"{event} {step} {time.time():.6f}\n")
        f.flush()
        os.fsync(f.fileno())

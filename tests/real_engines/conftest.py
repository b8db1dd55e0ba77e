"""Fixtures and the ``real_engine`` marker for the conformance suite.

Every test in this folder runs a real engine (in a child process that it ends
by PID) and is marked ``real_engine``, so ``pytest -m "not real_engine"`` leaves
them out. A module whose engine is not installed skips itself.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_engine: runs a real durable-execution engine offline and compares it with its model")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real_engine)


@pytest.fixture
def workdir(tmp_path):
    """A fresh folder for one test's databases, ledgers and histories."""
    return tmp_path


@pytest.fixture(scope="session", autouse=True)
def _fork_servers():
    """Fork servers start on first use and are ended by PID when the session ends."""
    yield
    from ._harness import stop_fork_servers

    stop_fork_servers()

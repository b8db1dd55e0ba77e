"""A fork server: import heavy engine libraries once, then run each app in a fresh forked process.

Importing the OpenAI Agents SDK costs several CPU seconds, and every crash
drill needs two or three processes. This server imports the named modules,
then for each request forks a child that runs an app script exactly as
``python script args`` would (``runpy`` with ``__name__ == "__main__"``). Each
child is its own OS process with its own memory, killed and replaced the way a
crashed service would be; the next child starts from the server's clean
post-import state, not from the dead child's.

Protocol (one JSON object per line): the client writes
``{"script", "argv", "cwd", "stdout", "stderr"}``; the server answers
``{"pid": N}`` when the child starts and ``{"pid": N, "returncode": R}`` when
it ends (``R`` negative for a signal, as in ``subprocess``). EOF on stdin ends
the server.
"""

import atexit
import importlib
import json
import os
import runpy
import sys
import traceback


def child(req: dict) -> None:
    """Become the app: new cwd, stdio to files, argv, then run the script as __main__."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        os.chdir(req["cwd"])
        sys.argv = [req["script"], *req["argv"]]
        sys.path[0] = os.path.dirname(req["script"])
        runpy.run_path(req["script"], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main() -> None:
    for name in sys.argv[1:]:
        importlib.import_module(name)
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        out.flush()
        pid = os.fork()
        if pid == 0:
            child(req)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        out.write(json.dumps({"pid": pid, "returncode": rc}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()

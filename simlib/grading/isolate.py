"""How the batch grader isolates a submission: a bubblewrap sandbox built from Linux namespaces.

`bwrap_command` builds the command line of one sandbox. The sandbox gets its
own PID, network, IPC and UTS namespaces and a fresh session; it sees the
Python installation, the virtual environment and the ``simlib`` package, all
read-only, with the answer key replaced by a stub, plus a private ``/tmp``
(also its ``HOME``), its own ``/proc`` and a minimal ``/dev``. Nothing else of
the machine exists inside: not the repository (``solutions/``, ``.git``),
not the submissions folder, not the output folder. Its environment is built
from an allow-list.

bwrap runs as root without a user namespace, so that the program inside can
drop to a non-root uid of the host (`sandbox_uid`): a user namespace would map
its uid back to root, and the kernel never applies the process cap
(``RLIMIT_NPROC``) to root. Each sandbox alive at the same time gets its own
uid, so one submission's processes never count against another's cap.

The grader also watches a sandbox from outside (`SandboxProcesses`): it lists
the sandbox's processes through the host's ``/proc``, kills all but the
sandbox's first two (bwrap's init and the submission's main process) when a
simulated worker dies, and adds up their memory, because the per-process
limits alone would let several processes together hold far more.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

__all__ = [
    "JOB_PATH",
    "KEY_STUB",
    "LIB_DIR",
    "TMP_MB",
    "SandboxProcesses",
    "bwrap_command",
    "bwrap_path",
    "release_uid",
    "sandbox_uid",
]

LIB_DIR = "/grader/lib"                 # where the simlib package is mounted inside
JOB_PATH = "/grader/job.json"           # the job (cells and limits) inside
TMP_MB = 64                             # size of the private /tmp
BWRAP_INSTALL = "apt-get install -y bubblewrap"
UID_BASE = 200_000
KEY_STUB = ('"""The answer key is not available inside the grading sandbox: the grader scores '
            'answers outside it."""\n\nKEY: dict = {}\n')

_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


def bwrap_path() -> str | None:
    """The ``bwrap`` executable, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def sandbox_uid() -> int:
    """A host uid no other live sandbox of this grader uses (release it with `release_uid`).

    Different grader processes start from different bases (their pid), so two
    graders on one machine rarely share a uid, and never within one grader.
    """
    base = UID_BASE + (os.getpid() % 4096) * 64
    with _uid_lock:
        slot = 0
        while base + slot in _uids_in_use:
            slot += 1
        _uids_in_use.add(base + slot)
        return base + slot


def release_uid(uid: int) -> None:
    """Give back a uid from `sandbox_uid` once its sandbox is gone."""
    with _uid_lock:
        _uids_in_use.discard(uid)


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def _ancestors(paths) -> list[str]:
    """Every folder above the mount points, shallowest first (bwrap would make them 0700)."""
    out = set()
    for p in paths:
        parent = Path(p).parent
        while str(parent) != "/":
            out.add(str(parent))
            parent = parent.parent
    return sorted(out, key=lambda s: (s.count("/"), s))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _python_mounts() -> list[str]:
    """The folders the interpreter and its packages live in (deduplicated, none inside another or /usr)."""
    found = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix,
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    cands = sorted(c for c in found if os.path.isdir(c) and not _inside(c, "/usr"))
    keep: list[str] = []
    for c in cands:
        if not any(_inside(c, k) for k in keep):
            keep.append(c)
    return keep


def _system_mounts() -> list[list[str]]:
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args.append(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            args.append(["--ro-bind", top, top])
    for f in ("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/nsswitch.conf", "/etc/fonts"):
        if os.path.exists(f):
            args.append(["--ro-bind", f, f])
    return args


def bwrap_command(bwrap: str, python_args: list[str], data_fds: dict[str, int], chdir: str = "/tmp") -> list[str]:
    """The full bwrap command line for one sandbox.

    Args:
        bwrap: the bwrap executable.
        python_args: what to run inside, after the interpreter (``["-m", "..."]``).
        data_fds: read-only files to create inside, ``{path inside: readable fd}``
            (bwrap copies each one in; the fds must be passed to the child).
        chdir: the working folder inside.
    """
    pkg = _package_dir()
    binds = []
    for m in _python_mounts():
        binds.append(["--ro-bind", m, m])
    binds.append(["--ro-bind", str(pkg), f"{LIB_DIR}/simlib"])
    # Byte code of the real key may sit beside the package: hide every compiled copy too.
    masks = []
    for pyc in sorted((pkg / "grading" / "__pycache__").glob("key.*.pyc")):
        masks.append(["--ro-bind", "/dev/null", f"{LIB_DIR}/simlib/grading/__pycache__/{pyc.name}"])
    system = _system_mounts()
    mount_points = [b[2] for b in binds] + list(data_fds) + [s[2] for s in system if s[0] == "--ro-bind"]
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session"]
    for sysm in system:
        cmd += sysm
    # The private /tmp, /proc and /dev go first: a checkout or venv that itself lives under /tmp (as CI's
    # clone may) is then bound on top of the tmpfs instead of being hidden by it.
    cmd += ["--perms", "1777", "--size", str(TMP_MB * 1024 * 1024), "--tmpfs", "/tmp",
            "--proc", "/proc", "--dev", "/dev"]
    for d in _ancestors(mount_points):
        if not any(_inside(d, s[2]) for s in system):
            cmd += ["--perms", "0755", "--dir", d]
    for b in binds:
        cmd += b
    for path, fd in data_fds.items():
        # Read before the program inside drops root, so the learner's code cannot read them.
        cmd += ["--perms", "0400" if path == JOB_PATH else "0444", "--ro-bind-data", str(fd), path]
    for mask in masks:
        cmd += mask
    cmd += ["--chdir", chdir, "--clearenv"]
    for k, v in sandbox_env(pkg).items():
        cmd += ["--setenv", k, v]
    return cmd + [sys.executable, *python_args]


def sandbox_env(pkg: Path | None = None) -> dict[str, str]:
    """The allow-listed environment inside: nothing of the grader's own environment is passed."""
    venv_bin = os.path.join(sys.prefix, "bin")
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": LIB_DIR,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "IPYTHONDIR": "/tmp/.ipython",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TERM": "dumb",
        "SIMLIB_GRADING_SANDBOX": "1",
    }


def data_file(text: str) -> int:
    """A readable fd holding ``text`` (an unlinked temp file), for bwrap's ``--ro-bind-data``."""
    with tempfile.TemporaryFile() as fh:
        fh.write(text.encode("utf-8"))
        fh.flush()
        fd = os.dup(fh.fileno())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class SandboxProcesses:
    """The processes of one sandbox, seen from the host's ``/proc``.

    Args:
        bwrap_pid: the host pid of the bwrap process the grader started.
    """

    def __init__(self, bwrap_pid: int):
        self.bwrap_pid = bwrap_pid
        self.ns: str | None = None

    def find_namespace(self) -> bool:
        """Find the sandbox's PID namespace (its init is bwrap's child); True once known."""
        if self.ns:
            return True
        for pid in _pids():
            if _ppid(pid) == self.bwrap_pid:
                try:
                    ns = os.readlink(f"/proc/{pid}/ns/pid")
                except OSError:
                    continue
                if ns != os.readlink("/proc/self/ns/pid"):
                    self.ns = ns
                    return True
        return False

    def members(self) -> list[tuple[int, int]]:
        """``(host pid, pid inside)`` of every process in the sandbox."""
        if not self.find_namespace():
            return []
        out = []
        for pid in _pids():
            try:
                if os.readlink(f"/proc/{pid}/ns/pid") != self.ns:
                    continue
                inner = _inner_pid(pid)
            except OSError:
                continue
            if inner is not None:
                out.append((pid, inner))
        return out

    def kill_extra(self, keep=(1, 2), rounds: int = 200) -> int:
        """SIGKILL every process of the sandbox but ``keep`` (pids inside); returns how many were signalled.

        A process with SIGKILL pending never runs its own code again, so there is no need
        to wait for it to be torn down; the sandbox is scanned again only to catch a child
        forked between the scan and the signal. Each process is opened as a pidfd and
        checked again before the signal, so a pid reused by an unrelated process of the
        host is never signalled.
        """
        signalled: set[int] = set()
        for _ in range(rounds):
            extra = [h for h, i in self.members() if i not in keep and h not in signalled]
            if not extra:
                break
            for host in extra:
                if _pidfd_kill(host, self.ns or ""):
                    signalled.add(host)
        return len(signalled)

    def memory_kb(self) -> int:
        """Proportional set size of all the sandbox's processes together (kB)."""
        total = 0
        for host, _inner in self.members():
            try:
                with open(f"/proc/{host}/smaps_rollup", "rb") as fh:
                    for line in fh:
                        if line.startswith(b"Pss:"):
                            total += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        return total


def _pids() -> list[int]:
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def _status_field(pid: int, name: bytes) -> bytes | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(name):
                    return line[len(name):].strip()
    except OSError:
        return None
    return None


def _ppid(pid: int) -> int | None:
    v = _status_field(pid, b"PPid:")
    return int(v) if v else None


def _inner_pid(pid: int) -> int | None:
    v = _status_field(pid, b"NSpid:")
    return int(v.split()[-1]) if v else None


def _pidfd_kill(host_pid: int, ns: str) -> int:
    try:
        fd = os.pidfd_open(host_pid)
    except OSError:
        return 0
    try:
        if os.readlink(f"/proc/{host_pid}/ns/pid") != ns:
            return 0
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        return 1
    except OSError:
        return 0
    finally:
        os.close(fd)

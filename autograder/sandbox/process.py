"""Judge side of the sandbox: start a child, talk to it with deadlines, and clean up after it.

The child runs in its own session (process group) with resource limits, as an
unprivileged user when the judge is root. Its stdout and stderr are drained into a
bounded buffer, so a student who prints without end costs only a truncated log.
"""
from __future__ import annotations

import ctypes
import os
import pwd
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import child as wire

CHILD_SCRIPT = Path(wire.__file__)


def interpreter() -> Path:
    """This Python, with symlinked folders resolved but the binary's name kept, so a virtual
    environment reached through a link (``.venv -> /opt/venv``) is still found by its path."""
    exe = Path(sys.executable)
    return exe.parent.resolve() / exe.name
PR_SET_CHILD_SUBREAPER = 36
SANDBOX_USERS = ("autograder-student", "nobody")


class ChildGone(Exception):
    """The child died, hung or broke the protocol; ``reason`` says which, for the student."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "timeout", "memory", "crash", "protocol"


@dataclass
class Limits:
    call_timeout: float = 10.0  # wall-clock seconds per call
    memory_mb: int = 1536  # resident memory of the child's process group
    cpu_seconds: int = 600  # CPU time over the child's whole life
    file_mb: int = 64  # largest file the child may write
    processes: int = 256  # threads count too (only enforced for the sandbox user)
    log_kb: int = 64  # how much of the child's stdout/stderr is kept
    threads: int = 1  # torch intra-op threads: one is fastest for small tensors on busy machines
    max_reply_mb: int = 256


@dataclass
class LogBuffer:
    """Keeps the head of a stream and counts the rest."""

    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def feed(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        out = self.data.decode("utf-8", "replace")
        if self.dropped:
            out += f"\n... [{self.dropped} more bytes of output dropped]"
        return out


_SUBREAPER = False


def become_subreaper() -> None:
    """Orphans of the child (double forks, setsid) are re-parented to us, so we can reap them."""
    global _SUBREAPER
    try:
        _SUBREAPER = ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        pass


def sandbox_user() -> tuple[int, int] | None:
    """The unprivileged account for student code, when we are root and that account can
    run this Python; None otherwise (then the child runs as we do, and a note says so)."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("AUTOGRADER_SANDBOX_USER")
    for name in ([wanted] if wanted else []) + list(SANDBOX_USERS):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if can_run_python(entry.pw_uid, entry.pw_gid):
            return entry.pw_uid, entry.pw_gid
    return None


def _reachable(path: Path, uid: int, gid: int) -> bool:
    """Whether ``uid`` can read ``path`` and pass through all its parents (mode bits only)."""
    path = path.resolve()
    for folder in [*reversed(path.parents), path]:
        try:
            st = folder.stat()
        except OSError:
            return False
        need = 0o5 if folder.is_dir() else 0o4
        if st.st_uid == uid:
            mode = (st.st_mode >> 6) & 7
        elif st.st_gid == gid:
            mode = (st.st_mode >> 3) & 7
        else:
            mode = st.st_mode & 7
        if folder != path and not mode & 0o1:
            return False
        if folder == path and (mode & need) != need:
            return False
    return True


def can_run_python(uid: int, gid: int) -> bool:
    """Can ``uid`` reach the interpreter, the standard library, torch and numpy?"""
    import importlib.util

    paths = [interpreter(), Path(os.__file__).parent]
    for name in ("torch", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            paths.append(Path(spec.origin).parent)
    return all(_reachable(p, uid, gid) for p in paths)


def _proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, pgrp, resident pages) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            text = fh.read().decode("ascii", "replace")
        fields = text[text.rindex(")") + 2:].split()
        return int(fields[1]), int(fields[2]), int(fields[21])
    except (OSError, ValueError, IndexError):
        return None


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class Child:
    """One sandboxed interpreter that has loaded one submission."""

    def __init__(self, submission: Path, module: str, limits: Limits, device: str, seed: int = 0) -> None:
        self.limits = limits
        self.log = LogBuffer(limits.log_kb * 1024)
        self.next_id = 0
        self.user = sandbox_user()
        self.workdir = Path(tempfile.mkdtemp(prefix="ag-child-"))
        target = self.workdir / f"{module}.py"
        shutil.copyfile(submission, target)
        shutil.copyfile(CHILD_SCRIPT, self.workdir / "_grader_child.py")
        if self.user:
            for path in (self.workdir, target, self.workdir / "_grader_child.py"):
                os.chown(path, *self.user)
        os.chmod(self.workdir, 0o700)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        options = {
            "req_fd": req_r, "resp_fd": resp_w, "workdir": str(self.workdir),
            "submission": str(target), "module": module, "threads": limits.threads, "seed": seed,
            "uid": self.user[0] if self.user else None, "gid": self.user[1] if self.user else None,
            "no_network": True,
            "gpu_fraction": float(os.environ.get("AUTOGRADER_GPU_FRACTION", 0) or 0) if device == "cuda" else 0,
            "limits": {
                "cpu": limits.cpu_seconds,
                # RLIMIT_DATA makes a huge allocation fail inside the child, before the machine
                # feels it (RLIMIT_AS cannot work: torch reserves ~640 MB of address space).
                # CUDA maps large private regions, so on a GPU only the watchdog applies.
                "data": limits.memory_mb * 2**20 if device != "cuda" else None,
                "fsize": limits.file_mb * 1024 * 1024,
                "nproc": limits.processes if self.user else None,
                "core": 0,
            },
        }
        self.token = f"{os.getpid()}-{secrets.token_hex(8)}"
        env = {
            "AUTOGRADER_CHILD": self.token,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.workdir),
            "TMPDIR": str(self.workdir),
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": str(limits.threads),
            "MKL_NUM_THREADS": str(limits.threads),
            "OPENBLAS_NUM_THREADS": str(limits.threads),
            "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "") if device == "cuda" else "",
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine quirks, not secrets
            if key in os.environ:
                env[key] = os.environ[key]
        import json

        self.proc = subprocess.Popen(
            [str(interpreter()), "-I", str(self.workdir / "_grader_child.py"), json.dumps(options)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(req_r, resp_w), cwd=str(self.workdir), env=env, start_new_session=True,
        )
        os.close(req_r)
        os.close(resp_w)
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self.hello: dict | None = None

    # ----------------------------------------------------------------- plumbing
    def _drain_output(self) -> None:
        stream = self.proc.stdout
        try:
            while True:
                chunk = stream.read1(65536)
                if not chunk:
                    return
                self.log.feed(chunk)
        except (OSError, ValueError):
            return

    def _group_rss_mb(self) -> float:
        pgid = self.proc.pid
        pages = 0
        for pid in _all_pids():
            st = _proc_stat(pid)
            if st and st[1] == pgid:
                pages += st[2]
        return pages * PAGE / 2**20

    def _read_exact(self, n: int, deadline: float, on_wait=None) -> bytes:
        chunks = []
        next_memory_check = 0.0
        next_report = time.monotonic() + 5.0
        while n > 0:
            now = time.monotonic()
            if on_wait is not None and now >= next_report:
                next_report = now + 1.0
                on_wait()
            if now >= deadline:
                raise ChildGone("it did not finish within the time limit", "timeout")
            ready, _, _ = select.select([self.resp_r], [], [], min(0.05, deadline - now))
            if now >= next_memory_check:
                next_memory_check = now + 0.1
                if self._group_rss_mb() > self.limits.memory_mb:
                    raise ChildGone(f"it used more than the memory limit ({self.limits.memory_mb} MB)", "memory")
            if not ready:
                continue
            chunk = os.read(self.resp_r, min(n, 1 << 20))
            if not chunk:
                raise ChildGone(self._death_reason(), "crash")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it closed the grader's channel"
        if code < 0:
            sig = signal.Signals(-code).name
            if -code == signal.SIGXCPU:
                return "it used up its CPU-time limit (SIGXCPU)"
            if -code == signal.SIGXFSZ:
                return "it wrote a file larger than the limit (SIGXFSZ)"
            if -code in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT):
                return f"the process was killed by {sig} (often: out of memory)"
            return f"the process was killed by {sig}"
        return f"the process exited with status {code} (sys.exit or os._exit in your code?)"

    def receive(self, timeout: float, on_wait=None) -> dict:
        import json

        deadline = time.monotonic() + timeout
        size = int.from_bytes(self._read_exact(wire.HEADER, deadline, on_wait), "big")
        if size > self.limits.max_reply_mb * 2**20:
            raise ChildGone(f"it returned more than {self.limits.max_reply_mb} MB of data", "protocol")
        try:
            return json.loads(self._read_exact(size, deadline))
        except ValueError as exc:
            raise ChildGone(f"it sent the grader something unreadable ({exc})", "protocol") from None

    # ----------------------------------------------------------------- API
    def start(self, timeout: float) -> dict:
        self.hello = self.receive(timeout)
        if self.hello.get("op") != "hello":
            raise ChildGone("it sent the grader something unexpected at start-up", "protocol")
        return self.hello

    def call(self, message: dict, timeout: float, on_wait=None) -> dict:
        self.next_id += 1
        message = dict(message, id=self.next_id)
        try:
            wire.write_message(self.req_w, message)
        except (BrokenPipeError, OSError):
            raise ChildGone(self._death_reason(), "crash") from None
        reply = self.receive(timeout, on_wait)
        if reply.get("id") != self.next_id:
            raise ChildGone("its reply did not match the grader's request", "protocol")
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Stop the child and everything it started, then remove its folder."""
        try:
            wire.write_message(self.req_w, {"op": "stop"})
        except OSError:
            pass
        try:
            self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        kill_tree(self.proc, self.user, self.token)
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._drain.join(timeout=1)
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def kill_tree(proc: subprocess.Popen, user: tuple[int, int] | None, token: str) -> None:
    """Kill everything the child started: its process group, anything carrying its
    environment token (escapes by setsid or double fork), and, when we are a subreaper,
    orphans re-parented to us that run as the sandbox user. (Not every process of that
    user: several judges may share it, as in `autograder batch --jobs N`.)"""
    me = os.getpid()
    for _ in range(10):
        victims = []
        for pid in _all_pids():
            st = _proc_stat(pid)
            if not st or pid == me:
                continue
            orphan = _SUBREAPER and st[0] == me and pid != proc.pid and user is not None \
                and user[0] != 0 and _owner(pid) == user[0]
            if st[1] == proc.pid or pid == proc.pid or _carries_token(pid, token) or orphan:
                victims.append(pid)
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
        for pid in victims:  # orphans re-parented to us (we are a subreaper) must be reaped
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass


def _carries_token(pid: int, token: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            return token.encode() in fh.read()
    except OSError:
        return False


def _owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None

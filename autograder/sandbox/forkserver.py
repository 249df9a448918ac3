"""A fork server: a process that has paid its start-up once (imports) forks one fresh process
per request, and the requester gets a handle that behaves like ``subprocess.Popen``.

Used twice, by processes that never run student code themselves: the child zygote
(``zygote.py``: torch imported, then each fork jails itself and serves one submission) and the
warm judge (``autograder/classroom/warm_judge.py``: pytest and torch imported, each fork grades one
submission). Each fork starts from the server's state, which no request has touched: the
server only receives a socket per request, and everything else (the request's data and file
descriptors) is read by the fork, never by the server.

Per request: the requester sends one message on the server's control socket (SOCK_SEQPACKET)
carrying a fresh socket ``conn``. The server forks a *warden*, which reads the payload and its
descriptors from ``conn``, forks the *target* (``start(payload, fds)``, which never returns),
sends the target's pid, waits for it, and sends its wait status. If ``conn`` hangs up first
(the requester died), the warden kills the target and runs ``on_orphan`` (cleanup the target
cannot do itself; :func:`kill_uid`, shared with the judge's cleanup). Standard library only:
the zygote loads this file by its path.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from typing import Callable

MAX_PAYLOAD = 1 << 20
MAX_FDS = 8


# --------------------------------------------------------------------------- server side
def serve(control: socket.socket, start: Callable[[dict, list[int]], None],
          on_orphan: Callable[[dict], None] | None = None) -> None:
    """Fork a warden per request until the control socket closes."""
    import gc

    gc.freeze()  # the forks' collections skip (and so do not copy) what the server imported
    while True:
        ready, _, _ = select.select([control], [], [], 1.0)
        _reap()
        if not ready:
            continue
        try:
            msg, fds, _, _ = socket.recv_fds(control, 16, 1)
        except InterruptedError:
            continue
        if not msg:  # the requester side of the control socket is gone
            return
        if not fds:
            continue
        conn = socket.socket(fileno=fds[0])
        if os.fork() == 0:
            try:
                control.close()
                _warden(conn, start, on_orphan)
            finally:
                os._exit(0)
        conn.close()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _warden(conn: socket.socket, start, on_orphan) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    data, fds, _, _ = socket.recv_fds(conn, MAX_PAYLOAD, MAX_FDS)
    payload = json.loads(data or b"{}")
    target = os.fork()
    if target == 0:
        try:
            conn.close()
            die_with_parent()
            start(payload, fds)
        finally:
            os._exit(125)
    for fd in fds:
        os.close(fd)
    conn.sendall(json.dumps({"pid": target}).encode())
    while True:
        pid, status = os.waitpid(target, os.WNOHANG)
        if pid == target:
            conn.sendall(json.dumps({"status": status}).encode())
            return
        ready, _, _ = select.select([conn], [], [], 0.1)
        if ready and not conn.recv(64):  # the requester died: nobody else would stop the target
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(target, 0)
            if on_orphan is not None:
                on_orphan(payload)
            return


def kill_uid(uid: int) -> None:
    """As root: a process of ``uid`` sends SIGKILL to every process of ``uid`` (kill(-1)
    reaches all of them at once, so a fork chain cannot outrun it)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def die_with_parent() -> None:
    """This process gets SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


# --------------------------------------------------------------------------- requester side
def launch(argv: list[str], **popen) -> tuple[socket.socket, subprocess.Popen]:
    """Start a server process ``argv + [CONTROL_FD]`` that dies with us: (our end of its
    control socket, the process). ``popen``: more ``subprocess.Popen`` arguments."""
    control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen([*argv, str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                preexec_fn=die_with_parent, **popen)
    except BaseException:
        control.close()
        raise
    finally:
        theirs.close()
    return control, proc


def shut(control: socket.socket, proc: subprocess.Popen, timeout: float) -> None:
    """Close a server's control socket (its loop ends) and wait for it, killing it if it lingers."""
    control.close()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ForkedProcess:
    """The target of one request, with the parts of ``subprocess.Popen``'s interface the
    judge and the batch use (``pid``, ``poll``, ``wait``, ``kill``, ``send_signal``,
    ``returncode``, ``stdout``)."""

    def __init__(self, conn: socket.socket, pid: int, stdout=None) -> None:
        self.conn = conn
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None

    def _collect(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        ready, _, _ = select.select([self.conn], [], [], timeout)
        if not ready:
            return
        data = self.conn.recv(256)
        if not data:  # the warden is gone without a word (killed): treat it as SIGKILL
            self.returncode = -signal.SIGKILL
        else:
            status = json.loads(data)["status"]
            self.returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        self.conn.close()

    def poll(self) -> int | None:
        self._collect(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("forked process", timeout)
            self._collect(left)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def spawn(control: socket.socket, payload: dict, fds: list[int], timeout: float = 30.0,
          stdout=None) -> ForkedProcess:
    """Ask the server behind ``control`` for a process running ``payload`` with ``fds``
    (duplicated into it). Raises OSError when the server is gone or does not answer."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        socket.send_fds(control, [b"go"], [theirs.fileno()])
    finally:
        theirs.close()
    try:
        socket.send_fds(mine, [json.dumps(payload).encode()], fds)
        ready, _, _ = select.select([mine], [], [], timeout)
        reply = mine.recv(256) if ready else b""
        if not reply:
            raise OSError("the fork server did not start the process")
        return ForkedProcess(mine, int(json.loads(reply)["pid"]), stdout)
    except BaseException:
        mine.close()
        raise

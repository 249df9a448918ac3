"""Judge side of the sandbox: start a jailed child, talk to it with deadlines, watch it, and
kill everything it started.

``jail.py`` builds the sandbox and execs ``child.py`` inside it (see its docstring for the
modes); this module chooses what goes in (``jail_config``), reads the jail's status line,
observes the result in /proc (the instructor notes come from there, never from the child),
and enforces what a process cannot enforce on itself: a deadline on every read and write of
the wire, a memory cap summed over every process of the sandbox, and cleanup.
"""
from __future__ import annotations

import ctypes
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import probe, wire
from .forkserver import kill_uid
from .stage import Stage
from .jail_config import CHILD_FILES, HERE, SandboxError, child_env, interpreter, jail_config  # noqa: F401

JAIL_SCRIPT = probe.JAIL
PR_SET_CHILD_SUBREAPER = 36
UID_RANGE = (0x50000000, 0x7FFF0000)  # uids no account uses: one per sandbox, as root
WEAK_NOTE = "WARNING: weak sandbox, allowed for this run (`check`, or --allow-weak-sandbox); it lacked: "


class ChildGone(Exception):
    """The child died, hung or broke the protocol; ``reason`` says which, for the student."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "timeout", "cpu", "memory", "disk", "crash", "protocol"


@dataclass
class Limits:
    call_timeout: float = 10.0  # wall-clock seconds per call
    memory_mb: int = 1536  # resident memory of every process of the sandbox together
    cpu_seconds: int = 600  # CPU time over the child's whole life
    file_mb: int = 64  # what the child may write, in total (its tmpfs) and in one file
    processes: int = 256  # processes and threads of the sandbox
    log_kb: int = 64  # how much of the child's stdout/stderr is kept
    threads: int = 1  # torch intra-op threads: one is fastest for small tensors on busy machines
    max_reply_mb: int = 64  # a bigger reply would cost the judge more memory than Gradescope gives it
    allow_weak_sandbox: bool = False  # run even where the minimum does not hold (trusted runs only)
    gpu_fraction: float = 0.0  # the child's share of its GPU's memory, when several share one (0: all)


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
_KEEPERS: set[int] = set()  # pids of the jails this judge started and has not reaped


def become_subreaper() -> None:
    """Orphans of the child (double forks, setsid) are re-parented to us, not to init."""
    global _SUBREAPER
    try:
        _SUBREAPER = ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        pass


# --------------------------------------------------------------------------- /proc
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


def _owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _ns(pid: int | str, kind: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def _status_fields(pid: int) -> dict:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        return {}


PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _free_uid() -> int:
    """A uid that no account and no running process has (as root, one per sandbox).

    Drawn from the operating system's randomness, never from ``random``: the judge seeds
    ``random`` before every test (plugin.py), so two judges side by side (a batch's, a Dask
    worker's) would draw the same uids in the same order, and one's sandbox could reach the
    other's processes and files, and its kill_uid end them."""
    import pwd

    busy = {_owner(pid) for pid in _all_pids()}
    while True:
        uid = UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])
        if uid in busy:
            continue
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


# Set by a warm judge (autograder/classroom/warm_judge.py): children are forked from this zygote when it
# accepts them (see warm_start.Zygote.accepts), else started cold.
ZYGOTE = None


# --------------------------------------------------------------------------- the child
class Child:
    """One jailed interpreter that has loaded one submission."""

    def __init__(self, submission: Path, module: str, limits: Limits, device: str, seed: int = 0,
                 protect: list[Path] = ()) -> None:
        self.limits = limits
        self.log = LogBuffer(limits.log_kb * 1024)
        self.next_id = 0
        self.caps = probe.detect()
        if not self.caps.minimum and not limits.allow_weak_sandbox:
            raise SandboxError("this machine cannot give student code the minimum sandbox, so it was not run:\n"
                               + "\n".join(f"- {m}" for m in self.caps.missing)
                               + "\n(`autograder doctor` shows every protection; --allow-weak-sandbox "
                                 "overrides this for a trusted local run)")
        self.mode = self.caps.mode
        self.root = os.geteuid() == 0
        self.uid = _free_uid() if self.root else None
        self.gid = self.uid
        self._stage = Stage()  # its lock tells a later judge whether this one is still alive
        self.stage = self._stage.path
        try:
            self._launch(submission, module, limits, device, seed, protect)
        except BaseException:  # e.g. a Ctrl-C while a zygote starts: leave no folder behind
            self._stage.remove()
            raise

    def _launch(self, submission: Path, module: str, limits: Limits, device: str, seed: int,
                protect: list[Path]) -> None:
        self.pidns: str | None = None
        self._pidns_fd = -1
        self.jail_facts: dict = {}
        self.observed: dict = {}
        self.hello: dict | None = None
        self.disk_limit = limits.file_mb * 2**20
        self._next_watch = 0.0
        if self.mode != "namespaces":  # stage the child's files ourselves: see jail._install_files
            work = self.stage / "work"
            work.mkdir(mode=0o700)
            for name in CHILD_FILES:
                shutil.copyfile(HERE / name, self.stage / name)
                os.chmod(self.stage / name, 0o644)
            shutil.copyfile(submission, work / f"{module}.py")
            if self.root:
                os.chmod(self.stage, 0o711)  # the uid may pass through, not list or write
                os.chown(work, self.uid, self.gid)
                os.chown(work / f"{module}.py", self.uid, self.gid)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        status_r, status_w = os.pipe()
        os.set_blocking(self.req_w, False)  # every write has a deadline: see _write_all
        child_options = {
            "req_fd": req_r, "resp_fd": resp_w, "module": module, "threads": limits.threads, "seed": seed,
            "gpu_fraction": limits.gpu_fraction if device == "cuda" else 0,
        }
        nproc = limits.processes
        if self.mode != "namespaces" and not self.root:  # RLIMIT_NPROC counts all our processes there
            nproc += sum(1 for pid in _all_pids() if _owner(pid) == os.getuid()) + 64
        rlimits = {
            "cpu": limits.cpu_seconds,
            # RLIMIT_DATA makes a huge allocation fail inside the child, before the machine
            # feels it (RLIMIT_AS cannot work: torch reserves ~640 MB of address space).
            # CUDA maps large private regions, so on a GPU only the watchdog applies.
            "data": limits.memory_mb * 2**20 if device != "cuda" else None,
            "fsize": limits.file_mb * 2**20,
            "nproc": nproc,
            "core": 0,
        }
        workdir = "/tmp/work" if self.mode == "namespaces" else str(self.stage / "work")
        env = child_env(workdir, limits.threads, device)
        cfg = jail_config(self.mode, self.stage, submission, module, child_options=child_options, env=env,
                          limits=rlimits, keep_fds=[req_r, resp_w], status_fd=status_w, device=device,
                          use_landlock=self.caps.landlock_abi >= 1, use_seccomp=self.caps.seccomp,
                          disk_mb=limits.file_mb, uid=self.uid, gid=self.gid, protect=list(protect))
        self.proc = None
        if ZYGOTE is not None and ZYGOTE.accepts(self.mode, env):  # a fork of a clean zygote
            out_r, out_w = os.pipe()  # runs the same jail: see zygote.py
            try:
                self.proc = ZYGOTE.spawn(cfg, [req_r, resp_w, status_w, out_w], os.fdopen(out_r, "rb"))
            except OSError:  # the zygote is gone: start this child cold
                os.close(out_r)
            finally:
                os.close(out_w)
        self.warm = self.proc is not None
        if self.proc is None:
            self.proc = subprocess.Popen(
                [str(interpreter()), "-I", "-S", str(JAIL_SCRIPT), json.dumps(cfg)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(req_r, resp_w, status_w), cwd="/", env={"PATH": "/usr/bin:/bin"},
            )
        _KEEPERS.add(self.proc.pid)
        for fd in (req_r, resp_w, status_w):
            os.close(fd)
        self.status_r = status_r
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()

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

    def _read_status(self, deadline: float) -> None:
        """The jail's one line, written by trusted code before the child's exec."""
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError("the sandbox did not start in time")
            ready, _, _ = select.select([self.status_r], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self.status_r, 65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > 65536:
                    break
        os.close(self.status_r)
        self.status_r = -1
        try:
            status = json.loads(data.decode() or "{}")
        except ValueError:
            status = {}
        if not status.get("ok"):
            raise SandboxError(f"the sandbox could not be built: {status.get('error') or 'the jail exited'}"
                               f"{(' (' + self.log.text().strip()[-300:] + ')') if self.log.text().strip() else ''}")
        self.jail_facts = status
        if self.mode == "namespaces":
            # The kernel gives a dead namespace's inode number to the next new one at once, so
            # "in our namespace" would take in a neighbour's sandbox (another judge of a batch)
            # once ours is gone. An open file of the namespace pins the number until close().
            try:
                self._pidns_fd = os.open(f"/proc/{self.proc.pid}/ns/pid_for_children", os.O_RDONLY)
                self.pidns = f"pid:[{os.fstat(self._pidns_fd).st_ino}]"
            except OSError:  # the keeper is gone already (os._exit at import): its PID 1 and all
                self.pidns = "gone"  # inside died with it; a name no namespace has
        self._observe()

    def _observe(self) -> None:
        """What the kernel says about the child (not what the child says about itself)."""
        members = self.members()
        target = min(members) if members else None
        if target is None:
            return
        fields = _status_fields(target)
        uid = int(fields["Uid"].split()[0]) if fields.get("Uid") else -1
        # a category, not the number: the uid is random, and a regrade gives identical results
        who = ("ROOT" if uid == 0 else "of its own (no account has it)" if UID_RANGE[0] <= uid < UID_RANGE[1]
               else "the judge's own" if uid == os.getuid() else "unknown" if uid < 0 else str(uid))
        self.observed = {
            "uid": who,
            "own network namespace": _ns(target, "net") not in (None, _ns("self", "net")),
            "own PID namespace": _ns(target, "pid") not in (None, _ns("self", "pid")),
            "own mount namespace": _ns(target, "mnt") not in (None, _ns("self", "mnt")),
            "no_new_privs": fields.get("NoNewPrivs", "0").strip() == "1",
            "seccomp filter": fields.get("Seccomp", "0").strip() == "2",
        }

    def members(self) -> list[int]:
        """Every process of this sandbox, now."""
        me = os.getpid()
        found = []
        if self.pidns is not None:
            for pid in _all_pids():
                if pid != self.proc.pid and _ns(pid, "pid") == self.pidns:
                    found.append(pid)
            return found
        if self.uid is not None:
            return [pid for pid in _all_pids() if _owner(pid) == self.uid]
        # the judge's own uid, no PID namespace: the keeper's descendants and the orphans
        # re-parented to us (a subreaper) that are not one of our jails
        parents = {}
        for pid in _all_pids():
            st = _proc_stat(pid)
            if st:
                parents[pid] = st[0]
        inside = {self.proc.pid}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if pid not in inside and (ppid in inside or (_SUBREAPER and ppid == me and pid not in _KEEPERS)):
                    inside.add(pid)
                    changed = True
        inside.discard(self.proc.pid)
        return sorted(inside)

    def _sandbox_rss_mb(self) -> float:
        pages = 0
        for pid in self.members():
            st = _proc_stat(pid)
            if st:
                pages += st[2]
        return pages * PAGE / 2**20

    def _disk_used(self) -> int:
        total = 0
        for folder, _, files in os.walk(self.stage / "work"):
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_blocks * 512
                except OSError:
                    pass
        return total

    def _watch(self, now: float) -> None:
        """Memory of the whole sandbox and (without a tmpfs) its folder, at most every 0.1 s:
        it reads /proc, so the wire's read and write loops call it on every turn."""
        if now < self._next_watch:
            return
        self._next_watch = now + 0.1
        if self._sandbox_rss_mb() > self.limits.memory_mb:
            raise ChildGone(f"it used more than the memory limit ({self.limits.memory_mb} MB)", "memory")
        if self.mode != "namespaces":  # a tmpfs bounds it otherwise
            self._check_disk()

    def _check_disk(self) -> None:
        if self._disk_used() > self.disk_limit:
            raise ChildGone(f"it wrote more than {self.limits.file_mb} MB of files", "disk")

    def _read_exact(self, n: int, deadline: float, on_wait=None) -> bytes:
        chunks = []
        next_report = time.monotonic() + 5.0
        while n > 0:
            now = time.monotonic()
            if on_wait is not None and now >= next_report:
                next_report = now + 1.0
                on_wait()
            if now >= deadline:
                raise ChildGone("it did not finish within the time limit", "timeout")
            ready, _, _ = select.select([self.resp_r], [], [], min(0.05, deadline - now))
            self._watch(now)
            if not ready:
                continue
            chunk = os.read(self.resp_r, min(n, 1 << 20))
            if not chunk:
                raise ChildGone(*self._death())
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _write_all(self, data: bytes, deadline: float) -> None:
        """Write a request; a child that stops reading cannot block the judge."""
        view = memoryview(data)
        while view:
            now = time.monotonic()
            if now >= deadline:
                raise ChildGone("it stopped reading the grader's requests", "timeout")
            _, ready, _ = select.select([], [self.req_w], [], min(0.05, deadline - now))
            self._watch(now)
            if not ready:
                continue
            try:
                view = view[os.write(self.req_w, view[: 1 << 16]):]
            except BlockingIOError:
                continue
            except OSError:
                raise ChildGone(*self._death()) from None

    def _death(self) -> tuple[str, str]:
        """(reason, kind) of the child's end: kind "cpu" for its CPU-time limit, else "crash"."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it closed the grader's channel", "crash"
        if code < 0:
            sig = signal.Signals(-code).name
            if -code == signal.SIGXCPU:
                return "it used up its CPU-time limit (SIGXCPU)", "cpu"
            if -code == signal.SIGXFSZ:
                return "it wrote a file larger than the limit (SIGXFSZ)", "crash"
            if -code in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT):
                return f"the process was killed by {sig} (often: out of memory)", "crash"
            return f"the process was killed by {sig}", "crash"
        return f"the process exited with status {code} (sys.exit or os._exit in your code?)", "crash"

    def receive(self, timeout: float, on_wait=None) -> dict:
        deadline = time.monotonic() + timeout
        size = int.from_bytes(self._read_exact(wire.HEADER, deadline, on_wait), "big")
        if size > self.limits.max_reply_mb * 2**20:
            raise ChildGone(f"it returned more than {self.limits.max_reply_mb} MB of data", "protocol")
        data = self._read_exact(size, deadline)
        try:
            reply = json.loads(data)
        except Exception as exc:  # noqa: BLE001 - deep nesting is a RecursionError: still the child's
            raise ChildGone(f"it sent the grader something unreadable ({type(exc).__name__})", "protocol") from None
        if not isinstance(reply, dict):
            raise ChildGone("it sent the grader something unreadable (not a message)", "protocol")
        if self.mode != "namespaces":  # no tmpfs bounds the folder: the call that overfilled it is charged
            self._check_disk()
        return reply

    # ----------------------------------------------------------------- API
    def start(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        self._read_status(deadline)
        self.hello = self.receive(max(0.1, deadline - time.monotonic()))
        if self.hello.get("op") != "hello":
            raise ChildGone("it sent the grader something unexpected at start-up", "protocol")
        return self.hello

    def call(self, message: dict, timeout: float, on_wait=None) -> dict:
        self.next_id += 1
        message = dict(message, id=self.next_id)
        deadline = time.monotonic() + timeout
        payload = json.dumps(message).encode("utf-8")
        self._write_all(len(payload).to_bytes(wire.HEADER, "big") + payload, deadline)
        reply = self.receive(max(0.0, deadline - time.monotonic()), on_wait)
        if reply.get("id") != self.next_id:
            raise ChildGone("its reply did not match the grader's request", "protocol")
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def sandbox_notes(self) -> list[str]:
        facts = dict(self.observed)
        if self.jail_facts.get("landlock"):
            ll = self.jail_facts["landlock"]
            facts["Landlock"] = f"ABI {ll.get('abi')}" + (", TCP denied" if ll.get("tcp") else "") + \
                                (", signals and abstract sockets scoped" if ll.get("scoped") else "")
        shown = ", ".join(f"{k} {v}" if not isinstance(v, bool) else (k if v else f"NOT {k}")
                          for k, v in facts.items())
        notes = [f"sandbox (observed by the judge): mode {self.mode}; {shown}"]
        if not self.caps.minimum:
            notes.append(WEAK_NOTE + ", ".join(m.split(':')[0] for m in self.caps.missing))
        return notes

    def close(self) -> None:
        """Stop the child and everything it started, then remove its folder."""
        try:
            self._write_all(_STOP, time.monotonic() + 0.2)
        except ChildGone:
            pass
        try:
            self.proc.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        for fd in (self.req_w, self.resp_r, self.status_r, self._pidns_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.req_w = self.resp_r = self.status_r = self._pidns_fd = -1
        self._drain.join(timeout=1)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stage.remove()

    def kill(self) -> None:
        """Kill every process of the sandbox until none is left (a fork chain included)."""
        try:
            self.proc.kill()  # the keeper; its PID 1 has PDEATHSIG=SIGKILL, and takes the namespace with it
        except OSError:
            pass
        for _ in range(200):
            victims = self.members()
            if self.uid is not None:
                kill_uid(self.uid)
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            _reap(victims)
            if not victims:
                break
            time.sleep(0.005)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        _KEEPERS.discard(self.proc.pid)


_STOP = (lambda p: len(p).to_bytes(wire.HEADER, "big") + p)(json.dumps({"op": "stop"}).encode())


def _reap(pids: list[int]) -> None:
    """Killed orphans re-parented to us (a subreaper) must be waited for."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass

"""Local judges of a batch: start one (cold, or forked from a warm server: warm.py), watch
it against its time limit, stop it and everything under it, and record what it wrote."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..course import Assignment
from ..sandbox import forkserver
from ..sandbox.process import become_subreaper
from .export import Entry
from .outcomes import Outcome, _submission_key, cached_outcome, judge_options, record_outcome

STOP_GRACE = 3.0  # seconds a judge gets after SIGINT to stop its sandbox before it is killed


def _process_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, session, start time) of every process we can see."""
    table = {}
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                text = fh.read().decode("ascii", "replace")
            fields = text[text.rindex(")") + 2:].split()  # from field 3 (state) on
            table[int(name)] = (int(fields[1]), int(fields[3]), int(fields[19]))
        except (OSError, ValueError, IndexError):
            continue
    return table


def _children_now() -> set[tuple[int, int]]:
    """(pid, start time) of this process's children now."""
    me = os.getpid()
    return {(pid, start) for pid, (ppid, _, start) in _process_table().items() if ppid == me}


# Every Judges of this process shares one list of live judges: on a Dask worker with several
# threads, tasks run side by side, each with its Judges, and one's sweep must not take another's
# judge for an orphan.
_LIVE: set[int] = set()
_LOCK = threading.Lock()
# This process's children from before its first Judges (a library caller's own, such as a test
# session's zygote) are not orphans of ours; the start time tells a reused pid apart.
_FOREIGN: frozenset[tuple[int, int]] | None = None


class Judges:
    """The judge processes this batch runs. Each starts in its own session, so a Ctrl-C at
    the terminal reaches the batch only, and the batch decides what stops. This process
    becomes a subreaper, so whatever a judge leaves behind when it dies (its sandbox)
    is re-parented to us and can be found and killed."""

    def __init__(self, die_with_parent: bool = False, warm: tuple[int, str] | None = None) -> None:
        global _FOREIGN
        self.lock = _LOCK
        self.live = _LIVE
        with _LOCK:  # taken once: a later Judges must still sweep an orphan an earlier one left
            if _FOREIGN is None:
                _FOREIGN = frozenset(_children_now())
        self.foreign = _FOREIGN
        self.die_with_parent = die_with_parent  # on a Dask worker: a killed worker takes its judges along
        become_subreaper()  # not Linux: a no-op; descendants are still found by parent and session
        self.warm = None
        if warm is not None:  # (threads, device): judges forked from a started one (warm.py)
            from .warm import WarmJudges

            self.warm = WarmJudges(*warm)
            self.live.add(self.warm.proc.pid)  # a sweep must never take the server for an orphan

    def start(self, cmd: list[str], env: dict, stderr) -> subprocess.Popen:
        with self.lock:  # a sweep never sees a judge that is started but not yet listed
            if self.warm is not None:
                proc = self.warm.start(cmd, env, stderr)
            else:
                proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=stderr, start_new_session=True,
                                        preexec_fn=forkserver.die_with_parent if self.die_with_parent else None)
            self.live.add(proc.pid)
        return proc

    def close(self) -> None:
        if self.warm is not None:
            self.warm.close()
            with self.lock:
                self.live.discard(self.warm.proc.pid)

    def stop(self, proc: subprocess.Popen, graceful: bool = True) -> None:
        """End a judge and everything under it. SIGINT first (the judge then stops its
        sandbox and removes its files), SIGKILL for whatever is left: the judge's session,
        its descendants, and orphans re-parented to us that are not a live judge."""
        if graceful and proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGINT)
                proc.wait(timeout=STOP_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.sweep(proc)

    def run(self, cmd: list[str], env: dict, stderr_path: Path, limit: float,
            stop: threading.Event | None = None) -> tuple[int | None, bool]:
        """Run one judge to its end, its stderr into ``stderr_path``: (exit status, whether it
        was stopped after ``limit`` seconds). The status is None when ``stop`` was set: the
        judge was stopped and nothing of it counts."""
        started = time.monotonic()
        with stderr_path.open("wb") as stderr:
            proc = self.start(cmd, env, stderr)
            try:
                while True:
                    try:
                        proc.wait(timeout=0.2)
                        break
                    except subprocess.TimeoutExpired:
                        pass
                    if stop is not None and stop.is_set():
                        self.stop(proc)
                        return None, False
                    if time.monotonic() - started > limit:
                        self.stop(proc)
                        return proc.returncode, True
            except BaseException:
                self.stop(proc, graceful=False)
                raise
            self.finished(proc)
        return proc.returncode, False

    def finished(self, proc: subprocess.Popen) -> None:
        """After a judge exited: kill anything it left behind."""
        self.sweep(proc)

    def sweep(self, proc: subprocess.Popen) -> None:
        me = os.getpid()
        for _ in range(100):
            with self.lock:
                alive = proc.poll() is None
                if not alive:
                    self.live.discard(proc.pid)
                table = _process_table()
                inside = {proc.pid}
                changed = True
                while changed:
                    changed = False
                    for pid, (ppid, sid, start) in table.items():
                        if pid not in inside and (ppid in inside or sid == proc.pid
                                                  or (ppid == me and pid not in self.live
                                                      and (pid, start) not in self.foreign)):
                            inside.add(pid)
                            changed = True
                victims = [pid for pid in inside if pid in table and (pid != proc.pid or alive)]
                for pid in victims:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            if proc.pid in victims:
                proc.wait()
            for pid in victims:  # orphans re-parented to us must be waited for
                if pid != proc.pid:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except (ChildProcessError, OSError):
                        pass
            if not victims:
                break
            time.sleep(0.01)
        proc.wait()
        with self.lock:
            self.live.discard(proc.pid)


def grade_one(assignment: Assignment, entry: Entry, out: Path, device: str, key: str, env: dict,
              stop: threading.Event | None = None, judges: Judges | None = None) -> Outcome | None:
    """Grade ``entry`` (or reuse its cached result). None when ``stop`` was set while its
    judge ran: that grading is dropped, and nothing of it is cached."""
    cached = cached_outcome(entry, out, key)
    if cached is not None:
        return cached
    judges = judges or Judges()
    results_path = out / "results" / f"{entry.id}.json"
    key_path = results_path.with_suffix(".key")
    submission_key = _submission_key(key, entry)
    key_path.unlink(missing_ok=True)  # the stored result is not this submission's any more
    scratch = out / "results" / f".{entry.id}.judge"  # the judge writes here; moved when it is kept
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    judge_results = scratch / "results.json"
    cmd = [sys.executable, "-m", "autograder", "grade", assignment.slug, str(entry.path), "--quiet",
           "--course", str(assignment.root), "--results", str(judge_results), "--device", device,
           *judge_options(assignment)]
    started = time.monotonic()
    limit = assignment.deadline + 120
    try:
        returncode, timed_out = judges.run(cmd, env, scratch / "stderr.txt", limit, stop)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    if returncode is None:  # stopped: nothing of it counts
        shutil.rmtree(scratch, ignore_errors=True)
        return None
    seconds = time.monotonic() - started
    try:
        text = judge_results.read_text()
    except OSError:
        text = None
    figures = {p.name: p for p in scratch.iterdir() if p.name not in ("results.json", "stderr.txt")}
    stderr_text = (scratch / "stderr.txt").read_text(errors="replace")
    outcome = record_outcome(entry, out, submission_key, returncode=returncode, results_text=text,
                             timed_out=timed_out, limit=limit, stderr_text=stderr_text, figures=figures,
                             seconds=seconds)
    shutil.rmtree(scratch, ignore_errors=True)
    return outcome

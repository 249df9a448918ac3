"""``autograder batch``: grade a whole class, resumably, N submissions at a time.

Input: a folder with one sub-folder or file per student, or Gradescope's "Export
Submissions" zip (``submission_<id>/`` folders and ``submission_metadata.yml``, whose keys
are Ruby symbols such as ``:submitters:``). Each submission is graded by its own judge
process (``autograder grade``), under the same sandbox as a single grade. Output in DIR:
``results/<id>.json`` per submission, ``gradebook.csv`` and ``report.html``.

A submission is graded again only when its files, the assignment's tests, solution or
config, or the engine changed, or when its last grading did not finish on its own (see
"The cache rule" below): interrupting and re-running resumes where it stopped.

SIGINT or SIGTERM (Ctrl-C) stops starting gradings, ends the running judges and all their
processes, writes gradebook.csv and report.html for what finished (marked incomplete, with
the submissions left) and raises :class:`BatchInterrupted`; ``autograder batch`` exits 130.
Every file is written atomically (a temp file ``.<name>.<random>.tmp`` beside it, then
os.replace), so a second signal, or a kill, never leaves half a file. report.html's temp
file exists for the whole time the report is drawn (tests use it to interrupt that moment).
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import __version__
from .course import Assignment
from .sandbox.process import become_subreaper

METADATA = "submission_metadata.yml"


@dataclass
class Entry:
    """One submission of the class."""

    id: str
    path: Path
    students: list[dict] = field(default_factory=list)  # name / email / sid
    submitted: datetime | None = None  # the export's :created_at: (for the late rule)

    @property
    def student(self) -> str:
        return "; ".join(s.get("name") or s.get("email") or s.get("sid") or "?" for s in self.students) or self.id

    @property
    def email(self) -> str:
        return "; ".join(s.get("email", "") for s in self.students)

    @property
    def sid(self) -> str:
        return "; ".join(str(s.get("sid", "")) for s in self.students)


@dataclass
class Outcome:
    entry: Entry
    data: dict  # results.json
    status: str  # ok / timed out / error
    seconds: float
    cached: bool = False


# --------------------------------------------------------------------------- input
def _strip_symbols(obj):
    """Ruby-symbol keys (``:name``) as plain names."""
    if isinstance(obj, dict):
        return {str(k).strip(":"): _strip_symbols(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_symbols(v) for v in obj]
    return obj


def read_metadata(path: Path) -> dict[str, tuple[list[dict], datetime | None]]:
    """Submitters and submission time per submission folder name, from Gradescope's metadata file."""
    import yaml

    raw = yaml.safe_load(path.read_text()) or {}
    found = {}
    for folder, info in _strip_symbols(raw).items():
        info = info if isinstance(info, dict) else {}
        submitters = info.get("submitters") or []
        people = [{k: str(v) for k, v in s.items() if k in ("name", "email", "sid")}
                  for s in submitters if isinstance(s, dict)]
        created = info.get("created_at")
        if isinstance(created, str):
            try:
                created = datetime.fromisoformat(created)
            except ValueError:
                created = None
        found[str(folder)] = (people, created if isinstance(created, datetime) and created.tzinfo else None)
    return found


def discover(source: Path, workdir: Path) -> list[Entry]:
    """Submissions in a folder or in a Gradescope export zip (unpacked into ``workdir``)."""
    if source.is_file() and zipfile.is_zipfile(source):
        target = workdir / "export"
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():  # refuse paths that climb out of the folder
                if info.filename.startswith("/") or ".." in Path(info.filename).parts:
                    continue
                zf.extract(info, target)
        tops = [p for p in target.iterdir() if p.name != "__MACOSX"]
        source = tops[0] if len(tops) == 1 and tops[0].is_dir() and not (target / METADATA).exists() else target
    if not source.is_dir():
        raise ValueError(f"{source} is neither a folder nor a zip of submissions")
    metadata = read_metadata(source / METADATA) if (source / METADATA).exists() else {}
    entries = []
    for path in sorted(source.iterdir()):
        if path.name in (METADATA, "__MACOSX") or path.name.startswith("."):
            continue
        stem = path.name if path.is_dir() else path.stem
        people, submitted = metadata.get(path.name, ([], None))
        entries.append(Entry(stem, path, people, submitted))
    return entries


# --------------------------------------------------------------------------- caching
# Engine modules that only lay out what was graded (report, pages, exports): a change to them
# must not regrade a whole class. Everything else of the engine is in the cache key.
NOT_GRADING = frozenset({"report.py", "student_pages.py", "lms.py", "publish.py", "similarity.py"})


def _digest_files(paths: list[Path], skip: frozenset = frozenset()) -> str:
    h = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for f in files:
            if "__pycache__" in f.parts or (base.is_dir() and f.name in skip and f.parent == base):
                continue
            h.update(str(f.relative_to(base) if base.is_dir() else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def grader_key(assignment: Assignment, device: str) -> str:
    """Changes whenever anything that decides a grade changes."""
    parts = [assignment.folder, assignment.solution]
    dataset = assignment.dataset
    digest = _digest_files([p for p in parts if p.exists()]) + \
        _digest_files([Path(__file__).resolve().parent], skip=NOT_GRADING)
    return hashlib.sha256(f"{__version__}|{device}|{dataset}|{digest}"
                          .encode()).hexdigest()


# --------------------------------------------------------------------------- grading
# The cache rule: a result is cached (its ``.key`` written) only when the judge finished on
# its own (exit status 0, a results file with tests) and the result is the student's
# (status ``ok`` or ``timed out``, decided from the status the judge wrote: judge_status). A grading cut
# short by an interrupt, a judge that crashed or was killed, or the grader's own failure
# (status ``error``) leaves no key, so the next run grades that submission again.
CACHED_STATUSES = ("ok", "timed out")
STOP_GRACE = 3.0  # seconds a judge gets after SIGINT to stop its sandbox before it is killed


# A judge's grading status (extra_data.autograder.status, autograder/results.py) -> batch's.
_JUDGE_STATUS = {
    "ok": ("ok", ""),
    "not loaded": ("ok", ""),  # the student's submission could not be loaded: its result, 0 points
    "time limit": ("timed out", "a test reached a time limit"),
    "grader problem": ("error", "the grader reported a problem of its own"),
    "interrupted": ("error", "grading was interrupted before every test ran"),
    "deadline": ("error", "grading was stopped at its deadline"),
    "grader failed": ("error", "the judge could not grade"),
}


def judge_status(data: dict) -> tuple[str, str]:
    """(status, why) of a results file that a judge wrote and exited 0 after.

    The judge writes its grading's status in ``extra_data.autograder`` (``status``, ``complete``;
    see autograder/results.py), and that decides: nothing here reads the text of a message,
    which students write too. A file without it (written by an older engine) is read as
    before, from its structure and the judge's fixed wording: :func:`_legacy_judge_status`."""
    tests = [t for t in data.get("tests", []) if isinstance(t, dict)]
    graded = [t for t in tests if str(t.get("number")) != "0" or t.get("max_score", 0)]
    extra = data.get("extra_data")
    info = extra.get("autograder") if isinstance(extra, dict) else None
    if not isinstance(info, dict) or "status" not in info:
        return _legacy_judge_status(data, graded)
    status = info.get("status")
    if status not in _JUDGE_STATUS:
        return "error", f"the judge wrote an unknown status {str(status)[:40]!r}"
    decided, why = _JUDGE_STATUS[status]
    if decided != "error" and not graded:
        return "error", "the judge wrote no graded tests"
    if decided != "error" and info.get("complete") is not True:
        return "error", "grading stopped before every test ran"
    return decided, why


def _legacy_judge_status(data: dict, graded: list[dict]) -> tuple[str, str]:
    """A results file without ``extra_data.autograder.status``: the failure file (one test
    numbered 0 that holds every point), a test still at its collected default ``Not run.``
    (never reached: pytest was interrupted), the grader's problem line and the watchdog's
    deadline line; a time limit only when no such problem is there. (A student's message
    that says "time limit" reads as one here: the reason files now carry their status.)"""
    output = str(data.get("output", ""))
    if not graded:
        return "error", "the judge wrote no graded tests"
    if any(str(t.get("number")) == "0" and t.get("max_score", 0) for t in graded):
        return "error", "the judge could not grade"
    if any((t.get("output") or "").strip() == "Not run." for t in graded):
        return "error", "grading stopped before every test ran"
    if "The grader had a problem" in output or "grading was stopped at its deadline" in output:
        return "error", "the grader reported a problem of its own"
    if any("time limit" in (t.get("output") or "") for t in graded):
        return "timed out", "a test reached a time limit"
    return "ok", ""


def _submission_key(key: str, entry: Entry) -> str:
    return f"{key}|{_digest_files([entry.path])}"


def cached_outcome(entry: Entry, out: Path, key: str) -> Outcome | None:
    """The stored result of ``entry`` when nothing that decides its grade changed."""
    results_path = out / "results" / f"{entry.id}.json"
    key_path = results_path.with_suffix(".key")
    try:
        if key_path.read_text() != _submission_key(key, entry):
            return None
        data = json.loads(results_path.read_text())
    except (OSError, ValueError):
        return None
    status = data.get("_batch_status")
    if status not in CACHED_STATUSES:
        return None
    return Outcome(entry, data, status, data.get("execution_time", 0.0), cached=True)


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, session) of every process we can see."""
    table = {}
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                text = fh.read().decode("ascii", "replace")
            fields = text[text.rindex(")") + 2:].split()
            table[int(name)] = (int(fields[1]), int(fields[3]))
        except (OSError, ValueError, IndexError):
            continue
    return table


def _die_with_parent() -> None:
    """In the judge, before exec: SIGKILL when the process that started it dies."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class Judges:
    """The judge processes this batch runs. Each starts in its own session, so a Ctrl-C at
    the terminal reaches the batch only, and the batch decides what stops. This process
    becomes a subreaper, so whatever a judge leaves behind when it dies (its sandbox)
    is re-parented to us and can be found and killed."""

    def __init__(self, die_with_parent: bool = False, warm: tuple[int, str] | None = None) -> None:
        self.lock = threading.Lock()
        self.live: set[int] = set()
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
                                        preexec_fn=_die_with_parent if self.die_with_parent else None)
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
                    for pid, (ppid, sid) in table.items():
                        if pid not in inside and (ppid in inside or sid == proc.pid
                                                  or (ppid == me and pid not in self.live)):
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
    timed_out = False
    with (scratch / "stderr.txt").open("wb") as stderr:
        proc = judges.start(cmd, env, stderr)
        try:
            while True:
                try:
                    proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if stop is not None and stop.is_set():
                    judges.stop(proc)
                    shutil.rmtree(scratch, ignore_errors=True)
                    return None
                if time.monotonic() - started > limit:
                    timed_out = True
                    judges.stop(proc)
                    break
        except BaseException:
            judges.stop(proc, graceful=False)
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        judges.finished(proc)
    seconds = time.monotonic() - started
    try:
        text = judge_results.read_text()
    except OSError:
        text = None
    figures = {p.name: p for p in scratch.iterdir() if p.name not in ("results.json", "stderr.txt")}
    stderr_text = (scratch / "stderr.txt").read_text(errors="replace")
    outcome = record_outcome(entry, out, submission_key, returncode=proc.returncode, results_text=text,
                             timed_out=timed_out, limit=limit, stderr_text=stderr_text, figures=figures,
                             seconds=seconds)
    shutil.rmtree(scratch, ignore_errors=True)
    return outcome


def judge_options(assignment: Assignment) -> list[str]:
    """The command-line options that give a judge the batch's parameters of this grading."""
    options = ["--dataset", assignment.dataset]
    if assignment.limits.allow_weak_sandbox:
        options.append("--allow-weak-sandbox")
    if assignment.limits.gpu_fraction:
        options += ["--gpu-fraction", f"{assignment.limits.gpu_fraction:.3f}"]
    return options


def record_outcome(entry: Entry, out: Path, submission_key: str, *, returncode: int | None,
                   results_text: str | None, timed_out: bool, limit: float, stderr_text: str,
                   figures: dict, seconds: float, status: str | None = None, why: str = "",
                   extra: dict | None = None) -> Outcome:
    """Decide a judge's status and write its results (only the client that runs the batch calls
    this: local judges and Dask workers both end here). ``figures`` maps a file name to its
    path (moved) or its bytes (written). ``status`` forces a status (e.g. "killed its worker")."""
    results_path = out / "results" / f"{entry.id}.json"
    key_path = results_path.with_suffix(".key")
    try:
        data = json.loads(results_text) if results_text is not None else None
        if not isinstance(data, dict):
            data = None
    except ValueError:
        data = None
    if status is not None:
        pass
    elif timed_out:
        status, why = "error", f"the judge did not finish within {limit:.0f} s and was stopped"
    elif returncode != 0:
        status, why = "error", f"the judge exited with status {returncode}"
    elif data is None:
        status, why = "error", "the judge wrote no results"
    else:
        status, why = judge_status(data)
    if data is None or timed_out:
        data = {"score": 0.0, "tests": [], "output": f"Grading produced no usable results: {why}."}
    if status not in CACHED_STATUSES:
        tail = stderr_text.strip().splitlines()[-5:]
        data["_batch_error"] = why + (": " + " | ".join(tail) if tail else "")
    data["_batch_status"] = status
    data.update(extra or {})
    atomic_write_text(results_path, json.dumps(data, indent=2))
    if figures:  # each submission's figures in its own folder (their names repeat across submissions)
        target = out / "results" / f"{entry.id}.files"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for name, item in figures.items():
            if isinstance(item, (bytes, bytearray)):
                (target / Path(name).name).write_bytes(item)
            else:
                os.replace(item, target / Path(name).name)
    if status in CACHED_STATUSES:  # the key last: a result without its key is graded again
        atomic_write_text(key_path, submission_key)
    return Outcome(entry, data, status, seconds)


class Progress:
    """One status line: done / failed / remaining and the time left."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.failed, self.cached = total, 0, 0, 0
        self.started = time.monotonic()
        self.stream = stream
        self.tty = stream.isatty()
        self.lock = threading.Lock()
        self.last_print = 0.0
        self.extra = ""  # e.g. "3 workers, 2 running, " on Dask

    def show(self, every: float = 5.0) -> None:
        """Print the line again (Dask: workers and running change between results)."""
        with self.lock:
            now = time.monotonic()
            if now - self.last_print > (1.0 if self.tty else every):
                self.last_print = now
                self.stream.write(("\r" if self.tty else "") + self.line() + ("" if self.tty else "\n"))
                self.stream.flush()

    def update(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            self.failed += outcome.status != "ok"
            self.cached += outcome.cached
            now = time.monotonic()
            if self.tty or now - self.last_print > 5 or self.done == self.total:
                self.last_print = now
                self.stream.write(("\r" if self.tty else "") + self.line() + ("" if self.tty else "\n"))
                self.stream.flush()

    def line(self) -> str:
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.monotonic() - self.started
        fresh = self.done - self.cached
        left = self.total - self.done
        eta = elapsed / fresh * left if fresh else 0.0
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.extra}{self.done}/{self.total} done, "
                f"{self.failed} failed, {left} left, {self.cached} cached, "
                f"elapsed {elapsed:.0f}s, ~{eta:.0f}s left")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class BatchInterrupted(Exception):
    """SIGINT or SIGTERM stopped the batch. The gradebook and report were written for what
    finished (marked incomplete when something is left); the command line exits 130."""

    def __init__(self, signal_name: str, outcomes: list[Outcome], pending: list[Entry], out: Path,
                 while_writing: bool) -> None:
        self.signal_name, self.outcomes, self.pending, self.out = signal_name, outcomes, pending, out
        self.while_writing = while_writing
        super().__init__(str(self))

    def __str__(self) -> str:
        total = len(self.outcomes) + len(self.pending)
        files = f"{self.out / 'gradebook.csv'} and {self.out / 'report.html'}"
        if not self.pending:
            return (f"interrupted by {self.signal_name} {'while writing' if self.while_writing else 'at the end'}; "
                    f"all {total} submissions were graded and {files} are complete.")
        return (f"interrupted by {self.signal_name}: {len(self.outcomes)} of {total} submissions graded, "
                f"{len(self.pending)} not graded; {files} are marked incomplete. "
                "Run the same command again to grade the rest.")


class _Stop:
    """SIGINT and SIGTERM set ``event`` (the first one stops new gradings and ends the running
    judges); none of them raises, so a second Ctrl-C while the files are written cannot
    leave half a file. Installed only on the main thread; the old handlers come back at the end."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name = ""
        self.old: dict = {}
        self.writing = False
        self.during_write = False

    def _handler(self, signum, frame) -> None:
        if not self.signal_name:
            self.signal_name = signal.Signals(signum).name
        self.during_write = self.during_write or (self.writing and not self.event.is_set())
        self.event.set()

    def __enter__(self) -> "_Stop":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self.old.items():
            signal.signal(sig, handler)


def run_batch(assignment: Assignment, source: Path, out: Path, *, jobs: int, device: str,
              scheduler: str | None = None, cluster: str | None = None,
              resources: dict | None = None, extensions: Path | None = None,
              written: Path | None = None, canvas: tuple[Path, str] | None = None,
              similarity: bool = True, warm: bool = True) -> list[Outcome]:
    """Grade every submission in ``source``; write gradebook.csv and report.html in ``out``.
    Raises :class:`BatchInterrupted` (after writing both files) when SIGINT or SIGTERM came.

    With ``scheduler`` (a Dask scheduler address or scheduler file) or ``cluster`` (``local``,
    or a dask-jobqueue kind such as ``slurm``) the gradings run on Dask workers
    (:mod:`autograder.distributed`); ``resources`` is what each grading asks of a worker
    (default: a GPU fraction with ``--device cuda``, nothing otherwise). Without either,
    a pool of ``jobs`` judges on this machine. ``extensions``: a CSV replacing the [late]
    table's (late.py); the late rule is applied in the gradebook, never to cached results.
    ``written``: a filled written.csv to merge (written.py), checked whole before any grading.
    Where the statement asks written questions, each submission's answers are collected into
    ``written/question-<n>.html`` and ``written-blank.csv``. Always written too: ``students.csv``
    (one row per student, lms.py); with ``canvas`` (roster CSV, column title) ``canvas.csv`` to
    import into Canvas, its summary printed. ``similarity``: the report lists the most similar
    pairs of submissions (similarity.py), for a person to look at. ``warm``: judges and
    sandboxes are forked from processes started once (warm.py), not started cold each time."""
    from . import written as answers

    late = assignment.late_policy(extensions)  # a malformed rule fails before any grading
    if canvas:  # so does a roster Canvas could not take
        from .lms import read_canvas_roster

        read_canvas_roster(canvas[0], canvas[1])
    asked = answers.questions(assignment)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    with _Stop() as stop:
        workdir = Path(tempfile.mkdtemp(prefix="ag-batch-"))
        try:
            entries = discover(source, workdir)
            if not entries:
                raise ValueError(f"no submissions found in {source}")
            grades = answers.read_grades(written, assignment, {e.id for e in entries}) if written else None
            key = grader_key(assignment, device)
            env = dict(os.environ)
            if device == "cuda" and not (scheduler or cluster):  # N children share one GPU: each may
                assignment = dataclasses.replace(  # take its part of the memory
                    assignment, limits=dataclasses.replace(assignment.limits, gpu_fraction=0.9 / max(jobs, 1)))
            progress = Progress(len(entries))
            done: dict[str, Outcome] = {}
            if scheduler or cluster:
                from .distributed import grade_on_dask

                done = grade_on_dask(assignment, entries, out, key, device, stop.event, progress,
                                     scheduler=scheduler, cluster=cluster, jobs=jobs, resources=resources,
                                     warm=warm)
                entries_left = []
            else:
                entries_left = entries
            judges = Judges(warm=(assignment.limits.threads, device) if warm and entries_left else None)
            queue = list(reversed(entries_left))
            lock = threading.Lock()

            def work() -> None:
                while not stop.event.is_set():
                    with lock:
                        if not queue:
                            return
                        entry = queue.pop()
                    outcome = grade_one(assignment, entry, out, device, key, env, stop.event, judges)
                    if outcome is None:  # cut short: graded again next time
                        return
                    with lock:
                        done[entry.id] = outcome
                    progress.update(outcome)

            workers = [threading.Thread(target=work, name=f"batch-judge-{i}", daemon=True)
                       for i in range(max(1, min(jobs, len(entries_left))) if entries_left else 0)]
            for w in workers:
                w.start()
            try:
                for w in workers:  # joined with a timeout, so that signals reach the handler at once
                    while w.is_alive():
                        w.join(0.1)
            finally:
                judges.close()
            progress.close()
            # what was not graded: a result from an earlier run still counts when it is valid
            for entry in entries:
                if entry.id not in done:
                    cached = cached_outcome(entry, out, key)
                    if cached is not None:
                        done[entry.id] = cached
            pending = [e for e in entries if e.id not in done]
            # read while the export is unpacked (workdir goes below)
            collected = [(e.id, e.student, answers.answers_of(e.path, assignment.slug))
                         for e in entries if e.id in done] if asked else []
            similar = _similar_html(assignment, [e for e in entries if e.id in done]) if similarity else ""
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        outcomes = sorted(done.values(), key=lambda o: o.entry.id)
        stop.writing = True
        interrupted = stop.signal_name or None
        write_gradebook(outcomes, out / "gradebook.csv", pending=pending, interrupted=interrupted, late=late,
                        written=grades)
        if asked:
            answers.write_pages(assignment, collected, out)
        from .lms import write_canvas_csv, write_students_csv

        write_students_csv(outcomes, out / "students.csv", late=late, pending=pending, written=grades)
        if canvas:
            report = write_canvas_csv(outcomes, canvas[0], out / "canvas.csv", canvas[1], late=late,
                                      pending=pending, written=grades)
            print(report.text(), file=sys.stderr)
        from .report import write_report

        write_report(assignment, outcomes, out / "report.html", pending=pending, interrupted=interrupted, late=late,
                     written=grades, extra_html=similar)
    if stop.signal_name:
        raise BatchInterrupted(stop.signal_name, outcomes, pending, out, stop.during_write)
    return outcomes


def _similar_html(assignment: Assignment, entries: list[Entry]) -> str:
    """The report's "Similar submissions" section; a failure there never costs the gradebook."""
    try:
        from .similarity import similar_pairs, similarity_html

        return similarity_html(similar_pairs(assignment, entries))
    except Exception as exc:  # noqa: BLE001 - an extra of the report, not a grade
        return f"<h2>Similar submissions</h2><p>Not computed: {type(exc).__name__}: {exc}</p>"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temp file beside it, then os.replace."""
    with atomic_output(path) as fh:
        fh.write(text)


class atomic_output:
    """``with atomic_output(path) as fh:`` writes to ``.<name>.<random>.tmp`` beside ``path``
    and replaces ``path`` with it on success; on any exception the temp file is removed and
    ``path`` keeps what it held. The temp file exists from ``__enter__`` on."""

    def __init__(self, path: Path, newline: str | None = None) -> None:
        self.path = Path(path)
        self.newline = newline

    def __enter__(self):
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.fh = os.fdopen(fd, "w", newline=self.newline, encoding="utf-8")
        return self.fh

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self.fh.close()
            if kind is None:
                os.chmod(self.tmp, 0o644)
                os.replace(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)


NOT_GRADED = "not graded"


def write_gradebook(outcomes: list[Outcome], path: Path, pending: list[Entry] = (),
                    interrupted: str | None = None, late=None, written: dict | None = None) -> None:
    """One row per submission, as published (publish.py): ``score`` is the final score,
    ``raw_score`` the autograded plus the written points, ``late_by`` and ``late_penalty`` say
    why they differ, ``written_score`` the merged written part (empty when none). Submissions
    an interrupted batch did not grade have a row with status ``not graded`` and no score, so
    the file is visibly incomplete."""
    from .publish import publish
    from .records import number_key

    published = [publish(o, late, written) for o in outcomes]
    numbers: dict[str, str] = {}
    for p in published:
        for t in p.tests:
            numbers.setdefault(str(t["number"]), t["name"])
    ordered = sorted(numbers, key=number_key)
    rows = []
    for p in published:
        o = p.outcome
        by_number = {str(t["number"]): t["score"] for t in p.tests}
        late_by = ("not accepted: " if not p.lateness.accepted else "") + p.late_by if p.late_by else ""
        rows.append((o.entry.id, [o.entry.student, o.entry.email, o.entry.sid, o.entry.id, f"{p.score:g}",
                                  f"{p.max_score:g}", o.status, f"{o.seconds:.1f}", f"{p.raw:g}", late_by,
                                  f"{p.penalty:g}", "" if p.written is None else f"{p.written:g}",
                                  *[by_number.get(n, "") for n in ordered]]))
    for e in pending:
        rows.append((e.id, [e.student, e.email, e.sid, e.id, "", "", NOT_GRADED, "", "", "", "", "",
                            *["" for _ in ordered]]))
    with atomic_output(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "email", "sid", "submission_id", "score", "max_score", "status",
                         "seconds", "raw_score", "late_by", "late_penalty", "written_score",
                         *[f"{n} {numbers[n]}" for n in ordered]])
        for _, row in sorted(rows, key=lambda r: r[0]):
            writer.writerow(row)

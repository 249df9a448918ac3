"""What a grading of a class gives: an :class:`Outcome` per submission, its status decided from
what the judge wrote (never from message text), and the cache rule: a result is reused only
when nothing that decides its grade changed."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..atomic import atomic_write_text
from ..authoring.layout import never_shipped
from ..course import Assignment
from .export import Entry

ENGINE = Path(__file__).resolve().parents[1]  # the autograder package: part of every cache key


@dataclass
class Outcome:
    entry: Entry
    data: dict  # results.json
    status: str  # ok / timed out / error
    seconds: float
    cached: bool = False


# Engine modules that only lay out what was graded (report, pages, exports): a change to them
# must not regrade a whole class. Everything else of the engine is in the cache key.
NOT_GRADING = frozenset(f"classroom/{name}.py" for name in ("report", "student_pages", "lms", "publish", "similarity"))


def _digest_files(paths: list[Path], skip: frozenset = frozenset(), leave_out=lambda path: False) -> str:
    """The digest of the files (and folders' files, by relative path) ``paths``, less those a
    folder's ``skip`` names (relative paths) and those ``leave_out`` is true for."""
    h = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for f in files:
            if "__pycache__" in f.parts or (base.is_dir() and f.relative_to(base).as_posix() in skip) \
                    or leave_out(f):
                continue
            h.update(str(f.relative_to(base) if base.is_dir() else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def grader_key(assignment: Assignment, device: str) -> str:
    """Changes whenever anything that decides a grade changes. Not the assignment's samples/
    nor instructor/: they never reach a judge on Gradescope, so they cannot decide a grade,
    and adding a sample must not regrade a class."""
    parts = [assignment.folder, assignment.solution]
    dataset = assignment.dataset
    digest = _digest_files([p for p in parts if p.exists()],
                           leave_out=lambda f: never_shipped(f, assignment.folder)) + \
        _digest_files([ENGINE], skip=NOT_GRADING)
    return hashlib.sha256(f"{__version__}|{device}|{dataset}|{digest}"
                          .encode()).hexdigest()


# The cache rule: a result is cached (its ``.key`` written) only when the judge finished on
# its own (exit status 0, a results file with tests) and the result is the student's
# (status ``ok`` or ``timed out``, decided from the status the judge wrote: judge_status). A grading cut
# short by an interrupt, a judge that crashed or was killed, or the grader's own failure
# (status ``error``) leaves no key, so the next run grades that submission again.
CACHED_STATUSES = ("ok", "timed out")


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


NOT_GRADED = "not graded"

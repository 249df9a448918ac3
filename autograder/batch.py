"""``autograder batch``: grade a whole class, resumably, N submissions at a time.

Input: a folder with one sub-folder or file per student, or Gradescope's "Export
Submissions" zip (``submission_<id>/`` folders and ``submission_metadata.yml``, whose keys
are Ruby symbols such as ``:submitters:``). Each submission is graded by its own judge
process (``autograder grade``), under the same sandbox as a single grade. Output in DIR:
``results/<id>.json`` per submission, ``gradebook.csv`` and ``report.html``.

A submission is graded again only when its files, the assignment's tests, solution or
config, or the engine changed: interrupting and re-running resumes where it stopped.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .course import Assignment

METADATA = "submission_metadata.yml"


@dataclass
class Entry:
    """One submission of the class."""

    id: str
    path: Path
    students: list[dict] = field(default_factory=list)  # name / email / sid

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


def read_metadata(path: Path) -> dict[str, list[dict]]:
    """Submitters per submission folder name, from Gradescope's metadata file."""
    import yaml

    raw = yaml.safe_load(path.read_text()) or {}
    people = {}
    for folder, info in _strip_symbols(raw).items():
        submitters = (info or {}).get("submitters") or []
        people[str(folder)] = [{k: str(v) for k, v in s.items() if k in ("name", "email", "sid")}
                               for s in submitters if isinstance(s, dict)]
    return people


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
    people = read_metadata(source / METADATA) if (source / METADATA).exists() else {}
    entries = []
    for path in sorted(source.iterdir()):
        if path.name in (METADATA, "__MACOSX") or path.name.startswith("."):
            continue
        stem = path.name if path.is_dir() else path.stem
        entries.append(Entry(stem, path, people.get(path.name, [])))
    return entries


# --------------------------------------------------------------------------- caching
def _digest_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(base) if base.is_dir() else f.name).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def grader_key(assignment: Assignment, device: str) -> str:
    """Changes whenever anything that decides a grade changes."""
    parts = [assignment.folder, assignment.solution, Path(__file__).resolve().parent]
    dataset = os.environ.get("AUTOGRADER_DATASET", "digits")
    return hashlib.sha256(f"{__version__}|{device}|{dataset}|{_digest_files([p for p in parts if p.exists()])}"
                          .encode()).hexdigest()


# --------------------------------------------------------------------------- grading
def grade_one(assignment: Assignment, entry: Entry, out: Path, device: str, key: str, env: dict) -> Outcome:
    results_path = out / "results" / f"{entry.id}.json"
    key_path = results_path.with_suffix(".key")
    submission_key = f"{key}|{_digest_files([entry.path])}"
    if results_path.exists() and key_path.exists() and key_path.read_text() == submission_key:
        data = json.loads(results_path.read_text())
        return Outcome(entry, data, data.get("_batch_status", "ok"), data.get("execution_time", 0.0), cached=True)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "autograder", "grade", assignment.slug, str(entry.path), "--quiet",
           "--course", str(assignment.root), "--results", str(results_path), "--device", device]
    status = "ok"
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=assignment.deadline + 120)
        if proc.returncode != 0:
            status = "error"
    except subprocess.TimeoutExpired:
        status = "timed out"
    seconds = time.monotonic() - started
    try:
        data = json.loads(results_path.read_text())
    except (OSError, ValueError):
        data = {"score": 0, "tests": [], "output": "grading produced no results"}
        status = "error" if status == "ok" else status
    outputs = " ".join([data.get("output", "")] + [t.get("output", "") for t in data.get("tests", [])])
    if status == "ok" and ("time limit" in outputs or "overall time limit" in outputs):
        status = "timed out"
    if status == "ok" and "grader had a problem" in data.get("output", ""):
        status = "error"
    data["_batch_status"] = status
    results_path.write_text(json.dumps(data, indent=2))
    key_path.write_text(submission_key)
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
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} done, "
                f"{self.failed} failed, {left} left, {self.cached} cached, "
                f"elapsed {elapsed:.0f}s, ~{eta:.0f}s left")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def run_batch(assignment: Assignment, source: Path, out: Path, *, jobs: int, device: str) -> list[Outcome]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="ag-batch-"))
    try:
        entries = discover(source, workdir)
        if not entries:
            raise ValueError(f"no submissions found in {source}")
        key = grader_key(assignment, device)
        env = dict(os.environ)
        if device == "cuda":  # N children share one GPU: each may take its part of the memory
            env["AUTOGRADER_GPU_FRACTION"] = f"{0.9 / max(jobs, 1):.3f}"
        progress = Progress(len(entries))
        outcomes = []
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(grade_one, assignment, e, out, device, key, env) for e in entries]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                progress.update(outcome)
        progress.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    outcomes.sort(key=lambda o: o.entry.id)
    write_gradebook(outcomes, out / "gradebook.csv")
    from .report import write_report

    write_report(assignment, outcomes, out / "report.html")
    return outcomes


def write_gradebook(outcomes: list[Outcome], path: Path) -> None:
    numbers: dict[str, str] = {}
    for o in outcomes:
        for t in o.data.get("tests", []):
            numbers.setdefault(t["number"], t["name"])
    from .records import number_key

    ordered = sorted(numbers, key=number_key)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "email", "sid", "submission_id", "score", "max_score", "status",
                         "seconds", *[f"{n} {numbers[n]}" for n in ordered]])
        for o in outcomes:
            by_number = {t["number"]: t["score"] for t in o.data.get("tests", [])}
            max_score = sum(t.get("max_score", 0) for t in o.data.get("tests", []))
            writer.writerow([o.entry.student, o.entry.email, o.entry.sid, o.entry.id, o.data.get("score", 0),
                             max_score, o.status, f"{o.seconds:.1f}", *[by_number.get(n, "") for n in ordered]])

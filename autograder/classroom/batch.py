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
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from ..atomic import atomic_output
from ..course import Assignment
from .export import Entry, discover
from .judges import Judges, grade_one
from .outcomes import NOT_GRADED, Outcome, cached_outcome, grader_key
from .progress import Progress


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
    from .. import written as answers

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


def write_gradebook(outcomes: list[Outcome], path: Path, pending: list[Entry] = (),
                    interrupted: str | None = None, late=None, written: dict | None = None) -> None:
    """One row per submission, as published (publish.py): ``score`` is the final score,
    ``raw_score`` the autograded plus the written points, ``late_by`` and ``late_penalty`` say
    why they differ, ``written_score`` the merged written part (empty when none). Submissions
    an interrupted batch did not grade have a row with status ``not graded`` and no score, so
    the file is visibly incomplete."""
    from .publish import publish
    from ..records import number_key

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

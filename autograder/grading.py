"""Grade one submission: find its file, run the grader tests against it in a sandbox, and
collect the results. Used by ``grade``, ``check``, ``validate`` and ``batch``."""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

from . import watchdog
from .course import Assignment
from .proxy import Session
from .results import INTERRUPTED, Results
from .sandbox.process import WEAK_NOTE, become_subreaper
from .submission import SubmissionError, locate, template_texts


def _no_gpu_device_nodes() -> bool:
    """True when this machine has no NVIDIA or AMD GPU device files: then torch can see no
    GPU, and "auto" means the CPU without importing torch (a second of start-up saved)."""
    import glob

    return not (glob.glob("/dev/nvidia[0-9]*") or os.path.exists("/dev/kfd"))


def resolve_device(device: str) -> str:
    if device == "auto":
        if _no_gpu_device_nodes():
            return "cpu"
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but torch sees no CUDA device here")
    return device


def grade(assignment: Assignment, submission: Path | None, *, device: str = "auto",
          public_only: bool = False, hold_back_hidden: str = "") -> Results:
    """Run the assignment's grader tests against ``submission``. Never raises for anything
    the submission does; the judge's own failures are reported in ``Results.problems`` (then
    ``Results.ok`` is false), and ``Results.status`` sums up the grading.

    ``hold_back_hidden``: the hidden tests are listed at 0 with this message and not run (a
    rate limit, see rate_limit.py); the public tests run as usual."""
    started = time.monotonic()
    deadline = started + assignment.deadline
    become_subreaper()
    device = resolve_device(device)
    messages: list[str] = []  # for the student, about the submission as a whole
    located, load_error = None, None
    if submission is not None:
        try:
            located = locate(Path(submission), assignment.slug, template_texts(assignment))
            messages.extend(located.notes)
        except SubmissionError as exc:
            load_error = str(exc)
    else:
        load_error = "No submission was given."

    limits = assignment.limits
    if public_only:  # `check` runs a student's own code on their own machine: a weaker sandbox will do
        limits = dataclasses.replace(limits, allow_weak_sandbox=True)
    session = Session(located.path if located else None, assignment.slug, limits, device,
                      deadline, load_error=load_error, protect=[assignment.root])
    try:
        # The child imports torch and the submission while the judge imports pytest, torch
        # and the tests: start it first (nothing above imports torch).
        session.prestart()
        from .plugin import GradingPlugin, run_pytest

        plugin = GradingPlugin(session, None if public_only else assignment.solution, deadline, assignment.dataset)
        plugin.held_back = hold_back_hidden
        watchdog.register(plugin, session)
        code = run_pytest(assignment.test_files(public_only), plugin, assignment.root)
    finally:
        watchdog.unregister()
        session.close()
        if located:
            shutil.rmtree(located.path.parent, ignore_errors=True)

    records = list(plugin.records.values())
    problems = list(plugin.problems)
    stopped = ""
    # pytest's ExitCode.INTERRUPTED: a Ctrl-C stopped the tests, the results are partial. pytest
    # exits with it after a collection error too: that one is in problems already.
    if code == 2 and not plugin.collection_failed:
        problems.append("grading was interrupted before every test ran")
        stopped = INTERRUPTED
    if session.sandbox_problem:  # the student sees the public line; the instructor, why
        messages.append(session.load_failure.public)
        problems.append(session.sandbox_problem)
    elif session.load_failure and session.load_failure.detail not in messages:
        messages.append(session.load_failure.detail)
    weak = [n for n in session.notes if n.startswith(WEAK_NOTE)]
    if hold_back_hidden:
        messages.insert(0, hold_back_hidden)
    if weak:
        messages.append("Note: this machine's sandbox is weaker than the grader's minimum (allowed for this "
                        f"run); it lacked: {weak[0][len(WEAK_NOTE):]}.")
    if assignment.total_points is not None and not public_only:
        total = sum(r.max_score for r in records)
        if abs(total - assignment.total_points) > 1e-9:
            problems.append(f"the tests add up to {total:g} points, assignment.toml says {assignment.total_points:g}")
    if not records:
        problems.append("no graded tests were collected")
    passed = sum(r.status == "passed" for r in records)
    return Results(
        tests=records,
        header=f"{assignment.title}: {passed} of {len(records)} tests passed.",
        title=assignment.title,
        messages=messages,
        problems=problems,
        stopped=stopped,
        rate_limited=bool(hold_back_hidden),
        leaderboard=list(plugin.board.entries.values()),
        loaded=located is not None and session.load_failure is None,
        execution_time=time.monotonic() - started,
        notes=session.notes + problems + [f"device: {device}"],
        timings={"child_startup": session.startup_seconds, "children": session.started_children,
                 "tests": {r.number: r.seconds for r in records}},
    )

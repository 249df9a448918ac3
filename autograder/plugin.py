"""The pytest plugin that turns grader tests into Gradescope results.

Grader tests are ordinary pytest tests, marked with their number, name and points::

    @pytest.mark.grade("1.2", "entropy of a fair coin", points=1)
    def test_fair_coin(student):
        ...

The plugin gives them the ``student`` fixture (the sandbox proxy), ``feedback``, ``device``,
in the judge only ``reference`` (the reference solution), and the files of the test's own
assignment folder (autograder/contract.py): ``judge`` (``judge_helpers.py``), ``child_helpers``
(``child_helpers.py``, for ``student.run``) and ``config`` (``assignment.toml``). It records
every collected test with its maximum before anything runs, so a crashing submission never
shrinks the maximum score.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

from .checks import GradingFailure, PartialCredit
from .contract import ChildHelpers, GradingStudent, child_helpers_for, frozen, load_config, load_judge_helpers
from .proxy import (OutOfTime, Session, Student, StudentCrashed, StudentFailure, StudentRaised,
                    SubmissionNotLoaded)
from .records import (CRASHED, FAILED, GRADER_ERROR, NOT_LOADED, OUT_OF_TIME, PARTIAL, PASSED, RAISED, SKIPPED,
                      TIME_LIMIT, TestRecord)

PUBLIC_FILE = "test_public.py"


class Feedback:
    """What a test tells the student whether it passes or fails: text and figures.

    ``feedback.add("R = 3.1 nats")``; ``feedback.image("rd.png", png_bytes, "rate-distortion curve")``.
    Figures are embedded in the test's HTML output on Gradescope and written as PNG files
    beside results.json.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.images: list[tuple[str, bytes, str]] = []

    def add(self, text: str) -> None:
        self.lines.append(str(text))

    def image(self, name: str, png: bytes, alt: str = "") -> None:
        self.images.append((name, bytes(png), alt))


class Leaderboard:
    """Gradescope's leaderboard entries (results.json's ``leaderboard``), posted by grader tests.

    ``leaderboard.add("held-out negative ELBO (nats)", loss, order="asc")``: a number the judge
    measured, never one the student's code reported (a student could report anything).
    ``order``: "desc" (higher ranks first, Gradescope's default) or "asc" (lower first)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}

    def add(self, name: str, value: float, order: str = "desc") -> None:
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {order!r}")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            return  # not a rank: Gradescope's JSON cannot hold it, and it would top an "asc" board
        entry = {"name": str(name), "value": round(value, 6)}
        if order == "asc":
            entry["order"] = "asc"
        self.entries[entry["name"]] = entry


def seed_judge(key: str) -> None:
    """Seed the judge's own random streams before a test, from its number: a test's inputs
    are the same whichever tests ran before it in this process (a warm judge, the suite)."""
    import random
    import zlib

    import numpy as np
    import torch

    seed = zlib.crc32(key.encode())
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GradingPlugin:
    def __init__(self, session: Session, solution: Path | None, deadline: float, dataset: str = "digits") -> None:
        self.session = session
        self.dataset_name = dataset
        self.solution = solution
        self.deadline = deadline
        self.held_back = ""  # when set, hidden tests are not run: this is what they say (rate_limit.py)
        self.records: dict[str, TestRecord] = {}
        self.problems: list[str] = []  # grader-side problems, for the instructor
        self.collection_failed = False  # a grader test file did not collect (pytest then exits 2)
        self._reference: ModuleType | None = None
        self._feedback: dict[str, Feedback] = {}
        self.board = Leaderboard()  # (not self.leaderboard: that name is the fixture)

    # ---------------------------------------------------------------- fixtures
    @pytest.fixture(scope="session")
    def student(self) -> Student:
        return GradingStudent(self.session)

    @pytest.fixture
    def feedback(self, request) -> Feedback:
        fb = Feedback()
        self._feedback[request.node.nodeid] = fb
        return fb

    @pytest.fixture(scope="session")
    def leaderboard(self) -> Leaderboard:
        """Post a judge-measured number to Gradescope's leaderboard (see :class:`Leaderboard`)."""
        return self.board

    @pytest.fixture(scope="session")
    def device(self) -> str:
        """Where the child runs torch work: "cpu" or "cuda" (resolved from --device)."""
        return self.session.device

    @pytest.fixture(scope="session")
    def dataset(self) -> str:
        """The training data of this grading: "digits" (shipped, default) or "mnist" (--dataset)."""
        return self.dataset_name

    @pytest.fixture(scope="session")
    def reference(self) -> ModuleType:
        if self.solution is None or not self.solution.exists():
            pytest.fail("the reference solution is not available here (hidden tests run only in the judge)")
        if self._reference is None:
            self._reference = load_module(self.solution, f"_reference_{self.solution.stem}")
        return self._reference

    # ------------------------------------------------ fixtures of the assignment contract
    # (autograder/contract.py): the files of the test's own assignment folder, loaded once
    # per grading and shared by its public and hidden tests.
    def _assignment_file(self, request, kind: str, load):
        folder = Path(str(request.module.__file__)).resolve().parent
        cache = self.__dict__.setdefault("_assignment_files", {})
        if (kind, folder) not in cache:
            cache[(kind, folder)] = load(folder)
        return cache[(kind, folder)]

    @pytest.fixture(scope="module")
    def judge(self, request) -> ModuleType:
        """The assignment's ``judge_helpers.py``."""
        return self._assignment_file(request, "judge", load_judge_helpers)

    @pytest.fixture(scope="module")
    def child_helpers(self, request) -> ChildHelpers:
        """The assignment's ``child_helpers.py`` (and ``hidden_child_helpers.py`` where present),
        for ``student.run(child_helpers, "entry", ..., function="f")``."""
        return self._assignment_file(request, "child_helpers", child_helpers_for)

    @pytest.fixture(scope="module")
    def config(self, request) -> Mapping:
        """The assignment's ``assignment.toml``, read-only (tables are mappings, arrays tuples)."""
        return self._assignment_file(request, "config", lambda folder: frozen(load_config(folder)))

    # ---------------------------------------------------------------- hooks
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "grade(number, name, points=1, visibility=None): a graded test")

    def pytest_collection_modifyitems(self, session, config, items) -> None:
        for item in items:
            mark = item.get_closest_marker("grade")
            if mark is None or len(mark.args) < 2:
                self.problems.append(f"{item.nodeid} has no @pytest.mark.grade(number, name, points=...)")
                continue
            public = Path(str(item.path)).name == PUBLIC_FILE
            visibility = mark.kwargs.get("visibility") or ("visible" if public else "after_published")
            number = str(mark.args[0])
            if any(r.number == number for r in self.records.values()):
                self.problems.append(f"test number {number} is used twice")
            self.records[item.nodeid] = TestRecord(number, str(mark.args[1]),
                                                   float(mark.kwargs.get("points", 1)), visibility)
            if self.held_back and not public:
                self.records[item.nodeid].output = self.held_back
        if self.held_back:  # listed at 0 with the reason, never run
            waiting = [i for i in items if Path(str(i.path)).name != PUBLIC_FILE]
            if waiting:
                config.hook.pytest_deselected(items=waiting)
                items[:] = [i for i in items if i not in waiting]

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collection_failed = True
            self.problems.append(f"collecting {report.nodeid} failed:\n{report.longreprtext[-3000:]}")

    def pytest_runtest_setup(self, item) -> None:
        self.session.begin_test(item.nodeid)
        record = self.records.get(item.nodeid)
        seed_judge(record.number if record else item.nodeid)
        if time.monotonic() >= self.deadline:
            raise OutOfTime()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        record = self.records.get(item.nodeid)
        if record is not None:
            record.seconds += report.duration
        if record is None or (report.when != "call" and not report.failed):
            return
        record.ran = True
        if report.passed and report.when == "call":
            record.status, record.score, record.output = "passed", record.max_score, ""
            record.outcome = PASSED
        elif report.skipped:
            record.status, record.score, record.output = "failed", 0.0, f"Skipped: {report.longreprtext}"
            record.outcome = SKIPPED
        elif report.failed:
            record.status, record.score = "failed", 0.0
            record.output = self.explain(call.excinfo, record.visibility == "visible")
            record.outcome = outcome_of(call.excinfo)
            if record.outcome == PARTIAL:  # a part of the points; the maximum stays
                record.score = round(record.max_score * call.excinfo.value.fraction, 6)
                if record.score >= record.max_score:
                    record.status, record.outcome = "passed", PASSED
        fb = self._feedback.pop(item.nodeid, None)
        if fb is not None:
            record.output = "\n\n".join(x for x in [record.output, *fb.lines] if x)
            record.images = fb.images

    def explain(self, excinfo, public: bool) -> str:
        """The student-facing message for a failure."""
        exc = excinfo.value if excinfo else None
        if isinstance(exc, StudentRaised):
            return exc.detail if public else (
                f"{exc.public} (Hidden test: the message and input are not shown; "
                "run your function on your own inputs to find out why.)")
        if isinstance(exc, SubmissionNotLoaded):
            return exc.public
        if isinstance(exc, StudentFailure):
            return exc.detail if public else exc.public
        if isinstance(exc, (GradingFailure, AssertionError)):
            return str(exc) or "Your answer is not right."
        if exc is not None and excinfo.typename in ("Failed", "Skipped"):
            return str(exc)
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip() if exc else "unknown"
        self.problems.append(f"grader error in a test: {text}")
        return f"The grader could not check this test (internal error: {text}). Please tell your instructor."


def outcome_of(excinfo) -> str:
    """A failed test's outcome (see autograder/records.py), from the exception it ended with:
    the same cases as :meth:`GradingPlugin.explain`, never the text of a message."""
    exc = excinfo.value if excinfo else None
    if isinstance(exc, OutOfTime):
        return OUT_OF_TIME
    if isinstance(exc, SubmissionNotLoaded):
        return NOT_LOADED
    if isinstance(exc, StudentCrashed):
        # kind "cpu": the child's CPU-time limit killed it (sandbox/process.py)
        return TIME_LIMIT if exc.kind in ("timeout", "cpu") else CRASHED
    if isinstance(exc, StudentRaised):
        return RAISED
    if isinstance(exc, PartialCredit):
        return PARTIAL
    if isinstance(exc, (StudentFailure, GradingFailure, AssertionError)):
        return FAILED
    if exc is not None and excinfo.typename in ("Failed", "Skipped"):
        return FAILED
    return GRADER_ERROR


def _forget_test_modules(test_files: list[Path]) -> None:
    """Drop grader test modules from sys.modules.

    pytest's importlib mode names a module after its path below the rootdir and reuses a
    module of that name already imported, so a second course with the same layout graded in
    this process would run the first course's tests.
    """
    folders = {os.path.dirname(os.path.realpath(p)) for p in test_files}
    installed = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix} - set(folders))
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or file.startswith(installed):  # the standard library, torch...: thousands, never tests
            continue
        if os.path.dirname(os.path.realpath(file)) in folders:
            del sys.modules[name]


def run_pytest(test_files: list[Path], plugin: GradingPlugin, rootdir: Path) -> int:
    """Run grader tests in this (the judge's) process, silently."""
    args = [str(p) for p in test_files] + [
        # unraisableexception: its five gc.collect() at the end of every run cost 0.3 s or more
        # per grading (the judge's heap holds torch); the judge reports no warnings anyway.
        "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:unraisableexception",
        "--import-mode=importlib", "--noconftest",
        "-o", "addopts=", "-o", "python_files=test_*.py", "--rootdir", str(rootdir),
        "-q", "--tb=no", "--no-header", "-W", "ignore::pytest.PytestAssertRewriteWarning",
    ]
    import io
    from contextlib import redirect_stderr, redirect_stdout

    sink = io.StringIO()
    _forget_test_modules(test_files)
    try:
        with redirect_stdout(sink), redirect_stderr(sink):
            code = pytest.main(args, plugins=[plugin])
    finally:
        _forget_test_modules(test_files)
    if int(code) in (int(pytest.ExitCode.INTERNAL_ERROR), int(pytest.ExitCode.USAGE_ERROR)):
        plugin.problems.append(f"pytest exited with {code!r}:\n{sink.getvalue()[-3000:]}")
    sys.stdout.flush()
    return int(code)

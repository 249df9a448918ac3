"""A graded test's record, shared by the plugin that fills it and the results that report it.
Kept apart from the plugin so that writing results imports neither pytest nor torch."""
from __future__ import annotations

from dataclasses import dataclass, field

# What happened in a test, decided by the plugin from the exception the test ended with (never
# from the message's text). ``status`` stays Gradescope's "passed" / "failed"; ``outcome`` says why.
PASSED = "passed"
FAILED = "failed"  # the answer was judged wrong (or not implemented, missing, changed its input)
RAISED = "raised"  # student code raised an exception
CRASHED = "crashed"  # the student's process died: memory, sys.exit at import, unreadable reply
TIME_LIMIT = "time limit"  # a call ran past its time limit or its CPU-time limit
OUT_OF_TIME = "out of time"  # not run: the grading's overall time limit was reached first
NOT_LOADED = "not loaded"  # not run: the submission could not be found, loaded or sandboxed
NOT_RUN = "not run"  # never reached (grading stopped before it)
SKIPPED = "skipped"
GRADER_ERROR = "grader error"  # the grader test itself broke
PARTIAL = "partial"  # part of the points (checks.partial_credit): the answer is partly right
OUTCOMES = (PASSED, FAILED, RAISED, CRASHED, TIME_LIMIT, OUT_OF_TIME, NOT_LOADED, NOT_RUN, SKIPPED, GRADER_ERROR,
            PARTIAL)
TIMED_OUT = (TIME_LIMIT, OUT_OF_TIME)  # outcomes that make a grading "time limit"


@dataclass
class TestRecord:
    __test__ = False  # not a pytest test class

    number: str
    name: str
    max_score: float
    visibility: str
    score: float = 0.0
    status: str = "failed"  # Gradescope's: exactly "passed" or "failed"
    output: str = "Not run."  # what the student reads: the failure message, then any feedback
    ran: bool = False
    images: list = field(default_factory=list)  # (file name, PNG bytes, alt text)
    seconds: float = 0.0  # time in the test (setup and call), for benchmarks
    outcome: str = NOT_RUN  # one of OUTCOMES


def number_key(number: str) -> tuple:
    """Sort "1.2" before "1.10", and numbers before names ("W1", the written questions)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in number.replace("-", ".").split("."))

"""Gradescope's results.json, written by the judge only, and the one place where results
become text: ``output`` (:func:`render_output`), the printed check table
(:func:`render_check`, :func:`render_table`, :func:`render_messages`).

A grading's results are fields, not text to parse: the ``header`` line, the ``messages`` about
the submission as a whole, the judge's own ``problems``, why grading ``stopped`` early, whether
the submission ``loaded``, and per test an ``outcome`` (autograder/records.py); ``status`` sums
them up, and results.json carries it in ``extra_data.autograder`` for ``batch``."""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .records import NOT_LOADED, TIMED_OUT, TestRecord, number_key

# A grading's status (Results.status; extra_data.autograder.status in results.json). The first
# three are the student's result; the others mean the judge did not grade properly (ok false).
OK = "ok"
TIME_LIMIT = "time limit"  # some test reached a time limit (records.TIMED_OUT)
NOT_LOADED_STATUS = NOT_LOADED  # "not loaded": the submission could not be found or loaded
GRADER_PROBLEM = "grader problem"  # the judge had a problem of its own (Results.problems)
INTERRUPTED = "interrupted"  # a Ctrl-C (SIGINT) stopped the tests: the results are partial
DEADLINE = "deadline"  # the watchdog stopped grading at its deadline
GRADER_FAILED = "grader failed"  # the judge failed before it had results (failure_results)
STUDENT_STATUSES = (OK, TIME_LIMIT, NOT_LOADED_STATUS)
STATUSES = STUDENT_STATUSES + (GRADER_PROBLEM, INTERRUPTED, DEADLINE, GRADER_FAILED)
STOPPED = (INTERRUPTED, DEADLINE)  # the values of Results.stopped besides ""

PROBLEM_LINE = "The grader had a problem; your instructor has been told:"


@dataclass
class Results:
    tests: list[TestRecord]
    header: str = ""  # the instructor's first line: "<title>: N of M tests passed." (students: student_header)
    title: str = ""  # the assignment's title, for student_header
    messages: list[str] = field(default_factory=list)  # paragraphs for the student about the whole submission
    problems: list[str] = field(default_factory=list)  # the judge's own problems: then ok is false
    stopped: str = ""  # why grading stopped before its end: "" or one of STOPPED
    loaded: bool = True  # False when the submission could not be found or loaded (the student's)
    leaderboard: list[dict] = field(default_factory=list)  # Gradescope's entries (plugin.Leaderboard)
    rate_limited: bool = False  # the hidden tests were held back (rate_limit.py): not a full grading
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)  # for the instructor only
    timings: dict = field(default_factory=dict)  # where the time went, for benchmarks

    @property
    def status(self) -> str:
        """One of STATUSES: the judge's trouble first, then the student's."""
        if self.stopped:
            return self.stopped
        if self.problems:
            return GRADER_PROBLEM
        if not self.loaded:
            return NOT_LOADED_STATUS
        if any(t.outcome in TIMED_OUT for t in self.tests):
            return TIME_LIMIT
        return OK

    @property
    def ok(self) -> bool:
        """False when the grader itself failed (not the student)."""
        return self.status in STUDENT_STATUSES

    @property
    def complete(self) -> bool:
        """Every test ran (each has its result, whatever it is)."""
        return all(t.ran for t in self.tests)

    @property
    def output(self) -> str:
        """The text students read at the top of their results (see :func:`render_output`)."""
        return render_output(self)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def sorted_tests(self) -> list[TestRecord]:
        return sorted(self.tests, key=lambda t: number_key(t.number))

    def to_gradescope(self) -> dict:
        data = {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": bounded(self.output),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            # machine-readable for `batch` (Gradescope's spec keeps extra_data as it is)
            "extra_data": {"autograder": self.summary()},
            "tests": [_test_json(t) for t in self.sorted_tests()] + self._instructor_notes(),
        }
        if self.leaderboard:
            data["leaderboard"] = [dict(e) for e in self.leaderboard]
        return data

    def summary(self) -> dict:
        """What ``batch`` reads from results.json: ok, complete, status and each test's outcome
        (by number). No message text: nothing downstream decides anything from text."""
        summary = {"ok": self.ok, "complete": self.complete, "status": self.status,
                   "tests": {t.number: t.outcome for t in self.sorted_tests()}}
        if self.rate_limited:  # what rate_limit.py reads back from Gradescope's previous results
            summary["rate_limited"] = True
        return summary

    def _instructor_notes(self) -> list[dict]:
        """Gradescope has no instructor-only output; a hidden test worth 0 points is one."""
        if not self.notes:
            return []
        return [{"name": "Grader notes (instructors only)", "number": "0", "score": 0.0, "max_score": 0.0,
                 "status": "passed", "visibility": "hidden", "output": "\n".join(self.notes)}]

    def images(self) -> dict[str, bytes]:
        """Figures to write beside results.json, by file name."""
        return {image_name(t, name): png for t in self.tests for name, png, _ in t.images}


def image_name(test: TestRecord, name: str) -> str:
    return f"test-{test.number}-{name}"


def _test_json(t: TestRecord) -> dict:
    entry = {
        "name": t.name,
        "number": t.number,
        "score": t.score,
        "max_score": t.max_score,
        "status": "passed" if t.status == "passed" else "failed",
        "visibility": t.visibility,
        "output": bounded(t.output),
    }
    if t.images:  # Gradescope renders HTML output, with figures embedded as data URIs
        figures = "".join(
            f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>" for _, png, alt in t.images)
        entry["output"] = f"<pre>{html.escape(bounded(t.output))}</pre>{figures}"
        entry["output_format"] = "html"
    return entry


def write_json(data: dict, path: Path) -> None:
    """Write atomically, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def failure_results(message: str, max_score: float | None, elapsed: float = 0.0,
                    status: str = GRADER_FAILED) -> dict:
    """What is written when the grader itself fails: a valid file with a message (``status``:
    why, for ``batch``: GRADER_FAILED, or DEADLINE from the watchdog)."""
    tests = []
    if max_score:
        tests.append({"name": "Grading could not run", "number": "0", "score": 0.0,
                      "max_score": float(max_score), "status": "failed", "visibility": "visible",
                      "output": message})
    return {"score": 0.0, "execution_time": round(elapsed, 3), "output": message,
            "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"autograder": {"ok": False, "complete": False, "status": status, "tests": {}}},
            "tests": tests}


TABLE_WIDTH = 100  # characters of message per line in the printed table; longer lines wrap
MAX_TEST_LINES = 80  # wrapped lines shown per test message; the rest is counted, never cut mid-line
MAX_TABLE_LINES = 800  # wrapped message lines in the whole table
MAX_OUTPUT_CHARS = 20_000  # per message in results.json (Gradescope's file stays small)


def wrap(text: str, width: int = TABLE_WIDTH) -> list[str]:
    """``text`` as lines of at most ``width`` characters, every character kept: long lines
    wrap at spaces (a word longer than the line is split), keeping their indentation."""
    out: list[str] = []
    for line in text.expandtabs(4).splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * min(len(line) - len(line.lstrip(" ")), width // 2)
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False,
                                 replace_whitespace=False) or [""])
    return out


def bounded(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` whole when it fits in ``limit`` characters; else its start, ended at a line
    break, and a line saying how much is left out."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    head = head[:head.rfind("\n")] if "\n" in head else head
    return f"{head}\n... ({len(text) - len(head)} more characters not shown)"


def problem_paragraph(results: Results, *, detail: bool = False) -> str:
    """The paragraph that says the grader had a problem ("" when none). Students (results.json's
    ``output``) get each problem's first line only: a collection traceback or a judge-side
    exception can quote the hidden tests, so the whole text goes to the instructor's notes
    (``Results.notes``) and, with ``detail``, to the terminal of whoever ran the grader."""
    if not results.problems:
        return ""
    lines = results.problems if detail else [bounded(p.strip().splitlines()[0] if p.strip() else p, 200)
                                             for p in results.problems]
    return "\n".join([PROBLEM_LINE, *lines])


def paragraphs(results: Results, *, detail: bool = False) -> list[str]:
    """``output``'s paragraphs after the header: the messages, then the problem paragraph."""
    return [p for p in (*results.messages, problem_paragraph(results, detail=detail)) if p]


def render_output(results: Results) -> str:
    """results.json's top-level ``output``: the header, the messages, the problem paragraph."""
    return "\n\n".join(p for p in (student_header(results), *paragraphs(results)) if p)


def student_header(results: Results) -> str:
    """The first line students read. It counts only the tests they may see now: "N of M tests
    passed" over hidden tests too would tell them, before grades are published, how many hidden
    tests they fail (an oracle to submit against). The instructor's ``header`` counts all."""
    shown = [t for t in results.tests if t.visibility == "visible"]
    if not results.title or len(shown) == len(results.tests):
        return results.header
    passed = sum(t.status == "passed" for t in shown)
    return (f"{results.title}: {passed} of {len(shown)} visible tests passed. The other tests' results "
            "are shown when grades are published.")


def render_messages(results: Results, width: int = TABLE_WIDTH) -> str:
    """What the grader says about the submission as a whole (which file was graded, why it
    could not be loaded, ...): ``output`` after its header, wrapped, for the top of the
    printed results."""
    return "\n\n".join("\n".join(wrap(p, width)) for p in paragraphs(results, detail=True) if p.strip())


def render_check(results: Results, *, width: int = TABLE_WIDTH, rest_in: str | None = None) -> str:
    """What ``grade``, ``check`` and a notebook's check cell print: the messages about the
    submission as a whole (if any), a blank line, then the score table."""
    messages = render_messages(results, width)
    table = render_table(results, width=width, rest_in=rest_in)
    return f"{messages}\n\n{table}" if messages else table


def render_table(results: Results, *, show_output: bool = True, width: int = TABLE_WIDTH,
                 rest_in: str | None = None) -> str:
    """The score table; failure messages are wrapped at ``width``, never cut mid-line. A very
    long message shows its first ``MAX_TEST_LINES`` lines and says how many are left
    (``rest_in``: where the whole text is, e.g. "results.json")."""
    rows = []
    budget = MAX_TABLE_LINES
    where = f" (the whole message is in {rest_in})" if rest_in else ""
    for t in results.sorted_tests():
        mark = "PASS" if t.status == "passed" else "PART" if t.score > 0 else "FAIL"
        score = f"{t.score:g}/{t.max_score:g}"
        rows.append(f"  {t.number:<6} {mark}  {score:>7}  {t.name}")
        if show_output and t.output and t.status != "passed":
            lines = wrap(t.output, width)
            shown = min(len(lines), MAX_TEST_LINES, max(budget, 1))
            budget -= shown
            rows.extend(f"         | {line}".rstrip() for line in lines[:shown])
            if shown < len(lines):
                rows.append(f"         | ... {len(lines) - shown} more lines{where}")
    rows.append(f"  {'':<6} total  {results.score:g}/{results.max_score:g}")
    return "\n".join(rows)


__all__ = ["Results", "write_json", "failure_results", "render_output", "render_check", "render_table",
           "render_messages", "problem_paragraph", "paragraphs", "wrap", "bounded", "asdict", "STATUSES",
           "STUDENT_STATUSES", "OK", "TIME_LIMIT", "GRADER_PROBLEM", "INTERRUPTED", "DEADLINE", "GRADER_FAILED"]

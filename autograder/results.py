"""Gradescope's results.json, written by the judge only, and a readable score table."""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .records import TestRecord, number_key


@dataclass
class Results:
    tests: list[TestRecord]
    output: str = ""
    execution_time: float = 0.0
    ok: bool = True  # False when the grader itself failed (not the student)
    notes: list[str] = field(default_factory=list)  # for the instructor only
    timings: dict = field(default_factory=dict)  # where the time went, for benchmarks

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def sorted_tests(self) -> list[TestRecord]:
        return sorted(self.tests, key=lambda t: number_key(t.number))

    def to_gradescope(self) -> dict:
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": bounded(self.output),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            # machine-readable for `batch` (Gradescope's spec keeps extra_data as it is)
            "extra_data": {"autograder": {"ok": self.ok, "complete": all(t.ran for t in self.tests)}},
            "tests": [_test_json(t) for t in self.sorted_tests()] + self._instructor_notes(),
        }

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


def failure_results(message: str, max_score: float | None, elapsed: float = 0.0) -> dict:
    """What is written when the grader itself fails: a valid file with a message."""
    tests = []
    if max_score:
        tests.append({"name": "Grading could not run", "number": "0", "score": 0.0,
                      "max_score": float(max_score), "status": "failed", "visibility": "visible",
                      "output": message})
    return {"score": 0.0, "execution_time": round(elapsed, 3), "output": message,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


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


def render_messages(results: Results, width: int = TABLE_WIDTH) -> str:
    """What the grader says about the submission as a whole (which file was graded, why it
    could not be loaded, ...): ``output`` after its first line, wrapped, for the top of the
    printed results."""
    paragraphs = [p for p in results.output.split("\n\n")[1:] if p.strip()]
    return "\n\n".join("\n".join(wrap(p, width)) for p in paragraphs)


def render_table(results: Results, *, show_output: bool = True, width: int = TABLE_WIDTH,
                 rest_in: str | None = None) -> str:
    """The score table; failure messages are wrapped at ``width``, never cut mid-line. A very
    long message shows its first ``MAX_TEST_LINES`` lines and says how many are left
    (``rest_in``: where the whole text is, e.g. "results.json")."""
    rows = []
    budget = MAX_TABLE_LINES
    where = f" (the whole message is in {rest_in})" if rest_in else ""
    for t in results.sorted_tests():
        mark = "PASS" if t.status == "passed" else "FAIL"
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


__all__ = ["Results", "write_json", "failure_results", "render_table", "render_messages", "wrap",
           "bounded", "asdict"]

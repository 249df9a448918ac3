"""What a batch publishes for one submission: its autograded results, plus the written grades
merged from written.csv, with the late rule applied to the sum. The gradebook, the report,
the feedback pages and ``published/<id>.json`` all read it from here, so they agree.

The judge's ``results/<id>.json`` stays as the judge wrote it (the cache keeps it); a changed
late rule, extension or written grade changes only what is published, without regrading."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..late import Lateness, describe

if TYPE_CHECKING:
    from .outcomes import Outcome


def is_graded(test: dict) -> bool:
    """A test that counts: not a hidden 0-point one (the instructor's notes, the written answers
    for graders)."""
    return test.get("visibility") != "hidden" or bool(float(test.get("max_score") or 0))


@dataclass
class Published:
    outcome: Outcome
    tests: list[dict]  # the judge's tests (less its notes), then the written questions
    raw: float  # autograded + written, before the late rule
    max_score: float
    lateness: Lateness = field(default_factory=Lateness)
    written: float | None = None  # the written part of raw (None: nothing merged)

    @property
    def score(self) -> float:
        """The final score: the late rule applied to raw (0 when not accepted)."""
        return self.lateness.final(self.raw) if self.lateness.late else self.raw

    @property
    def late_by(self) -> str:
        return describe(self.lateness.late_by) if self.lateness.late else ""

    @property
    def penalty(self) -> float:
        return self.lateness.penalty if self.lateness.late else 0.0

    def results(self) -> dict:
        """Gradescope's results.json as published: the score, the late message atop output,
        the written tests beside the judge's."""
        data = dict(self.outcome.data, tests=self.tests, score=self.score)
        data = {k: v for k, v in data.items() if not k.startswith("_batch")}
        message = self.lateness.message(self.raw)
        if message:
            data["output"] = message + "\n\n" + str(data.get("output", ""))
        return data


def publish(outcome: Outcome, late=None, written: dict | None = None) -> Published:
    """``late``: a late.LatePolicy (or None); ``written``: read_grades' dict by submission id."""
    from ..written import as_tests

    tests = [t for t in outcome.data.get("tests", []) if isinstance(t, dict)]
    graded = [t for t in tests if is_graded(t)]
    auto = float(outcome.data.get("score", 0))
    max_score = sum(float(t.get("max_score") or 0) for t in graded)
    marks = (written or {}).get(outcome.entry.id)
    extra = as_tests(marks) if marks else []
    written_points = sum(t["score"] for t in extra) if marks else None
    lateness = late.assess(outcome.entry.submitted, outcome.entry.students) if late else Lateness()
    return Published(outcome, graded + extra, auto + (written_points or 0.0),
                     max_score + sum(t["max_score"] for t in extra), lateness, written_points)

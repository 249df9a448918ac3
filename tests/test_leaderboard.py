"""Gradescope's leaderboard: entries posted by grader tests (the judge's measures), on spec in
results.json, and the class's table in the batch report. (A real vae grading posts its entry:
tests/test_samples.py checks it on every correct vae sample.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.classroom.export import Entry
from autograder.classroom.outcomes import Outcome
from autograder.plugin import Leaderboard
from autograder.records import TestRecord
from autograder.classroom.report import _leaderboard_html, leaderboards
from autograder.results import Results


def test_entries_are_on_gradescopes_spec():
    board = Leaderboard()
    board.add("loss", 12.3456789, order="asc")
    board.add("accuracy", 0.9)
    board.add("accuracy", 0.95)  # a name posted twice keeps the last value
    board.add("broken", float("nan"))
    board.add("unbounded", float("-inf"), order="asc")
    with pytest.raises(ValueError):
        board.add("x", 1.0, order="down")
    record = TestRecord("1.1", "t", 1.0, "visible", 1.0, "passed")
    data = Results([record], header="T: 1 of 1", leaderboard=list(board.entries.values())).to_gradescope()
    assert data["leaderboard"] == [{"name": "loss", "value": 12.345679, "order": "asc"},
                                   {"name": "accuracy", "value": 0.95}]
    assert "leaderboard" not in Results([record], header="T").to_gradescope()


def _outcome(student: str, entries: list) -> Outcome:
    return Outcome(Entry(student, Path(student), [{"name": student}]), {"score": 1.0, "tests": [],
                                                                       "leaderboard": entries}, "ok", 1.0)


def test_the_report_ranks_the_class_best_first():
    outcomes = [_outcome("ann", [{"name": "loss", "value": 90.0, "order": "asc"}, {"name": "acc", "value": 0.5}]),
                _outcome("bob", [{"name": "loss", "value": 80.5, "order": "asc"}, {"name": "acc", "value": 0.7}]),
                _outcome("cy", [{"name": "loss", "value": "forged"}]),  # not a number: left out
                _outcome("dee", [])]
    boards = leaderboards(outcomes)
    assert boards == {"loss": [("bob", 80.5), ("ann", 90.0)], "acc": [("bob", 0.7), ("ann", 0.5)]}
    page = _leaderboard_html(outcomes)
    assert page.startswith("<h2>Leaderboard</h2>") and page.index("bob") < page.index("ann")
    assert _leaderboard_html([_outcome("dee", [])]) == ""

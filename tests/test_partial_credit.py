"""Partial credit inside a test (checks.partial_credit): a fraction of the test's points with a
message, on a tiny course graded for real; the maximum stays, the table, results.json and the
batch report show the fraction."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

TESTS = '''\
    import pytest

    from autograder.checks import partial_credit


    @pytest.mark.grade("{n}.1", "a loss between the baseline and the pass mark", points=4)
    def test_loss(student):
        baseline, pass_mark = 10.0, 2.0
        loss = float(student.loss())
        fraction = (baseline - loss) / (baseline - pass_mark)
        if fraction < 1:
            partial_credit(fraction, f"loss {{loss:g}}: {{fraction:.0%}} of the way from the baseline "
                                     f"({{baseline:g}}) to the pass mark ({{pass_mark:g}})")
    '''


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    folder = root / "assignments" / "demo"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('title = "Partial demo"\ntotal_points = 8\n')
    (folder / "test_public.py").write_text(textwrap.dedent(TESTS.format(n=1)))
    (folder / "test_hidden.py").write_text(textwrap.dedent(TESTS.format(n=2)))
    (root / "solutions").mkdir()
    (root / "solutions" / "demo.py").write_text("def loss():\n    return 2.0\n")
    return root


def _grade(course, loss, tmp_path):
    from autograder.course import load_assignment
    from autograder.grading import grade

    path = tmp_path / "demo.py"
    path.write_text(f"def loss():\n    return {loss!r}\n")
    return grade(load_assignment(course, "demo"), path, device="cpu")


@pytest.mark.parametrize("loss, score", [(2.0, 4.0), (1.0, 4.0), (6.0, 2.0), (8.0, 1.0), (10.0, 0.0), (50.0, 0.0),
                                         (float("nan"), 0.0)])
def test_fraction_of_the_points(course, tmp_path, loss, score):
    results = _grade(course, loss, tmp_path)
    assert results.ok and results.max_score == 8
    assert [t.score for t in results.sorted_tests()] == [score, score]
    for t in results.tests:
        assert t.max_score == 4
        assert (t.status == "passed") == (score == 4.0)
        if 0 < score < 4:
            assert t.outcome == "partial" and "of the way from the baseline" in t.output, t.output
    if 0 < score < 4:
        from autograder.results import render_table

        assert re.search(rf"1\.1\s+PART\s+{score:g}/4", render_table(results)), render_table(results)
        data = results.to_gradescope()
        assert data["score"] == 2 * score and data["extra_data"]["autograder"]["tests"]["1.1"] == "partial"


def test_the_batch_report_counts_partial_credit(course, tmp_path):
    from autograder.classroom.outcomes import Outcome
    from autograder.classroom.report import test_stats as per_test

    data = _grade(course, 6.0, tmp_path).to_gradescope()
    stats = {s["number"]: s for s in per_test([Outcome(None, data, "ok", 1.0)])}
    assert stats["1.1"]["passed"] == 0 and stats["1.1"]["partial"] == 1

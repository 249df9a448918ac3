"""Every sample submission under tests/submissions/<assignment>/ is graded as a student's
would be: correct variants (``# expect: full``) must get full marks, and each realistic
mistake (``# expect-fail: N.M ...``) must fail exactly the tests it names, no more, no less."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SUBMISSIONS, expected_failures, failed_numbers, grade_file

SAMPLES = sorted(p for p in SUBMISSIONS.glob("*/*/*") if p.suffix in (".py", ".ipynb", ".zip") or p.is_dir())


@pytest.mark.parametrize("sample", SAMPLES, ids=[str(p.relative_to(SUBMISSIONS)) for p in SAMPLES])
def test_sample_submission(sample: Path):
    slug = sample.relative_to(SUBMISSIONS).parts[0]
    marker = sample if sample.is_file() and sample.suffix == ".py" else sample.with_suffix(".expect")
    expected = expected_failures(marker)
    results = grade_file(slug, sample)
    assert results.ok, results.output
    failed = failed_numbers(results)
    messages = {t.number: t.output for t in results.tests if t.status != "passed"}
    if expected is None:
        assert results.score == results.max_score, f"a correct submission lost points: {messages}"
    else:
        assert failed == expected, (f"expected exactly {sorted(expected)} to fail, got {sorted(failed)}: "
                                    f"{messages}")
        for number in failed:
            assert messages[number].strip(), f"test {number} failed without a message"

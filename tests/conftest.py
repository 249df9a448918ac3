"""Shared helpers for the project's own tests."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
for _folder in (ROOT, ROOT / "tests"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from sample_builder import build_sample  # noqa: E402


def grade_file(slug: str, path: Path, *, public_only: bool = False):
    """Grade ``path`` in-process on the CPU, as `autograder grade` does. A wrong sample
    (a mutation, see tests/sample_builder.py) is graded as the module it builds."""
    from autograder.course import load_assignment
    from autograder.grading import grade

    return grade(load_assignment(ROOT, slug), build_sample(Path(path)), device="cpu", public_only=public_only)


def expected_failures(path: Path) -> set[str] | None:
    """Test numbers a sample submission must fail, from its ``# expect-fail: 2.6 2.11`` line;
    None for ``# expect: full``."""
    text = path.read_text(errors="replace")
    match = re.search(r"^# expect-fail:(.*)$", text, re.M)
    if match:
        return set(match.group(1).replace(",", " ").split())
    if re.search(r"^# expect: full\s*$", text, re.M):
        return None
    raise ValueError(f"{path} has neither '# expect: full' nor '# expect-fail: ...'")


def failed_numbers(results) -> set[str]:
    return {t.number for t in results.tests if t.status != "passed"}


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT

"""Shared helpers for the project's own tests."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for _folder in (ROOT, ROOT / "tests"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from sample_builder import build_sample  # noqa: E402

pytest_plugins = ["xdist_groups"]  # `--dist loadgroup` that holds (tests/xdist_groups.py)


def grade_file(slug: str, path: Path, *, public_only: bool = False, dataset: str = "digits"):
    """Grade ``path`` in-process on the CPU, as `autograder grade` does. A wrong sample
    (a mutation, see tests/sample_builder.py) is graded as the module it builds."""
    import dataclasses

    from autograder.course import load_assignment
    from autograder.grading import grade

    assignment = dataclasses.replace(load_assignment(ROOT, slug), dataset=dataset)
    return grade(assignment, build_sample(Path(path)), device="cpu", public_only=public_only)


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


@pytest.fixture(scope="session", autouse=True)
def warm_children(tmp_path_factory):
    """In-process gradings fork their sandbox children from one zygote for the whole session,
    as a warm batch does (autograder/classroom/warm_judge.py): about 2 s of torch import saved per child.
    AUTOGRADER_TEST_COLD=1 starts every child from a fresh interpreter instead. Tests of the
    cold path run `autograder grade` as a command, which always starts cold."""
    if os.environ.get("AUTOGRADER_TEST_COLD") == "1":
        yield None
        return
    from autograder.sandbox import process, warm_start

    zygote = warm_start.Zygote()
    process.ZYGOTE = zygote
    mark = session_zygotes(tmp_path_factory) / str(zygote.proc.pid)
    mark.touch()
    try:
        yield zygote
    finally:
        process.ZYGOTE = None
        zygote.close()
        mark.unlink(missing_ok=True)


def session_zygotes(tmp_path_factory) -> Path:
    """A folder naming the session zygotes of this run, one empty file per process id: each
    pytest-xdist worker has its own, and a test that looks for stray zygotes leaves them out."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the workers' temporary folders share a parent
        base = base.parent
    folder = base / "session-zygotes"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def session_zygote_folder(tmp_path_factory) -> Path:
    return session_zygotes(tmp_path_factory)


def session_zygote_pids(folder: Path) -> set[int]:
    """The process ids the folder of `session_zygotes` names now (a worker may start later)."""
    return {int(p.name) for p in folder.iterdir()} if folder.is_dir() else set()

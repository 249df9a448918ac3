"""Where a course's assignments live, and what each one's ``assignment.toml`` says.

A course folder holds ``assignments/<slug>/`` (statement, ``assignment.toml``, grader
tests ``test_public.py`` and ``test_hidden.py``, optional helpers ``judge_helpers.py``,
``child_helpers.py`` and ``hidden_child_helpers.py`` (see ``contract.py``), ``instructor/`` tools),
``solutions/<slug>.py`` (reference, judge only) and ``student_template/<slug>.py``.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .sandbox.process import Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class CourseError(Exception):
    """A problem with the course folder or an assignment name (a usage error)."""


@dataclass
class Assignment:
    slug: str
    root: Path  # the course folder
    title: str
    deadline: float  # seconds for the whole grading run
    limits: Limits
    total_points: float | None
    full_gradings_per_day: int | None = None  # [gradescope]: see rate_limit.py
    late_table: dict | None = None  # [late]: see late.py
    written_table: dict | None = None  # [written]: see written.py
    dataset: str = "digits"  # training data of assignments that train models (--dataset)

    def late_policy(self, extensions: Path | None = None):
        """The [late] rule (late.LatePolicy), or None when the assignment has none."""
        if self.late_table is None:
            return None
        from .late import LatePolicy

        return LatePolicy.from_config(self.late_table, self.folder, extensions)

    @property
    def folder(self) -> Path:
        return self.root / "assignments" / self.slug

    @property
    def public_tests(self) -> Path:
        return self.folder / "test_public.py"

    @property
    def hidden_tests(self) -> Path:
        return self.folder / "test_hidden.py"

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / f"{self.slug}.py"

    @property
    def template(self) -> Path:
        return self.root / "student_template" / f"{self.slug}.py"

    @property
    def statement(self) -> Path:
        return self.folder / "README.md"

    def test_files(self, public_only: bool) -> list[Path]:
        files = [self.public_tests]
        if not public_only and self.hidden_tests.exists():
            files.append(self.hidden_tests)
        return files


def find_course(start: Path | None = None) -> Path:
    """The given folder, or the nearest folder at or above the current one holding ``assignments/``."""
    here = (start or Path.cwd()).resolve()
    if start is not None:
        if not (here / "assignments").is_dir():
            raise CourseError(f"{here} has no assignments/ folder")
        return here
    for folder in (here, *here.parents):
        if (folder / "assignments").is_dir():
            return folder
    raise CourseError("no assignments/ folder here or above; run inside a course folder or pass --course DIR")


def list_assignments(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "assignments").glob("*/assignment.toml"))


def load_assignment(root: Path, slug: str) -> Assignment:
    config_path = root / "assignments" / slug / "assignment.toml"
    if not config_path.exists():
        known = ", ".join(list_assignments(root)) or "none"
        raise CourseError(f"unknown assignment {slug!r} (known: {known})")
    config = tomllib.loads(config_path.read_text())
    grading = config.get("grading", {})
    limits = Limits()
    for key in ("call_timeout", "memory_mb", "cpu_seconds", "file_mb", "processes", "threads"):
        if key in grading:
            setattr(limits, key, type(getattr(limits, key))(grading[key]))
    return Assignment(
        slug=slug,
        root=root,
        title=config.get("title", slug),
        deadline=float(grading.get("deadline", 480)),
        limits=limits,
        total_points=config.get("total_points"),
        full_gradings_per_day=config.get("gradescope", {}).get("full_gradings_per_day"),
        late_table=config.get("late"),
        written_table=config.get("written"),
    )

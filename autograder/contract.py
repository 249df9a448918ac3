"""The assignment contract: the fixed file names of ``assignments/<slug>/`` and what the
engine makes of them (docs/writing-assignments.md teaches it).

=========================== ==========================================================
``judge_helpers.py``        judge-side helper code; the ``judge`` fixture (one module per
                            grading, shared by the public and hidden tests)
``child_helpers.py``        helper code that runs in the child beside the submission; the
                            ``child_helpers`` fixture (the :class:`ChildHelpers` that
                            tests pass to ``student.run``)
``hidden_child_helpers.py`` child code for grading only (never shipped to students),
                            appended to ``child_helpers.py`` wherever it is present
``assignment.toml``         the ``config`` fixture (the whole file, read-only: tables are
                            mappings, arrays tuples)
``instructor/``             instructors' tools (calibration, plots, notes): never shipped
=========================== ==========================================================

The ``judge_helpers.py`` and ``child_helpers.py`` files ship in the student bundle exactly
when the public tests use their fixture (:data:`FIXTURE_FILES`, read by
``autograder.build.student_files``).

Child helpers report a student function's failure that they catch (to go on judging another
function) with :func:`student_failure`, which the engine defines in every child helper (see
:data:`CHILD_API`); the judge turns each such report in a helper's result into the same
failure a direct call of that function would have raised (:func:`failures_in`).
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from .proxy import Helper, Student, failure_from_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

JUDGE_HELPERS = "judge_helpers.py"
CHILD_HELPERS = "child_helpers.py"
HIDDEN_CHILD_HELPERS = "hidden_child_helpers.py"
CONFIG_FILE = "assignment.toml"
INSTRUCTOR_FOLDER = "instructor"
SAMPLES_FOLDER = "samples"  # sample submissions, correct/ and wrong/: the grader's own tests

# A public test that takes one of these fixtures needs the file in the student bundle.
FIXTURE_FILES = {"judge": JUDGE_HELPERS, "child_helpers": CHILD_HELPERS}

FAILURE_KEY = "__student_failure__"

# Appended to the source of every child helper (after child_helpers.py and
# hidden_child_helpers.py, so that their line numbers stay those of the files). The child
# defines ``describe_error`` in every helper module before running it.
CHILD_API = f'''

# ---- the engine's child-helper API (autograder/contract.py, CHILD_API) ----
def student_failure(function, exc=None):
    """A failure of the student's ``function`` caught by a helper that goes on: ``exc`` is
    what the student's code raised, None when the submission has no such function. Put it
    in the helper's result; the judge turns it into the failure a direct call of
    ``function`` would have raised, and the test that judges ``function`` raises it."""
    if exc is None:
        error = {{"kind": "missing", "type": "AttributeError", "message": f"no function named {{function!r}}"}}
    else:
        error = describe_error(exc)
    return dict(error, {FAILURE_KEY}=str(function))
'''


def load_python(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_config(folder: Path) -> dict:
    """``assignment.toml`` of an assignment folder, as a dict."""
    return tomllib.loads((Path(folder) / CONFIG_FILE).read_text())


def frozen(value: Any) -> Any:
    """``value`` (parsed TOML) read-only: tables become read-only mappings, arrays tuples. The
    ``config`` fixture is shared by every test of a grading, so no test may change it."""
    if isinstance(value, dict):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    return value


def load_judge_helpers(folder: Path) -> ModuleType:
    """``judge_helpers.py`` of an assignment folder, as a fresh module."""
    path = Path(folder) / JUDGE_HELPERS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing (a test asked for the `judge` fixture)")
    return load_python(path, f"_judge_helpers_{Path(folder).name}")


@dataclass
class ChildHelpers(Helper):
    """``child_helpers.py`` (with ``hidden_child_helpers.py`` and :data:`CHILD_API` appended)
    as a :class:`~autograder.proxy.Helper` for ``student.run``."""

    folder: Path | None = None

    def in_judge(self) -> ModuleType:
        """The same source executed in the judge's process, for what the judge shares with
        the child (constants, grader-made functions); cached."""
        module = self.__dict__.get("_module")
        if module is None:
            module = ModuleType(f"_child_helpers_{self.folder.name if self.folder else 'unknown'}")
            module.describe_error = _no_describe_error
            exec(compile(self.source, f"<child helpers {self.name} in the judge>", "exec"), module.__dict__)
            self.__dict__["_module"] = module
        return module


def _no_describe_error(exc: BaseException) -> dict:  # pragma: no cover - only the child reports errors
    raise RuntimeError("describe_error runs in the child only")


def child_helpers_for(folder: Path) -> ChildHelpers:
    folder = Path(folder)
    path = folder / CHILD_HELPERS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing (a test asked for the `child_helpers` fixture)")
    source = path.read_text()
    hidden = folder / HIDDEN_CHILD_HELPERS
    if hidden.exists():
        source += "\n\n" + hidden.read_text()
    return ChildHelpers("child_helpers", source + CHILD_API, folder)


def failures_in(value: Any) -> Any:
    """``value`` (a helper's result) with every :func:`student_failure` report in it replaced
    by the failure itself (a :class:`~autograder.proxy.StudentFailure`, as
    :func:`~autograder.proxy.failure_from_error` builds it for a failed call), whose
    ``reported`` holds what the child reported (``kind``, ``type``, ``message``)."""
    if isinstance(value, dict):
        if isinstance(value.get(FAILURE_KEY), str):
            report = {k: str(v)[:4000] for k, v in value.items() if k != FAILURE_KEY}
            if report.get("kind") == "grader":  # only the child itself reports a grader error
                report["kind"] = "exception"
            failure = failure_from_error(value[FAILURE_KEY], report)
            failure.reported = report
            return failure
        return {k: failures_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [failures_in(v) for v in value]
    if isinstance(value, tuple):
        return tuple(failures_in(v) for v in value)
    return value


class GradingStudent(Student):
    """The ``student`` fixture: :class:`~autograder.proxy.Student`, whose ``run`` results
    carry failures (:func:`failures_in`) where the helper put :func:`student_failure` reports."""

    def run(self, helper: Helper, entry: str, *args: Any, function: str, **kwargs: Any):
        result = super().run(helper, entry, *args, function=function, **kwargs)
        result.value = failures_in(result.value)
        return result

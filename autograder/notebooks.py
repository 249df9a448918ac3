"""The check cells of a student notebook: :func:`check` runs in the student's Jupyter kernel.

It rebuilds the code the kernel has run (IPython's input history, in execution order, without
check cells, magics and shell escapes), writes it to a temporary notebook and grades that with
the normal engine, public tests only and only those that call the function: student code runs
in the sandboxed child, as with ``autograder check``. Outside a kernel, pass ``notebook=`` (a
saved ``.ipynb`` or a ``.py``). The notebooks themselves are built by
``autograder/authoring/student_notebook.py``; their check cells import this module by name.
"""
from __future__ import annotations

import ast
import dataclasses
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import Assignment, find_course, load_assignment


CHECK_MARKER = "autograder.notebooks"  # how check cells are recognised in a kernel's history


def check_cell_source(slug: str, function: str) -> str:
    return (f"# Public checks for `{function}` (not part of your submission: ignored when grading).\n"
            f"from {CHECK_MARKER} import check\n"
            f"check({slug!r}, {function!r})")


def public_test_map(assignment: Assignment, names: list[str] | None = None) -> dict[str, set[str]]:
    return tests_touching(assignment.public_tests, names)


def tests_touching(test_file: Path, names: list[str] | None = None) -> dict[str, set[str]]:
    """For each ``test_*`` function of a grader test file, the student functions it calls,
    found statically: ``student.f(...)``, and strings naming a student function (``student.call("f")``,
    ``function="f"``, parametrized names), also through module-level helpers, fixtures and
    constants it uses. ``names`` adds known function names to those the file mentions."""
    tree = ast.parse(Path(test_file).read_text())
    known = set(names or ())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "student" \
                and node.attr not in ("call", "run"):
            known.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "student" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            known.add(node.args[0].value)
        elif isinstance(node, ast.keyword) and node.arg == "function" and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            known.add(node.value.value)
        if isinstance(node, ast.Call) and not _is_student_method(node.func):
            # a helper handed the student and a function's name: `_estimates(student, "f", ...)`,
            # `judge.batch_draws(student, "f", ...)` (student.run's strings name *helper* functions)
            args = list(node.args) + [k.value for k in node.keywords]
            if any(isinstance(a, ast.Name) and a.id == "student" for a in args):
                known.update(a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                             and a.value.isidentifier())
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    constants = {}
    for n in tree.body:
        if isinstance(n, (ast.Assign, ast.AnnAssign)):
            for target in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                if isinstance(target, ast.Name):
                    constants[target.id] = n
    memo: dict[str, set[str]] = {}

    def touched(name: str, seen: frozenset) -> set[str]:
        if name in memo:
            return memo[name]
        node = functions.get(name) or constants.get(name)
        found: set[str] = set()
        refs = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "student" \
                    and sub.attr in known:
                found.add(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in known:
                found.add(sub.value)
            elif isinstance(sub, ast.Name):
                refs.add(sub.id)
            elif isinstance(sub, ast.arg):
                refs.add(sub.arg)  # fixtures are requested by parameter name
        for ref in refs:
            if ref != name and ref not in seen and (ref in functions or ref in constants):
                found |= touched(ref, seen | {name})
        memo[name] = found
        return found

    return {name: touched(name, frozenset()) for name in functions if name.startswith("test")}


def _is_student_method(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "student"


def tests_for(touched: dict[str, set[str]], function: str) -> list[str]:
    """The tests to run for ``function``: those that call it, and those whose calls are unknown."""
    return [t for t, names in touched.items() if function in names or not names]


@dataclass
class _Selected(Assignment):
    """An assignment whose public tests are narrowed to some test functions."""

    selection: tuple = ()

    def test_files(self, public_only: bool) -> list[Path]:
        return [Path(f"{self.public_tests}::{name}") for name in self.selection]


@dataclass
class CheckReport:
    function: str | None
    results: object = None  # autograder.results.Results
    tests: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        r = self.results
        return r is not None and r.ok and r.score == r.max_score and bool(r.tests)

    def __repr__(self) -> str:
        if self.results is None:
            return f"CheckReport({self.function!r}: no public checks)"
        r = self.results
        return f"CheckReport({self.function or 'all'}: {r.score:g}/{r.max_score:g} points, " \
               f"{'all pass' if self.passed else 'some checks fail'})"


def _kernel_history() -> list[str] | None:
    """The cells this IPython kernel has run, in order, or None outside IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    return [c for c in shell.history_manager.input_hist_raw if isinstance(c, str)]


def cells_to_notebook(cells: list[str]) -> str:
    """A notebook holding these code cells, check cells left out."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells if CHECK_MARKER not in c])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nbformat.writes(nb)


def check(slug: str, function: str | None = None, *, notebook: str | Path | None = None,
          course: str | Path | None = None, device: str = "auto", quiet: bool = False) -> CheckReport:
    """Run the public tests of ``function`` (all public tests when None) on the code this
    Jupyter kernel has run, in the sandbox, and print a table. ``notebook`` grades a saved
    notebook or ``.py`` file instead (the only way outside Jupyter)."""
    from .grading import grade
    from .results import render_check

    root = find_course(Path(course) if course else None)
    assignment = load_assignment(root, slug)
    with tempfile.TemporaryDirectory(prefix="ag-check-") as tmp:
        if notebook is not None:
            submission = Path(notebook)
        else:
            history = _kernel_history()
            if history is None:
                raise RuntimeError("check() without notebook= works inside Jupyter; elsewhere pass "
                                   f"notebook='{slug}.ipynb' (saved) or run `python -m autograder check {slug}` "
                                   "in the unzipped student folder")
            submission = Path(tmp) / f"{slug}.ipynb"
            submission.write_text(cells_to_notebook(history))
        touched = public_test_map(assignment)
        selection = list(touched) if function is None else tests_for(touched, function)
        if function is not None and not any(function in s for s in touched.values()):
            if not quiet:
                print(f"No public test calls `{function}` directly; it is graded by the hidden tests.")
            return CheckReport(function)
        fields = {f.name: getattr(assignment, f.name) for f in dataclasses.fields(Assignment)}
        results = grade(_Selected(**fields, selection=tuple(selection)), submission, device=device,
                        public_only=True)
    report = CheckReport(function, results, [t.number for t in results.tests])
    if not quiet:
        what = f"`{function}`" if function else assignment.title
        print(f"Public checks for {what}:\n")
        print(render_check(results))  # e.g. why the code could not be loaded, then the table
        print("\nAll these checks pass. Hidden tests run when you submit." if report.passed else
              "\nSome checks fail: read the messages above, fix the cell, run it, then run this check again.")
    return report


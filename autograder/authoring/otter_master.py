"""Export an assignment to Otter-Grader (optional extra ``otter``): an Otter Assign master
notebook in Otter's v1 format, generated from the same sources as everything else.

``autograder build`` writes ``DIR/<slug>/otter/<slug>-master.ipynb`` with its support files
beside it (``autograder/`` (the engine), ``assignments/<slug>/``, ``solutions/<slug>.py``,
``requirements.txt``); then ``otter assign DIR/<slug>/otter/<slug>-master.ipynb OUT`` makes the
student notebook and Otter's Gradescope zip. See docs/otter.md. Each Otter test case calls one
of our grader tests in the kernel (``autograder/otter_export.py``).
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..course import Assignment
from ..statement import statement_images
from .student_notebook import copy_statement_images
from ..plugin import GradingPlugin
from ..records import number_key

OTTER_DIR = "otter"
REQUIREMENTS = """\
--extra-index-url https://download.pytorch.org/whl/cpu
torch==2.13.0
numpy>=1.24
pytest>=7.4
nbformat>=5.9
tomli>=2.0; python_version < "3.11"
"""



@dataclass
class GraderTest:
    nodeid: str  # relative to the course folder
    number: str
    name: str
    points: float
    public: bool

    @property
    def function(self) -> str:
        return self.nodeid.split("::", 1)[1].split("[", 1)[0]


class _NoSession:
    device = "cpu"

    def begin_test(self, test_id: str) -> None:  # pragma: no cover - nothing runs at collection
        pass


def collect_tests(assignment: Assignment) -> list[GraderTest]:
    """Every graded test (public and hidden) with its number and points, as the engine sees them."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    import pytest

    plugin = GradingPlugin(_NoSession(), None, math.inf)
    args = [str(p) for p in assignment.test_files(public_only=False)] + [
        "--collect-only", "-p", "no:cacheprovider", "-p", "no:stepwise", "--import-mode=importlib",
        "--noconftest", "-o", "addopts=", "-o", "python_files=test_*.py", "--rootdir", str(assignment.root),
        "-q", "--no-header", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink):
        pytest.main(args, plugins=[plugin])
    if plugin.problems or not plugin.records:
        raise ValueError(f"{assignment.slug}: collecting the grader tests failed:\n"
                         + "\n".join(plugin.problems) + sink.getvalue()[-2000:])
    tests = [GraderTest(nodeid, r.number, r.name, r.max_score, Path(nodeid.split("::")[0]).name == "test_public.py")
             for nodeid, r in plugin.records.items()]
    return sorted(tests, key=lambda t: number_key(t.number))


def otter_solution(solution: str) -> str:
    """Our solution markers in Otter's: each ``# BEGIN SOLUTION (hint)`` region becomes an Otter
    ``# BEGIN SOLUTION NO PROMPT`` region followed by a prompt block holding exactly what our
    template has there (``# TODO: hint`` and ``raise NotImplementedError``), so Otter's student
    notebook matches ours; in the solution it is an unreachable string."""
    from .templates import BEGIN, END, hint_text

    out = []
    prompt: list[str] | None = None
    for line in solution.splitlines():
        begin = BEGIN.match(line)
        if begin:
            indent, rest = begin["indent"], begin["rest"].strip()
            out.append(f"{indent}# BEGIN SOLUTION NO PROMPT")
            prompt = [] if rest == "NO PROMPT" else [
                f'{indent}""" # BEGIN PROMPT',
                f"{indent}# TODO: {hint_text(rest)}".replace('"""', "'''"),
                f"{indent}raise NotImplementedError",
                f'{indent}""" # END PROMPT']
            continue
        if END.match(line):
            out.append(line)
            out.extend(prompt or [])
            prompt = None
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _raw(source: str):
    import nbformat

    return nbformat.v4.new_raw_cell(source.rstrip("\n"))


def _yaml(data: dict) -> str:
    """A YAML mapping (JSON values are YAML), one key a line, for Otter's config cells."""
    return "\n".join(f"{k}: {json.dumps(v)}" for k, v in data.items())


def _test_case(slug: str, test: GraderTest, group: list[str]) -> str:
    ident = "test_" + "".join(c if c.isalnum() else "_" for c in test.number)
    lines = ["# HIDDEN"] if not test.public else []
    lines += [
        f"def {ident}(env):",
        f"    {json.dumps(f'{test.number} {test.name}')}",
        "    from autograder.otter_export import run_grader_test",
        f"    run_grader_test(env, {slug!r}, {test.nodeid!r}, {group!r})",
    ]
    return "\n".join(lines)


def _owner(group: list, questions: dict[str, list]):
    """The function of a group whose grader tests make the Otter question (None: provided code)."""
    return next((c for c in group if c.kind == "function" and questions.get(c.name)), None)


def _question_groups(chunks: list, questions: dict[str, list]) -> list[list]:
    """Cells grouped into Otter questions, in file order. Otter needs at least one test case per
    question (a question without any gets a list for its points and `otter assign` fails), so a
    function no grader test calls directly (it is graded through another) travels with the next
    tested function, with any provided code in between; after the last tested function, with
    that one's question."""
    groups: list[list] = []
    pending: list = []
    for chunk in chunks:
        if chunk.kind == "function" and questions.get(chunk.name):
            groups.append(pending + [chunk])
            pending = []
        elif chunk.kind == "function" or pending:
            pending.append(chunk)
        else:
            groups.append([chunk])
    if pending:
        tested = [g for g in groups if _owner(g, questions)]
        if tested:
            tested[-1].extend(pending)
        else:
            groups.append(pending)
    return groups


def build_master(assignment: Assignment, files: list[str], autograder_files: list[str]):
    """The Otter Assign (v1 format) master notebook for ``assignment``."""
    import nbformat

    from ..notebooks import tests_touching
    from ..statement import split_questions, split_statement
    from .student_notebook import _code, _md, split_source

    slug = assignment.slug
    chunks = split_source(assignment.solution.read_text(), str(assignment.solution))
    names = [c.name for c in chunks if c.kind == "function"]
    tests = collect_tests(assignment)
    touched: dict[str, set[str]] = {}
    for path in assignment.test_files(public_only=False):
        touched.update({f"{path.name}::{k}": v for k, v in tests_touching(path, names).items()})
    questions: dict[str, list[GraderTest]] = {n: [] for n in names}
    for test in tests:
        calls = touched.get(f"{Path(test.nodeid.split('::')[0]).name}::{test.function}", set())
        owners = [n for n in names if n in calls] or names[-1:]
        questions[owners[-1]].append(test)  # a test of several functions goes with the last one

    config = {
        "name": slug,
        "requirements": "requirements.txt",
        "init_cell": True,
        "check_all_cell": False,
        "export_cell": {"pdf": False, "run_tests": False},
        "generate": {"pdf": False, "filtering": False, "show_stdout": False, "show_hidden": False},
        "tests": {"files": False, "ok_format": False},
        "files": files,
        "autograder_files": autograder_files,
    }
    cells = [_raw("# ASSIGNMENT CONFIG\n" + _yaml(config))]
    sections = split_statement(assignment.statement.read_text()) if assignment.statement.exists() else []
    first_q = next((i for i, s in enumerate(sections) if s.is_questions), len(sections))
    for section in sections[:first_q]:
        cells.append(_md(section.text))
    cells.append(_md("## Your code\n\nRun the first cell (imports and provided code) before the others. "
                     "After each function, run the `grader.check` cell under it."))
    for group in _question_groups(chunks, questions):
        owner = _owner(group, questions)
        if owner is None:  # provided code between questions
            cells.extend(_code(c.template) for c in group if c.template.strip())
            continue
        cases = questions[owner.name]
        fnames = [c.name for c in group if c.kind == "function"]
        cells.append(_raw("# BEGIN QUESTION\n" + _yaml({"name": owner.name, "points": [t.points for t in cases]})))
        cells.append(_md("\n\n".join(f"### `{n}`\n\nFill in `{n}` below (replace each `TODO`)." for n in fnames)))
        cells.append(_raw("# BEGIN SOLUTION"))
        cells.extend(_code(otter_solution(c.solution) if c.kind == "function" else c.solution) for c in group)
        cells.append(_raw("# END SOLUTION"))
        public = [t.nodeid for t in cases if t.public]
        hidden = [t.nodeid for t in cases if not t.public]
        cells.append(_raw("# BEGIN TESTS"))
        for test in cases:
            cells.append(_code(_test_case(slug, test, public if test.public else hidden)))
        cells.append(_raw("# END TESTS"))
        cells.append(_raw("# END QUESTION"))
    number = 0
    for section in sections[first_q:]:
        if not section.is_questions:
            cells.append(_md(section.text))
            continue
        intro, items = split_questions(section.body)
        cells.append(_md("\n\n".join(x for x in (section.heading, intro) if x)))
        for item in items:
            number += 1
            cells.append(_raw("# BEGIN QUESTION\n" + _yaml({"name": f"written_{number}", "manual": True})))
            cells.append(_md(item))
            cells.append(_raw("# BEGIN SOLUTION"))
            cells.append(_md("*Graded by hand.*"))
            cells.append(_raw("# END SOLUTION"))
            cells.append(_raw("# END QUESTION"))
    for index, cell in enumerate(cells):
        cell["id"] = f"otter-{index:03d}"
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(nb)
    return nb


def _copy_tree(source: Path, target: Path, skip=lambda p: False) -> list[Path]:
    copied = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if "__pycache__" in rel.parts or path.suffix == ".pyc" or not path.is_file() or skip(path):
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / rel)
        copied.append(target / rel)
    return copied


def write_otter_master(assignment: Assignment, out: Path) -> Path:
    """``out/<slug>/otter/<slug>-master.ipynb`` and the support files it names. The folder holds
    the reference and the hidden tests: like the Gradescope zip, it is for instructors only."""
    import nbformat

    from .layout import ENGINE, never_shipped, student_engine_skip, student_files

    slug = assignment.slug
    folder = Path(out) / slug / OTTER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in ("autograder", "assignments", "solutions"):
        shutil.rmtree(folder / old, ignore_errors=True)
    # the engine as students get it: otter_export.py runs the tests in the kernel
    _copy_tree(ENGINE, folder / "autograder",
               skip=student_engine_skip)
    copied = _copy_tree(assignment.folder, folder / "assignments" / slug,
                        skip=lambda p: never_shipped(p, assignment.folder))
    (folder / "solutions").mkdir(exist_ok=True)
    shutil.copy2(assignment.solution, folder / "solutions" / f"{slug}.py")
    (folder / "requirements.txt").write_text(REQUIREMENTS)
    rel = [p.relative_to(folder).as_posix() for p in copied]
    # students get what the student bundle ships from the assignment folder (public tests and
    # the files they use); the rest (hidden tests, judge-only helpers) only the autograder
    shipped = {folder / "assignments" / slug / p.relative_to(assignment.folder)
               for p in student_files(assignment.folder)}
    files = ["autograder"] + [p for p, c in zip(rel, copied) if c in shipped]
    autograder_files = [p for p, c in zip(rel, copied) if c not in shipped] + [f"solutions/{slug}.py"]
    copy_statement_images(assignment, folder)  # the master notebook's statement cells link them
    files += [p for p in statement_images(assignment) if p not in files]
    target = folder / f"{slug}-master.ipynb"
    target.write_text(nbformat.writes(build_master(assignment, files, autograder_files)) + "\n")
    return target

"""``autograder build``: per assignment, a Gradescope autograder zip and a student bundle.

Gradescope zip (its autograder specification: ``setup.sh`` and ``run_autograder`` at the
root; the zip is unpacked into ``/autograder/source``)::

    setup.sh  run_autograder  requirements.txt
    autograder/                 the engine, run from here (never installed into site-packages)
    assignments/<slug>/         statement, config, public and hidden tests, helpers (not instructor/)
    solutions/<slug>.py         the reference

``setup.sh`` makes ``source/`` readable by root only, so the unprivileged user that runs
student code can read neither the reference nor the hidden tests.

Student bundle: ``<slug>/`` with the template (also as a notebook), the statement, the engine (which holds no
reference code), the public tests with the files they use (``student_files``), and a README with the one
line that runs them.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from .contract import FIXTURE_FILES, INSTRUCTOR_FOLDER
from .course import Assignment
from .notebooks import notebook_text, statement_images, write_notebook
from .templates import template_for

ENGINE = Path(__file__).resolve().parent
HIDDEN_FILES = ("test_hidden.py",)
GRADESCOPE = Path(__file__).resolve().parent / "gradescope"  # setup.sh and run_autograder, shipped as they are
HIDDEN_PREFIX = "hidden_"

REQUIREMENTS = """\
numpy>=1.24
pytest>=7.4
nbformat>=5.9
tomli>=2.0; python_version < "3.11"
"""



STUDENT_README = """\
# {title}

1. Read the statement in `README.md`.
2. Fill in every `TODO`, in `{slug}.py` or in the notebook `{slug}.ipynb` (the same code, cell
   by cell). Work in one of the two, not both.
3. Check your work with the public tests. You need Python 3.10+ with torch, numpy, pytest and
   nbformat (`pip install -r requirements.txt`, plus torch). In a terminal, in this folder (the
   unzipped `{slug}/` folder, which holds `autograder/` and `assignments/`), run

       python -m autograder check {slug}

   It checks `{slug}.py` (or `{slug}.ipynb`; with both here, the one the grader would pick, see
   step 4); `python -m autograder check {slug} {slug}.ipynb` checks the notebook. The grader is
   not installed: it runs from this folder, so `autograder check` alone is not a command here.
   In the notebook, the check cell under each function runs that function's public tests.
4. Hand in one file on Gradescope, `{slug}.py` or `{slug}.ipynb`, not both; hidden tests run
   there. If you hand in both (or a folder or zip holding both), the grader ignores a file that
   is still the untouched template and grades the other; if both hold work, it grades the one
   with fewer `raise NotImplementedError` lines left (on a tie, `{slug}.py`). The top of your
   results says which file was graded and which was ignored.
"""


def _add_tree(zf: zipfile.ZipFile, folder: Path, arcroot: str, skip=lambda p: False) -> None:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if "__pycache__" in rel.parts or path.suffix == ".pyc" or skip(path):
            continue
        if path.is_file():
            zf.write(path, f"{arcroot}/{rel.as_posix()}")


def _add_text(zf: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def _engine_skip(path: Path) -> bool:
    # build_digits needs scikit-learn and is not needed to grade; gradescope/ holds the zip's own scripts
    return "build_digits" in path.name or path.resolve().parent == GRADESCOPE


def _student_engine_skip(path: Path) -> bool:
    """Students get what `check` needs, not the course-authoring tools (nor batch's Dask runner)."""
    return _engine_skip(path) or path.name in ("build.py", "templates.py", "otter_export.py", "distributed.py",
                                               "similarity.py", "lms.py", "publish.py", "student_pages.py")


def is_hidden(path: Path) -> bool:
    return path.name in HIDDEN_FILES or path.name.startswith(HIDDEN_PREFIX)


def is_instructor_tool(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in the ``instructor/`` folder of the assignment folder ``folder``
    (calibration scripts, plots of the reference, notes): it goes nowhere, neither to
    students nor into the Gradescope zip nor Otter's files. Grading code never lives there."""
    try:
        parts = Path(path).resolve().relative_to(Path(folder).resolve()).parts
    except ValueError:
        return False
    return len(parts) > 1 and parts[0] == INSTRUCTOR_FOLDER


def _named_files(path: Path) -> set[str]:
    """The file names a Python file refers to: the last part of every string constant
    (``Path(__file__).with_name("data.py")``), as ``<name>.py`` every module it imports,
    and the file behind each contract fixture a function of it takes (a parameter
    ``judge``: ``judge_helpers.py``; ``child_helpers``: ``child_helpers.py``; see
    autograder/contract.py)."""
    import ast
    from pathlib import PurePosixPath

    try:
        tree = ast.parse(path.read_text(), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 300:
            names.add(PurePosixPath(node.value).name)
        elif isinstance(node, ast.Import):
            names.update(f"{alias.name.split('.')[0]}.py" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(f"{node.module.split('.')[0]}.py")
        elif isinstance(node, ast.arg) and node.arg in FIXTURE_FILES:
            names.add(FIXTURE_FILES[node.arg])
    return names


def student_files(folder: Path) -> list[Path]:
    """The files of an assignment folder that go into the student bundle.

    Never a hidden file (``test_hidden.py``, ``hidden_*``) nor anything in ``instructor/``.
    Every other file except Python files, which ship only when the public tests use them:
    ``test_public.py``, and each Python file that a shipped Python file names (its file name
    in a string, an import of it, or a contract fixture it takes: ``judge`` ships
    ``judge_helpers.py``, ``child_helpers`` ships ``child_helpers.py``). So judge-only code
    (used by the hidden tests alone) stays on the judge's side by itself.
    """
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not is_hidden(p)
             and not is_instructor_tool(p, folder)
             and "__pycache__" not in p.relative_to(folder).parts and p.suffix != ".pyc"]
    python = {}
    for p in files:
        if p.suffix == ".py":
            python.setdefault(p.name, p)
    shipped, todo = set(), [folder / "test_public.py"]
    while todo:
        path = todo.pop()
        if path in shipped or path not in files:
            continue
        shipped.add(path)
        todo.extend(python[name] for name in _named_files(path) if name in python)
    return [p for p in files if p.suffix != ".py" or p in shipped]


def build_gradescope_zip(assignment: Assignment, out: Path) -> Path:
    target = out / assignment.slug / f"{assignment.slug}-gradescope.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", (GRADESCOPE / "setup.sh").read_text(), executable=True)
        _add_text(zf, "run_autograder", (GRADESCOPE / "run_autograder").read_text().replace("@SLUG@", assignment.slug),
                  executable=True)
        _add_text(zf, "requirements.txt", REQUIREMENTS)
        _add_text(zf, "fallback-results.json", fallback_results(assignment))
        _add_tree(zf, ENGINE, "autograder", skip=_engine_skip)
        _add_tree(zf, assignment.folder, f"assignments/{assignment.slug}",
                  skip=lambda p: is_instructor_tool(p, assignment.folder))
        zf.write(assignment.solution, f"solutions/{assignment.slug}.py")
    return target


def fallback_results(assignment: Assignment) -> str:
    """What ``run_autograder`` writes when the grader left no valid results: every test at 0,
    the maximum intact (``@STATUS@`` becomes the grader's exit status)."""
    import json

    from .results import GRADER_FAILED
    from .watchdog import skeleton

    message = ("The autograder failed to run (exit status @STATUS@). This is not your fault; "
               "please tell your instructor.")
    tests = [dict(t, score=0.0, status="failed", output="Not run: the autograder failed to run.")
             for t in skeleton(assignment)]
    extra = {"autograder": {"ok": False, "complete": False, "status": GRADER_FAILED, "tests": {}}}  # as batch reads it
    return json.dumps({"score": 0.0, "output": message, "visibility": "visible", "tests": tests,
                       "extra_data": extra}, indent=1)


def build_student_bundle(assignment: Assignment, out: Path) -> Path:
    target = out / assignment.slug / f"{assignment.slug}-student.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    root = assignment.slug
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, f"{root}/{assignment.slug}.py", template_for(assignment.solution))
        _add_text(zf, f"{root}/{assignment.slug}.ipynb", notebook_text(assignment))  # the same, as a notebook
        _add_text(zf, f"{root}/HOW-TO-CHECK.md", STUDENT_README.format(title=assignment.title, slug=assignment.slug))
        _add_text(zf, f"{root}/requirements.txt", REQUIREMENTS)
        if assignment.statement.exists():
            zf.write(assignment.statement, f"{root}/README.md")
            for rel in statement_images(assignment):  # beside README.md and the notebook, as linked
                zf.write(assignment.folder / rel, f"{root}/{rel}")
        _add_tree(zf, ENGINE, f"{root}/autograder", skip=_student_engine_skip)
        shipped = set(student_files(assignment.folder))
        _add_tree(zf, assignment.folder, f"{root}/assignments/{assignment.slug}",
                  skip=lambda p: p.is_file() and p not in shipped)
    return target


def build(assignment: Assignment, out: Path) -> list[Path]:
    """The Gradescope zip and the student bundle (the paths returned); also writes the student
    notebook ``out/<slug>/<slug>.ipynb`` and the Otter-Grader master notebook with its support
    files in ``out/<slug>/otter/`` (see docs/otter.md)."""
    from .otter_export import write_otter_master

    built = [build_gradescope_zip(assignment, out), build_student_bundle(assignment, out)]
    write_notebook(assignment, out)
    write_otter_master(assignment, out)
    return built


def extract(archive: Path, folder: Path) -> None:
    """Unzip keeping the executable bits (``zipfile`` alone drops them)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, folder))
            mode = (info.external_attr >> 16) & 0o777
            if mode and path.is_file():
                path.chmod(mode)



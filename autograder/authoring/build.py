"""``autograder build``: per assignment, a Gradescope autograder zip and a student bundle.

Gradescope zip (its autograder specification: ``setup.sh`` and ``run_autograder`` at the
root; the zip is unpacked into ``/autograder/source``)::

    setup.sh  run_autograder  requirements.txt
    autograder/                 the engine, run from here (never installed into site-packages)
    assignments/<slug>/         statement, config, public and hidden tests, helpers (not instructor/, samples/)
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

from ..course import Assignment
from ..statement import statement_images
from .student_notebook import notebook_text, write_notebook
from .layout import ENGINE, GRADESCOPE, engine_skip, never_shipped, student_engine_skip, student_files
from .templates import template_for


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


def build_gradescope_zip(assignment: Assignment, out: Path) -> Path:
    target = out / assignment.slug / f"{assignment.slug}-gradescope.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_text(zf, "setup.sh", (GRADESCOPE / "setup.sh").read_text(), executable=True)
        _add_text(zf, "run_autograder", (GRADESCOPE / "run_autograder").read_text().replace("@SLUG@", assignment.slug),
                  executable=True)
        _add_text(zf, "requirements.txt", REQUIREMENTS)
        _add_text(zf, "fallback-results.json", fallback_results(assignment))
        _add_tree(zf, ENGINE, "autograder", skip=engine_skip)
        _add_tree(zf, assignment.folder, f"assignments/{assignment.slug}",
                  skip=lambda p: never_shipped(p, assignment.folder))
        zf.write(assignment.solution, f"solutions/{assignment.slug}.py")
    return target


def fallback_results(assignment: Assignment) -> str:
    """What ``run_autograder`` writes when the grader left no valid results: every test at 0,
    the maximum intact (``@STATUS@`` becomes the grader's exit status)."""
    import json

    from ..results import GRADER_FAILED
    from ..watchdog import skeleton

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
        _add_tree(zf, ENGINE, f"{root}/autograder", skip=student_engine_skip)
        shipped = set(student_files(assignment.folder))
        _add_tree(zf, assignment.folder, f"{root}/assignments/{assignment.slug}",
                  skip=lambda p: p.is_file() and p not in shipped)
    return target


def build(assignment: Assignment, out: Path) -> list[Path]:
    """The Gradescope zip and the student bundle (the paths returned); also writes the student
    notebook ``out/<slug>/<slug>.ipynb`` and the Otter-Grader master notebook with its support
    files in ``out/<slug>/otter/`` (see docs/otter.md)."""
    from .otter_master import write_otter_master

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



"""The layout rules the authoring tools share: what of the engine and of an assignment folder
goes where (the Gradescope zip, the student bundle, Otter's files), and what never leaves the
instructor's machine (``instructor/``, ``samples/``)."""
from __future__ import annotations

from pathlib import Path

from ..contract import FIXTURE_FILES, INSTRUCTOR_FOLDER, SAMPLES_FOLDER

ENGINE = Path(__file__).resolve().parents[1]  # the autograder package
INSTRUCTOR_PACKAGES = ("authoring", "classroom")  # engine folders only instructors run
GRADESCOPE = Path(__file__).resolve().parent / "gradescope"  # setup.sh and run_autograder, shipped as they are
HIDDEN_FILES = ("test_hidden.py",)
HIDDEN_PREFIX = "hidden_"
NEVER_SHIPPED = (INSTRUCTOR_FOLDER, SAMPLES_FOLDER)  # folders of an assignment folder


def engine_skip(path: Path) -> bool:
    # build_digits needs scikit-learn and is not needed to grade; gradescope/ holds the zip's own scripts
    return "build_digits" in path.name or path.resolve().parent == GRADESCOPE


def student_engine_skip(path: Path) -> bool:
    """Students get the engine minus its instructors' folders (authoring/, classroom/): what
    `check` and a notebook's check cells need. So does Otter's grading image."""
    if engine_skip(path):
        return True
    try:
        parts = Path(path).resolve().relative_to(ENGINE).parts
    except ValueError:
        return False
    return bool(parts) and parts[0] in INSTRUCTOR_PACKAGES


def is_hidden(path: Path) -> bool:
    return path.name in HIDDEN_FILES or path.name.startswith(HIDDEN_PREFIX)


def never_shipped(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies in the ``instructor/`` or ``samples/`` folder of the assignment
    folder ``folder``: it goes nowhere, neither to students nor into the Gradescope zip nor
    Otter's files. ``instructor/`` holds instructors' tools (calibration scripts, plots of the
    reference, notes); ``samples/`` the sample submissions that test the grader, and a correct
    one is a whole answer. Grading code never lives in either: neither decides a grade, so
    neither is in batch's cache key (classroom/outcomes.py) nor needed where grading runs."""
    try:
        parts = Path(path).resolve().relative_to(Path(folder).resolve()).parts
    except ValueError:
        return False
    return len(parts) > 1 and parts[0] in NEVER_SHIPPED


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

    Never a hidden file (``test_hidden.py``, ``hidden_*``) nor anything in ``instructor/`` or
    ``samples/``.
    Every other file except Python files, which ship only when the public tests use them:
    ``test_public.py``, and each Python file that a shipped Python file names (its file name
    in a string, an import of it, or a contract fixture it takes: ``judge`` ships
    ``judge_helpers.py``, ``child_helpers`` ships ``child_helpers.py``). So judge-only code
    (used by the hidden tests alone) stays on the judge's side by itself.
    """
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not is_hidden(p)
             and not never_shipped(p, folder)
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

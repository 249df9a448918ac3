"""`autograder build`: the Gradescope zip rehearsed as Gradescope runs it, and the student bundle."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

SLUG = "kl_asymmetry"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from autograder.authoring.build import build
    from autograder.course import load_assignment

    out = tmp_path_factory.mktemp("dist")
    gradescope, student = build(load_assignment(ROOT, SLUG), out)
    return gradescope, student


def _interpreter() -> str:
    from autograder.sandbox.process import interpreter

    return str(interpreter())


def _can_drop_privileges() -> bool:
    from autograder.sandbox import probe

    return probe.detect().minimum


@pytest.fixture(scope="module")
def gradescope_root(built, tmp_path_factory):
    """An /autograder look-alike after setup.sh ran: source/, submission/, results/."""
    from autograder.authoring.build import extract

    root = tmp_path_factory.mktemp("autograder")
    root.chmod(0o755)
    extract(built[0], root / "source")
    env = dict(os.environ, AUTOGRADER_PYTHON=_interpreter())
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "torch already importable" in setup.stdout
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def run_autograder(root: Path, files: dict[str, str], python: str | None = None) -> dict:
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, text in files.items():
        (submission / name).write_text(text)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=python or _interpreter())
    proc = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


def test_zip_layout(built):
    with zipfile.ZipFile(built[0]) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", f"solutions/{SLUG}.py", f"assignments/{SLUG}/test_hidden.py",
                "autograder/cli.py", "autograder/sandbox/child.py", "autograder/sandbox/wire.py"} <= names
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111


def test_samples_ship_nowhere(built):
    """The assignment's samples/ (a correct sample is a whole answer) is in neither the Gradescope
    zip, nor the student bundle, nor Otter's files; and no sample is named as pytest collects."""
    from autograder.authoring.layout import never_shipped
    from autograder.course import list_assignments
    from sample_builder import samples_folder

    folder = ROOT / "assignments" / SLUG
    sample = next(samples_folder(SLUG).glob("correct/*.py"))
    assert never_shipped(sample, folder) and never_shipped(folder / "instructor" / "notes.md", folder)
    assert not never_shipped(folder / "test_hidden.py", folder) and not never_shipped(folder / "samples.md", folder)
    otter = built[0].parent / "otter"
    listings = [[p.relative_to(otter).as_posix() for p in otter.rglob("*") if p.is_file()]]
    for archive in built:
        with zipfile.ZipFile(archive) as zf:
            listings.append(zf.namelist())
    for names in listings:  # each holds the assignment folder, less samples/
        assert any(n.endswith(f"assignments/{SLUG}/test_public.py") for n in names)
        assert not [n for n in names if "samples/" in n]
    master = json.loads(next(otter.glob("*-master.ipynb")).read_text())
    assert "samples/" not in json.dumps(master["cells"][0])  # the files lists of Otter's config
    named = [p for slug in list_assignments(ROOT) for p in samples_folder(slug).rglob("*")
             if p.name.startswith("test_") or p.name == "conftest.py"]
    assert not named, named


def test_student_bundle_has_no_reference_code_and_runs_check(built, tmp_path):
    from autograder.authoring.build import extract
    from autograder.authoring.templates import template_for

    with zipfile.ZipFile(built[1]) as zf:
        names = zf.namelist()
    assert not [n for n in names if "solutions/" in n or "test_hidden" in n]
    extract(built[1], tmp_path)
    folder = tmp_path / SLUG
    assert (folder / f"{SLUG}.py").read_text() == template_for(ROOT / "solutions" / f"{SLUG}.py")
    assert "BEGIN SOLUTION" not in "".join(p.read_text() for p in folder.rglob("*.py"))
    # the one line from HOW-TO-CHECK.md, run inside the bundle: the template fails the checks
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([_interpreter(), "-m", "autograder", "check", SLUG], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not implemented" in proc.stdout
    # ...and the solution, dropped in, passes them
    shutil.copy(ROOT / "solutions" / f"{SLUG}.py", folder / f"{SLUG}.py")
    proc = subprocess.run([_interpreter(), "-m", "autograder", "check", SLUG], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rehearsal_solution_full_marks(gradescope_root):
    data = run_autograder(gradescope_root, {f"{SLUG}.py": (ROOT / "solutions" / f"{SLUG}.py").read_text()})
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) == 41
    assert all(t["status"] == "passed" for t in data["tests"])


def test_rehearsal_rate_limit_reads_gradescopes_metadata(gradescope_root, tmp_path):
    """run_autograder hands /autograder/submission_metadata.json to the judge: with
    `[gradescope] full_gradings_per_day = 1` and a full grading an hour ago, the hidden tests wait."""
    from datetime import datetime, timedelta, timezone

    root = tmp_path / "autograder"
    shutil.copytree(gradescope_root, root, symlinks=True, ignore=shutil.ignore_patterns("results", "submission"))
    root.chmod(0o755)
    toml = root / "source" / "assignments" / SLUG / "assignment.toml"
    toml.write_text(toml.read_text() + "\n[gradescope]\nfull_gradings_per_day = 1\n")
    now = datetime.now(timezone.utc)
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 7, "created_at": now.isoformat(),
        "previous_submissions": [{"submission_time": (now - timedelta(hours=1)).isoformat(), "score": 41.0,
                                  "results": {}}]}))
    data = run_autograder(root, {f"{SLUG}.py": (ROOT / "solutions" / f"{SLUG}.py").read_text()})
    assert data["extra_data"]["autograder"]["rate_limited"] is True
    assert "Only the public tests were run" in data["output"]
    assert sum(t["max_score"] for t in data["tests"]) == 41 and 0 < data["score"] < 41


def test_rehearsal_a_grader_that_cannot_run_leaves_the_fallback(gradescope_root, tmp_path):
    """The judge dies before writing anything (here: an interpreter that exits 3): Gradescope
    still gets every test at 0 with its maximum, the exit status, and a status batch reads."""
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    data = run_autograder(gradescope_root, {f"{SLUG}.py": (ROOT / "solutions" / f"{SLUG}.py").read_text()},
                          python=str(broken))
    assert data["score"] == 0 and sum(t["max_score"] for t in data["tests"]) == 41
    assert all(t["status"] == "failed" for t in data["tests"])
    assert "exit status 3" in data["output"]
    assert data["extra_data"]["autograder"]["status"] == "grader failed"
    from autograder.classroom.outcomes import judge_status

    assert judge_status(data)[0] == "error"


def test_rehearsal_template_zero(gradescope_root):
    data = run_autograder(gradescope_root, {f"{SLUG}.py": (ROOT / "student_template" / f"{SLUG}.py").read_text()})
    assert data["score"] == 0 and sum(t["max_score"] for t in data["tests"]) == 41


def test_rehearsal_no_file_lists_what_was_found(gradescope_root):
    data = run_autograder(gradescope_root, {"notes.txt": "hello", "a.py": "", "b.py": ""})
    assert data["score"] == 0 and "notes.txt" in data["output"]


@pytest.mark.skipif(os.geteuid() != 0, reason="file permissions protect the reference only when grading as root")
def test_rehearsal_reference_is_out_of_reach(gradescope_root):
    if not _can_drop_privileges():
        pytest.skip("the sandbox's minimum does not hold on this machine (see `autograder doctor`)")
    template = (ROOT / "student_template" / f"{SLUG}.py").read_text()
    thief = template + f'''
import importlib.util, os
_found = None
for _dir, _subdirs, _files in os.walk({str(gradescope_root)!r}):
    for _name in _files:
        if _name == "{SLUG}.py" and "solutions" in _dir:
            try:
                _spec = importlib.util.spec_from_file_location("_stolen", os.path.join(_dir, _name))
                _found = importlib.util.module_from_spec(_spec)
                _spec.loader.exec_module(_found)
            except Exception:
                _found = None
if _found is not None:
    globals().update({{k: v for k, v in vars(_found).items() if not k.startswith("__")}})
'''
    data = run_autograder(gradescope_root, {f"{SLUG}.py": thief})
    assert data["score"] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="file permissions protect the source only when grading as root")
def test_rehearsal_vandal_changes_nothing(gradescope_root):
    if not _can_drop_privileges():
        pytest.skip("the sandbox's minimum does not hold on this machine (see `autograder doctor`)")
    before = tree_digest(gradescope_root / "source")
    template = (ROOT / "student_template" / f"{SLUG}.py").read_text()
    vandal = template + f'''
import os
for _dir, _subdirs, _files in os.walk({str(gradescope_root)!r}):
    for _name in _files:
        try:
            with open(os.path.join(_dir, _name), "a") as _fh:
                _fh.write("# vandalised\\n")
        except OSError:
            pass
'''
    data = run_autograder(gradescope_root, {f"{SLUG}.py": vandal})
    assert data["score"] == 0
    assert tree_digest(gradescope_root / "source") == before


def test_student_files_ship_only_what_the_public_tests_use(tmp_path):
    """A Python file of an assignment folder goes to students only when the public tests use
    it (named in a string or imported, also through another shipped file); hidden files never."""
    from autograder.authoring.layout import student_files

    folder = tmp_path / "demo"
    folder.mkdir()
    files = {
        "test_public.py": 'from pathlib import Path\nimport helper_b\nH = Path(__file__).with_name("helper_a.py")\n'
                          'X = "hidden_judge.py"\n',
        "helper_a.py": 'DATA = "deeper.py"\n',
        "helper_b.py": "",
        "deeper.py": "",
        "judge_only.py": "def answer(): return 42\n",
        "calibrate.py": "import judge_only\n",
        "hidden_judge.py": "",
        "test_hidden.py": 'J = "judge_only.py"\n',
        "README.md": "", "assignment.toml": "", "figure.png": "", "hidden_notes.md": "",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "helper_a.cpython-311.pyc").write_bytes(b"")
    got = sorted(p.name for p in student_files(folder))
    assert got == ["README.md", "assignment.toml", "deeper.py", "figure.png", "helper_a.py", "helper_b.py",
                   "test_public.py"]


@pytest.mark.parametrize("slug", sorted(p.parent.name for p in (ROOT / "assignments").glob("*/assignment.toml")))
def test_student_bundle_public_tests_find_their_files(slug, tmp_path):
    """Every assignment's public tests import (collect) inside the unzipped student bundle,
    with the bundle's own engine: no file they load was left out."""
    from autograder.authoring.build import build_student_bundle, extract
    from autograder.course import load_assignment

    extract(build_student_bundle(load_assignment(ROOT, slug), tmp_path / "dist"), tmp_path)
    folder = tmp_path / slug
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([_interpreter(), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "--noconftest", "-o", "addopts=", "--rootdir", str(folder),
                           "-W", "ignore::pytest.PytestUnknownMarkWarning", f"assignments/{slug}/test_public.py"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_statement_images_lie_beside_the_statement_they_are_linked_from(tmp_path):
    """rate_distortion's statement shows rd_reference.png by a relative link: in the student
    bundle (README.md and the notebook at the top), beside the written notebook, and beside the
    Otter master notebook (and in its student files), the link resolves."""
    import re

    from autograder.authoring.build import build
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, "rate_distortion")
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", assignment.statement.read_text())
    assert links == ["rd_reference.png"]
    _, student = build(assignment, tmp_path / "dist")
    with zipfile.ZipFile(student) as zf:
        names = set(zf.namelist())
    assert {"rate_distortion/README.md", "rate_distortion/rate_distortion.ipynb",
            "rate_distortion/rd_reference.png"} <= names
    written = tmp_path / "dist" / "rate_distortion"
    assert (written / "rd_reference.png").read_bytes() == (assignment.folder / "rd_reference.png").read_bytes()
    otter = written / "otter"
    assert (otter / "rd_reference.png").is_file()
    master = json.loads(next(otter.glob("*-master.ipynb")).read_text())
    assert "rd_reference.png" in json.dumps(master["cells"][0])  # the assignment config's files list

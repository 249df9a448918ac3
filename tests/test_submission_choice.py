"""Which file is graded when a submission holds several candidates (issue 16, section 2).

The student bundle holds both ``<slug>.py`` and ``<slug>.ipynb``; a student who works in one
and hands in the folder (or a zip of it) must be graded on their work, never silently on the
untouched template next to it. The output says which file was graded, why, and which were
ignored. The rule (autograder/submission.py): a candidate that is still the template as
handed out is ignored when another one differs; among those holding work, the fewest
``raise NotImplementedError`` left wins; on a tie, ``<slug>.py`` first, shallowest first.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, grade_file

SLUG = "kl_asymmetry"  # the quickest assignment to grade for real


@pytest.fixture(scope="module")
def assignment():
    from autograder.course import load_assignment

    return load_assignment(ROOT, SLUG)


@pytest.fixture(scope="module")
def texts(assignment):
    """The template .py, the student notebook, and the notebook built with the reference code."""
    from autograder.authoring.student_notebook import notebook_text
    from autograder.authoring.templates import template_for

    return {"template": template_for(assignment.solution),
            "notebook": notebook_text(assignment),
            "finished_notebook": notebook_text(assignment, solution=True),
            "solution": assignment.solution.read_text()}


def _folder(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _locate(assignment, submission: Path, *, with_templates: bool = True):
    from autograder.submission import locate, template_texts

    located = locate(submission, SLUG, template_texts(assignment) if with_templates else ())
    try:
        return located.path.read_text(), " ".join(located.notes)
    finally:
        shutil.rmtree(located.path.parent, ignore_errors=True)


# ----------------------------------------------------------------------------- graded for real
def test_template_py_next_to_finished_notebook_folder_gets_full_marks(tmp_path, texts):
    folder = _folder(tmp_path / "upload" / SLUG, {f"{SLUG}.py": texts["template"],
                                                  f"{SLUG}.ipynb": texts["finished_notebook"]})
    results = grade_file(SLUG, tmp_path / "upload")
    assert results.ok and results.score == results.max_score == 41, results.output
    top = results.output.split("\n\n")[1]  # right under the summary line
    assert f"Graded {SLUG}/{SLUG}.ipynb" in top and f"Ignored: {SLUG}/{SLUG}.py (the untouched template)" in top
    assert folder.exists()


def test_template_py_next_to_finished_notebook_zip_gets_full_marks(tmp_path, texts):
    archive = _zip(tmp_path / "upload.zip", {f"{SLUG}/{SLUG}.py": texts["template"],
                                             f"{SLUG}/{SLUG}.ipynb": texts["finished_notebook"],
                                             f"{SLUG}/.ipynb_checkpoints/{SLUG}-checkpoint.ipynb": texts["notebook"],
                                             f"__MACOSX/{SLUG}/._{SLUG}.py": "garbage"})
    results = grade_file(SLUG, archive)
    assert results.ok and results.score == 41, results.output
    assert f"Graded {SLUG}/{SLUG}.ipynb" in results.output
    assert f"Ignored: {SLUG}/{SLUG}.py (the untouched template)" in results.output


def test_cli_prints_the_choice_at_the_top(tmp_path, texts, capsys):
    from autograder.cli import main

    _folder(tmp_path / "upload", {f"{SLUG}.py": texts["template"], f"{SLUG}.ipynb": texts["finished_notebook"]})
    assert main(["grade", SLUG, str(tmp_path / "upload"), "--course", str(ROOT), "--device", "cpu",
                 "--results", str(tmp_path / "results.json")]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the message is wrapped for the terminal
    assert out.startswith("Your submission holds 2 files that could be graded"), out[:500]
    assert out.index(f"Graded {SLUG}.ipynb") < out.index("1.1 PASS") and "Results:" in out


def test_student_bundle_check_picks_the_notebook_without_the_solution(tmp_path, assignment, texts):
    """In the unzipped student bundle there is neither solutions/ nor student_template/: the
    notebook's own fingerprint tells its template from work, and `check` picks like the judge."""
    from autograder.authoring.build import build_student_bundle, extract
    from autograder.sandbox.process import interpreter

    extract(build_student_bundle(assignment, tmp_path / "dist"), tmp_path)
    folder = tmp_path / SLUG
    assert not (folder / "solutions").exists() and not (folder / "student_template").exists()
    (folder / f"{SLUG}.ipynb").write_text(texts["finished_notebook"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(interpreter()), "-m", "autograder", "check", SLUG], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    assert f"Graded {SLUG}.ipynb" in out and f"Ignored: {SLUG}.py (the untouched template)" in out


# ----------------------------------------------------------------------------- the rule, without grading
def test_py_holding_work_beats_the_untouched_notebook(tmp_path, assignment, texts):
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": texts["solution"],
                                                              f"{SLUG}.ipynb": texts["notebook"]}))
    assert "def fit_reverse_kl" in code and "__notebook_cells__" not in code
    assert f"Graded {SLUG}.py: it holds your work; {SLUG}.ipynb is still the untouched template" in note


def test_notebook_fingerprint_alone_identifies_the_template(tmp_path, assignment, texts):
    """The student bundle's case: no template text is known, only the notebook's metadata."""
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": texts["solution"],
                                                              f"{SLUG}.ipynb": texts["notebook"]}),
                         with_templates=False)
    assert "__notebook_cells__" not in code and f"Ignored: {SLUG}.ipynb (the untouched template)" in note


def test_a_deleted_todo_comment_is_not_work(tmp_path, assignment, texts):
    lazy = "\n".join(ln for ln in texts["template"].splitlines() if "# TODO" not in ln) + "\n\n\n"
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": lazy,
                                                              f"{SLUG}.ipynb": texts["finished_notebook"]}))
    assert "__notebook_cells__" in code and "untouched template" in note


def test_both_hold_work_fewest_stubs_left_wins(tmp_path, assignment, texts):
    from autograder.submission import stubs_left

    half = texts["template"].replace("raise NotImplementedError", "return None", 2)
    assert stubs_left(half) == stubs_left(texts["template"]) - 2
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": half,
                                                              f"{SLUG}.ipynb": texts["finished_notebook"]}))
    assert "__notebook_cells__" in code
    assert "fewest `raise NotImplementedError` statements left (0)" in note
    assert f"Ignored: {SLUG}.py ({stubs_left(half)} `raise NotImplementedError` left)" in note


def test_tie_goes_to_the_py_and_the_output_says_so(tmp_path, assignment, texts):
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": texts["solution"],
                                                              f"{SLUG}.ipynb": texts["finished_notebook"]}))
    assert "__notebook_cells__" not in code
    assert f"{SLUG}.py comes before {SLUG}.ipynb" in note and f"Graded {SLUG}.py" in note


def test_a_py_that_does_not_compile_comes_after_a_notebook_with_work(tmp_path, assignment, texts):
    broken = texts["solution"] + "\ndef oops(:\n"
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": broken,
                                                              f"{SLUG}.ipynb": texts["finished_notebook"]}))
    assert "__notebook_cells__" in code and f"{SLUG}.py (does not compile)" in note


def test_nested_copies_count_as_candidates(tmp_path, assignment, texts):
    code, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": texts["template"],
                                                              f"old/{SLUG}.py": texts["solution"]}))
    assert "def fit_reverse_kl" in code and f"Graded old/{SLUG}.py" in note


def test_only_templates_are_graded_with_a_warning_naming_other_files(tmp_path, assignment, texts):
    code, note = _locate(assignment, _folder(tmp_path / "s", {
        f"{SLUG}.py": texts["template"], f"{SLUG}.ipynb": texts["notebook"], "my_work.ipynb": texts["finished_notebook"],
        "autograder/cli.py": "x = 1\n", f"assignments/{SLUG}/test_public.py": "x = 1\n"}))
    assert "every one is still the untouched template" in note
    assert "still the template as handed out" in note and "my_work.ipynb" in note
    assert "autograder/cli.py" not in note and "test_public.py" not in note


def test_a_lone_untouched_template_is_graded_with_a_warning(tmp_path, assignment, texts):
    _, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.py": texts["template"]}) / f"{SLUG}.py")
    assert "still the template as handed out" in note
    _, note = _locate(assignment, _folder(tmp_path / "t", {f"{SLUG}.py": texts["solution"]}) / f"{SLUG}.py")
    assert note == ""


def test_one_finished_file_says_nothing_extra(tmp_path, assignment, texts):
    _, note = _locate(assignment, _folder(tmp_path / "s", {f"{SLUG}.ipynb": texts["finished_notebook"]}))
    assert note == ""

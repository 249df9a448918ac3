"""Feedback reaches the student whole (issue 16, section 5): messages wrap instead of being cut,
load failures are printed at the top, TODO hints keep their parentheses, instructor notes stay
out of what students get, and the instructions name a command that works in the bundle."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, build_sample
from sample_builder import samples_folder

# the hint of reparameterization 1.4, which the table used to cut at 100 characters
HINT_14 = "With x = theta + eps, d(x^2)/dtheta = 2x, so average 2 (theta + eps_i)."


def _words(text: str) -> list[str]:
    return text.split()


def _table_text(table: str) -> str:
    """The messages of a printed table, unwrapped (the "| " gutter removed)."""
    return " ".join(line.split("| ", 1)[1] for line in table.splitlines() if "| " in line)


def _results(output: str):
    from autograder.records import TestRecord
    from autograder.results import Results

    test = TestRecord("1.1", "a test", 1.0, "visible", output=output)
    return Results(tests=[test], header="Title: 0 of 1 tests passed.")


# ----------------------------------------------------------------------------- no message is cut
def test_long_lines_wrap_and_every_word_arrives():
    from autograder.results import TABLE_WIDTH, render_table

    message = ("For theta = 1.5 (20000 entries, n_samples = 10) your estimates average 29.9925, expected "
               f"2 theta = 3 (off by 1234.5 standard errors). {HINT_14}\n"
               "A second line with a token longer than the line: " + "x" * 250 + " and after it.\n"
               "    an indented line that is long enough to need wrapping, " * 3)
    table = render_table(_results(message))
    body = [line for line in table.splitlines() if "| " in line]
    assert all(len(line.split("| ", 1)[1]) <= TABLE_WIDTH for line in body)
    assert "".join(_words(_table_text(table))) == "".join(_words(message))  # every character, in order
    assert HINT_14 in _table_text(table)


def test_a_huge_message_is_bounded_and_says_so():
    from autograder.results import MAX_OUTPUT_CHARS, MAX_TEST_LINES, render_table

    message = "\n".join(f"line {i}: something the student printed" for i in range(5000))
    table = render_table(_results(message), rest_in="results.json")
    assert len([line for line in table.splitlines() if "| line" in line]) == MAX_TEST_LINES
    assert f"| ... {5000 - MAX_TEST_LINES} more lines (the whole message is in results.json)" in table
    data = _results(message).to_gradescope()
    out = data["tests"][0]["output"]
    assert len(out) < MAX_OUTPUT_CHARS + 100 and out.endswith("more characters not shown)")
    assert out.startswith("line 0: something the student printed\nline 1:")


def test_a_normal_message_is_whole_in_results_json():
    message = "x" * 3000 + "\n" + HINT_14
    assert _results(message).to_gradescope()["tests"][0]["output"] == message


def test_reparameterization_hint_arrives_whole_in_results_and_table(tmp_path, capsys):
    """A real grading: the 1.4 hint (120+ characters after the figures) reaches results.json
    whole and the printed table unwrapped to the same words."""
    from autograder.cli import main

    results_path = tmp_path / "results.json"
    sample = build_sample(samples_folder("reparameterization") / "wrong" / "pathwise_sum.py")
    assert main(["grade", "reparameterization", str(sample), "--course", str(ROOT), "--device", "cpu",
                 "--results", str(results_path)]) == 0
    printed = capsys.readouterr().out
    test = {t["number"]: t for t in json.loads(results_path.read_text())["tests"]}["1.4"]
    assert test["status"] == "failed" and HINT_14 in test["output"]
    assert " ".join(_words(test["output"])) in _table_text(printed)


# ----------------------------------------------------------------------------- load failures at the top
def _grade_printed(tmp_path, submission: Path, capsys) -> str:
    from autograder.cli import main

    assert main(["grade", "kl_asymmetry", str(submission), "--course", str(ROOT), "--device", "cpu",
                 "--results", str(tmp_path / "results.json")]) == 0
    return capsys.readouterr().out


def test_grade_prints_a_syntax_error_with_its_line_at_the_top(tmp_path, capsys):
    path = tmp_path / "kl_asymmetry.py"
    path.write_text("import math\n\n\ndef entropy(p:\n    return 0\n")
    out = _grade_printed(tmp_path, path, capsys)
    top = out[:out.index("  1.1 ")]
    assert "SyntaxError" in top and "line 4" in top, out[:2000]


def test_grade_prints_a_missing_file_at_the_top(tmp_path, capsys):
    out = _grade_printed(tmp_path, tmp_path / "kl_asymmetry.py", capsys)
    flowed = " ".join(out.split())  # a long path (a deep temporary folder) wraps the line
    assert flowed.startswith(f"{tmp_path / 'kl_asymmetry.py'} does not exist."), out[:500]


def test_grade_prints_a_broken_notebook_at_the_top(tmp_path, capsys):
    path = tmp_path / "kl_asymmetry.ipynb"
    path.write_text('{"cells": [ this is not JSON')
    out = _grade_printed(tmp_path, path, capsys)
    assert out.startswith("kl_asymmetry.ipynb is not a readable Jupyter notebook"), out[:500]


def test_grade_prints_unfound_files_at_the_top(tmp_path, capsys):
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    (folder / "b.ipynb").write_text("{}")
    out = _grade_printed(tmp_path, folder, capsys)
    assert out.startswith("Could not find kl_asymmetry.py or kl_asymmetry.ipynb"), out[:500]
    assert out.index("a.py") < out.index("  1.1 ")


# ----------------------------------------------------------------------------- hints keep their parentheses
def test_todo_hints_keep_their_closing_parenthesis():
    from autograder.authoring.otter_master import otter_solution
    from autograder.authoring.templates import hint_text, template_for

    vae = template_for(ROOT / "solutions" / "vae.py")
    assert "# TODO: the closed-form KL above; default prior N(0, I)\n" in vae
    rep = template_for(ROOT / "solutions" / "reparameterization.py")
    assert "independent draws x_i ~ N(theta, 1)\n" in rep
    otter = otter_solution((ROOT / "solutions" / "vae.py").read_text())
    assert "# TODO: the closed-form KL above; default prior N(0, I)\n" in otter
    assert hint_text("(a) or (b)") == "(a) or (b)" and hint_text("(f(x))") == "f(x)" and hint_text("") == "implement this"
    for solution in sorted((ROOT / "solutions").glob("*.py")):  # every hint's parentheses balance
        for line in template_for(solution).splitlines():
            if line.lstrip().startswith("# TODO:"):
                assert line.count("(") == line.count(")"), f"{solution.name}: {line.strip()}"


# ----------------------------------------------------------------------------- what students get
def test_instructor_notes_stay_out_of_statements_notebooks_and_bundles(tmp_path):
    from autograder.authoring.build import build_student_bundle
    from autograder.course import list_assignments, load_assignment
    from autograder.authoring.student_notebook import notebook_text

    for slug in list_assignments(ROOT):
        assignment = load_assignment(ROOT, slug)
        statement = assignment.statement.read_text() if assignment.statement.exists() else ""
        assert not re.search(r"(?im)^#+ .*instructor", statement), slug
        assert not re.search(r"(?i)for instructors", notebook_text(assignment)), slug
    vae = load_assignment(ROOT, "vae")
    with zipfile.ZipFile(build_student_bundle(vae, tmp_path)) as zf:
        names = zf.namelist()
        text = "".join(zf.read(n).decode(errors="replace") for n in names if n.endswith(".md"))
    assert not [n for n in names if "instructor" in n.lower()] and "time and memory" not in text.lower()
    notes = (ROOT / "assignments" / "vae" / "instructor" / "notes.md").read_text()
    assert "peak resident memory" in notes


def test_instructions_name_a_command_that_works_in_the_bundle(tmp_path):
    from autograder.authoring.build import build_student_bundle
    from autograder.course import list_assignments, load_assignment

    bare = re.compile(r"(?<!-m )(?<![\w.])autograder check")  # `autograder check` without `python -m`
    for slug in list_assignments(ROOT):
        template = (ROOT / "student_template" / f"{slug}.py").read_text()
        assert f"python -m autograder check {slug}" in template and not bare.search(template), slug
    with zipfile.ZipFile(build_student_bundle(load_assignment(ROOT, "kl_asymmetry"), tmp_path)) as zf:
        how = zf.read("kl_asymmetry/HOW-TO-CHECK.md").decode()
        notebook = zf.read("kl_asymmetry/kl_asymmetry.ipynb").decode()
    assert "python -m autograder check kl_asymmetry" in how
    assert not bare.search(how.replace("`autograder check` alone is not a command here", ""))
    assert "in this folder" in how and "not both" in how
    assert "not both" in "".join(json.loads(notebook)["cells"][1]["source"])


@pytest.mark.parametrize("slug", ["kl_asymmetry"])
def test_check_outside_a_course_folder_says_where_to_run(tmp_path, slug, monkeypatch, capsys):
    from autograder.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", slug, "--course", str(ROOT)]) == 2
    assert "unzipped student folder" in capsys.readouterr().err

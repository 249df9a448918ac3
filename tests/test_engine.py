"""The engine under hostile and broken submissions (issue: foundation, security model).

Submissions are built at test time from the reference solution's text, so they stay in
step with it: "correct but one function hangs", "unimplemented but calls os._exit"...
"""
from __future__ import annotations

import dataclasses
import json
import re
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, failed_numbers, grade_file

SOLUTION = (ROOT / "solutions" / "kl_asymmetry.py").read_text()
TEMPLATE = (ROOT / "student_template" / "kl_asymmetry.py").read_text()
FORWARD_FIT_TESTS = {"1.7", "2.17"}


def replace_body(source: str, function: str, body: str) -> str:
    """Replace the body of ``def function`` (up to the next top-level def) with ``body``."""
    pattern = re.compile(rf"(^def {function}\(.*?\n)(.*?)(?=^def |\Z)", re.S | re.M)
    match = pattern.search(source)
    assert match, function
    header_end = source.index(":\n", match.start()) + 2
    # keep the signature (which may span lines) and docstring-less body
    signature = source[match.start():header_end]
    indented = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return source[:match.start()] + signature + indented + "\n\n" + source[match.end():]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def quick(slug: str = "kl_asymmetry", **limits):
    """The assignment with shorter limits, so hostile tests run fast."""
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, slug)
    assignment.limits = dataclasses.replace(assignment.limits, **limits)
    return assignment


def run(assignment, path):
    from autograder.grading import grade

    return grade(assignment, path, device="cpu")


# ----------------------------------------------------------------------------- the baseline
def test_solution_full_marks_and_template_zero():
    solution = grade_file("kl_asymmetry", ROOT / "solutions" / "kl_asymmetry.py")
    assert solution.ok and solution.score == solution.max_score > 0
    template = grade_file("kl_asymmetry", ROOT / "student_template" / "kl_asymmetry.py")
    assert template.ok and template.score == 0 and template.max_score == solution.max_score
    assert all("not implemented" in t.output for t in template.tests), [t.output for t in template.tests]


def test_not_implemented_names_the_todo_and_spares_library_errors(tmp_path):
    """A TODO in a function another one calls is named in the caller's message; a
    NotImplementedError raised by torch is not a TODO: it is shown with its message."""
    path = tmp_path / "kl_asymmetry.py"
    path.write_text(
        "import torch\n"
        "def entropy(p):\n    raise NotImplementedError\n"
        "def cross_entropy(p, q):\n    return entropy(p)\n"
        "def kl_divergence(p, q):\n    return torch.empty(2, device='meta').tolist()\n")
    results = {t.number: t.output for t in grade_file("kl_asymmetry", path).tests}
    assert results["1.1"] == "`entropy` is not implemented yet (it raises NotImplementedError)."
    assert "`cross_entropy` could not run: `entropy`, which it uses, is not implemented yet" in results["1.4"]
    assert "`kl_divergence` raised NotImplementedError: Cannot copy out of meta tensor" in results["1.5"]


def test_regrade_is_identical():
    path = ROOT / "solutions" / "kl_asymmetry.py"
    first, second = (grade_file("kl_asymmetry", path).to_gradescope() for _ in range(2))
    first.pop("execution_time"), second.pop("execution_time")
    assert first == second


# ----------------------------------------------------------------------------- hostile code
def test_os_exit_at_import_scores_zero(tmp_path):
    path = write(tmp_path, "kl_asymmetry.py", TEMPLATE + "\nimport os\nos._exit(0)\n")
    results = grade_file("kl_asymmetry", path)
    assert results.ok and results.score == 0 and results.max_score > 0
    assert "exited" in results.output


def test_own_results_file_is_thrown_away(tmp_path, monkeypatch):
    """A submission that writes a perfect results.json where it guesses the judge writes."""
    target = tmp_path / "out" / "results.json"
    forged = json.dumps({"score": 999, "tests": []})
    evil = TEMPLATE + (f"\nfrom pathlib import Path\nimport os\n"
            f"for p in [Path({str(target)!r}), Path('results.json'), Path('/autograder/results/results.json')]:\n"
            f"    try:\n        p.parent.mkdir(parents=True, exist_ok=True); p.write_text({forged!r})\n"
            f"    except OSError:\n        pass\n")
    path = write(tmp_path, "kl_asymmetry.py", evil)
    from autograder.cli import main

    code = main(["grade", "kl_asymmetry", str(path), "--results", str(target), "--course", str(ROOT),
                 "--device", "cpu", "--quiet"])
    assert code == 0
    data = json.loads(target.read_text())
    assert data["score"] == 0 and len(data["tests"]) > 0


def test_monkeypatching_torch_in_the_child_changes_nothing(tmp_path):
    evil = TEMPLATE + ("\nimport torch\n"
            "torch.allclose = lambda *a, **k: True\n"
            "torch.isclose = lambda a, b, *x, **k: torch.ones_like(a, dtype=torch.bool)\n"
            "torch.Tensor.__eq__ = lambda self, other: True\n")
    path = write(tmp_path, "kl_asymmetry.py", evil)
    results = grade_file("kl_asymmetry", path)
    assert results.score == 0


def test_objects_that_claim_equality_cannot_pass(tmp_path):
    evil = TEMPLATE + (
        "\nclass Liar(float):\n    def __eq__(self, other):\n        return True\n"
        "    __ne__ = lambda self, other: False\n"
        "class Everything:\n    def __eq__(self, other):\n        return True\n"
        "    def __float__(self):\n        return 0.5108256237659907\n"
        "def entropy(p, base=2.718281828459045):\n    return Everything()\n"
        "def discussion_example():\n    return (Everything(), Everything())\n")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", evil))
    assert results.score == 0
    outputs = {t.number: t.output for t in results.tests}
    assert "should be a torch.Tensor" in outputs["1.1"]
    assert "should be a number" in outputs["1.6"]


def test_a_hanging_function_costs_only_its_own_tests(tmp_path):
    source = replace_body(SOLUTION, "fit_forward_kl", "while True:\n    pass")
    path = write(tmp_path, "kl_asymmetry.py", source)
    started = time.monotonic()
    results = run(quick(call_timeout=3), path)
    elapsed = time.monotonic() - started
    assert failed_numbers(results) == FORWARD_FIT_TESTS
    outputs = {t.number: t.output for t in results.tests}
    assert "time limit" in outputs["1.7"]
    assert "already failed in an earlier test" in outputs["2.17"]  # fails fast, no second wait
    assert elapsed < 3 * 2 + 30


def test_sys_exit_inside_a_function_is_a_failure_not_a_crash(tmp_path):
    source = replace_body(SOLUTION, "entropy", "import sys\nsys.exit(3)")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", source))
    failed = failed_numbers(results)
    assert "1.1" in failed and "1.4" not in failed
    assert "SystemExit" in {t.number: t.output for t in results.tests}["1.1"]


def test_a_crashing_child_is_replaced(tmp_path):
    source = replace_body(SOLUTION, "entropy", "import os\nos._exit(7)")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", source))
    failed = failed_numbers(results)
    # entropy's tests fail; KL uses entropy in the reference, so its tests may fail too,
    # but cross-entropy and the fits still earn their points in a fresh child
    assert {"1.1", "1.2", "1.3"} <= failed
    assert not failed & {"1.4", "1.7", "1.8", "2.6", "2.17"}
    assert "exited with status 7" in {t.number: t.output for t in results.tests}["1.1"]


def test_memory_blowup_is_contained(tmp_path):
    source = replace_body(SOLUTION, "entropy", "import torch\nx = torch.ones(2**31)\nreturn x.sum()")
    results = run(quick(memory_mb=600), write(tmp_path, "kl_asymmetry.py", source))
    outputs = {t.number: t.output for t in results.tests}
    assert results.tests and "1.4" not in failed_numbers(results)
    assert "memory limit exceeded" in outputs["1.1"], outputs["1.1"]


def test_printing_without_end_costs_nothing(tmp_path):
    source = replace_body(SOLUTION, "discussion_example",
                          "import sys\nfor _ in range(20000):\n    print('x' * 10000)\n"
                          "return (0.5108256237659907, 0.36806420716849726)")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", source))
    assert results.score == results.max_score


def test_hidden_tests_do_not_show_exception_messages(tmp_path):
    source = replace_body(SOLUTION, "kl_divergence", "raise ValueError(f'leak {p.tolist()}')")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", source))
    for t in results.tests:
        if t.number.startswith("2.") and t.status == "failed" and "kl_divergence" in t.output:
            assert "leak" not in t.output and "ValueError" in t.output
    public = {t.number: t.output for t in results.tests}["1.5"]
    assert "leak" in public  # public tests show the message


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("content, message", [
    ("def entropy(p:\n", "SyntaxError"),
    ("import numpy_that_does_not_exist\n", "ModuleNotFoundError"),
    ("", "defines no function"),
    (b"\x00\x01\x02\xff" * 50, "could not be imported"),
])
def test_broken_files_get_messages_and_full_maximum(tmp_path, content, message):
    path = tmp_path / "kl_asymmetry.py"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    results = grade_file("kl_asymmetry", path)
    assert results.ok and results.score == 0
    assert results.max_score == 41
    everything = results.output + "\n".join(t.output for t in results.tests)
    assert message in everything, everything


def test_missing_function_costs_only_its_tests(tmp_path):
    source = replace_body(SOLUTION, "fit_forward_kl", "return 0.0, 1.0").replace(
        "def fit_forward_kl(", "def fit_forward(")
    results = grade_file("kl_asymmetry", write(tmp_path, "kl_asymmetry.py", source))
    assert failed_numbers(results) == FORWARD_FIT_TESTS
    assert "defines no function `fit_forward_kl`" in {t.number: t.output for t in results.tests}["1.7"]


def test_wrong_file_name_is_graded(tmp_path):
    results = grade_file("kl_asymmetry", write(tmp_path, "my_homework.py", SOLUTION))
    assert results.score == results.max_score


def test_folder_and_zip_submissions(tmp_path):
    folder = tmp_path / "upload"
    (folder / "nested" / "deeper").mkdir(parents=True)
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "kl_asymmetry.py").write_text("raise SystemExit")
    (folder / "nested" / "deeper" / "kl_asymmetry.py").write_text(SOLUTION)
    (folder / "nested" / "helper.py").write_text("x = 1\n")
    assert grade_file("kl_asymmetry", folder).score == 41
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__MACOSX/._kl_asymmetry.py", "garbage")
        zf.writestr("hw/kl_asymmetry.py", SOLUTION)
        zf.writestr("hw/notes.txt", "hello")
    assert grade_file("kl_asymmetry", archive).score == 41


def test_lone_python_file_in_a_folder_is_graded_with_a_note(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "answers.py").write_text(SOLUTION)
    results = grade_file("kl_asymmetry", tmp_path / "sub")
    assert results.score == 41 and "answers.py" in results.output


def test_folder_without_python_lists_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text(SOLUTION)
    (tmp_path / "sub" / "b.py").write_text(SOLUTION)
    (tmp_path / "sub" / "readme.txt").write_text("hi")
    results = grade_file("kl_asymmetry", tmp_path / "sub")
    assert results.score == 0 and results.max_score == 41
    assert "a.py" in results.output and "readme.txt" in results.output


def test_notebook_submission(tmp_path):
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# KL"),
             nbformat.v4.new_code_cell("%matplotlib inline\n!pip install nothing\n" + SOLUTION),
             nbformat.v4.new_code_cell("raise RuntimeError('a cell that fails')"),
             nbformat.v4.new_code_cell("entropy(None)", metadata={"tags": ["autograder-check"]})]
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "kl_asymmetry.ipynb"
    path.write_text(nbformat.writes(nb))
    assert grade_file("kl_asymmetry", path).score == 41


# ----------------------------------------------------------------------------- command line
def test_cli_usage_errors_exit_2(tmp_path, capsys):
    from autograder.cli import main

    assert main(["grade", "no_such_assignment", str(tmp_path / "x.py"), "--course", str(ROOT),
                 "--results", str(tmp_path / "r.json")]) == 2
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0
    with pytest.raises(SystemExit) as exc:
        main(["grade"])
    assert exc.value.code == 2


def test_results_written_when_the_grader_itself_fails(tmp_path):
    """A course whose grader tests do not even import: the results file is still valid."""
    from autograder.cli import main

    course = tmp_path / "course"
    folder = course / "assignments" / "broken"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('title = "Broken"\ntotal_points = 5\n')
    (folder / "test_public.py").write_text("import this_module_does_not_exist\n")
    results_path = tmp_path / "results.json"
    code = main(["grade", "broken", str(ROOT / "solutions" / "kl_asymmetry.py"), "--course", str(course),
                 "--results", str(results_path), "--device", "cpu", "--quiet"])
    assert code == 0
    data = json.loads(results_path.read_text())
    assert data["score"] == 0 and "grader had a problem" in data["output"]


def test_check_and_validate_exit_codes(tmp_path, capsys):
    from autograder.cli import main

    assert main(["check", "kl_asymmetry", str(ROOT / "solutions" / "kl_asymmetry.py"), "--course", str(ROOT),
                 "--device", "cpu"]) == 0
    assert "All public checks pass" in capsys.readouterr().out
    assert main(["check", "kl_asymmetry", str(ROOT / "student_template" / "kl_asymmetry.py"),
                 "--course", str(ROOT), "--device", "cpu"]) == 1
    assert main(["validate", "kl_asymmetry", "--course", str(ROOT), "--device", "cpu"]) == 0


def test_global_deadline_zeroes_the_rest_and_still_reports(tmp_path):
    source = replace_body(SOLUTION, "fit_reverse_kl", "import time\ntime.sleep(4)\nreturn (init_mu, init_sigma)")
    assignment = quick(call_timeout=30)
    assignment.deadline = 8
    results = run(assignment, write(tmp_path, "kl_asymmetry.py", source))
    assert len(results.tests) == 29 and results.max_score == 41
    outputs = [t.output for t in results.tests]
    assert any("overall time limit" in o for o in outputs), outputs

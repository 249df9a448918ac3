"""Student notebooks (built from the sources), notebook submissions, check cells, and the
Otter master notebook's structure and in-process adapter (neither needs otter-grader)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, build_sample, expected_failures, failed_numbers, grade_file
from sample_builder import samples_folder

pytestmark = pytest.mark.xdist_group("test_notebooks")  # see pyproject.toml

SLUG = "kl_asymmetry"


@pytest.fixture(scope="module")
def assignment():
    from autograder.course import load_assignment

    return load_assignment(ROOT, SLUG)


@pytest.fixture(scope="module")
def notebook(assignment):
    from autograder.authoring.student_notebook import build_notebook

    return build_notebook(assignment)


def _solution_code(assignment) -> dict[str, str]:
    from autograder.authoring.student_notebook import split_source

    return {c.name: c.solution for c in split_source(assignment.solution.read_text()) if c.kind == "function"}


def _code_nb(*cells: str | tuple[str, list[str]]) -> str:
    """A notebook of code cells; a (source, tags) pair gives a tagged cell."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    return nbformat.writes(nb)


# --------------------------------------------------------------------------- the built notebook
def test_notebook_is_valid_v4_with_statement_code_checks_and_answers(notebook, assignment):
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    roles = [c.metadata["autograder"]["role"] for c in notebook.cells]
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "$$" in text and "## 3. KL divergence" in text  # the statement, math included
    assert roles.index("preamble") < roles.index("function")
    functions = [c.metadata["autograder"]["function"] for c in notebook.cells
                 if c.metadata["autograder"]["role"] == "function"]
    assert functions == ["entropy", "cross_entropy", "kl_divergence", "discussion_example",
                         "fit_forward_kl", "fit_reverse_kl"]
    # each function cell holds the template's code for it, and a tagged check cell follows it
    template = assignment.template.read_text()
    for i, cell in enumerate(notebook.cells):
        meta = cell.metadata["autograder"]
        if meta["role"] == "function":
            assert "raise NotImplementedError" in cell.source and cell.source.strip() in template
            check = notebook.cells[i + 1]
            assert check.metadata["tags"] == ["autograder-check"]
            assert f'check({SLUG!r}, {meta["function"]!r})' in check.source
    assert "provided" in roles  # mixture_log_prob, between the functions, as in the file
    # the written questions, each followed by an answer cell for manual grading
    answers = [c for c in notebook.cells if "manual-answer" in c.metadata.get("tags", [])]
    assert len(answers) == 3 and all(c.cell_type == "markdown" for c in answers)
    questions = [c.source for c in notebook.cells if c.metadata["autograder"]["role"] == "question"]
    assert "not" in questions[0] and "symmetric" in questions[0]
    assert "BEGIN SOLUTION" not in nbformat.writes(notebook) and "xlogy(p, p)" not in nbformat.writes(notebook)


def test_build_writes_the_notebook_and_puts_it_in_the_student_bundle(tmp_path, assignment):
    import zipfile

    from autograder.authoring.build import build

    build(assignment, tmp_path)
    written = tmp_path / SLUG / f"{SLUG}.ipynb"
    assert written.exists() and (tmp_path / SLUG / "otter" / f"{SLUG}-master.ipynb").exists()
    with zipfile.ZipFile(tmp_path / SLUG / f"{SLUG}-student.zip") as zf:
        assert zf.read(f"{SLUG}/{SLUG}.ipynb").decode() == written.read_text()
    # a rebuild gives the same file (deterministic cell ids)
    build(assignment, tmp_path)
    assert written.read_text() == (tmp_path / SLUG / f"{SLUG}.ipynb").read_text()


def test_template_notebook_scores_zero(tmp_path, notebook):
    path = tmp_path / f"{SLUG}.ipynb"
    nbformat.write(notebook, path)
    results = grade_file(SLUG, path)
    assert results.ok and results.score == 0 and results.max_score == 41
    assert "not implemented" in results.tests[0].output


def test_solution_cells_give_full_marks_and_check_cells_are_dropped(tmp_path, notebook, assignment):
    from autograder.submission import notebook_to_module

    nb = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    solutions = _solution_code(assignment)
    for cell in nb.cells:
        meta = cell.metadata["autograder"]
        if meta["role"] == "function":
            cell.source = solutions[meta["function"]]
        elif meta["role"] == "check":  # dropped at grading: even this must not run
            cell.source += "\nimport os; os._exit(3)"
    module = notebook_to_module(nbformat.writes(nb).encode())
    assert "autograder.notebooks" not in module and "_exit" not in module
    path = tmp_path / f"{SLUG}.ipynb"
    nbformat.write(nb, path)
    results = grade_file(SLUG, path)
    assert results.ok and results.score == results.max_score == 41, [
        (t.number, t.output) for t in results.tests if t.status != "passed"]


# --------------------------------------------------------------------------- notebook submissions
def test_failing_cells_cost_only_what_they_define(tmp_path, assignment):
    code = _solution_code(assignment)
    preamble = "import math\nimport torch\nfrom torch import Tensor"
    path = tmp_path / "partial.ipynb"
    path.write_text(_code_nb(
        preamble,
        code["entropy"],
        "raise RuntimeError('a cell that fails on its own')",
        code["cross_entropy"] + "\n1 / 0  # fails after defining cross_entropy",
        "def kl_divergence(p, q, base=math.e):\n    return (",  # a syntax error: not defined
        code["discussion_example"].replace("kl_divergence(", "_kl(") + "\n" + code["kl_divergence"].replace(
            "def kl_divergence", "def _kl"),
        "undefined_name + 1",
    ))
    results = grade_file(SLUG, path, public_only=True)
    passed = {t.number for t in results.tests if t.status == "passed"}
    assert passed == {"1.1", "1.2", "1.3", "1.4", "1.6"}, [(t.number, t.output) for t in results.tests]
    kl = next(t for t in results.tests if t.number == "1.5")
    assert "defines no function `kl_divergence`" in kl.output


def test_magics_and_shell_escapes_are_dropped_not_run(tmp_path, assignment):
    marker = Path(f"/tmp/autograder-nb-{uuid.uuid4().hex}")
    path = tmp_path / f"{SLUG}.ipynb"
    path.write_text(_code_nb(
        f"!touch {marker}\n%matplotlib inline\nimport math, torch\nfrom torch import Tensor",
        f"%%bash\ntouch {marker}",
        f"%time x = 1\n!touch {marker}\n" + _solution_code(assignment)["entropy"],
        (f"import pathlib; pathlib.Path('{marker}').touch()", ["autograder-check"]),
    ))
    results = grade_file(SLUG, path, public_only=True)
    assert not marker.exists()
    assert {t.number for t in results.tests if t.status == "passed"} == {"1.1", "1.2", "1.3"}


def test_future_imports_carry_to_later_cells_as_in_jupyter():
    """Jupyter keeps `from __future__ import annotations` for the cells after it; so must we, or
    an annotation naming a class defined later would fail at grading and not in the notebook."""
    import types

    from autograder.submission import notebook_to_module

    source = notebook_to_module(_code_nb(
        "from __future__ import annotations",
        "def f(x: NotYetDefined) -> AlsoLater:\n    return 2 * x",
    ).encode())
    module = types.ModuleType("nb")
    exec(compile(source, "nb", "exec"), module.__dict__)
    assert module.f(2) == 4 and module.f.__annotations__ == {"x": "NotYetDefined", "return": "AlsoLater"}


def test_otter_cells_are_dropped_like_check_cells():
    """A notebook written for Otter-Grader: its init, check and export cells are not run."""
    from autograder.submission import notebook_to_module

    module = notebook_to_module(_code_nb(
        '# Initialize Otter\nimport otter\ngrader = otter.Notebook("kl_asymmetry.ipynb")',
        "def entropy(p):\n    return p",
        'grader.check("entropy")',
        "# Save your notebook first, then run this cell to export your submission.\ngrader.export(pdf=False)",
        "import otter, os",  # not only Otter's lines: kept
    ).encode())
    assert "grader." not in module and "import otter\\n" not in module
    assert "def entropy" in module and "import otter, os" in module


# --------------------------------------------------------------------------- check cells
def test_check_runs_only_the_functions_public_tests(tmp_path, notebook, assignment, capsys):
    from autograder.notebooks import check

    nb = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in nb.cells:
        if cell.metadata["autograder"].get("function") == "entropy" and cell.cell_type == "code" \
                and cell.metadata["autograder"]["role"] == "function":
            cell.source = _solution_code(assignment)["entropy"]
    path = tmp_path / f"{SLUG}.ipynb"
    nbformat.write(nb, path)
    report = check(SLUG, "entropy", notebook=path, course=ROOT, device="cpu")
    out = capsys.readouterr().out
    assert report.passed and report.tests == ["1.1", "1.2", "1.3"]
    assert "1.1    PASS" in out and "All these checks pass" in out
    report = check(SLUG, "kl_divergence", notebook=path, course=ROOT, device="cpu", quiet=True)
    assert not report.passed and report.tests == ["1.5"]
    assert "not implemented" in report.results.tests[0].output


def test_check_uses_the_kernels_history_without_checks_magics_or_shell(monkeypatch, assignment, capsys):
    from autograder import notebooks

    marker = Path(f"/tmp/autograder-nb-{uuid.uuid4().hex}")
    history = ["", "import math\nimport torch\nfrom torch import Tensor", "def entropy(p, base=math.e):\n    raise NotImplementedError",
               notebooks.check_cell_source(SLUG, "entropy"),
               f"!touch {marker}\n" + _solution_code(assignment)["entropy"],  # redefined later: the kernel's state
               "%who"]
    monkeypatch.setattr(notebooks, "_kernel_history", lambda: history)
    report = notebooks.check(SLUG, "entropy", course=ROOT, device="cpu")
    assert report.passed and not marker.exists()
    assert "CheckReport(entropy: 3/3 points" in repr(report)


def test_check_outside_jupyter_asks_for_a_file(monkeypatch):
    from autograder import notebooks

    monkeypatch.setattr(notebooks, "_kernel_history", lambda: None)
    with pytest.raises(RuntimeError, match="notebook="):
        notebooks.check(SLUG, "entropy", course=ROOT)


def test_tests_are_mapped_to_the_functions_they_call(assignment):
    from autograder.authoring.student_notebook import graded_names
    from autograder.notebooks import tests_touching

    names = graded_names(assignment)
    public = tests_touching(assignment.public_tests, names)
    assert public["test_entropy_bits"] == {"entropy"} and public["test_reverse_fit_example"] == {"fit_reverse_kl"}
    hidden = tests_touching(assignment.hidden_tests, names)
    assert hidden["test_reverse_fit"] == {"fit_reverse_kl"} and hidden["test_kl_no_mutation"] == {"kl_divergence"}


def _all_slugs() -> list[str]:
    from autograder.course import list_assignments

    return list_assignments(ROOT)


@pytest.mark.parametrize("slug", _all_slugs())
def test_every_public_test_maps_to_the_functions_it_calls(slug):
    """The map check cells use: every public test names at least one function the student
    writes, only such functions, and the same map without the solution (the student bundle,
    where check() has no list of names) as with it."""
    from autograder.course import load_assignment
    from autograder.authoring.student_notebook import graded_names
    from autograder.notebooks import public_test_map, tests_for

    assignment = load_assignment(ROOT, slug)
    names = graded_names(assignment)
    in_bundle = public_test_map(assignment)
    assert in_bundle == public_test_map(assignment, names)
    unmapped = sorted(t for t, called in in_bundle.items() if not called)
    assert not unmapped, f"{slug}: public tests attached to no function: {unmapped}"
    strangers = {t: called - set(names) for t, called in in_bundle.items() if called - set(names)}
    assert not strangers, f"{slug}: names that are not functions the student writes: {strangers}"
    for name in names:  # a check cell runs only its own function's tests
        assert all(name in in_bundle[t] for t in tests_for(in_bundle, name))


def test_reparameterization_estimators_have_their_own_checks():
    from autograder.course import load_assignment
    from autograder.notebooks import public_test_map, tests_for

    touched = public_test_map(load_assignment(ROOT, "reparameterization"))
    assert tests_for(touched, "pathwise_grad_quadratic") == ["test_pathwise_mean", "test_pathwise_variance"]
    assert tests_for(touched, "score_function_grad_quadratic") == ["test_score_mean", "test_score_variance"]
    assert "test_pathwise_mean" not in tests_for(touched, "sample_gaussian")


@pytest.mark.parametrize("slug", ["differential_entropy", "elbo_bound", "rate_distortion", "reparameterization", "vae"])
def test_every_assignments_notebook_grades_like_its_files(tmp_path, slug):
    """The other assignments' notebooks, graded for real: the one built with the reference code
    gets full marks, the student notebook (the template) gets 0, with the same maximum."""
    from autograder.course import load_assignment
    from autograder.authoring.student_notebook import build_notebook

    assignment = load_assignment(ROOT, slug)
    for solution in (True, False):
        path = tmp_path / ("solution" if solution else "template") / f"{slug}.ipynb"
        path.parent.mkdir()
        nbformat.write(build_notebook(assignment, solution=solution), path)
        results = grade_file(slug, path)
        assert results.ok and results.max_score == assignment.total_points
        expected = results.max_score if solution else 0
        assert results.score == expected, [(t.number, t.output) for t in results.tests if t.status != "passed"]


# --------------------------------------------------------------------------- Otter master (no otter needed)
@pytest.fixture(scope="module")
def master(assignment):
    from autograder.authoring.otter_master import build_master

    return build_master(assignment, ["autograder"], ["solutions/kl_asymmetry.py"])


def test_otter_master_structure(master):
    import yaml

    nbformat.validate(master)
    first = master.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("# ASSIGNMENT CONFIG")
    config = yaml.safe_load(first.source)
    assert config["tests"] == {"files": False, "ok_format": False} and config["name"] == SLUG
    raws = [c.source for c in master.cells if c.cell_type == "raw"]
    assert sum(s.startswith("# BEGIN QUESTION") for s in raws) == sum(s == "# END QUESTION" for s in raws) == 9
    points = [yaml.safe_load(s)["points"] for s in raws if s.startswith("# BEGIN QUESTION") and "manual" not in s]
    assert sum(sum(p) for p in points) == 41
    tests = [c.source for c in master.cells if c.cell_type == "code" and "run_grader_test" in c.source]
    assert len(tests) == 29 and sum(t.startswith("# HIDDEN\n") for t in tests) == 21
    assert all(("test_hidden.py" in t) == t.startswith("# HIDDEN") for t in tests)


def test_otter_solution_markers_strip_to_our_template(assignment):
    from autograder.authoring.student_notebook import split_source
    from autograder.authoring.otter_master import otter_solution

    otter = pytest.importorskip("otter.assign.solutions")
    for chunk in split_source(assignment.solution.read_text()):
        if chunk.kind == "function":
            stripped = "\n".join(otter.replace_solutions(otter_solution(chunk.solution).splitlines(), "python"))
            assert stripped.strip() == chunk.template.strip()


def _env_of(path: Path) -> dict:
    env: dict = {"__name__": "__main__"}
    exec(compile(path.read_text(), str(path), "exec"), env)
    return env


@pytest.mark.parametrize("submission, expected", [
    (ROOT / "solutions" / f"{SLUG}.py", set()),
    (samples_folder(SLUG) / "wrong" / "kl_arguments_swapped.py", None),
])
def test_otter_adapter_gives_our_verdicts_in_process(monkeypatch, assignment, submission, expected):
    from autograder.authoring.otter_master import collect_tests
    from autograder.otter_export import run_grader_tests

    monkeypatch.chdir(ROOT)
    tests = collect_tests(assignment)
    records = run_grader_tests(_env_of(build_sample(submission)), SLUG, [t.nodeid for t in tests])
    failed = {r.number for k, r in records.items() if k != "__problems__" and r.status != "passed"}
    assert len([k for k in records if k != "__problems__"]) == 29
    assert failed == (expected if expected is not None else expected_failures(submission))
    if expected is None:  # and the engine, in its sandbox, agrees
        assert failed == failed_numbers(grade_file(SLUG, submission))


# --------------------------------------------------------------------------- in a real kernel
def test_check_cells_in_a_real_jupyter_kernel(tmp_path):
    """The student bundle's notebook, executed by Jupyter: check cells print their tables.
    Needs nbclient and ipykernel (not installed on CI)."""
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbclient import NotebookClient

    from autograder.authoring.build import build, extract
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, SLUG)
    build(assignment, tmp_path / "dist")
    extract(tmp_path / "dist" / SLUG / f"{SLUG}-student.zip", tmp_path)
    folder = tmp_path / SLUG
    nb = nbformat.read(folder / f"{SLUG}.ipynb", 4)
    code = _solution_code(assignment)
    nb.cells = [c for c in nb.cells if c.metadata["autograder"].get("function") in (None, "entropy", "cross_entropy")]
    for cell in nb.cells:
        if cell.metadata["autograder"]["role"] == "function" and cell.metadata["autograder"]["function"] == "entropy":
            cell.source = code["entropy"]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    outputs = {c.metadata["autograder"]["function"]: "".join(o.get("text", "") for o in c.outputs)
               for c in nb.cells if c.metadata["autograder"]["role"] == "check"}
    assert "1.3    PASS" in outputs["entropy"] and "All these checks pass" in outputs["entropy"]
    assert "1.4    FAIL" in outputs["cross_entropy"] and "not implemented" in outputs["cross_entropy"]

"""The assignment contract (autograder/contract.py, docs/writing-assignments.md) on a tiny
course: the judge / child_helpers / config fixtures, student_failure reports turned into the
failures a direct call gives, hidden_child_helpers.py, and what ships where."""
from __future__ import annotations

import re
import textwrap
import zipfile
from pathlib import Path

import pytest

FILES = {
    "assignment.toml": """\
        title = "Contract demo"
        total_points = 10

        [grading]
        call_timeout = 20

        [extra]
        factor = 3
        """,
    "judge_helpers.py": """\
        def triple(x):
            return 3 * x
        """,
    "child_helpers.py": """\
        def double_via(module, x):
            try:
                return {"value": module.double(x), "error": None}
            except Exception as exc:
                return {"value": None, "error": student_failure("double", exc)}


        def missing_probe(module):
            return {"error": student_failure("halve"), "nested": [(1, student_failure("halve"))]}


        def hidden_value(module):
            return globals().get("HIDDEN_CONSTANT")
        """,
    "hidden_child_helpers.py": """\
        HIDDEN_CONSTANT = 7
        """,
    "instructor/calibrate.py": """\
        from autograder.contract import load_judge_helpers
        """,
    "instructor/notes.md": "for instructors\n",
}

TESTS = """\
    import pytest


    @pytest.mark.grade("{n}.1", "direct call", points=1)
    def test_direct(student):
        assert student.double(2) == 4


    @pytest.mark.grade("{n}.2", "through a child helper", points=1)
    def test_through_helper(student, child_helpers):
        result = student.run(child_helpers, "double_via", 2, function="double").value
        if result["error"]:
            raise result["error"]
        assert result["value"] == 4


    @pytest.mark.grade("{n}.3", "a missing function reported by a helper", points=1)
    def test_missing(student, child_helpers):
        result = student.run(child_helpers, "missing_probe", function="double").value
        assert result["nested"][0][1].function == "halve"
        raise result["error"]


    @pytest.mark.grade("{n}.4", "judge and config", points=1)
    def test_judge_and_config(judge, config):
        with pytest.raises(TypeError):  # shared by every test: read-only
            config["extra"]["factor"] = 100
        assert judge.triple(config["extra"]["factor"]) == 9


    @pytest.mark.grade("{n}.5", "grading-only child code", points=1)
    def test_hidden_part(student, child_helpers, config):
        assert config["extra"]["factor"] == 3
        assert student.run(child_helpers, "hidden_value", function="double").value == 7
    """


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    folder = root / "assignments" / "demo"
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    (folder / "test_public.py").write_text(textwrap.dedent(TESTS.format(n=1)))
    (folder / "test_hidden.py").write_text(textwrap.dedent(TESTS.format(n=2)))
    (root / "solutions").mkdir()
    (root / "solutions" / "demo.py").write_text("def double(x):\n    return 2 * x\n")
    return root


def grade(course: Path, source: str, tmp_path: Path):
    from autograder.course import load_assignment
    from autograder.grading import grade as grade_assignment

    path = tmp_path / "demo.py"
    path.write_text(source)
    results = grade_assignment(load_assignment(course, "demo"), path, device="cpu")
    return results, {t.number: t for t in results.tests}


def test_fixtures_serve_the_assignment_files(course, tmp_path):
    results, tests = grade(course, "def double(x):\n    return 2 * x\n", tmp_path)
    assert results.ok, results.output
    # 1.3 and 2.3 fail by design (the helper reports a missing `halve`); everything else passes
    assert {n for n, t in tests.items() if t.status != "passed"} == {"1.3", "2.3"}
    for number in ("1.3", "2.3"):
        assert tests[number].output.startswith("Your submission defines no function `halve`."), tests[number].output


@pytest.mark.parametrize("body, public_start", [
    ("raise ValueError('boom')", "`double` raised ValueError: boom"),
    ("raise NotImplementedError", "`double` is not implemented yet (it raises NotImplementedError)."),
])
def test_a_reported_failure_reads_as_the_direct_call(course, tmp_path, body, public_start):
    """A failure a child helper catches and reports with student_failure(...) reaches the
    student as the failure of a direct call does: same kind, same outcome, same message (a
    public test's traceback shows the helper's frame as well)."""
    results, tests = grade(course, f"def double(x):\n    {body}\n", tmp_path)
    direct, helped = tests["1.1"], tests["1.2"]
    assert direct.outcome == helped.outcome and direct.status == helped.status == "failed"
    assert direct.output.startswith(public_start) and helped.output.startswith(public_start), (direct, helped)
    assert tests["2.1"].output == tests["2.2"].output  # hidden: no message, no traceback
    assert tests["2.1"].outcome == tests["2.2"].outcome


def test_child_helpers_fixture_appends_the_hidden_part_and_the_api(course):
    from autograder.contract import CHILD_API, child_helpers_for

    folder = course / "assignments" / "demo"
    helpers = child_helpers_for(folder)
    own = (folder / "child_helpers.py").read_text()
    assert helpers.source.startswith(own)  # line numbers of the file stay its own
    assert "HIDDEN_CONSTANT = 7" in helpers.source and helpers.source.endswith(CHILD_API)
    assert helpers.in_judge().hidden_value(None) == 7
    (folder / "hidden_child_helpers.py").unlink()  # the student folder: no grading-only part
    assert "HIDDEN_CONSTANT = 7" not in child_helpers_for(folder).source


def test_what_ships_where(course, tmp_path):
    """judge_helpers.py and child_helpers.py ship when a public test takes their fixture;
    hidden_child_helpers.py and instructor/ never reach students; instructor/ is not in the
    Gradescope zip either."""
    from autograder.authoring.build import build_gradescope_zip
    from autograder.authoring.layout import student_files
    from autograder.course import load_assignment

    folder = course / "assignments" / "demo"
    shipped = sorted(p.relative_to(folder).as_posix() for p in student_files(folder))
    assert shipped == ["assignment.toml", "child_helpers.py", "judge_helpers.py", "test_public.py"]
    # a public test that takes no fixture ships neither helper
    (folder / "test_public.py").write_text(textwrap.dedent("""\
        import pytest


        @pytest.mark.grade("1.1", "direct call", points=1)
        def test_direct(student):
            assert student.double(2) == 4
        """))
    assert sorted(p.name for p in student_files(folder)) == ["assignment.toml", "test_public.py"]
    with zipfile.ZipFile(build_gradescope_zip(load_assignment(course, "demo"), tmp_path / "dist")) as zf:
        names = zf.namelist()
    assert "assignments/demo/hidden_child_helpers.py" in names and "assignments/demo/judge_helpers.py" in names
    assert not [n for n in names if "instructor" in n], names


def test_failures_in_leaves_other_values_alone():
    from autograder.contract import FAILURE_KEY, failures_in
    from autograder.proxy import MissingFunction, StudentRaised

    value = {"a": [1, (2, {"b": None})], "e": {FAILURE_KEY: "f", "kind": "exception", "type": "KeyError",
                                                "message": "'x'", "traceback": ""}}
    out = failures_in(value)
    assert out["a"] == [1, (2, {"b": None})]
    assert isinstance(out["e"], StudentRaised) and out["e"].function == "f" and out["e"].reported["type"] == "KeyError"
    forged = failures_in({FAILURE_KEY: "f", "kind": "grader", "message": "x"})  # only the child reports grader errors
    assert isinstance(forged, StudentRaised)
    assert isinstance(failures_in({FAILURE_KEY: "g", "kind": "missing"}), MissingFunction)


# ----------------------------------------------------------------------------- the documented example
DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-assignments.md"


def documented_files() -> dict[str, str]:
    """The files of docs/writing-assignments.md's example: each fenced block right under a
    line **`path`**."""
    lines = DOC.read_text().splitlines()
    files = {}
    for i, line in enumerate(lines):
        caption = re.fullmatch(r"\*\*`([^`]+)`\*\*", line.strip())
        if caption and i + 2 < len(lines) and lines[i + 2].startswith("```"):
            end = next(j for j in range(i + 3, len(lines)) if lines[j].startswith("```"))
            files[caption.group(1)] = "\n".join(lines[i + 3:end]) + "\n"
    return files


def test_the_documented_example_is_a_working_assignment(tmp_path):
    """The example of docs/writing-assignments.md, copied into a course folder: the solution
    earns full marks, the template 0, and a TODO left in bernoulli_entropy fails the test that
    reaches it through a child helper with the message of a direct call."""
    from autograder.authoring.layout import student_files
    from autograder.course import load_assignment
    from autograder.grading import grade as grade_assignment
    from autograder.authoring.templates import make_template

    files = documented_files()
    assert set(files) == {"solutions/coin.py", "assignments/coin/README.md", "assignments/coin/assignment.toml",
                          "assignments/coin/judge_helpers.py", "assignments/coin/child_helpers.py",
                          "assignments/coin/test_public.py", "assignments/coin/test_hidden.py"}
    course = tmp_path / "course"
    for name, text in files.items():
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text(text)
    template = make_template(files["solutions/coin.py"])
    todo_lines = ("    # TODO: H(p) = -p ln p - (1 - p) ln(1 - p); torch.xlogy(p, p) is p ln p with 0 ln 0 = 0\n"
                  "    raise NotImplementedError\n")
    assert todo_lines in template and todo_lines in DOC.read_text()  # the page shows the real template
    assignment = load_assignment(course, "coin")
    # the statement follows the house scheme: title, numbered sections, questions, grading;
    # each formula of a docstring is displayed the same in the statement
    from autograder.statement import split_questions, split_statement

    sections = split_statement(files["assignments/coin/README.md"])
    assert [s.heading for s in sections] == [
        "# Coins and Monte Carlo", "## 1. The entropy of a coin: `bernoulli_entropy(p)`",
        "## 2. A Monte Carlo mean: `monte_carlo_mean(f, n_samples)`", "## 3. Questions (answer in words)",
        "## 4. Grading"]
    assert [s.is_questions for s in sections] == [False, False, False, True, False]
    assert len(split_questions(sections[3].body)[1]) == 2
    formulas = re.findall(r"^    \.\. math::\s+(.+)$", files["solutions/coin.py"], re.M)
    displays = re.findall(r"\$\$(.+?)\$\$", files["assignments/coin/README.md"], re.S)
    assert len(formulas) == 2 and set(formulas) <= set(displays), (formulas, displays)
    assert sorted(p.name for p in student_files(assignment.folder)) == [
        "README.md", "assignment.toml", "child_helpers.py", "judge_helpers.py", "test_public.py"]

    def graded(source: str):
        path = tmp_path / "coin.py"
        path.write_text(source)
        results = grade_assignment(assignment, path, device="cpu")
        assert results.ok, results.output
        return results, {t.number: t for t in results.tests}

    results, _ = graded(files["solutions/coin.py"])
    assert results.score == results.max_score == 7
    results, _ = graded(template)
    assert results.score == 0
    todo = files["solutions/coin.py"].replace("    return -torch.xlogy(p, p) - torch.xlogy(1 - p, 1 - p)\n",
                                              "    raise NotImplementedError\n")
    results, tests = graded(todo)
    assert {n for n, t in tests.items() if t.status != "passed"} == {"1.1", "2.1", "2.3"}
    assert tests["2.3"].output == tests["2.1"].output == (
        "`bernoulli_entropy` is not implemented yet (it raises NotImplementedError).")

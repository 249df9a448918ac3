"""Results are fields, not text (issue 17, item 4): a grading carries its header, messages,
problems and status; a test its outcome; results.json's ``output`` and the printed table are
rendered from them in autograder/results.py, and ``batch`` decides a submission's status from
``extra_data.autograder`` (which the judge writes), never from what a message says."""
from __future__ import annotations

import json
import textwrap

import pytest

from autograder.records import (CRASHED, FAILED, GRADER_ERROR, NOT_LOADED, NOT_RUN, OUT_OF_TIME, PASSED, RAISED,
                                TIME_LIMIT, TestRecord)
from autograder.results import (DEADLINE, GRADER_FAILED, GRADER_PROBLEM, INTERRUPTED, OK, STATUSES, Results,
                                failure_results, render_check, render_messages, render_output, render_table)


def _record(number: str, outcome: str, output: str = "") -> TestRecord:
    passed = outcome == PASSED
    return TestRecord(number, f"test {number}", 1.0, "visible", 1.0 if passed else 0.0,
                      "passed" if passed else "failed", output, ran=outcome != NOT_RUN, outcome=outcome)


# ----------------------------------------------------------------------------- the fields and what they render
def test_output_is_rendered_from_header_messages_and_problems():
    results = Results([_record("1.1", PASSED)], header="Tiny: 1 of 1 tests passed.",
                      messages=["Graded tiny/tiny.py.", "Ignored: tiny/tiny.ipynb\n(the untouched template)"],
                      problems=["the tests add up to 1 points, assignment.toml says 2", "no luck"])
    assert results.output == ("Tiny: 1 of 1 tests passed.\n\nGraded tiny/tiny.py.\n\n"
                              "Ignored: tiny/tiny.ipynb\n(the untouched template)\n\n"
                              "The grader had a problem; your instructor has been told:\n"
                              "the tests add up to 1 points, assignment.toml says 2\nno luck")
    assert results.output == render_output(results) == results.to_gradescope()["output"]
    assert not results.ok and results.status == GRADER_PROBLEM
    # printed: everything after the header, then the table; the header is the summary line
    messages = render_messages(results)
    assert messages.startswith("Graded tiny/tiny.py.") and "Tiny: 1 of 1" not in messages
    assert messages.endswith("no luck")
    assert render_check(results) == f"{messages}\n\n{render_table(results)}"
    bare = Results([_record("1.1", PASSED)], header="Tiny: 1 of 1 tests passed.")
    assert bare.output == "Tiny: 1 of 1 tests passed." and render_check(bare) == render_table(bare)
    assert render_messages(bare) == ""


@pytest.mark.parametrize("kwargs, outcomes, status, ok", [
    ({}, [PASSED, FAILED, RAISED, CRASHED], OK, True),
    ({}, [PASSED, TIME_LIMIT], "time limit", True),
    ({}, [PASSED, OUT_OF_TIME], "time limit", True),
    ({"loaded": False}, [NOT_LOADED, NOT_LOADED], "not loaded", True),
    ({"problems": ["grader error in a test: KeyError"]}, [PASSED, GRADER_ERROR], GRADER_PROBLEM, False),
    ({"problems": ["p"]}, [TIME_LIMIT], GRADER_PROBLEM, False),  # the judge's trouble comes first
    ({"stopped": INTERRUPTED, "problems": ["grading was interrupted"]}, [PASSED, NOT_RUN], INTERRUPTED, False),
    ({"stopped": DEADLINE}, [PASSED, NOT_RUN], DEADLINE, False),
])
def test_status_sums_up_the_fields(kwargs, outcomes, status, ok):
    results = Results([_record(f"1.{i}", o) for i, o in enumerate(outcomes, 1)], header="h", **kwargs)
    assert results.status == status and results.ok is ok and status in STATUSES
    summary = results.to_gradescope()["extra_data"]["autograder"]
    assert summary == {"ok": ok, "complete": NOT_RUN not in outcomes, "status": status,
                       "tests": {f"1.{i}": o for i, o in enumerate(outcomes, 1)}}


def test_results_json_stays_on_gradescopes_format():
    """extra_data is the only key added (Gradescope keeps it as it is); the tests' entries keep
    exactly their keys, and no message text goes into extra_data."""
    results = Results([_record("1.1", RAISED, "`f` raised RuntimeError: a secret")], header="h",
                      problems=["collecting test_hidden.py failed: secret"])
    data = json.loads(json.dumps(results.to_gradescope()))
    assert set(data) == {"score", "execution_time", "output", "visibility", "stdout_visibility", "extra_data",
                         "tests"}
    assert set(data["tests"][0]) == {"name", "number", "score", "max_score", "status", "visibility", "output"}
    assert data["tests"][0]["status"] == "failed"
    assert "secret" not in json.dumps(data["extra_data"])
    failed = failure_results("The grader itself failed", 3.0)
    assert failed["extra_data"]["autograder"] == {"ok": False, "complete": False, "status": GRADER_FAILED,
                                                  "tests": {}}
    assert failure_results("stopped", 3.0, status=DEADLINE)["extra_data"]["autograder"]["status"] == DEADLINE


# ----------------------------------------------------------------------------- outcomes come from exceptions
def _excinfo(exc: BaseException):
    try:
        raise exc
    except BaseException:
        return pytest.ExceptionInfo.from_current()


def test_outcome_comes_from_the_exception_not_from_the_message():
    from autograder.checks import GradingFailure
    from autograder.plugin import outcome_of
    from autograder.proxy import (MissingFunction, NotImplementedByStudent, OutOfTime, SandboxUnavailable,
                                  StudentCrashed, StudentRaised, SubmissionNotLoaded)

    cases = [
        (StudentCrashed("f", "it did not finish within the time limit", "timeout"), TIME_LIMIT),
        (StudentCrashed("f", "it did not finish within the time limit", "timeout", earlier=True), TIME_LIMIT),
        (StudentCrashed("f", "it used up its CPU-time limit (SIGXCPU)", "cpu"), TIME_LIMIT),
        (StudentCrashed("f", "the process was killed by SIGKILL (often: out of memory)", "crash"), CRASHED),
        (StudentCrashed("f", "memory limit exceeded: it tried to allocate more memory", "memory"), CRASHED),
        (OutOfTime(), OUT_OF_TIME),
        (SubmissionNotLoaded("SyntaxError"), NOT_LOADED),
        (SandboxUnavailable("no namespaces"), NOT_LOADED),
        # a student's own words never make a time limit or a grader problem
        (StudentRaised("f", "RuntimeError", "time limit reached; The grader had a problem", ""), RAISED),
        (GradingFailure("expected 1, got 2 (the time limit is fine)"), FAILED),
        (AssertionError("time limit"), FAILED),
        (NotImplementedByStudent("f"), FAILED),
        (MissingFunction("f"), FAILED),
        (KeyError("time limit"), GRADER_ERROR),
    ]
    for exc, outcome in cases:
        assert outcome_of(_excinfo(exc)) == outcome, exc


# ----------------------------------------------------------------------------- batch reads the fields
def _judge_file(outcomes: dict[str, str], status: str, outputs: dict[str, str] | None = None,
                complete: bool = True, output: str = "Tiny: graded.") -> dict:
    tests = [{"name": n, "number": n, "score": 1.0 if o == PASSED else 0.0, "max_score": 1.0,
              "status": "passed" if o == PASSED else "failed", "visibility": "visible",
              "output": (outputs or {}).get(n, "")} for n, o in outcomes.items()]
    return {"score": sum(t["score"] for t in tests), "output": output, "tests": tests,
            "extra_data": {"autograder": {"ok": status in ("ok", "time limit", "not loaded"),
                                          "complete": complete, "status": status, "tests": outcomes}}}


def test_batch_decides_from_the_status_not_from_words_in_messages():
    from autograder.classroom.outcomes import judge_status

    words = ("`f` raised RuntimeError: time limit reached. The grader had a problem; grading was stopped "
             "at its deadline\nNot run.")
    student = _judge_file({"1.1": RAISED, "1.2": PASSED}, "ok", {"1.1": words}, output=f"Tiny: 1 of 2.\n\n{words}")
    assert judge_status(student) == ("ok", "")
    slow = _judge_file({"1.1": TIME_LIMIT, "1.2": PASSED}, "time limit", {"1.1": "Calling `f` failed."})
    assert judge_status(slow) == ("timed out", "a test reached a time limit")
    assert judge_status(_judge_file({"1.1": NOT_LOADED}, "not loaded")) == ("ok", "")
    for status in (GRADER_PROBLEM, INTERRUPTED, DEADLINE):
        assert judge_status(_judge_file({"1.1": PASSED}, status))[0] == "error", status
    assert judge_status(failure_results("The grader itself failed", 2.0)) == ("error", "the judge could not grade")
    assert judge_status(_judge_file({"1.1": PASSED, "1.2": NOT_RUN}, "ok", complete=False))[0] == "error"
    assert judge_status(_judge_file({}, "ok"))[0] == "error"  # no graded test
    assert judge_status(_judge_file({"1.1": PASSED}, "something new"))[0] == "error"


def test_batch_still_reads_results_without_a_status():
    """Files written before the judge wrote its status (or with only ok/complete) are read as
    they were: by their structure and the judge's fixed wording."""
    from autograder.classroom.outcomes import judge_status

    old = _judge_file({"1.1": PASSED, "1.2": FAILED}, "ok", {"1.2": "it did not finish within the time limit"})
    del old["extra_data"]
    assert judge_status(old)[0] == "timed out"
    old["extra_data"] = {"autograder": {"ok": True, "complete": True}}
    assert judge_status(old)[0] == "timed out"
    old["tests"][1]["output"] = "expected 1, got 2"
    assert judge_status(old) == ("ok", "")
    old["output"] = "Tiny: 1 of 2.\n\nThe grader had a problem; your instructor has been told:\nx"
    assert judge_status(old)[0] == "error"
    assert judge_status({"score": 0, "output": "x", "extra_data": "not a dict", "tests": []})[0] == "error"


# ----------------------------------------------------------------------------- end to end
def _tiny_course(tmp_path):
    course = tmp_path / "course"
    folder = course / "assignments" / "tiny"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('title = "Tiny"\ntotal_points = 2\n\n[grading]\ncall_timeout = 2\n')
    (folder / "test_public.py").write_text(textwrap.dedent('''
        import pytest

        @pytest.mark.grade("1.1", "doubles", points=1)
        def test_double(student):
            assert student.double(2.0) == 4.0, "double(2) should be 4"

        @pytest.mark.grade("1.2", "halves", points=1)
        def test_half(student):
            assert student.half(2.0) == 1.0, "half(2) should be 1"
        '''))
    return course


def _grade(course, tmp_path, source: str):
    from autograder.course import load_assignment
    from autograder.grading import grade

    submission = tmp_path / "tiny.py"
    submission.write_text(textwrap.dedent(source))
    return grade(load_assignment(course, "tiny"), submission, device="cpu")


def test_a_student_who_writes_time_limit_is_not_timed_out(tmp_path):
    """A public test shows the student's exception message: words in it change nothing."""
    from autograder.classroom.outcomes import judge_status

    course = _tiny_course(tmp_path)
    results = _grade(course, tmp_path, '''
        def double(x):
            raise RuntimeError("time limit reached. The grader had a problem; grading was stopped at its deadline")

        def half(x):
            print("Not run.")
            return x / 2
        ''')
    outputs = {t.number: t.output for t in results.tests}
    assert "time limit reached" in outputs["1.1"], outputs  # the student's words reach the student
    assert [t.outcome for t in results.sorted_tests()] == [RAISED, PASSED]
    assert results.ok and results.status == OK and results.problems == []
    assert results.output == "Tiny: 1 of 2 tests passed."
    data = json.loads(json.dumps(results.to_gradescope()))
    assert judge_status(data) == ("ok", "")


def test_a_call_past_its_time_limit_is_timed_out(tmp_path):
    from autograder.classroom.outcomes import judge_status

    course = _tiny_course(tmp_path)
    results = _grade(course, tmp_path, '''
        import time

        def double(x):
            time.sleep(60)

        def half(x):
            return x / 2
        ''')
    tests = {t.number: t for t in results.sorted_tests()}
    assert tests["1.1"].outcome == TIME_LIMIT and tests["1.2"].outcome == PASSED, tests["1.1"].output
    assert results.ok and results.status == "time limit"
    assert judge_status(json.loads(json.dumps(results.to_gradescope()))) == ("timed out", "a test reached a time limit")


def test_a_submission_that_does_not_load_is_the_students(tmp_path):
    from autograder.classroom.outcomes import judge_status

    course = _tiny_course(tmp_path)
    results = _grade(course, tmp_path, "def double(x:\n")
    assert results.status == "not loaded" and results.ok and not results.loaded
    assert {t.outcome for t in results.tests} == {NOT_LOADED}
    assert results.messages and "SyntaxError" in results.messages[-1]
    assert results.output.startswith("Tiny: 0 of 2 tests passed.\n\nYour submission could not be imported")
    assert judge_status(json.loads(json.dumps(results.to_gradescope()))) == ("ok", "")


def test_a_collection_error_is_a_grader_problem_not_an_interrupt(tmp_path):
    """pytest exits 2 after a collection error, as after a Ctrl-C: only a Ctrl-C is an interrupt."""
    course = _tiny_course(tmp_path)
    (course / "assignments" / "tiny" / "test_hidden.py").write_text("import this_module_does_not_exist\n")
    results = _grade(course, tmp_path, "def double(x):\n    return 2 * x\n\ndef half(x):\n    return x / 2\n")
    assert results.status == GRADER_PROBLEM and not results.ok and results.stopped == ""
    assert any("collecting" in p and "test_hidden.py" in p for p in results.problems), results.problems
    assert not any("interrupted" in p for p in results.problems), results.problems
    assert "The grader had a problem; your instructor has been told:" in results.output


def test_a_broken_hidden_test_file_does_not_show_its_source_to_students(tmp_path):
    """A collection traceback quotes the hidden test file: students get the problem's first line,
    the instructor's notes and whoever runs the grader in a terminal get all of it."""
    course = _tiny_course(tmp_path)
    (course / "assignments" / "tiny" / "test_hidden.py").write_text(
        "import this_module_does_not_exist  # the expected value is hidden-answer-1234\n")
    results = _grade(course, tmp_path, "def double(x):\n    return 2 * x\n\ndef half(x):\n    return x / 2\n")
    assert any("hidden-answer-1234" in p for p in results.problems), results.problems  # it is in the traceback
    student_view = json.dumps({k: v for k, v in results.to_gradescope().items() if k != "tests"})
    visible_tests = [t for t in results.to_gradescope()["tests"] if t.get("visibility") != "hidden"]
    assert "hidden-answer-1234" not in student_view + json.dumps(visible_tests)
    assert "The grader had a problem; your instructor has been told:" in results.output
    notes = [t for t in results.to_gradescope()["tests"] if t.get("visibility") == "hidden"]
    assert notes and "hidden-answer-1234" in json.dumps(notes)
    assert "hidden-answer-1234" in render_check(results)


def test_the_watchdog_writes_a_deadline_status(tmp_path, monkeypatch):
    """What the watchdog writes when grading did not return: the tests that finished keep their
    results, the others say why they got 0, and batch reads the deadline from the status."""
    from autograder import watchdog
    from autograder.classroom.outcomes import judge_status

    class Exited(Exception):
        pass

    def no_exit(code):
        raise Exited(code)

    class Plugin:
        records = {"a": _record("1.1", PASSED), "b": TestRecord("1.2", "test 1.2", 1.0, "visible")}

    monkeypatch.setattr(watchdog.os, "_exit", no_exit)
    watchdog.register(Plugin(), None)
    path = tmp_path / "results.json"
    try:
        with pytest.raises(Exited):
            watchdog.Watchdog(0, path, "Tiny", 2.0)._run(0)
    finally:
        watchdog.unregister()
    data = json.loads(path.read_text())
    assert data["output"].startswith("Tiny: grading was stopped at its deadline (0 s)")
    assert [t["output"] for t in data["tests"][:2]] == ["", "Not run: grading was stopped at its deadline."]
    assert data["extra_data"]["autograder"] == {"ok": False, "complete": False, "status": DEADLINE,
                                                "tests": {"1.1": PASSED, "1.2": NOT_RUN}}
    assert judge_status(data) == ("error", "grading was stopped at its deadline")
    with pytest.raises(Exited):  # nothing collected yet: the failure file, still with its status
        watchdog.Watchdog(0, path, "Tiny", 2.0)._run(0)
    data = json.loads(path.read_text())
    assert data["tests"][0]["max_score"] == 2.0 and data["extra_data"]["autograder"]["status"] == DEADLINE


def test_students_header_counts_only_the_tests_they_may_see():
    """No oracle: before grades are published a student must not learn from the top line how
    many hidden tests they fail. The instructor's header (the CLI's summary) still counts all."""
    from dataclasses import replace

    hidden = replace(_record("2.1", FAILED), visibility="after_published")
    results = Results([_record("1.1", PASSED), _record("1.2", FAILED), hidden],
                      header="Tiny: 1 of 3 tests passed.", title="Tiny")
    top = results.to_gradescope()["output"].splitlines()[0]
    assert top == "Tiny: 1 of 2 visible tests passed. The other tests' results are shown when grades are published."
    assert results.header == "Tiny: 1 of 3 tests passed."
    public = Results([_record("1.1", PASSED)], header="Tiny: 1 of 1 tests passed.", title="Tiny")
    assert public.output == "Tiny: 1 of 1 tests passed."


def test_a_real_grading_says_nothing_about_hidden_tests_at_the_top():
    """kl_asymmetry with one hidden-only mistake: the visible line reads all public tests passed,
    whatever the hidden ones say; the hidden tests' own entries stay after_published."""
    from conftest import grade_file
    from sample_builder import samples_folder

    results = grade_file("kl_asymmetry", samples_folder("kl_asymmetry") / "wrong" / "forward_unweighted.py")
    shown = [t for t in results.tests if t.visibility == "visible"]
    hidden_failed = [t for t in results.tests if t.visibility != "visible" and t.status != "passed"]
    assert hidden_failed and all(t.status == "passed" for t in shown), [t.number for t in hidden_failed]
    top = results.output.splitlines()[0]
    assert top.endswith(f"{len(shown)} of {len(shown)} visible tests passed. The other tests' results are "
                        "shown when grades are published."), top
    assert str(len(results.tests)) not in top

"""`autograder batch` on a Gradescope-style export: gradebook, report, resume."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

METADATA = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1'
    :email: ada@example.edu
  :created_at: 2026-11-01 12:00:00.000000000 -08:00
submission_102:
  :submitters:
  - :name: Alan Turing
    :sid: '2'
    :email: alan@example.edu
  - :name: Grace Hopper
    :sid: '3'
    :email: grace@example.edu
submission_103:
  :submitters:
  - :name: Claude Shannon
    :sid: '4'
    :email: claude@example.edu
"""


def make_export(tmp_path: Path) -> Path:
    """A zip laid out as Gradescope's "Export Submissions" gives it."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("assignment_1_export/submission_metadata.yml", METADATA)
        zf.write(ROOT / "solutions" / "kl_asymmetry.py", "assignment_1_export/submission_101/kl_asymmetry.py")
        zf.write(ROOT / "examples" / "kl_asymmetry_with_mistakes.py",
                 "assignment_1_export/submission_102/kl_asymmetry.py")
        zf.writestr("assignment_1_export/submission_103/kl_asymmetry.py", "import os\nos._exit(1)\n")
    return archive


def test_batch_gradebook_report_and_resume(tmp_path):
    from autograder.classroom.batch import run_batch
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, "kl_asymmetry")
    out = tmp_path / "out"
    outcomes = run_batch(assignment, make_export(tmp_path), out, jobs=2, device="cpu")
    assert [o.entry.id for o in outcomes] == ["submission_101", "submission_102", "submission_103"]
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    by_id = {r["submission_id"]: r for r in rows}
    assert by_id["submission_101"]["student"] == "Ada Lovelace"
    assert float(by_id["submission_101"]["score"]) == 41 == float(by_id["submission_101"]["max_score"])
    assert by_id["submission_102"]["student"] == "Alan Turing; Grace Hopper"
    assert 0 < float(by_id["submission_102"]["score"]) < 41
    assert float(by_id["submission_103"]["score"]) == 0 and float(by_id["submission_103"]["max_score"]) == 41
    assert "1.1 entropy of a fair coin is ln 2 nats" in rows[0]
    assert (out / "results" / "submission_102.json").exists()
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 2
    assert "KL(p || q)" in report  # a grouped failure message
    # every student, linked to the feedback they read; the one whose code exits at import is
    # "not loaded", not "ok"; quartiles beside the mean
    for sid in ("101", "102", "103"):
        assert f'href="feedback/submission_{sid}.html"' in report
    assert '<td>submission_103</td><td data-value="0.000000">0</td>' in report
    assert "<td>not loaded</td>" in report and "1 not loaded, 2 ok" in report
    assert "<th>median</th>" in report and "<th>Q1</th>" in report
    page = (out / "feedback" / "submission_101.html").read_text()
    assert "Ada Lovelace" in page and "<b>41 / 41</b>" in page and "Grader notes" not in page
    assert "2.21" in page and "after_published" not in page  # hidden tests shown, as after publication

    # one row per student (a group gives each member a row); the similar-submissions section
    students = {r["name"]: r for r in csv.DictReader((out / "students.csv").open())}
    assert students["Grace Hopper"]["score"] == students["Alan Turing"]["score"] == by_id["submission_102"]["score"]
    assert students["Grace Hopper"]["group_size"] == "2" and students["Ada Lovelace"]["score"] == "41"

    # the resume serves the cache; a Canvas roster gives canvas.csv, the unmatched named
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,KL asymmetry (77)\n"
                      "    Points Possible,,,,,41\n"
                      "\"Lovelace, Ada\",101,1,ada,S1,\n\"Turing, Alan\",102,2,alan,S1,\n"
                      "\"Noether, Emmy\",104,9,emmy,S1,\n")
    again = run_batch(assignment, make_export(tmp_path), out, jobs=1, device="cpu",
                      canvas=(roster, "KL asymmetry (77)"))
    assert all(o.cached for o in again)
    assert [o.data["score"] for o in again] == [o.data["score"] for o in outcomes]
    canvas = list(csv.DictReader((out / "canvas.csv").open()))
    cells = {r["Student"]: r["KL asymmetry (77)"] for r in canvas}
    assert cells["Lovelace, Ada"] == "41" and cells["Turing, Alan"] == by_id["submission_102"]["score"]
    assert cells["Noether, Emmy"] == "" and cells["    Points Possible"] == "41"


def test_batch_from_a_plain_folder(tmp_path):
    from autograder.classroom.export import discover

    (tmp_path / "class" / "bob").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", tmp_path / "class" / "bob" / "kl_asymmetry.py")
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", tmp_path / "class" / "alice.py")
    entries = discover(tmp_path / "class", tmp_path / "work")
    assert [(e.id, e.student) for e in entries] == [("alice", "alice"), ("bob", "bob")]


def test_report_says_which_tests_reached_a_time_limit(tmp_path):
    """The report's reason for a timed-out submission comes from the outcomes the judge wrote,
    not from its output (whose first line is only the summary)."""
    from autograder.classroom.export import Entry
    from autograder.classroom.outcomes import Outcome
    from autograder.classroom.report import trouble_message

    entry = Entry("sub", tmp_path / "sub.py")
    data = {"score": 1.0, "output": "Tiny: 1 of 3 tests passed.\n\nGraded sub.py.", "tests": [],
            "extra_data": {"autograder": {"ok": True, "complete": True, "status": "time limit",
                                          "tests": {"1.10": "time limit", "1.2": "out of time", "1.1": "passed"}}}}
    assert trouble_message(Outcome(entry, data, "timed out", 1.0)) == "a time limit in tests 1.2, 1.10"
    data["_batch_error"] = "the judge exited with status 1: Traceback"
    assert trouble_message(Outcome(entry, data, "error", 1.0)) == "the judge exited with status 1: Traceback"
    old = {"score": 0.0, "output": "Tiny: 0 of 3 tests passed.\n\nmore", "tests": []}  # no extra_data
    assert trouble_message(Outcome(entry, old, "timed out", 1.0)) == "Tiny: 0 of 3 tests passed."


def test_the_cache_key_ignores_only_the_layout_modules(tmp_path):
    """A change to the report or an export must not regrade a class; a change to anything
    else of the engine (or a report.py of an assignment's own) must."""
    from autograder.classroom.outcomes import NOT_GRADING, _digest_files

    engine = tmp_path / "engine"
    (engine / "sandbox").mkdir(parents=True)
    (engine / "classroom").mkdir()
    for name in ("plugin.py", "classroom/report.py", "classroom/lms.py"):
        (engine / name).write_text("x = 1\n")
    (engine / "sandbox" / "report.py").write_text("y = 1\n")  # not the class tools' one: counted
    assert "classroom/report.py" in NOT_GRADING and "plugin.py" not in NOT_GRADING
    before = _digest_files([engine], skip=NOT_GRADING)
    (engine / "classroom" / "report.py").write_text("x = 2\n")
    (engine / "classroom" / "lms.py").write_text("x = 2\n")
    assert _digest_files([engine], skip=NOT_GRADING) == before
    (engine / "sandbox" / "report.py").write_text("y = 2\n")
    assert _digest_files([engine], skip=NOT_GRADING) != before
    before = _digest_files([engine], skip=NOT_GRADING)
    (engine / "plugin.py").write_text("x = 2\n")
    assert _digest_files([engine], skip=NOT_GRADING) != before


def test_the_cache_key_leaves_out_samples_and_instructor_files(tmp_path):
    """samples/ and instructor/ decide no grade (they never ship: never_shipped): a new sample
    or calibration note must not regrade a class; a change to the hidden tests must."""
    from autograder.classroom.outcomes import grader_key
    from autograder.course import load_assignment

    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "kl_asymmetry", course / "assignments" / "kl_asymmetry")
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", course / "solutions")
    assignment = load_assignment(course, "kl_asymmetry")
    assert (assignment.folder / "samples" / "wrong").is_dir()
    before = grader_key(assignment, "cpu")
    (assignment.folder / "samples" / "wrong" / "new_mistake.py").write_text('"""W."""\n# expect-fail: 1.1\n')
    (assignment.folder / "instructor").mkdir()
    (assignment.folder / "instructor" / "notes.md").write_text("calibration\n")
    assert grader_key(assignment, "cpu") == before
    assignment.hidden_tests.write_text(assignment.hidden_tests.read_text() + "\n# changed\n")
    assert grader_key(assignment, "cpu") != before


def test_a_judges_sweep_spares_another_judges_live_judge():
    """Two Judges in one process (a Dask worker running two tasks at once, each with its own):
    the sweep after one judge ends takes the other's judge, a child of this process too, for
    no orphan."""
    from autograder.classroom.judges import Judges

    first, second = Judges(), Judges()
    long = first.start(["sleep", "60"], {"PATH": "/usr/bin:/bin"}, subprocess.DEVNULL)
    try:
        short = second.start(["true"], {"PATH": "/usr/bin:/bin"}, subprocess.DEVNULL)
        short.wait(timeout=10)
        second.finished(short)
        assert long.poll() is None, "the sweep killed a live judge of another Judges"
    finally:
        first.stop(long, graceful=False)
    assert long.poll() is not None


CALLER = '''
import subprocess, sys, time
from pathlib import Path
from autograder.classroom.batch import run_batch
from autograder.course import load_assignment
own = subprocess.Popen(["sleep", "120"])  # the caller's own child, started before the batch
run_batch(load_assignment(Path(sys.argv[1]), "kl_asymmetry"), Path(sys.argv[2]), Path(sys.argv[3]),
          jobs=1, device="cpu")
time.sleep(0.5)
print("caller's child", "alive" if own.poll() is None else f"killed ({own.returncode})")
own.kill()
'''


def test_an_in_process_batch_spares_its_callers_own_children(tmp_path):
    """run_batch called as a library (a notebook, a script, this suite with its zygote) sweeps
    up what its judges leave, not the children its caller had before."""
    source = tmp_path / "class" / "s1"
    source.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", source / "kl_asymmetry.py")
    script = tmp_path / "caller.py"
    script.write_text(CALLER)
    proc = subprocess.run([sys.executable, str(script), str(ROOT), str(tmp_path / "class"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "caller's child alive" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert [(r["score"], r["status"]) for r in rows] == [("41", "ok")]

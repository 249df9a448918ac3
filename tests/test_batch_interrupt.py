"""An interrupted `autograder batch` (SIGINT or SIGTERM) keeps no wrong grade.

Real processes throughout: the batch is a subprocess, interrupted at several moments
(during the first grading, right after one, while report.html is written; a second signal
while the files are written), then re-run; every score must equal a clean run's. The
moment "while the report is written" is reached without a hook: report.html's temp file
(``.report.html.<random>.tmp``) exists for the whole time the report is drawn.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, build_sample, session_zygote_pids
from sample_builder import samples_folder

pytestmark = pytest.mark.xdist_group("test_batch_interrupt")  # see pyproject.toml

SUBMISSIONS = {  # three kinds of grade: full marks, nothing, some
    "a_solution": ROOT / "solutions" / "kl_asymmetry.py",
    "b_template": ROOT / "student_template" / "kl_asymmetry.py",
    "c_swapped": samples_folder("kl_asymmetry") / "wrong" / "kl_arguments_swapped.py",
}


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name, source in SUBMISSIONS.items():
        shutil.copy(build_sample(source), folder / f"{name}.py")  # a wrong sample: built
    return folder


def _export(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The same three files as Gradescope's export zip; and which submission is which."""
    archive = tmp_path / "export.zip"
    ids = {f"submission_{101 + i}": name for i, name in enumerate(SUBMISSIONS)}
    meta = "".join(f"{sid}:\n  :submitters:\n  - :name: Student {sid[-3:]}\n    :sid: '{sid[-3:]}'\n"
                   f"    :email: s{sid[-3:]}@example.edu\n" for sid in ids)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/submission_metadata.yml", meta)
        for sid, name in ids.items():
            zf.write(build_sample(SUBMISSIONS[name]), f"export/{sid}/kl_asymmetry.py")
    return archive, ids


def _env(tmp: Path) -> dict:
    tmp.mkdir(exist_ok=True)
    # the judges inherit TMPDIR: what they leave behind is found there
    return dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")


def _start(source: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "batch", "kl_asymmetry", str(source),
                             "--jobs", "1", "--out", str(out), "--device", "cpu", "--course", str(ROOT)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(condition, timeout: float = 240.0, step: float = 0.002) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the moment to interrupt never came"
        time.sleep(step)


def _report_being_written(out: Path):
    return lambda: out.is_dir() and any(n.startswith(".report.html.") for n in os.listdir(out))


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = proc.communicate(timeout=120)
    return proc.returncode, stdout, stderr


def _rows(out: Path) -> dict[str, dict]:
    return {r["submission_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def _grades(rows: dict[str, dict], names: dict[str, str] | None = None) -> dict[str, dict]:
    """Per submission (by its file's name): status and every score column."""
    names = names or {k: k for k in rows}
    return {names[k]: {c: v for c, v in r.items() if c not in ("student", "email", "sid", "submission_id", "seconds")}
            for k, r in rows.items()}


def _leftovers(tmp_path: Path, session: Path) -> list[str]:
    """Processes that still run with this test's folder in their command line or environment
    (a warm judge is a fork of a server whose environment the batch gave), and child zygotes
    (their environment is the child's) that are not a test session's (``session`` names
    those, conftest.py) nor another test's: a zygote counts when its parent is this test's
    batch, this process (a subreaper that took an orphan in) or init, or is gone."""
    sessions = session_zygote_pids(session)
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmdline, environ = _command_and_environment(pid)
        except OSError:
            continue
        zygote = False
        if "sandbox/zygote.py" in cmdline and int(pid) not in sessions:
            parent = _parent(pid)
            try:  # a parent gone (or unreadable) says nothing
                parent_says = "".join(_command_and_environment(str(parent))) if parent else ""
            except OSError:
                parent_says = ""
            zygote = parent in (1, os.getpid()) or not parent_says or str(tmp_path) in parent_says
        ours = str(tmp_path) in cmdline or str(tmp_path) in environ or zygote
        if ours and int(pid) != os.getpid():
            found.append(f"{pid}: {cmdline[:150]}")
    return found


def _command_and_environment(pid: str) -> tuple[str, str]:
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return cmdline, Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")


def _parent(pid: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text[text.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _grading_started(out: Path):
    """A judge is at work: its scratch folder exists (cold or warm, whatever its command line)."""
    results = out / "results"
    return lambda: results.is_dir() and any(n.endswith(".judge") for n in os.listdir(results))


def _check_interrupted(tmp_path: Path, out: Path, rc: int, stderr: str, signame: str, left: int,
                       total: int, session: Path) -> None:
    messages = [line for line in stderr.splitlines() if line.strip() and not line.startswith("[")]
    assert rc == 130, stderr
    assert "Traceback" not in stderr
    assert len(messages) == 1 and messages[0].startswith(f"autograder: interrupted by {signame}"), stderr
    assert sorted(p.name for p in out.iterdir()) == ["feedback", "gradebook.csv", "published", "report.html",
                                                     "results", "students.csv", "written",
                                                     "written-blank.csv"]  # no temp file
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert len(rows) == total
    assert sum(r["status"] == "not graded" for r in rows) == left
    assert all(r["score"] == "" for r in rows if r["status"] == "not graded")
    report = (out / "report.html").read_text()
    assert report.rstrip().endswith("</html>")
    if left:
        assert f"{left} not graded" in messages[0] and "marked incomplete" in messages[0]
        assert "<b>Incomplete:</b>" in report and f"{left} of {total} submissions were not graded" in report
    else:
        assert "complete" in messages[0] and "Incomplete" not in report
    results = out / "results"
    for r in rows:  # only a grading that finished on its own has a cache key
        assert (results / f"{r['submission_id']}.key").exists() == (r["status"] in ("ok", "timed out")), r
    assert not [p.name for p in results.iterdir() if p.name.startswith(".")], "a judge's scratch folder is left"
    time.sleep(0.5)
    left = _leftovers(tmp_path, session)
    assert not left, left


def _engine_key() -> str:
    from autograder.classroom.outcomes import grader_key
    from autograder.course import load_assignment

    return grader_key(load_assignment(ROOT, "kl_asymmetry"), "cpu")


def _rerun(source: Path, out: Path, env: dict, cached: int) -> dict[str, dict]:
    """Run the batch again to its end; ``cached`` results must be reused (unless the engine
    or the assignment changed meanwhile: then every submission is rightly graded again)."""
    before = _engine_key()
    rc, stdout, stderr = _finish(_start(source, out, env))
    assert rc == 0, stderr
    progress = stderr.strip().splitlines()[-1]
    if _engine_key() == before:
        assert f" {cached} cached" in progress, progress
    return _rows(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, dict]:
    """The grades of a clean, uninterrupted batch of the three submissions."""
    tmp_path = tmp_path_factory.mktemp("clean")
    rc, _, stderr = _finish(_start(_class(tmp_path), tmp_path / "out", _env(tmp_path / "tmp")))
    assert rc == 0, stderr
    grades = _grades(_rows(tmp_path / "out"))
    assert grades["a_solution"]["score"] == "41" and grades["b_template"]["score"] == "0"
    assert 0 < float(grades["c_swapped"]["score"]) < 41
    return grades


def test_interrupted_batch_keeps_no_wrong_grade(tmp_path, reference, session_zygote_folder):
    source = _class(tmp_path)
    env = _env(tmp_path / "tmp")

    # 1. SIGINT during the first grading: nothing is finished, nothing is kept
    out = tmp_path / "out1"
    proc = _start(source, out, env)
    _wait_for(_grading_started(out), step=0.05)
    time.sleep(1.0)  # the first judge is importing or running tests
    proc.send_signal(signal.SIGINT)
    rc, _, stderr = _finish(proc)
    _check_interrupted(tmp_path, out, rc, stderr, "SIGINT", left=3, total=3, session=session_zygote_folder)
    assert not (out / "results" / "a_solution.json").exists()
    assert list((tmp_path / "tmp").iterdir()) == [], "the judge left files behind"
    assert _grades(_rerun(source, out, env, cached=0)) == reference

    # 2. SIGINT while report.html is written (everything is cached, so the report comes at once)
    proc = _start(source, out, env)
    writing = _report_being_written(out)
    _wait_for(lambda: writing() or proc.poll() is not None)
    assert proc.poll() is None, "the batch ended before the report's temp file was seen"
    proc.send_signal(signal.SIGINT)
    rc, _, stderr = _finish(proc)
    _check_interrupted(tmp_path, out, rc, stderr, "SIGINT", left=0, total=3, session=session_zygote_folder)
    assert _grades(_rows(out)) == reference


def test_interrupted_gradescope_export_resumes_with_the_clean_grades(tmp_path, reference, session_zygote_folder):
    """SIGTERM right after the first grading of a Gradescope export, and a second SIGTERM
    while the report is written; the re-run grades the rest and matches a clean run."""
    archive, names = _export(tmp_path)
    env = _env(tmp_path / "tmp")
    out = tmp_path / "out"
    proc = _start(archive, out, env)
    _wait_for(lambda: (out / "results" / "submission_101.key").exists())
    proc.send_signal(signal.SIGTERM)
    writing = _report_being_written(out)
    _wait_for(lambda: writing() or proc.poll() is not None, timeout=60)
    assert proc.poll() is None, "the batch ended before the report's temp file was seen"
    proc.send_signal(signal.SIGTERM)  # a second signal must not leave half a file
    rc, _, stderr = _finish(proc)
    rows = _rows(out)
    left = sum(r["status"] == "not graded" for r in rows.values())
    assert left >= 1  # the second submission was cut short, or never started
    _check_interrupted(tmp_path, out, rc, stderr, "SIGTERM", left=left, total=3, session=session_zygote_folder)
    assert _grades({k: rows[k] for k in ["submission_101"]}, names) == {"a_solution": reference["a_solution"]}
    rows = _rerun(archive, out, env, cached=3 - left)
    assert _grades(rows, names) == reference
    assert rows["submission_101"]["student"] == "Student 101"


def test_only_a_grading_that_finished_on_its_own_is_cached(tmp_path):
    """The cache rule, on the files batch keeps: a result whose status is error, or
    whose judge stopped before every test ran, is never served from the cache."""
    from autograder.classroom.export import Entry
    from autograder.classroom.outcomes import cached_outcome, judge_status
    from autograder.results import failure_results

    full = json.loads(json.dumps({"score": 2.0, "output": "x", "tests": [
        {"name": "a", "number": "1.1", "score": 1.0, "max_score": 1.0, "status": "passed", "output": ""},
        {"name": "b", "number": "1.2", "score": 1.0, "max_score": 1.0, "status": "passed", "output": ""}]}))
    assert judge_status(full) == ("ok", "")
    cut = json.loads(json.dumps(full))
    cut["tests"][1].update(score=0.0, status="failed", output="Not run.")
    assert judge_status(cut)[0] == "error"
    assert judge_status(failure_results("The grader itself failed", 2.0))[0] == "error"
    assert judge_status({"score": 0, "tests": []})[0] == "error"
    slow = json.loads(json.dumps(full))
    slow["tests"][1].update(score=0.0, status="failed", output="it did not finish within the time limit")
    assert judge_status(slow)[0] == "timed out"

    (tmp_path / "sub.py").write_text("x = 1\n")
    entry = Entry("sub", tmp_path / "sub.py")
    results = tmp_path / "out" / "results"
    results.mkdir(parents=True)
    from autograder.classroom.outcomes import _submission_key

    (results / "sub.key").write_text(_submission_key("K", entry))
    for status, served in (("ok", True), ("timed out", True), ("error", False), (None, False)):
        (results / "sub.json").write_text(json.dumps(dict(full, _batch_status=status)))
        assert (cached_outcome(entry, tmp_path / "out", "K") is not None) == served, status

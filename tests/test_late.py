"""The late rule (autograder/late.py): boundary times, the grace period, the cap, the last
accepted date, extensions (also in a group), malformed input; applied by batch in the
gradebook (from the export's :created_at:) and by `grade --metadata` as on Gradescope."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ROOT

from autograder.late import LatePolicy, LatePolicyError, apply, describe, read_extensions

PST = timezone(timedelta(hours=-8))
DUE = datetime(2026, 12, 10, 23, 59, tzinfo=PST)
TABLE = {"due": DUE, "grace_minutes": 15, "penalty": 0.1, "per": "day", "max_penalty": 0.3,
         "last_accepted": DUE + timedelta(days=5)}


def _policy(tmp_path, extensions: str | None = None, **changes) -> LatePolicy:
    table = dict(TABLE, **changes)
    if extensions is not None:
        (tmp_path / "extensions.csv").write_text(extensions)
        table["extensions"] = "extensions.csv"
    return LatePolicy.from_config(table, tmp_path)


@pytest.mark.parametrize("after, penalty, accepted", [
    (timedelta(0), 0.0, True),                       # at the due time: on time
    (timedelta(minutes=15), 0.0, True),              # the end of the grace period: on time
    (timedelta(minutes=15, seconds=1), 0.1, True),   # just past it: one started day
    (timedelta(days=1), 0.1, True),                  # exactly a day late: still one day
    (timedelta(days=1, seconds=1), 0.2, True),       # a second more: two started days
    (timedelta(days=4), 0.3, True),                  # four days: capped at 30 %
    (timedelta(days=5), 0.3, True),                  # the last accepted moment
    (timedelta(days=5, seconds=1), 1.0, False),      # after it: not accepted
    (-timedelta(days=3), 0.0, True),                 # early
])
def test_boundaries(tmp_path, after, penalty, accepted):
    lateness = _policy(tmp_path).assess(DUE + after, [{"sid": "1"}])
    assert (round(lateness.penalty, 9), lateness.accepted) == (penalty, accepted)
    if penalty:
        assert lateness.late and lateness.final(40) == round(40 * (1 - penalty), 6)


def test_per_hour_and_the_message(tmp_path):
    lateness = _policy(tmp_path, per="hour", penalty=0.05, max_penalty=1.0).assess(
        DUE + timedelta(hours=2, minutes=5), [])
    assert lateness.penalty == pytest.approx(0.15)  # three started hours
    message = lateness.message(40.0)
    assert message.startswith("Submitted 2 hours 5 minutes late (due 2026-12-10 23:59 UTC-08:00): -15%")
    assert "34 instead of 40" in message
    assert describe(timedelta(days=1, hours=3, minutes=10)) == "1 day 3 hours"


def test_extensions_by_sid_or_email_and_the_latest_in_a_group(tmp_path):
    policy = _policy(tmp_path, "sid,email,due\n7,,2026-12-12T23:59:00-08:00\n,Bo@Example.edu,2026-12-11T23:59:00-08:00\n")
    at = DUE + timedelta(days=1, hours=12)  # 2026-12-12 11:59
    assert not policy.assess(at, [{"sid": "7"}]).late  # extended by two days
    bo = policy.assess(at, [{"sid": "8", "email": "bo@example.edu"}])  # one day: half a day late
    assert bo.extended and bo.penalty == pytest.approx(0.1) and "(your extension)" in bo.message(10)
    assert not policy.assess(at, [{"sid": "8", "email": "bo@example.edu"}, {"sid": "7"}]).late  # the group's latest
    assert policy.assess(at, [{"sid": "9"}]).penalty == pytest.approx(0.2)
    # the last accepted date moves with the extension: 5 days after the student's own due date
    assert policy.assess(DUE + timedelta(days=6, hours=1), [{"sid": "7"}]).accepted
    assert not policy.assess(DUE + timedelta(days=6, hours=1), [{"sid": "9"}]).accepted


@pytest.mark.parametrize("text, where", [
    ("sid,due\n1,2026-12-12T23:59:00-08:00\n2,tomorrow\n", "row 3"),
    ("sid,due\n1,2026-12-12T23:59:00\n", "row 2"),          # no offset: refused, never guessed
    ("sid,due\n,2026-12-12T23:59:00-08:00\n", "row 2"),
    ("name,when\nann,2026-12-12T23:59:00-08:00\n", "needs a 'due' column"),
])
def test_a_malformed_extensions_file_names_the_row(tmp_path, text, where):
    with pytest.raises(LatePolicyError, match=where):
        _policy(tmp_path, text)


def test_a_malformed_table_is_refused(tmp_path):
    with pytest.raises(LatePolicyError, match="time zone offset"):
        _policy(tmp_path, due=datetime(2026, 12, 10, 23, 59))
    with pytest.raises(LatePolicyError, match="per must be"):
        _policy(tmp_path, per="week")
    with pytest.raises(LatePolicyError, match="between 0 and 1"):
        _policy(tmp_path, penalty=10)
    with pytest.raises(LatePolicyError, match="extensions file"):
        LatePolicy.from_config(dict(TABLE, extensions="missing.csv"), tmp_path)
    (tmp_path / "x.csv").write_text("Login,Due\nann,2026-12-12T23:59:00Z\n")  # any case, a Z offset
    assert read_extensions(tmp_path / "x.csv") == {"ann": datetime(2026, 12, 12, 23, 59, tzinfo=timezone.utc)}


def test_apply_changes_the_top_score_and_says_why(tmp_path):
    data = {"score": 40.0, "output": "T: 10 of 10 tests passed.", "tests": [{"score": 40.0}],
            "extra_data": {"autograder": {"status": "ok"}}}
    late = apply(data, _policy(tmp_path).assess(DUE + timedelta(hours=30), []))
    assert late["score"] == 32.0 and late["tests"] == [{"score": 40.0}]
    assert late["output"].startswith("Submitted 1 day 6 hours late") and late["output"].endswith("passed.")
    assert late["extra_data"]["autograder"]["late"]["penalty"] == pytest.approx(0.2)
    assert late["extra_data"]["autograder"]["raw_score"] == 40.0 and late["extra_data"]["autograder"]["status"] == "ok"
    assert apply(data, _policy(tmp_path).assess(DUE, [])) is data
    refused = apply(data, _policy(tmp_path).assess(DUE + timedelta(days=9), []))
    assert refused["score"] == 0.0 and "after the last date" in refused["output"]


# ----------------------------------------------------------------------------- end to end
def _course(tmp_path, late: str) -> Path:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "kl_asymmetry", course / "assignments" / "kl_asymmetry",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", course / "solutions")
    toml = course / "assignments" / "kl_asymmetry" / "assignment.toml"
    toml.write_text(toml.read_text() + "\n" + late)
    return course


LATE = """[late]
due = 2026-11-01T12:00:00-08:00
penalty = 0.1
max_penalty = 0.5
extensions = "extensions.csv"
"""


def test_batch_gradebook_shows_raw_score_lateness_and_final(tmp_path):
    from autograder.classroom.batch import run_batch
    from autograder.course import load_assignment

    course = _course(tmp_path, LATE)
    (course / "assignments" / "kl_asymmetry" / "extensions.csv").write_text("email,due\nada@x.edu,2026-11-05T12:00:00-08:00\n")
    meta = ("submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: '1'\n    :email: ada@x.edu\n"
            "  :created_at: 2026-11-03 13:00:00.000000000 -08:00\n"
            "submission_2:\n  :submitters:\n  - :name: Bob\n    :sid: '2'\n    :email: bob@x.edu\n"
            "  :created_at: 2026-11-02 15:00:00.000000000 -08:00\n")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("export/submission_metadata.yml", meta)
        for sub in ("submission_1", "submission_2"):
            zf.write(ROOT / "solutions" / "kl_asymmetry.py", f"export/{sub}/kl_asymmetry.py")
    out = tmp_path / "out"
    run_batch(load_assignment(course, "kl_asymmetry"), archive, out, jobs=2, device="cpu")
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert (rows["Ada"]["score"], rows["Ada"]["raw_score"], rows["Ada"]["late_by"]) == ("41", "41", "")  # extension
    assert rows["Bob"]["raw_score"] == "41" and rows["Bob"]["late_by"] == "1 day 3 hours"
    assert float(rows["Bob"]["late_penalty"]) == pytest.approx(0.2) and float(rows["Bob"]["score"]) == pytest.approx(32.8)
    # the rule is applied to the gradebook, not stored: a new extension needs no regrading
    extra = tmp_path / "more.csv"
    extra.write_text("sid,due\n2,2026-11-04T12:00:00-08:00\n")
    outcomes = run_batch(load_assignment(course, "kl_asymmetry"), archive, out, jobs=2, device="cpu",
                         extensions=extra)
    assert all(o.cached for o in outcomes)
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["Bob"]["score"] == "41"
    assert rows["Ada"]["late_by"] == "2 days 1 hour" and float(rows["Ada"]["score"]) == pytest.approx(28.7)  # replaced


def test_grade_with_gradescope_metadata_applies_the_rule(tmp_path):
    course = _course(tmp_path, LATE.replace("due = 2026-11-01T12:00:00-08:00\n", ""))  # Gradescope's due date
    (course / "assignments" / "kl_asymmetry" / "extensions.csv").write_text("email,due\n")
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(json.dumps({"id": 1, "created_at": "2026-11-01T13:30:00-08:00",
                                    "assignment": {"due_date": "2026-11-01T12:00:00-08:00"},
                                    "users": [{"email": "bob@x.edu", "id": 2, "name": "Bob"}]}))
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "kl_asymmetry",
                           str(ROOT / "solutions" / "kl_asymmetry.py"), "--course", str(course), "--results",
                           str(results), "--device", "cpu", "--metadata", str(metadata), "--quiet"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(results.read_text())
    assert data["score"] == pytest.approx(36.9) and data["output"].startswith("Submitted 1 hour 30 minutes late")
    assert sum(t["score"] for t in data["tests"]) == 41  # the tests keep their raw scores
    notes = next(t["output"] for t in data["tests"] if t["number"] == "0")
    assert "late rule: submitted 2026-11-01T13:30:00-08:00" in notes

"""A limit on full gradings per 24 hours (Gradescope's submission_metadata.json): beyond it, the
public tests run and the hidden ones wait, with a message saying until when."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from conftest import ROOT

from autograder.rate_limit import decide

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)


def _metadata(tmp_path, hours_ago, limited=()):
    previous = [{"submission_time": (NOW - timedelta(hours=h)).isoformat(), "score": 1.0,
                 "results": {"extra_data": {"autograder": {"rate_limited": True}}} if i in limited else {"tests": []}}
                for i, h in enumerate(hours_ago)]
    path = tmp_path / "submission_metadata.json"
    path.write_text(json.dumps({"id": 1, "created_at": NOW.isoformat(), "previous_submissions": previous}))
    return path


def test_counts_only_full_gradings_of_the_last_24_hours(tmp_path):
    # 30 h ago is outside the window; the one marked rate_limited was not a full grading
    assert not decide(_metadata(tmp_path, [1, 2, 30], limited=()), 3).limited
    assert not decide(_metadata(tmp_path, [1, 2, 3], limited=(1,)), 3).limited
    decision = decide(_metadata(tmp_path, [1, 5, 20, 3]), 3)
    assert decision.limited and "3 full gradings" in decision.message
    # four in the window, three allowed: two must age out, the one of 5 h ago at NOW + 19 h
    assert "2026-12-03 10:00" in decision.message, decision.message
    assert not decide(_metadata(tmp_path, [1, 2, 3]), None).limited  # no limit set
    assert not decide(None, 3).limited  # not on Gradescope


def test_unreadable_metadata_limits_nobody_and_tells_the_instructor(tmp_path):
    bad = tmp_path / "m.json"
    for text in ("{", '{"created_at": 5}', '{"created_at": "2026-12-02T15:00:00", "previous_submissions": 3}',
                 '{"created_at": "yesterday"}'):
        bad.write_text(text)
        decision = decide(bad, 1)
        assert not decision.limited and "not applied" in decision.note, text
    assert not decide(tmp_path / "missing.json", 1).limited


def test_a_limited_submission_runs_public_tests_and_holds_hidden_ones_back(tmp_path):
    """`autograder grade --metadata` on a course whose assignment.toml sets the limit: the
    reference keeps full marks on the public tests, every hidden test is listed at 0 with the
    message, the maximum is unchanged, and the results say rate_limited (read next time)."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "kl_asymmetry", course / "assignments" / "kl_asymmetry",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "kl_asymmetry.py", course / "solutions")
    toml = course / "assignments" / "kl_asymmetry" / "assignment.toml"
    toml.write_text(toml.read_text() + "\n[gradescope]\nfull_gradings_per_day = 2\n")
    metadata = _metadata(tmp_path, [1, 2])
    results = tmp_path / "results.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "kl_asymmetry",
                           str(ROOT / "solutions" / "kl_asymmetry.py"), "--course", str(course),
                           "--results", str(results), "--device", "cpu", "--metadata", str(metadata), "--quiet"],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(results.read_text())
    graded = [t for t in data["tests"] if t["max_score"] > 0]  # not the notes, nor the graders' answers test
    public = [t for t in graded if t["visibility"] == "visible"]
    hidden = [t for t in graded if t["visibility"] != "visible"]
    assert public and hidden
    assert all(t["score"] == t["max_score"] for t in public)
    assert all(t["score"] == 0 and "next full grading is possible from" in t["output"] for t in hidden)
    assert data["score"] == sum(t["max_score"] for t in public) < 41
    assert sum(t["max_score"] for t in graded) == 41
    assert "Only the public tests were run" in data["output"]
    assert data["extra_data"]["autograder"]["rate_limited"] is True
    notes = next(t["output"] for t in data["tests"] if t["number"] == "0")
    assert "rate limit: 2 full grading(s)" in notes
    # one more allowed: a full grading, without the flag
    toml.write_text(toml.read_text().replace("full_gradings_per_day = 2", "full_gradings_per_day = 3"))
    subprocess.run([sys.executable, "-m", "autograder", "grade", "kl_asymmetry",
                    str(ROOT / "solutions" / "kl_asymmetry.py"), "--course", str(course), "--results", str(results),
                    "--device", "cpu", "--metadata", str(metadata), "--quiet"],
                   capture_output=True, text=True, timeout=600, env=env, check=True)
    data = json.loads(results.read_text())
    assert data["score"] == 41 and "rate_limited" not in data["extra_data"]["autograder"]

"""Written answers (autograder/written.py): collected from a notebook's answer cells, an
answers.md or an ANSWERS dict (never run); one page per question for graders; written-blank.csv;
a filled written.csv merged into the gradebook, the published results and the feedback pages,
checked whole first; on Gradescope a hidden 0-point test holding the answers."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

from autograder.course import load_assignment
from autograder.written import WrittenError, answers_of, questions, read_grades, render_markdown

SLUG = "kl_asymmetry"
SOLUTION = (ROOT / "solutions" / f"{SLUG}.py").read_text()


@pytest.fixture
def course(tmp_path) -> Path:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / SLUG, course / "assignments" / SLUG,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / f"{SLUG}.py", course / "solutions")
    toml = course / "assignments" / SLUG / "assignment.toml"
    toml.write_text(toml.read_text() + "\n[written]\npoints = [2, 2, 1]\n")
    return course


def test_the_questions_are_the_notebooks(course):
    from autograder.authoring.student_notebook import notebook_text

    assignment = load_assignment(course, SLUG)
    asked = questions(assignment)
    assert [(q.number, q.points) for q in asked] == [(1, 2.0), (2, 2.0), (3, 1.0)]
    assert "show that the KL divergence is not" in asked[0].text
    cells = json.loads(notebook_text(assignment))["cells"]
    assert [c["metadata"]["autograder"]["question"] for c in cells if "manual-answer" in c["metadata"].get("tags", [])] \
        == [1, 2, 3]


def test_answers_from_a_notebook_an_answers_file_and_an_answers_dict(course, tmp_path):
    from autograder.authoring.student_notebook import notebook_text

    assignment = load_assignment(course, SLUG)
    nb = json.loads(notebook_text(assignment))
    for cell in nb["cells"]:
        if cell["metadata"].get("autograder", {}).get("role") == "answer" and cell["metadata"]["autograder"]["question"] != 2:
            cell["source"] = f"KL is $\\ge 0$; answer {cell['metadata']['autograder']['question']}"
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / f"{SLUG}.ipynb").write_text(json.dumps(nb))
    assert answers_of(tmp_path / "nb", SLUG) == {1: "KL is $\\ge 0$; answer 1", 3: "KL is $\\ge 0$; answer 3"}
    (tmp_path / "md").mkdir()
    (tmp_path / "md" / f"{SLUG}.py").write_text(SOLUTION)
    (tmp_path / "md" / "answers.md").write_text("# My answers\n\n## 1\nNot symmetric.\n\n## Question 3.\nMode seeking.\n")
    assert answers_of(tmp_path / "md", SLUG) == {1: "Not symmetric.", 3: "Mode seeking."}
    planted = tmp_path / "ran"
    module = tmp_path / f"{SLUG}.py"
    module.write_text(SOLUTION + f'\nANSWERS = {{1: "one", "2": "two"}}\nopen({str(planted)!r}, "w").close()\n')
    assert answers_of(module, SLUG) == {1: "one", 2: "two"} and not planted.exists()  # read, never run
    module.write_text(SOLUTION + f"\nANSWERS = {{1: open({str(planted)!r}, 'w')}}\n")
    assert answers_of(module, SLUG) == {} and not planted.exists()  # not a literal: nothing


def test_markdown_is_escaped_and_code_kept():
    out = render_markdown("Hi <script>alert(1)</script> $x^2$\n\n```python\nif a < b:\n    pass\n```\n")
    assert "<script>" not in out and "&lt;script&gt;" in out and "$x^2$" in out
    assert "<pre><code>if a &lt; b:\n    pass</code></pre>" in out


def _class(tmp_path) -> Path:
    folder = tmp_path / "class"
    for name, answers in (("ann", {1: "KL(p||q) = 0.51 and KL(q||p) = 0.37: not symmetric", 3: "mode seeking"}),
                          ("bob", {2: "H(p, q) - H(p)"}), ("cy", None)):
        (folder / name).mkdir(parents=True)
        text = SOLUTION + (f"\nANSWERS = {answers!r}\n" if answers else "")
        (folder / name / f"{SLUG}.py").write_text(text)
    return folder


def test_batch_collects_pages_and_merges_a_filled_csv(course, tmp_path):
    from autograder.classroom.batch import run_batch

    assignment = load_assignment(course, SLUG)
    folder, out = _class(tmp_path), tmp_path / "out"
    run_batch(assignment, folder, out, jobs=2, device="cpu")
    page = (out / "written" / "question-1.html").read_text()
    assert "not symmetric" in page and "(no answer)" in page and "question 1 (2 points)" in page
    assert "1 of 3 submissions answered" in page and "MathJax" in page
    blank = list(csv.DictReader((out / "written-blank.csv").open()))
    assert [r["submission_id"] for r in blank] == ["ann", "bob", "cy"] and set(blank[0]) >= {"q1", "q1 comment", "q3"}
    filled = tmp_path / "written.csv"
    rows = [dict(r, q1="2", q2="0", q3="1", **{"q1 comment": "good"}) for r in blank]
    rows[1].update(q1="0", q2="1.5", **{"q2 comment": "half: say why it is >= 0"})
    with filled.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(blank[0]))
        writer.writeheader()
        writer.writerows(rows)
    run_batch(assignment, folder, out, jobs=2, device="cpu", written=filled)
    book = {r["submission_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert (book["ann"]["score"], book["ann"]["written_score"], book["ann"]["max_score"]) == ("44", "3", "46")
    assert (book["bob"]["score"], book["bob"]["written_score"], book["bob"]["W2 Written question 2"]) == \
        ("43.5", "2.5", "1.5")
    published = json.loads((out / "published" / "bob.json").read_text())
    w2 = next(t for t in published["tests"] if t["number"] == "W2")
    assert w2["output"] == "half: say why it is >= 0" and published["score"] == 43.5
    assert "Grader notes" not in json.dumps(published)
    assert "Written question 2" in (out / "feedback" / "bob.html").read_text()
    # a malformed row: an error naming it, before anything is graded or written
    before = (out / "gradebook.csv").read_bytes()
    text = filled.read_text().replace("1.5", "3")  # more than question 2's 2 points
    filled.write_text(text)
    with pytest.raises(WrittenError, match=r"row 3 \(bob\): q2 gives 3, outside 0 to 2"):
        run_batch(assignment, folder, out, jobs=2, device="cpu", written=filled)
    assert (out / "gradebook.csv").read_bytes() == before


@pytest.mark.parametrize("change, message", [
    (lambda rows: rows[0].update(submission_id="zed"), "row 2: unknown submission_id 'zed'"),
    (lambda rows: rows[1].update(q3=""), r"row 3 \(bob\): q3 is '', not a number"),
    (lambda rows: rows.append(dict(rows[0])), "row 5: submission ann appears twice"),
])
def test_read_grades_names_the_bad_row(course, tmp_path, change, message):
    assignment = load_assignment(course, SLUG)
    rows = [{"submission_id": s, "student": s, "q1": "1", "q2": "1", "q3": "1"} for s in ("ann", "bob", "cy")]
    change(rows)
    path = tmp_path / "w.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["submission_id", "student", "q1", "q2", "q3"])
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(WrittenError, match=message):
        read_grades(path, assignment, {"ann", "bob", "cy"})


def test_on_gradescope_the_answers_are_a_hidden_zero_point_test(course, tmp_path):
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / f"{SLUG}.py").write_text(SOLUTION)
    (submission / "answers.md").write_text("## 2\nKL = H(p, q) - H(p) >= 0\n")
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(json.dumps({"id": 1, "created_at": "2026-11-01T10:00:00-08:00", "users": []}))
    results = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", SLUG, str(submission), "--course", str(course),
                           "--results", str(results), "--device", "cpu", "--metadata", str(metadata), "--quiet"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(results.read_text())
    notes = [t for t in data["tests"] if t["name"] == "Written answers (for graders)"]
    assert len(notes) == 1 and notes[0]["visibility"] == "hidden" and notes[0]["max_score"] == 0
    assert notes[0]["output"] == "Question 2:\nKL = H(p, q) - H(p) >= 0"
    assert data["score"] == 41

"""One row per student, and a Canvas gradebook import file (autograder/classroom/lms.py).

Outcomes are built by hand, as batch makes them; the roster is a Canvas "Export Entire
Gradebook" file as Canvas writes it (Points Possible row, read-only totals, the test student
last, sections, an existing assignment column)."""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from autograder.classroom.export import Entry
from autograder.classroom.lms import (POINTS_POSSIBLE, final_score, format_score, student_results, write_canvas_csv,
                                      write_students_csv)
from autograder.classroom.outcomes import Outcome
from autograder.late import LatePolicy

TITLE = "KL asymmetry (12345)"
POLICY = {"due": "2026-11-01T12:00:00-08:00", "penalty": 0.1, "max_penalty": 0.5,
          "last_accepted": "2026-11-05T12:00:00-08:00"}
ON_TIME = datetime.fromisoformat("2026-11-01T10:00:00-08:00")


def person(name: str, email: str, sid: str = "") -> dict:
    return {"name": name, "email": email, "sid": sid}


def outcome(sub: str, people: list[dict], score, status: str = "ok", submitted: datetime | None = ON_TIME,
            top: float = 41.0) -> Outcome:
    tests = [{"number": "1.1", "name": "kl", "score": score if isinstance(score, float) else 0.0,
              "max_score": top}] if top else []
    return Outcome(Entry(sub, Path(sub), people, submitted), {"score": score, "tests": tests}, status, 1.0)


def class_outcomes() -> list[Outcome]:
    ada, grace = person("Ada Lovelace", "ada@x.edu", "1"), person("Grace Hopper", "grace@x.edu", "2")
    marie = person("Marie Curie", "marie@x.edu", "5")
    return [
        outcome("submission_1", [ada, grace], 30.0),  # a group of two
        outcome("submission_2", [person("Alan Turing", "alan.turing@x.edu", "3")], 41.0),  # login == e-mail
        outcome("submission_3", [marie], 20.0),  # Marie twice: 20 here ...
        outcome("submission_4", [dict(marie), person("Claude Shannon", "cshannon@x.edu", "99")], 35.0),  # ... 35
        outcome("submission_5", [person("Kurt Goedel", "kurt@x.edu", "7")], 12.0),  # on no roster row
        outcome("submission_6", [], 5.0),  # the export names nobody
        outcome("submission_7", [person("Hedy Lamarr", "hedy@x.edu", "8")], 41.0,  # late 1 day 3 hours: -20 %
                submitted=datetime.fromisoformat("2026-11-02T15:00:00-08:00")),
        outcome("submission_8", [person("S. Ramanujan", "ramanujan@x.edu", "9")], 41.0,  # after the last date
                submitted=datetime.fromisoformat("2026-11-06T09:00:00-08:00")),
        outcome("submission_9", [person("Barbara Liskov", "barbara@x.edu", "11")], 0.0, status="error", top=0),
        outcome("submission_10", [person("Margaret Hamilton", "margaret@y.org", "")], 38.5),  # e-mail in a column
    ]


# Canvas's export: the custom column "Email" sits between Section and the assignments, as Canvas puts them
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Email,Homework 1 (111),KL asymmetry (12345),Current Score,Final Score
    Points Possible,,,,,,10,41,(read only),(read only)
"Lovelace, Ada",101,1,ada,DL 2026 - A,,9,,90,90
"Hopper, Grace",102,2,ghopper,DL 2026 - B,,8,,80,80
"Turing, Alan",103,,alan.turing@x.edu,DL 2026 - A,,7,,70,70
"Noether, Emmy",104,4,enoether,DL 2026 - B,,,,0,0
"Franklin, Rosalind",105,12,rfranklin,DL 2026 - A,,,EX,0,0
"Curie, Marie",106,5,mcurie,DL 2026 - A and DL 2026 - B,,10,,100,100
"Shannon, Claude",107,6,cshannon,DL 2026 - B,,,,0,0
"Lamarr, Hedy",108,8,hlamarr,DL 2026 - A,,,,0,0
"Ramanujan, Srinivasa",109,9,sramanujan,DL 2026 - B,,,,0,0
"Liskov, Barbara",110,11,bliskov,DL 2026 - A,,,,0,0
"Hamilton, Margaret",111,,mhamilton42,DL 2026 - B, Margaret@Y.org ,,,0,0
"Student, Test",112,,a1b2c3d4e5f6,DL 2026 - A,,,,0,0
"""


def read(path: Path, delimiter: str = ",") -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture
def late(tmp_path) -> LatePolicy:
    return LatePolicy.from_config(POLICY, tmp_path)


# --------------------------------------------------------------------------- final_score
def test_final_score_is_the_gradebook_score_after_the_late_rule(late):
    on_time, late_one, refused, error = (class_outcomes()[i] for i in (1, 6, 7, 8))
    assert final_score(on_time) == 41.0 and final_score(on_time, late) == 41.0
    assert final_score(late_one) == 41.0  # no policy: nothing is late
    assert final_score(late_one, late) == pytest.approx(32.8)  # 2 started days, 10 % each
    assert final_score(refused, late) == 0.0  # after last_accepted
    assert final_score(error, late) == 0.0  # a failed grading still has its (0) score, as in gradebook.csv
    unknown_time = outcome("s", [person("A", "a@x.edu", "1")], 41.0, submitted=None)
    assert final_score(unknown_time, late) == 41.0  # no submission time: never late


@pytest.mark.parametrize("score", [None, "n/a", float("nan"), float("inf"), True])
def test_final_score_is_none_without_a_score(score, late):
    o = outcome("s", [person("A", "a@x.edu", "1")], 1.0)
    o.data["score"] = score
    assert final_score(o) is None and final_score(o, late) is None
    del o.data["score"]
    assert final_score(o, late) is None


def test_format_score():
    assert [format_score(v) for v in (41.0, 32.8, 41 * 0.9, 0.0, -0.0, 12.34567, None)] == \
        ["41", "32.8", "36.9", "0", "0", "12.3457", ""]


# --------------------------------------------------------------------------- one row per student
def test_students_csv_has_one_row_per_student(tmp_path, late):
    path = tmp_path / "students.csv"
    results = write_students_csv(class_outcomes(), path, late=late)
    rows = read(path)
    assert list(rows[0]) == ["name", "email", "sid", "submission_id", "score", "max_score", "status",
                             "group_size", "other_submissions"]
    by_name = {r["name"]: r for r in rows}
    assert len(rows) == len(results) == 11  # 10 students (Marie once) + the submission without a submitter
    # a group: each member has their own row with the group's score
    assert by_name["Ada Lovelace"] == {"name": "Ada Lovelace", "email": "ada@x.edu", "sid": "1",
                                       "submission_id": "submission_1", "score": "30", "max_score": "41",
                                       "status": "ok", "group_size": "2", "other_submissions": ""}
    assert (by_name["Grace Hopper"]["submission_id"], by_name["Grace Hopper"]["score"],
            by_name["Grace Hopper"]["group_size"]) == ("submission_1", "30", "2")
    # in two submissions: the best final score, and the row says which and where else
    marie = by_name["Marie Curie"]
    assert (marie["submission_id"], marie["score"], marie["group_size"], marie["other_submissions"]) == \
        ("submission_4", "35", "2", "submission_3")
    assert by_name["Claude Shannon"]["submission_id"] == "submission_4"
    # the late rule
    assert (by_name["Hedy Lamarr"]["score"], by_name["Hedy Lamarr"]["status"]) == ("32.8", "ok")
    assert by_name["S. Ramanujan"]["score"] == "0"
    assert by_name["Barbara Liskov"] == {"name": "Barbara Liskov", "email": "barbara@x.edu", "sid": "11",
                                         "submission_id": "submission_9", "score": "0", "max_score": "0",
                                         "status": "error", "group_size": "1", "other_submissions": ""}
    # no submitter: one row under the submission id
    assert by_name["submission_6"] == {"name": "submission_6", "email": "", "sid": "", "submission_id": "submission_6",
                                       "score": "5", "max_score": "41", "status": "ok", "group_size": "0",
                                       "other_submissions": ""}
    assert [r["name"] for r in rows] == sorted((r["name"] for r in rows), key=str.casefold)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_best_submission_rules():
    ada = person("Ada", "ADA@x.edu ", "1")
    late_resubmission = datetime.fromisoformat("2026-11-01T11:00:00-08:00")
    results = student_results([
        outcome("s1", [ada], 40.0, status="error"),  # a failed grading never beats a finished one
        outcome("s2", [person("Ada", "ada@x.edu", "")], 25.0),  # same e-mail, no sid: the same student
        outcome("s3", [person("Ada L.", "", "1")], 25.0, submitted=late_resubmission),  # same sid; a tie: the later
        outcome("s4", [ada, dict(ada)], 10.0),  # an export that lists her twice in one submission
    ])
    assert len(results) == 1
    ada_row = results[0]
    assert (ada_row.submission_id, ada_row.score, ada_row.other_submissions) == ("s3", 25.0, ["s1", "s2", "s4"])
    assert (ada_row.name, ada_row.email, ada_row.sid) == ("Ada L.", "ADA@x.edu", "1")  # s3 has no e-mail: another's
    only = student_results([outcome("s4", [ada, dict(ada)], 10.0)])[0]
    assert only.group_size == 1 and only.other_submissions == []


def test_a_shared_submission_links_two_appearances():
    # the student appears with only an e-mail, then with only a sid, then with both: one student
    results = student_results([outcome("a", [person("A", "a@x.edu", "")], 10.0),
                               outcome("b", [person("A", "", "7")], 20.0),
                               outcome("c", [person("A", "a@x.edu", "7")], 15.0)])
    assert [(r.submission_id, r.other_submissions) for r in results] == [("b", ["a", "c"])]


def test_pending_entries_are_listed_not_graded(tmp_path):
    path = tmp_path / "students.csv"
    pending = [Entry("submission_20", Path("x"), [person("Late Larry", "larry@x.edu", "20")])]
    write_students_csv(class_outcomes()[:1], path, pending=pending)
    larry = {r["name"]: r for r in read(path)}["Late Larry"]
    assert (larry["score"], larry["max_score"], larry["status"]) == ("", "0", "not graded")


# --------------------------------------------------------------------------- Canvas
def test_canvas_import_file(tmp_path, late):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    path = tmp_path / "canvas.csv"
    report = write_canvas_csv(class_outcomes(), roster, path, TITLE, late=late)

    with open(path, newline="") as fh:
        header, points, *_ = csv.reader(fh)
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE]  # Canvas's columns only
    assert points == [POINTS_POSSIBLE, "", "", "", "", "41"]  # Canvas reads the maximum here
    rows = read(path)
    assert rows[0]["Student"] == "    Points Possible"
    cells = {r["Student"]: r for r in rows[1:]}
    assert list(cells) == ["Lovelace, Ada", "Hopper, Grace", "Turing, Alan", "Noether, Emmy", "Franklin, Rosalind",
                           "Curie, Marie", "Shannon, Claude", "Lamarr, Hedy", "Ramanujan, Srinivasa",
                           "Liskov, Barbara", "Hamilton, Margaret", "Student, Test"]  # the roster's order
    assert cells["Lovelace, Ada"] == {"Student": "Lovelace, Ada", "ID": "101", "SIS User ID": "1",
                                      "SIS Login ID": "ada", "Section": "DL 2026 - A", TITLE: "30"}
    scores = {name: r[TITLE] for name, r in cells.items()}
    assert scores == {
        "Lovelace, Ada": "30", "Hopper, Grace": "30",  # a group: both members (Grace by SIS User ID)
        "Turing, Alan": "41",  # SIS Login ID is his e-mail
        "Noether, Emmy": "",  # no submission: empty, not 0
        "Franklin, Rosalind": "EX",  # no submission, but Canvas holds "EX": kept, so the import changes nothing
        "Curie, Marie": "35",  # her best of two submissions
        "Shannon, Claude": "35",  # SIS User ID differs (99 vs 6); his e-mail's login part is his SIS Login ID
        "Lamarr, Hedy": "32.8", "Ramanujan, Srinivasa": "0",  # the late rule
        "Liskov, Barbara": "",  # the grading failed: nothing to import
        "Hamilton, Margaret": "38.5",  # her e-mail in another column (case and spaces aside)
        "Student, Test": "",  # Canvas's test student
    }
    assert cells["Curie, Marie"]["Section"] == "DL 2026 - A and DL 2026 - B"

    assert report.matched == 8 and report.roster_students == 11 and report.points_possible == 41.0
    assert report.missing == ["Noether, Emmy (ID 104, SIS User ID 4, SIS Login ID enoether, Section DL 2026 - B)",
                              "Franklin, Rosalind (ID 105, SIS User ID 12, SIS Login ID rfranklin, "
                              "Section DL 2026 - A) (kept 'EX')"]
    assert report.not_graded == ["Liskov, Barbara (ID 110, SIS User ID 11, SIS Login ID bliskov, Section DL 2026 - A): "
                                 "Barbara Liskov <barbara@x.edu> sid 11 (submission_9: error)"]
    assert report.unmatched == ["Kurt Goedel <kurt@x.edu> sid 7 (submission_5: 12)",
                                "submission_6 (no submitter listed: 5)"]
    assert report.ambiguous == []
    text = report.text()
    assert text.splitlines()[0] == (f"Canvas import: {path} - column '{TITLE}' (out of 41): "
                                    "8 of 11 roster students have a score.")
    for line in ("2 on the roster, no submission (empty cell, not 0):", "  Noether, Emmy (ID 104",
                 "1 submitted, no score to import (empty cell):", "2 submitters on no roster row (not in the file):",
                 "  Kurt Goedel <kurt@x.edu> sid 7 (submission_5: 12)"):
        assert line in text
    assert "Student, Test" not in text


def test_canvas_without_a_late_policy_and_a_chosen_maximum(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    report = write_canvas_csv(class_outcomes(), roster, tmp_path / "c.csv", "New column", points_possible=100)
    rows = read(tmp_path / "c.csv")
    assert rows[0]["New column"] == "100" and report.points_possible == 100
    scores = {r["Student"]: r["New column"] for r in rows[1:]}
    assert scores["Lamarr, Hedy"] == scores["Ramanujan, Srinivasa"] == "41"  # no rule: the raw score
    assert scores["Franklin, Rosalind"] == ""  # the roster has no "New column": nothing to keep


def test_canvas_semicolons_bom_reordered_columns_and_a_manual_posting_row(tmp_path):
    # some locales export with ';'; Excel adds a BOM; someone moved Section first; no Points Possible row
    text = ("Section;Student;ID;SIS Login ID;SIS User ID;Integration ID;Quiz (1)\n"
            ";;;;;;Manual Posting\n"
            "A;Lovelace, Ada;101;ada;1;int-1;3\n"
            "B;Hopper, Grace;102;grace@x.edu;;;\n")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"\xef\xbb\xbf" + text.encode())
    path = tmp_path / "canvas.csv"
    report = write_canvas_csv(class_outcomes()[:1], roster, path, TITLE)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh, delimiter=";"))
    assert lines == [["Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Section", TITLE],
                     [POINTS_POSSIBLE, "", "", "", "", "", "41"],
                     ["Lovelace, Ada", "101", "1", "ada", "int-1", "A", "30"],
                     ["Hopper, Grace", "102", "", "grace@x.edu", "", "B", "30"]]
    assert report.matched == 2 and report.missing == report.unmatched == []


def test_canvas_ambiguous_login_is_reported_not_guessed(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      "    Points Possible,,,,\n"
                      "\"Lovelace, Ada\",101,,ada,A\n")
    two_adas = [outcome("s1", [person("Ada L", "ada@x.edu", "1")], 30.0),
                outcome("s2", [person("Ada K", "ada@y.edu", "2")], 20.0)]
    report = write_canvas_csv(two_adas, roster, tmp_path / "c.csv", TITLE)
    assert read(tmp_path / "c.csv")[1][TITLE] == ""
    assert report.matched == 0 and report.missing == []
    assert report.ambiguous == ["Lovelace, Ada (ID 101, SIS Login ID ada, Section A): "
                                "Ada K <ada@y.edu> sid 2 (s2: 20); Ada L <ada@x.edu> sid 1 (s1: 30)"]
    assert len(report.unmatched) == 2 and "several submitters match" in report.text()


def test_canvas_pending_submission_is_not_graded_not_missing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    pending = [Entry("submission_20", Path("x"), [person("Emmy Noether", "emmy@x.edu", "4")])]
    report = write_canvas_csv([], roster, tmp_path / "c.csv", TITLE, pending=pending)
    assert {r["Student"]: r[TITLE] for r in read(tmp_path / "c.csv")}["Noether, Emmy"] == ""
    assert report.not_graded == ["Noether, Emmy (ID 104, SIS User ID 4, SIS Login ID enoether, Section DL 2026 - B): "
                                 "Emmy Noether <emmy@x.edu> sid 4 (submission_20: not graded)"]
    assert report.points_possible is None and read(tmp_path / "c.csv")[0][TITLE] == ""


@pytest.mark.parametrize("content, message", [
    ("Name,Email,Score\nAda,ada@x.edu,3\n", "lacks the columns 'Student', 'ID', 'SIS Login ID', 'Section'"),
    ("Student,ID,SIS User ID,Section\n\"Lovelace, Ada\",101,1,A\n", "lacks the column 'SIS Login ID'"),
    ("", "is empty"),
    (" , ,\n", "is empty"),
])
def test_malformed_roster_is_a_clear_error_and_writes_nothing(tmp_path, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    path = tmp_path / "canvas.csv"
    path.write_text("the previous file\n")
    with pytest.raises(ValueError, match=message):
        write_canvas_csv(class_outcomes(), roster, path, TITLE)
    assert path.read_text() == "the previous file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canvas.csv", "roster.csv"]  # no temp file left


def test_unreadable_roster_and_bad_titles(tmp_path):
    with pytest.raises(ValueError, match="No such file"):
        write_canvas_csv([], tmp_path / "nope.csv", tmp_path / "c.csv", TITLE)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Student,ID,SIS Login ID,Section\nG\xf6del,1,kg,A\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        write_canvas_csv([], latin, tmp_path / "c.csv", TITLE)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    for title in ("", "  ", "Section"):
        with pytest.raises(ValueError, match="column title"):
            write_canvas_csv([], roster, tmp_path / "c.csv", title)
    assert not (tmp_path / "c.csv").exists()

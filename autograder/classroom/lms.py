"""Grades for a learning management system: one row per student, and a Canvas import file.

``autograder batch`` grades one *submission* per row (a group submission is one row with every
member's name in it). An LMS wants one row per *student*. This module turns batch outcomes
into:

- :func:`write_students_csv`: one row per student (a group's members each get their own row).
  A student found in several submissions (they resubmitted in another group, or the export
  lists them twice) keeps their best final score; the row names the submission it came from
  and the others.
- :func:`write_canvas_csv`: a file to import in Canvas (Grades > Import), built from the
  course's own gradebook export ("Export Entire Gradebook"), with one assignment column.
  Who matched, who is missing and who matched nobody comes back in a :class:`CanvasReport`.

The score is always the one after the late rule (:func:`final_score`), as in gradebook.csv.

Canvas's format, as its importer (``app/models/gradebook_importer.rb`` in instructure/canvas-lms)
and exporter (``lib/gradebook_exporter.rb``) read and write it:

- the header starts with the student columns, in this order: ``Student``, ``ID``,
  ``SIS User ID`` (optional), ``SIS Login ID``, ``Integration ID`` / ``Root Account``
  (optional), ``Section``. The importer checks the first two and that the last student column
  is ``Section``, at the position the optional ones imply: the order matters, so this module
  writes them in that order whatever order the roster had;
- assignment columns are matched by the number in ``Title (12345)`` (else by title; an unknown
  title creates a new assignment);
- a row whose first cell contains ``Points Possible`` sets each assignment's points possible;
  a row of only blanks / ``Muted`` / ``Manual Posting`` is skipped; every other row is a
  student, found by ``ID``, then ``SIS User ID``, then ``SIS Login ID``, then by name;
- a blank cell (or ``-``) means "no score". The file may use ``,`` or ``;``.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .outcomes import CACHED_STATUSES, NOT_GRADED, Outcome

from .export import Entry

from ..atomic import atomic_output
from .publish import publish

STUDENT_COLUMNS = ["name", "email", "sid", "submission_id", "score", "max_score", "status", "group_size",
                   "other_submissions"]

# Canvas's student columns, in the order its importer expects them, and whether we need them.
CANVAS_IDENTITY = [("Student", True), ("ID", True), ("SIS User ID", False), ("SIS Login ID", True),
                   ("Integration ID", False), ("Root Account", False), ("Section", True)]
POINTS_POSSIBLE = "    Points Possible"  # Canvas writes it with these leading spaces
TEST_STUDENT_NAMES = {"student, test", "test student"}  # Canvas's "Student View" user
_SKIPPED_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)  # the importer's own test


# --------------------------------------------------------------------------- scores
def raw_score(outcome: Outcome) -> float | None:
    """The tests' score (results.json's top-level ``score``); None when there is none."""
    value = outcome.data.get("score")
    if isinstance(value, bool):  # a bool is an int to Python, never a score
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def final_score(outcome: Outcome, late=None, written: dict | None = None) -> float | None:
    """The score after the late rule: gradebook.csv's ``score`` column.

    ``late`` is the assignment's :class:`autograder.late.LatePolicy` (or None: no rule). A late
    submission gets ``lateness.final(raw)`` when accepted and 0 when it came after the last
    accepted date. None when the results hold no score at all (gradebook.csv writes 0 there)."""
    if raw_score(outcome) is None:
        return None
    return publish(outcome, late, written).score  # the same rule as the gradebook's, written grades included


def max_score(outcome: Outcome, written: dict | None = None) -> float:
    """The most the tests (and merged written questions) give, as gradebook.csv's ``max_score``."""
    return publish(outcome, None, written).max_score


def format_score(value: float | None) -> str:
    """``41``, ``32.8``, ``36.9`` (not ``36.900000000000006``); "" for no score."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- one row per student
@dataclass
class StudentResult:
    """One student's result: the submission with their best final score."""

    name: str
    email: str
    sid: str
    submission_id: str
    score: float | None  # after the late rule; None: no trustworthy score (see ``graded``)
    max_score: float
    status: str  # ok / timed out / error / not graded
    group_size: int  # submitters of that submission; 0 when the export named none
    other_submissions: list[str] = field(default_factory=list)  # where else this student appears
    emails: set[str] = field(default_factory=set)  # every e-mail seen for them (lower case): matching
    sids: set[str] = field(default_factory=set)  # every sid seen for them (lower case)

    @property
    def graded(self) -> bool:
        """The score is the student's (the grading finished): it may go to an LMS."""
        return self.status in CACHED_STATUSES and self.score is not None

    def describe(self) -> str:
        """``Ada Lovelace <ada@x.edu> sid 1 (submission_1: 30)`` for reports."""
        what = format_score(self.score) if self.graded else self.status
        if self.group_size == 0 and not (self.email or self.sid):
            return f"{self.submission_id} (no submitter listed: {what})"
        who = self.name or self.email or self.sid
        who += f" <{self.email}>" if self.email and who != self.email else ""
        who += f" sid {self.sid}" if self.sid and who != self.sid else ""
        return f"{who} ({self.submission_id}: {what})"


def _candidates(outcomes: Iterable[Outcome], late, pending: Iterable[Entry], written: dict | None = None):
    """(person dict or None, entry, score, max, status) for every student of every submission."""
    for o in outcomes:
        score, top = final_score(o, late, written), max_score(o, written)
        for person in o.entry.students or [None]:
            yield person, o.entry, score, top, o.status
    for e in pending:  # an interrupted batch: they submitted, nothing was graded yet
        for person in e.students or [None]:
            yield person, e, None, 0.0, NOT_GRADED


def _clean(value) -> str:
    return str(value if value is not None else "").strip()


def student_results(outcomes: Sequence[Outcome], late=None, pending: Sequence[Entry] = (),
                    written: dict | None = None) -> list[StudentResult]:
    """One :class:`StudentResult` per student, sorted by name.

    Two appearances are the same student when they share a sid or an e-mail (case-insensitive);
    with neither, their name. The kept submission is the best: a finished grading over a
    failed one, then the higher final score, then the later submission. A submission without
    any submitter is one result under its submission id."""
    groups: list[list[tuple]] = []  # appearances of one student
    owner: dict[tuple[str, str], int] = {}  # ("sid" | "email" | "name", value) -> index in groups
    for person, entry, score, top, status in _candidates(outcomes, late, pending, written):
        if person is None:
            keys = [("submission", entry.id)]
        else:
            keys = [(k, _clean(person.get(k)).lower()) for k in ("sid", "email") if _clean(person.get(k))]
            keys = keys or [("name", _clean(person.get("name")).casefold())]
        found = sorted({owner[k] for k in keys if k in owner})
        if not found:
            groups.append([])
            found = [len(groups) - 1]
        target = found[0]
        for other in found[1:]:  # this appearance links two students seen apart: one student
            groups[target].extend(groups[other])
            groups[other] = []
            for k, v in owner.items():
                if v == other:
                    owner[k] = target
        groups[target].append((person, entry, score, top, status))
        for k in keys:
            owner[k] = target

    results = []
    for appearances in groups:
        if appearances:
            results.append(_best(appearances))
    return sorted(results, key=lambda r: (r.name.casefold(), r.email.lower(), r.submission_id))


def _group_size(entry: Entry) -> int:
    """Distinct submitters (an export that lists one student twice is not a group of two)."""
    return len({(_clean(p.get("sid")).lower() or _clean(p.get("email")).lower() or _clean(p.get("name")).casefold())
                for p in entry.students})


def _best(appearances: list[tuple]) -> StudentResult:
    def rank(item):
        person, entry, score, top, status = item
        finished = status in CACHED_STATUSES and score is not None
        when = entry.submitted.timestamp() if entry.submitted else -math.inf
        return (finished, score if score is not None else -math.inf, when, entry.id)

    person, entry, score, top, status = max(appearances, key=rank)
    people = [p for p, *_ in appearances if p is not None]

    def pick(key: str) -> str:  # the kept submission's value, else any other appearance's
        for p in ([person] if person else []) + people:
            if _clean(p.get(key)):
                return _clean(p.get(key))
        return ""

    others = sorted({e.id for _, e, *_ in appearances} - {entry.id})
    return StudentResult(
        name=pick("name") or (entry.id if person is None else ""), email=pick("email"), sid=pick("sid"),
        submission_id=entry.id, score=score, max_score=top, status=status,
        group_size=_group_size(entry), other_submissions=others,
        emails={_clean(p.get("email")).lower() for p in people if _clean(p.get("email"))},
        sids={_clean(p.get("sid")).lower() for p in people if _clean(p.get("sid"))})


def write_students_csv(outcomes: Sequence[Outcome], path: Path, late=None,
                       pending: Sequence[Entry] = (), written: dict | None = None) -> list[StudentResult]:
    """One row per student (columns: :data:`STUDENT_COLUMNS`), written atomically.

    ``late``: the assignment's LatePolicy (the score is the final one). ``pending``: the entries
    an interrupted batch did not grade (status ``not graded``, no score). Returns the rows."""
    results = student_results(outcomes, late, pending, written)
    with atomic_output(Path(path), newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(STUDENT_COLUMNS)
        for r in results:
            writer.writerow([r.name, r.email, r.sid, r.submission_id, format_score(r.score),
                             format_score(r.max_score), r.status, r.group_size, " ".join(r.other_submissions)])
    return results


# --------------------------------------------------------------------------- Canvas
@dataclass
class CanvasReport:
    """What :func:`write_canvas_csv` did: nobody is dropped without being named here."""

    path: Path
    column_title: str
    points_possible: float | None
    roster_students: int  # the roster's students, Canvas's test student left out
    matched: int  # roster students given a score
    missing: list[str] = field(default_factory=list)  # roster students without a submission: empty cell
    unmatched: list[str] = field(default_factory=list)  # our submitters found on no roster row
    not_graded: list[str] = field(default_factory=list)  # on the roster, submitted, no score (grading failed)
    ambiguous: list[str] = field(default_factory=list)  # roster students that several submitters match

    def text(self, limit: int = 20) -> str:
        """A short summary for the terminal (each list cut at ``limit`` names)."""
        out_of = f" (out of {format_score(self.points_possible)})" if self.points_possible is not None else ""
        lines = [f"Canvas import: {self.path} - column {self.column_title!r}{out_of}: "
                 f"{self.matched} of {self.roster_students} roster students have a score."]
        for title, names in (("on the roster, no submission (empty cell, not 0)", self.missing),
                             ("submitted, no score to import (empty cell)", self.not_graded),
                             ("several submitters match (empty cell; fix the roster or the export)", self.ambiguous),
                             ("submitters on no roster row (not in the file)", self.unmatched)):
            if names:
                lines.append(f"{len(names)} {title}:")
                lines += [f"  {n}" for n in names[:limit]]
                if len(names) > limit:
                    lines.append(f"  ... and {len(names) - limit} more")
        return "\n".join(lines)


@dataclass
class _Roster:
    delimiter: str
    bom: bool
    header: list[str]
    columns: dict[str, int]  # Canvas identity column -> its index in the roster
    points_row: list[str] | None
    students: list[list[str]]  # the roster's student rows, in its order
    existing: int | None  # index of a column already titled ``column_title``


def read_canvas_roster(path: Path, column_title: str = "") -> _Roster:
    """A Canvas gradebook export; ValueError naming what is wrong (nothing else is checked)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"Canvas roster {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"Canvas roster {path} is not UTF-8 text (export it again from Canvas)") from None
    lines = [line for line in text.splitlines() if line.strip(" ,;")]  # Canvas skips such lines too
    if not lines:
        raise ValueError(f"Canvas roster {path} is empty")
    # Canvas exports with ',' or ';' (some locales); the header says which
    delimiter = max((",", ";"), key=lambda d: len(next(csv.reader([lines[0]], delimiter=d))))
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [h.strip() for h in rows[0]]
    columns = {}
    for name, _ in CANVAS_IDENTITY:
        for i, h in enumerate(header):
            if re.fullmatch(r"\s*".join(name.split()), h, re.I):
                columns.setdefault(name, i)
    lacking = [name for name, required in CANVAS_IDENTITY if required and name not in columns]
    if lacking:
        raise ValueError(f"Canvas roster {path} lacks the column{'s' if len(lacking) > 1 else ''} "
                         f"{', '.join(repr(n) for n in lacking)} (its header: {', '.join(header[:8]) or 'empty'}"
                         f"{', ...' if len(header) > 8 else ''}); use Grades > Export > Export Entire Gradebook")
    points_row, students = None, []
    width = len(header)
    for row in rows[1:]:
        row = (row + [""] * width)[:width]
        if "Points Possible" in row[0] or "Points Possible" in row[columns["Student"]]:
            points_row = row
        elif all(_SKIPPED_ROW.match(cell or "") for cell in row):
            continue  # Canvas's "Muted" / "Manual Posting" row: no student in it
        else:
            students.append(row)
    existing = header.index(column_title.strip()) if column_title.strip() in header else None
    return _Roster(delimiter, raw.startswith(b"\xef\xbb\xbf"), header, columns, points_row, students, existing)


def _norm(value: str) -> str:
    return (value or "").strip().lower()


def _match(roster: _Roster, people: list[StudentResult]) -> tuple[dict[int, StudentResult], dict[int, list]]:
    """Roster row index -> the student it is, in three passes: SIS User ID == sid; SIS Login ID
    == e-mail or its login part; an e-mail in any cell. Each pass only sees the rows and the
    students not matched yet; a row that several students fit (or a student several rows fit)
    is left for the next pass, and reported when no pass decides."""
    col = roster.columns
    passes = [
        lambda row, p: "SIS User ID" in col and _norm(row[col["SIS User ID"]]) in p.sids,
        lambda row, p: _norm(row[col["SIS Login ID"]]) in p.emails | {e.split("@")[0] for e in p.emails},
        lambda row, p: bool(p.emails & {_norm(cell) for cell in row}),
    ]
    matched: dict[int, StudentResult] = {}
    ambiguous: dict[int, list] = {}
    for fits in passes:
        taken = {id(p) for p in matched.values()}
        proposals: dict[int, StudentResult] = {}
        for i, row in enumerate(roster.students):
            if i in matched:
                continue
            found = [p for p in people if id(p) not in taken and fits(row, p)]
            if len(found) == 1:
                proposals[i] = found[0]
            elif len(found) > 1:
                ambiguous[i] = found
        claims: dict[int, list[int]] = {}
        for i, p in proposals.items():
            claims.setdefault(id(p), []).append(i)
        for rows_of_p in claims.values():
            if len(rows_of_p) == 1:
                matched[rows_of_p[0]] = proposals[rows_of_p[0]]
                ambiguous.pop(rows_of_p[0], None)
            else:  # one student fits several roster rows: none of them gets the score
                for i in rows_of_p:
                    ambiguous[i] = [proposals[i]]
    return matched, {i: v for i, v in ambiguous.items() if i not in matched}


def _roster_name(roster: _Roster, row: list[str]) -> str:
    col = roster.columns
    ids = [f"{name} {row[col[name]].strip()}" for name in ("SIS User ID", "SIS Login ID", "Section")
           if name in col and row[col[name]].strip()]
    return f"{row[col['Student']].strip() or '?'} (ID {row[col['ID']].strip() or '?'}" \
           f"{', ' + ', '.join(ids) if ids else ''})"


def write_canvas_csv(outcomes: Sequence[Outcome], roster_path: Path, path: Path, column_title: str, late=None,
                     pending: Sequence[Entry] = (), points_possible: float | None = None,
                     written: dict | None = None) -> CanvasReport:
    """A Canvas gradebook import file: the roster's student columns and one ``column_title`` column.

    ``roster_path``: the course's Canvas export (Grades > Export > Export Entire Gradebook).
    ``column_title``: written as given; Canvas matches ``Title (12345)`` to assignment 12345 and
    creates a new assignment for an unknown title. ``late``: the assignment's LatePolicy.
    ``pending``: entries an interrupted batch did not grade. ``points_possible``: the Points
    Possible cell (default: the tests' maximum, the largest ``max_score`` of the graded results).

    Each roster student gets the best final score of the submitter they are (see :func:`_match`);
    a roster student without one gets an empty cell (never 0: the instructor decides), or the
    value the roster's own ``column_title`` column already holds for them, so that importing
    the file cannot erase a grade typed in Canvas. Canvas's test student is kept, with an empty
    cell, and counted nowhere. ValueError (nothing written) for a roster without the columns
    Canvas needs."""
    if not column_title.strip():
        raise ValueError("the Canvas column title is empty (use the assignment's name, e.g. 'KL asymmetry (12345)')")
    if column_title.strip() in {name for name, _ in CANVAS_IDENTITY}:
        raise ValueError(f"the Canvas column title {column_title!r} is one of Canvas's student columns")
    roster = read_canvas_roster(roster_path, column_title)
    people = student_results(outcomes, late, pending, written)
    matched, ambiguous = _match(roster, people)
    if points_possible is None:
        maxima = [p.max_score for p in people if p.graded and p.max_score > 0]
        points_possible = max(maxima) if maxima else None

    col = roster.columns
    identity = [name for name, _ in CANVAS_IDENTITY if name in col]  # Canvas's order, whatever the roster's
    report = CanvasReport(Path(path), column_title, points_possible, 0, 0)
    body = []
    for i, row in enumerate(roster.students):
        cells = [row[col[name]] for name in identity]
        person = matched.get(i)
        test_student = _norm(row[col["Student"]]) in TEST_STUDENT_NAMES and not (
            "SIS User ID" in col and row[col["SIS User ID"]].strip())
        kept = row[roster.existing].strip() if roster.existing is not None else ""
        if person is not None and person.graded:
            value = format_score(person.score)
            report.matched += 1
        else:
            value = kept  # empty unless Canvas already holds a grade there
            if test_student and person is None:
                pass  # Canvas's "Student View" user: not a student
            elif person is not None:
                report.not_graded.append(f"{_roster_name(roster, row)}: {person.describe()}")
            elif i in ambiguous:
                report.ambiguous.append(f"{_roster_name(roster, row)}: "
                                        + "; ".join(p.describe() for p in ambiguous[i]))
            else:
                report.missing.append(_roster_name(roster, row) + (f" (kept {kept!r})" if kept else ""))
        if not (test_student and person is None):
            report.roster_students += 1
        body.append(cells + [value])
    taken = {id(p) for p in matched.values()}
    report.unmatched = [p.describe() for p in people if id(p) not in taken]

    first = roster.points_row[0] if roster.points_row else POINTS_POSSIBLE
    points = [first] + [""] * (len(identity) - 1) + [format_score(points_possible)]
    with atomic_output(Path(path), newline="") as fh:
        if roster.bom:  # keep what Excel needs to read the names as UTF-8
            fh.write("\ufeff")
        writer = csv.writer(fh, delimiter=roster.delimiter)
        writer.writerow(identity + [column_title])
        writer.writerow(points)
        writer.writerows(body)
    return report

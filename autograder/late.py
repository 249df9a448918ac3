"""Late submissions: a due date, a grace period and a penalty rule, per-student extensions.

``assignment.toml``::

    [late]
    due = 2026-12-10T23:59:00-08:00   # with its offset; without [late] nothing is ever late
    grace_minutes = 15                # late by at most this much: on time
    penalty = 0.10                    # the part of the score taken per started day (or hour)
    per = "day"                       # "day" or "hour"
    max_penalty = 0.5                 # the most taken, however late
    last_accepted = 2026-12-13T23:59:00-08:00  # after it: not accepted, score 0
    extensions = "extensions.csv"     # beside assignment.toml: sid or email, due

Lateness is counted from the (student's) due date: late by 1 hour 5 minutes with ``per =
"hour"`` is two started hours. An extension replaces the due date for that student and moves
the last accepted date by as much; in a group, the latest due date of its members counts.

``batch`` reads the submission times from the export's ``submission_metadata.yml``
(``:created_at:``) and applies the rule when it writes the gradebook (raw score, lateness,
penalty, final score), so a changed rule needs no regrading. On Gradescope, ``run_autograder``
passes ``submission_metadata.json``: its ``created_at``, its users, and the assignment's own
``due_date`` when ``[late]`` gives none.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

UNITS = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
ID_COLUMNS = ("sid", "email", "student_id", "login")


class LatePolicyError(ValueError):
    """A malformed [late] table or extensions file: the message names the key or the row."""


@dataclass(frozen=True)
class LatePolicy:
    due: datetime | None = None  # None: the platform's own due date (Gradescope's metadata), if any
    grace: timedelta = timedelta(0)
    penalty: float = 0.0  # per started unit, as a part of the score (0.1: 10 %)
    per: str = "day"
    max_penalty: float = 1.0
    last_accepted: datetime | None = None
    extensions: dict = field(default_factory=dict)  # sid or e-mail (lower case) -> due date

    @classmethod
    def from_config(cls, table: dict, folder: Path, extensions: Path | None = None) -> "LatePolicy":
        """From ``[late]``; ``extensions`` (a CSV) replaces the table's own file."""
        if not isinstance(table, dict):
            raise LatePolicyError("[late] must be a table")
        per = table.get("per", "day")
        if per not in UNITS:
            raise LatePolicyError(f"[late] per must be 'day' or 'hour', not {per!r}")
        penalty, cap = float(table.get("penalty", 0.0)), float(table.get("max_penalty", 1.0))
        if not (0 <= penalty <= 1 and 0 <= cap <= 1):
            raise LatePolicyError("[late] penalty and max_penalty are parts of the score, between 0 and 1")
        path = extensions or (folder / table["extensions"] if table.get("extensions") else None)
        return cls(due=_aware(table.get("due"), "[late] due"),
                   grace=timedelta(minutes=float(table.get("grace_minutes", 0))),
                   penalty=penalty, per=per, max_penalty=cap,
                   last_accepted=_aware(table.get("last_accepted"), "[late] last_accepted"),
                   extensions=read_extensions(path) if path else {})

    def assess(self, submitted: datetime | None, people: list[dict], platform_due: datetime | None = None
               ) -> "Lateness":
        """How late a submission by ``people`` (dicts with sid / email) made at ``submitted`` is."""
        base = self.due or platform_due
        if submitted is None or base is None:
            return Lateness()
        submitted = _aware(submitted, "the submission time")
        due = base
        for person in people:
            for key in ("sid", "email"):
                extended = self.extensions.get(str(person.get(key, "")).strip().lower())
                if extended is not None and extended > due:
                    due = extended
        last = self.last_accepted + (due - base) if self.last_accepted else None
        late_by = submitted - due
        if late_by <= self.grace:
            return Lateness(due=due, extended=due != base)
        if last is not None and submitted > last:
            return Lateness(late_by, 1.0, False, due, due != base)
        units = math.ceil(late_by / UNITS[self.per])
        return Lateness(late_by, min(units * self.penalty, self.max_penalty), True, due, due != base)


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta = timedelta(0)  # 0 or less: on time (or within the grace period)
    penalty: float = 0.0  # the part of the raw score taken
    accepted: bool = True
    due: datetime | None = None
    extended: bool = False  # the due date is the student's extension

    @property
    def late(self) -> bool:
        return self.late_by > timedelta(0) and (self.penalty > 0 or not self.accepted)

    def final(self, raw: float) -> float:
        """The score after the rule: ``raw`` on time, less the penalty when late, 0 when not accepted."""
        if not self.accepted:
            return 0.0
        return round(raw * (1 - self.penalty), 6)

    def message(self, raw: float) -> str:
        """For the student, atop the results: "" when nothing was taken."""
        if not self.late:
            return ""
        due = f"due {self.due:%Y-%m-%d %H:%M %Z}".rstrip() + (" (your extension)" if self.extended else "")
        if not self.accepted:
            return (f"Submitted {describe(self.late_by)} late ({due}), after the last date this assignment "
                    f"accepts: the score is 0 (the tests would have given {raw:g}).")
        return (f"Submitted {describe(self.late_by)} late ({due}): -{self.penalty:.0%}, "
                f"so {self.final(raw):g} instead of {raw:g}.")

    def summary(self) -> dict:
        """extra_data.autograder.late, and what the gradebook shows."""
        return {"late_by_seconds": max(0, round(self.late_by.total_seconds())), "penalty": self.penalty,
                "accepted": self.accepted, "due": self.due.isoformat() if self.due else None,
                "extended": self.extended}


def describe(delta: timedelta) -> str:
    """``1 day 3 hours``, ``5 minutes``: the two largest units."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n][:2]
    return " ".join(shown)


def read_extensions(path: Path) -> dict:
    """``sid`` or ``email`` (or ``student_id``, ``login``) and ``due`` per row; a row that
    cannot be read is an error naming it (an extension silently lost costs a student points)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LatePolicyError(f"extensions file {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip().lower(): c for c in reader.fieldnames or []}
    ids = [columns[c] for c in ID_COLUMNS if c in columns]
    if "due" not in columns or not ids:
        raise LatePolicyError(f"extensions file {path}: needs a 'due' column and one of {', '.join(ID_COLUMNS)}")
    found = {}
    for number, row in enumerate(reader, start=2):
        keys = [row[c].strip().lower() for c in ids if (row.get(c) or "").strip()]
        try:
            due = _aware(datetime.fromisoformat((row[columns["due"]] or "").strip()), "due")
        except (ValueError, TypeError) as exc:
            raise LatePolicyError(f"extensions file {path}, row {number}: {exc}") from None
        if not keys:
            raise LatePolicyError(f"extensions file {path}, row {number}: no student id or e-mail")
        for key in keys:
            found[key] = due
    return found


def _aware(value, what: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise LatePolicyError(f"{what}: {value!r} is not a date and time (ISO 8601)") from None
    if not isinstance(value, datetime):
        raise LatePolicyError(f"{what}: {value!r} is not a date and time")
    if value.tzinfo is None:
        raise LatePolicyError(f"{what} {value} has no time zone offset: write it as 2026-12-10T23:59:00-08:00")
    return value.astimezone(timezone.utc) if value.utcoffset() == timedelta(0) else value


def apply(data: dict, lateness: Lateness) -> dict:
    """results.json with the penalty applied: the top-level score (Gradescope's, which wins over
    the tests' sum), the message atop ``output``, extra_data.autograder.late. Tests keep their
    raw scores."""
    if not lateness.late:
        return data
    raw = float(data.get("score", 0))
    data = dict(data, score=lateness.final(raw))
    data["output"] = lateness.message(raw) + ("\n\n" + data["output"] if data.get("output") else "")
    extra = dict(data.get("extra_data") or {})
    extra["autograder"] = dict(extra.get("autograder") or {}, late=lateness.summary(), raw_score=raw)
    data["extra_data"] = extra
    return data


def assess_gradescope(policy: LatePolicy, metadata_path: Path) -> tuple[Lateness, str]:
    """The lateness of this Gradescope submission (``submission_metadata.json``: created_at,
    users, the assignment's due_date), and a note for the instructor. Metadata that cannot be
    read costs nobody anything: on time, with a note saying why."""
    import json

    try:
        metadata = json.loads(Path(metadata_path).read_text())
        submitted = _aware(metadata["created_at"], "created_at")
        platform_due = (metadata.get("assignment") or {}).get("due_date")
        platform_due = _aware(platform_due, "assignment.due_date") if platform_due else None
        people = [{"sid": u.get("sid", ""), "email": u.get("email", "")} for u in metadata.get("users") or []
                  if isinstance(u, dict)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return Lateness(), f"late rule not applied: {metadata_path} is unreadable ({exc!r})"
    lateness = policy.assess(submitted, people, platform_due)
    return lateness, (f"late rule: submitted {submitted.isoformat()}, due {lateness.due.isoformat() if lateness.due else 'none'}"
                      f"{' (extension)' if lateness.extended else ''}, penalty {lateness.penalty:g}"
                      f"{', not accepted' if not lateness.accepted else ''}")

"""A limit on full gradings per 24 hours on Gradescope, from its ``submission_metadata.json``.

Hidden tests are an oracle if a student may submit without end: change a line, resubmit,
watch the score. With ``[gradescope] full_gradings_per_day = N`` in ``assignment.toml``, a
submission made when the student's last 24 hours already hold N full gradings runs the
public tests only; the hidden tests are listed at 0 with a message that says when the next
full grading is possible (Gradescope's documented scheme, "Rate limiting schemes" in its
submission metadata page; the student can re-activate an earlier submission to keep its score).

A full grading is a previous submission whose results do not say ``rate_limited`` in
``extra_data.autograder`` (the judge wrote them, so the student cannot forge the flag).
Metadata that cannot be read never limits anyone: the instructor gets a note instead.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

WINDOW = timedelta(hours=24)


@dataclass
class Decision:
    limited: bool
    message: str = ""  # for the student, when limited
    note: str = ""  # for the instructor


def decide(metadata_path: Path | None, per_day: int | None) -> Decision:
    """Whether this submission's hidden tests wait (see the module's docstring)."""
    if not per_day or metadata_path is None:
        return Decision(False)
    try:
        metadata = json.loads(Path(metadata_path).read_text())
        now = _time(metadata["created_at"])
        earlier = [_time(p["submission_time"]) for p in metadata.get("previous_submissions") or []
                   if not _was_limited(p)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return Decision(False, note=f"rate limit not applied: {metadata_path} is unreadable ({exc!r})")
    recent = sorted(t for t in earlier if now - WINDOW < t <= now)
    note = f"rate limit: {len(recent)} full grading(s) in the 24 hours before this one, {per_day} allowed"
    if len(recent) < per_day:
        return Decision(False, note=note)
    next_at = recent[len(recent) - per_day] + WINDOW  # when one of them is 24 hours old
    message = (f"Only the public tests were run: you have had {per_day} full grading"
               f"{'s' if per_day != 1 else ''} (public and hidden tests) in the last 24 hours, the most this "
               f"assignment allows. Your next full grading is possible from {next_at:%Y-%m-%d %H:%M %Z}"
               f"{'' if next_at.tzinfo else ' (UTC)'}. "
               "The hidden tests count 0 here; an earlier fully graded submission keeps its score "
               "if you activate it in your submission history.")
    return Decision(True, message=message.replace("  ", " "), note=note + ": hidden tests held back")


def _time(text: str) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"not a time: {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _was_limited(previous: dict) -> bool:
    results = previous.get("results") if isinstance(previous, dict) else None
    extra = results.get("extra_data") if isinstance(results, dict) else None
    ours = extra.get("autograder") if isinstance(extra, dict) else None
    return isinstance(ours, dict) and ours.get("rate_limited") is True

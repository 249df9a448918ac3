"""The instructor's report for a batch: the score summary (mean, quartiles) and histogram,
every student (sortable, linked to their feedback page), per-test pass rates with the failure
messages grouped, submissions that could not be loaded, crashed or timed out, the
leaderboard, grading time.
Figures are drawn with matplotlib and embedded in the HTML as PNG data."""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .publish import is_graded
from ..records import TIMED_OUT, number_key

if TYPE_CHECKING:
    from .outcomes import Outcome
    from ..course import Assignment


def _figure(draw, size: tuple[float, float] = (7, 3.2)) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=110)
    draw(ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # tight: no label is cut at the edge
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"/>'


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "(no message)"
    return line[:200]


def trouble_message(outcome: Outcome) -> str:
    """Why a submission is listed as crashed, timed out or errored: batch's reason when it has
    one, else the tests that reached a time limit (from the outcomes the judge wrote in
    extra_data.autograder), else the first line of the results' output."""
    data = outcome.data
    if data.get("_batch_error"):
        return _first_line(data["_batch_error"])
    extra = data.get("extra_data")
    info = extra.get("autograder") if isinstance(extra, dict) else None
    tests = info.get("tests") if isinstance(info, dict) else None
    if isinstance(tests, dict):
        timed = sorted((str(n) for n, o in tests.items() if o in TIMED_OUT), key=number_key)
        if timed:
            return f"a time limit in test{'s' if len(timed) > 1 else ''} {', '.join(timed)}"[:200]
    return _first_line(data.get("output", ""))


def test_stats(outcomes: list[Outcome]) -> list[dict]:
    """Per test: name, pass rate, and failure messages grouped by their first line."""
    stats: dict[str, dict] = {}
    for o in outcomes:
        for t in o.data.get("tests", []):
            if not is_graded(t):
                continue
            s = stats.setdefault(t["number"], {"number": t["number"], "name": t["name"], "passed": 0,
                                               "partial": 0, "total": 0, "messages": Counter()})
            s["total"] += 1
            if t.get("status") == "passed":
                s["passed"] += 1
            else:
                s["partial"] += float(t.get("score") or 0) > 0  # checks.partial_credit
                s["messages"][_first_line(t.get("output", ""))] += 1
    return [stats[n] for n in sorted(stats, key=number_key)]


def leaderboards(outcomes: list[Outcome]) -> dict[str, list[tuple[str, float]]]:
    """The class's leaderboards from results.json's ``leaderboard`` entries: by entry name,
    (student, value) best first (``order`` "asc": lowest first, else highest first)."""
    boards: dict[str, list] = {}
    ascending: dict[str, bool] = {}
    for o in outcomes:
        for entry in o.data.get("leaderboard") or []:
            if isinstance(entry, dict) and isinstance(entry.get("value"), (int, float)):
                name = str(entry.get("name", "?"))
                boards.setdefault(name, []).append((o.entry.student, float(entry["value"])))
                ascending[name] = entry.get("order") == "asc"
    return {name: sorted(rows, key=lambda r: r[1] if ascending[name] else -r[1]) for name, rows in boards.items()}


def _leaderboard_html(outcomes: list[Outcome], shown: int = 20) -> str:
    parts = []
    for name, rows in leaderboards(outcomes).items():
        body = "".join(f"<tr><td>{rank}</td><td>{html.escape(student)}</td><td>{value:.4g}</td></tr>"
                       for rank, (student, value) in enumerate(rows[:shown], start=1))
        more = f"<p>and {len(rows) - shown} more.</p>" if len(rows) > shown else ""
        parts.append(f"<h3>{html.escape(name)}</h3><table><tr><th>rank</th><th>student</th><th>value</th></tr>"
                     f"{body}</table>{more}")
    return "<h2>Leaderboard</h2>" + "".join(parts) if parts else ""


def write_report(assignment: Assignment, outcomes: list[Outcome], path: Path, pending: list = (),
                 interrupted: str | None = None, late=None, written: dict | None = None,
                 extra_html: str = "") -> None:
    """Write ``path`` atomically, and beside it ``feedback/<id>.html`` per submission
    (student_pages.py). ``pending``: submissions an interrupted batch did not grade; then the
    page says, at the top, that it is incomplete and lists them. ``late`` (late.LatePolicy)
    and ``written`` (written.read_grades): what is published, as in the gradebook (publish.py)."""
    from ..atomic import atomic_output
    from .publish import publish
    from .student_pages import write_pages

    published = [publish(o, late, written) for o in outcomes]
    rows = [student_row(p) for p in published]
    write_pages(published, Path(path).parent, assignment.title)
    with atomic_output(path) as fh:  # the temp file exists while the figures are drawn
        fh.write(_page(assignment, outcomes, rows, list(pending), interrupted).replace(
            "<!-- extra -->", extra_html))  # similar submissions (similarity.py), already HTML


def shown_status(outcome: Outcome) -> str:
    """The status a person reads: batch's (ok / timed out / error, what the cache decides), but
    "not loaded" for a submission that could not be found or loaded (empty, a syntax error, the
    wrong file), which is the student's result (0 points), not a clean run."""
    extra = outcome.data.get("extra_data")
    info = extra.get("autograder") if isinstance(extra, dict) else None
    if outcome.status == "ok" and isinstance(info, dict) and info.get("status") == "not loaded":
        return "not loaded"
    return outcome.status


def student_row(published) -> dict:
    """One student's (one submission's) row: the same numbers as gradebook.csv."""
    entry = published.outcome.entry
    return {"id": entry.id, "student": entry.student, "sid": entry.sid, "score": published.score,
            "raw": published.raw, "max": published.max_score, "late_by": published.late_by,
            "penalty": published.penalty,
            "status": shown_status(published.outcome)}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3), by linear interpolation between order statistics (numpy's default)."""
    import numpy as np

    if not values:
        return (0.0, 0.0, 0.0)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(median), float(q3)


def _label(number: str, name: str, width: int = 48) -> str:
    """A bar's label, wrapped onto lines: never cut."""
    import textwrap

    return "\n".join(textwrap.wrap(f"{number} {name}", width)) or number


SORT_SCRIPT = """<script>
// Click a column's heading to sort by it; click again to reverse. Numbers sort as numbers.
document.querySelectorAll("table.sortable th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var up = th.dataset.order !== "asc";
    table.querySelectorAll("th").forEach(function (h) { delete h.dataset.order; });
    th.dataset.order = up ? "asc" : "desc";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].dataset.value || a.cells[column].textContent;
      var y = b.cells[column].dataset.value || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>"""


def _students_table(rows: list[dict], max_score: float) -> str:
    """Every submission, sortable, each linked to its feedback page."""
    from .student_pages import FOLDER, page_name

    body = []
    for r in sorted(rows, key=lambda r: r["student"].lower()):
        link = html.escape(f"{FOLDER}/{page_name(r['id'])}")
        penalty = f"-{r['penalty']:.0%}" if r["penalty"] else ""
        status = html.escape(r["status"])
        body.append(
            f'<tr class="status-{status.replace(" ", "-")}"><td><a href="{link}">{html.escape(r["student"])}</a></td>'
            f'<td>{html.escape(r["sid"])}</td><td>{html.escape(r["id"])}</td>'
            f'<td data-value="{r["score"]:.6f}">{r["score"]:g}</td><td data-value="{r["raw"]:.6f}">{r["raw"]:g}</td>'
            f'<td>{html.escape(r["late_by"])}</td><td data-value="{r["penalty"]:.6f}">{penalty}</td>'
            f"<td>{status}</td></tr>")
    return (f'<table class="sortable"><thead><tr><th>student</th><th>sid</th><th>submission</th>'
            f"<th>score / {max_score:g}</th><th>raw score</th><th>late by</th><th>penalty</th><th>status</th>"
            f'</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _page(assignment: Assignment, outcomes: list[Outcome], students: list[dict], pending: list,
          interrupted: str | None) -> str:
    scores = [r["score"] for r in students]
    max_score = max((r["max"] for r in students), default=0)  # as published: written questions included
    stats = test_stats(outcomes)
    seconds = [o.seconds for o in outcomes if not o.cached]
    try:
        from matplotlib.ticker import MaxNLocator  # whole submissions on the count axis

        histogram = _figure(lambda ax: (ax.hist(scores, bins=min(20, max(5, int(max_score) + 1)),
                                                range=(0, max_score or 1), color="#4c72b0", edgecolor="white"),
                                        ax.set_xlabel("score"), ax.set_ylabel("submissions"),
                                        ax.yaxis.set_major_locator(MaxNLocator(integer=True)),
                                        ax.set_title(f"Scores ({len(scores)} submissions, max {max_score:g})")))
        hardest = sorted(stats, key=lambda s: s["passed"] / max(s["total"], 1))[:15]
        labels = [_label(s["number"], s["name"]) for s in hardest][::-1]
        height = 1.2 + 0.32 * sum(label.count("\n") + 1 for label in labels)
        rates = _figure(lambda ax: (ax.barh(labels, [100 * s["passed"] / max(s["total"], 1) for s in hardest][::-1],
                                            color="#dd8452"),
                                    ax.set_xlim(0, 100), ax.set_xlabel("% of submissions passing"),
                                    ax.set_title("Tests the class fails most"), ax.tick_params(labelsize=7)),
                        size=(8, max(2.5, height)))
    except ImportError:
        histogram = rates = "<p>(matplotlib is not installed: no figures)</p>"
    mean = sum(scores) / len(scores) if scores else 0.0
    q1, median, q3 = quartiles(scores)
    rows = []
    for s in stats:
        messages = "".join(f"<li><b>{count}</b> &times; {html.escape(msg)}</li>"
                           for msg, count in s["messages"].most_common(5))
        partial = f" (+{s['partial']} partial)" if s["partial"] else ""
        rows.append(f"<tr><td>{s['number']}</td><td>{html.escape(s['name'])}</td>"
                    f"<td>{s['passed']}/{s['total']}{partial}</td><td><ul>{messages}</ul></td></tr>")
    trouble = [o for o in outcomes if shown_status(o) != "ok"]
    trouble_rows = "".join(
        f"<tr><td>{html.escape(o.entry.student)}</td><td>{html.escape(o.entry.id)}</td><td>{shown_status(o)}</td>"
        f"<td>{html.escape(trouble_message(o))}</td></tr>"
        for o in trouble) \
        or "<tr><td colspan=4>none</td></tr>"
    counts = Counter(r["status"] for r in students)
    status_line = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    late_count = sum(bool(r["penalty"]) for r in students)
    timing = (f"{len(seconds)} graded now in {sum(seconds):.0f} s of judge time "
              f"(mean {sum(seconds) / len(seconds):.1f} s, max {max(seconds):.1f} s); "
              f"{len(outcomes) - len(seconds)} reused from an earlier run." if seconds
              else f"all {len(outcomes)} results reused from an earlier run." if outcomes
              else "no submission was graded.")
    incomplete = not_graded = ""
    if pending:
        total = len(outcomes) + len(pending)
        incomplete = (f'<div class="incomplete"><b>Incomplete:</b> the batch was interrupted'
                      f'{" by " + html.escape(interrupted) if interrupted else ""}; {len(pending)} of {total} '
                      f"submissions were not graded (listed at the end) and are not in the figures or "
                      f"the scores below. Run the same command again to grade them; finished gradings "
                      f"are reused.</div>")
        not_graded = ("<h2>Not graded (batch interrupted)</h2><table><tr><th>student</th><th>submission</th></tr>"
                      + "".join(f"<tr><td>{html.escape(e.student)}</td><td>{html.escape(e.id)}</td></tr>"
                                for e in pending) + "</table>")
    title = html.escape(assignment.title) + (" (incomplete)" if pending else "")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title}: batch report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;width:100%;margin-bottom:1em}}
td,th{{border:1px solid #ccc;padding:4px 6px;vertical-align:top;font-size:90%;overflow-wrap:anywhere}}
th{{background:#f0f0f0;text-align:left}}table.sortable th{{cursor:pointer}}
table.sortable th[data-order=asc]::after{{content:" \\25B2"}}table.sortable th[data-order=desc]::after{{content:" \\25BC"}}
ul{{margin:0;padding-left:1.2em}}img{{max-width:100%}}
table.tests td:nth-child(1),table.tests td:nth-child(3),table.tests th{{white-space:nowrap}}table.tests td:nth-child(2){{width:28%}}
.summary td{{font-size:100%}}.status-error td,.status-timed-out td{{background:#fff0f0}}
.status-not-loaded td{{background:#fff8e0}}
.incomplete{{border:2px solid #c00;background:#fee;padding:.6em;margin:1em 0;font-size:110%}}</style>
</head><body>
<h1>{title}</h1>
{incomplete}
<table class="summary"><tr><th>submissions</th><th>mean</th><th>Q1</th><th>median</th><th>Q3</th><th>max</th>
<th>statuses</th><th>late</th></tr>
<tr><td>{len(outcomes)}</td><td>{mean:.2f}</td><td>{q1:.2f}</td><td>{median:.2f}</td><td>{q3:.2f}</td>
<td>{max_score:g}</td><td>{html.escape(status_line) or "none"}</td><td>{late_count}</td></tr></table>
<h2>Scores</h2>{histogram}
<h2>Students</h2>
<p>Click a heading to sort; a name opens the submission's feedback as the student sees it.</p>
{_students_table(students, max_score)}
<h2>Per-test pass rates</h2>{rates}
<table class="tests"><tr><th>#</th><th>test</th><th>passed</th><th>most common failure messages</th></tr>{''.join(rows)}</table>
<h2>Not loaded, crashed, timed out or errored</h2>
<table><tr><th>student</th><th>submission</th><th>status</th><th>message</th></tr>{trouble_rows}</table>
{_leaderboard_html(outcomes)}
<!-- extra -->
<h2>Grading time</h2><p>{timing}</p>
{not_graded}
{SORT_SCRIPT}
</body></html>
"""

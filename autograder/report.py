"""The instructor's report for a batch: score histogram, per-test pass rates with the
failure messages grouped, submissions that crashed or timed out, grading time.
Figures are drawn with matplotlib and embedded in the HTML as PNG data."""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .records import TIMED_OUT, number_key

if TYPE_CHECKING:
    from .batch import Outcome
    from .course import Assignment


def _figure(draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=110)
    draw(ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
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
                 interrupted: str | None = None) -> None:
    """Write ``path`` atomically. ``pending``: submissions an interrupted batch did not grade;
    then the page says, at the top, that it is incomplete and lists them."""
    from .batch import atomic_output

    with atomic_output(path) as fh:  # the temp file exists while the figures are drawn
        fh.write(_page(assignment, outcomes, list(pending), interrupted))


def _page(assignment: Assignment, outcomes: list[Outcome], pending: list, interrupted: str | None) -> str:
    scores = [float(o.data.get("score", 0)) for o in outcomes]
    max_score = max((sum(t.get("max_score", 0) for t in o.data.get("tests", [])) for o in outcomes), default=0)
    stats = test_stats(outcomes)
    seconds = [o.seconds for o in outcomes if not o.cached]
    try:
        histogram = _figure(lambda ax: (ax.hist(scores, bins=min(20, max(5, int(max_score) + 1)),
                                                range=(0, max_score or 1), color="#4c72b0", edgecolor="white"),
                                        ax.set_xlabel("score"), ax.set_ylabel("submissions"),
                                        ax.set_title(f"Scores ({len(scores)} submissions, max {max_score:g})")))
        hardest = sorted(stats, key=lambda s: s["passed"] / max(s["total"], 1))[:15]
        rates = _figure(lambda ax: (ax.barh([f"{s['number']} {s['name'][:40]}" for s in hardest][::-1],
                                            [100 * s["passed"] / max(s["total"], 1) for s in hardest][::-1],
                                            color="#dd8452"),
                                    ax.set_xlim(0, 100), ax.set_xlabel("% of submissions passing"),
                                    ax.set_title("Tests the class fails most"), ax.tick_params(labelsize=7)))
    except ImportError:
        histogram = rates = "<p>(matplotlib is not installed: no figures)</p>"
    mean = sum(scores) / len(scores) if scores else 0.0
    rows = []
    for s in stats:
        messages = "".join(f"<li><b>{count}</b> &times; {html.escape(msg)}</li>"
                           for msg, count in s["messages"].most_common(5))
        partial = f" (+{s['partial']} partial)" if s["partial"] else ""
        rows.append(f"<tr><td>{s['number']}</td><td>{html.escape(s['name'])}</td>"
                    f"<td>{s['passed']}/{s['total']}{partial}</td><td><ul>{messages}</ul></td></tr>")
    trouble = [o for o in outcomes if o.status != "ok"]
    trouble_rows = "".join(
        f"<tr><td>{html.escape(o.entry.student)}</td><td>{html.escape(o.entry.id)}</td><td>{o.status}</td>"
        f"<td>{html.escape(trouble_message(o))}</td></tr>"
        for o in trouble) \
        or "<tr><td colspan=4>none</td></tr>"
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
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:90%}}ul{{margin:0;padding-left:1.2em}}
.incomplete{{border:2px solid #c00;background:#fee;padding:.6em;margin:1em 0;font-size:110%}}</style>
</head><body>
<h1>{title}</h1>
{incomplete}
<p>{len(outcomes)} submissions graded; mean score {mean:.2f} / {max_score:g}; {len(trouble)} crashed, timed out or errored.</p>
<h2>Scores</h2>{histogram}
<h2>Per-test pass rates</h2>{rates}
<table><tr><th>#</th><th>test</th><th>passed</th><th>most common failure messages</th></tr>{''.join(rows)}</table>
<h2>Crashed, timed out or errored</h2>
<table><tr><th>student</th><th>submission</th><th>status</th><th>message</th></tr>{trouble_rows}</table>
{_leaderboard_html(outcomes)}
<h2>Grading time</h2><p>{timing}</p>
{not_graded}
</body></html>
"""

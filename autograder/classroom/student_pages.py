"""One HTML page per submission of a batch, ``feedback/<id>.html``: its results as the student
sees them on Gradescope once grades are published (the top message, then every test with its
score and message, figures included), so that an instructor can read what a student read.
The instructor notes (hidden tests: test 0, the written answers for graders) are left out;
report.html links every row to its page. Beside them, ``published/<id>.json``: the same
results as Gradescope's JSON."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..records import number_key

if TYPE_CHECKING:
    from .outcomes import Outcome
    from .publish import Published

FOLDER = "feedback"
STYLE = """body{font-family:sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.6em;border-radius:4px}
.test{border:1px solid #ddd;border-left:6px solid #c44;margin:.8em 0;padding:.2em .8em}
.test.passed{border-left-color:#4a4}.test.partial{border-left-color:#d90}
.test h3{font-size:100%;margin:.5em 0}.score{float:right;font-weight:bold}
img{max-width:100%}"""


def page_name(entry_id: str) -> str:
    """A file name for the submission id that is safe anywhere (ids come from export folders)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", entry_id) + ".html"


def write_pages(published: list[Published], out: Path, title: str) -> None:
    """``out/feedback/<id>.html`` for each submission, and ``out/published/<id>.json``: its
    results as published (publish.py: late rule and written grades applied)."""
    from ..atomic import atomic_write_text

    folder, results = Path(out) / FOLDER, Path(out) / "published"
    folder.mkdir(parents=True, exist_ok=True)
    results.mkdir(exist_ok=True)
    for p in published:
        data = p.results()
        atomic_write_text(folder / page_name(p.outcome.entry.id), page(p.outcome, title, data, p.max_score))
        atomic_write_text(results / (page_name(p.outcome.entry.id)[:-5] + ".json"), json.dumps(data, indent=1))


def page(outcome: Outcome, title: str, data: dict, max_score: float) -> str:
    """``data``: the results as published (Published.results)."""
    tests = sorted((t for t in data.get("tests", []) if isinstance(t, dict) and t.get("visibility") != "hidden"),
                   key=lambda t: number_key(str(t.get("number", ""))))
    score = float(data.get("score", 0))
    blocks = []
    for t in tests:
        got, most = float(t.get("score", 0)), float(t.get("max_score", 0))
        kind = "passed" if t.get("status") == "passed" else "partial" if got > 0 else "failed"
        output = t.get("output") or ""
        # our HTML (a figure's test: <pre> of escaped text, then images), else plain text
        body = output if t.get("output_format") == "html" else (f"<pre>{html.escape(output)}</pre>" if output else "")
        blocks.append(f'<div class="test {kind}"><h3>{html.escape(str(t.get("number")))} '
                      f'{html.escape(str(t.get("name", "")))}<span class="score">{got:g} / {most:g}</span></h3>'
                      f"{body}</div>")
    who = html.escape(outcome.entry.student)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}: {who}</title><style>{STYLE}</style></head><body>
<p><a href="../report.html">&larr; the class report</a></p>
<h1>{html.escape(title)}</h1>
<p><b>{who}</b> (submission {html.escape(outcome.entry.id)}): <b>{score:g} / {max_score:g}</b></p>
<pre>{html.escape(str(data.get("output", "")))}</pre>
{''.join(blocks) or '<p>No tests were graded.</p>'}
</body></html>
"""

"""Written answers: collected from submissions, laid out question by question for graders, and
the grades they give merged back.

Where a student answers (the statement's "Questions" sections, numbered 1, 2, ... across them):

* in the notebook: the Markdown cells tagged ``manual-answer`` (each carries its question's
  number in ``metadata.autograder.question``); a cell left as the placeholder is no answer;
* beside a ``.py`` submission: a file ``answers.md`` with one ``## 1`` (or ``## Question 1``)
  heading per answer;
* in the ``.py`` itself: a module-level ``ANSWERS = {1: "...", 2: "..."}`` of string literals,
  read from the source without running it.

``autograder batch`` writes ``written/question-<n>.html`` (every student's answer to question
n, math rendered by MathJax when the page is opened online, code blocks kept) and
``written-blank.csv`` (submission, student, then ``q<n>`` and ``q<n> comment`` per question);
copied to ``written.csv`` and filled in, ``--written written.csv`` merges it: a test per
question in each student's published results and feedback page, and columns in the
gradebook. Every row is checked before anything is merged. Points per question come from
``[written] points`` in assignment.toml (a list, one per question, or one number for all).
"""
from __future__ import annotations

import ast
import csv
import html
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .statement import ANSWER_PLACEHOLDER, ANSWER_TAG, split_questions, split_statement

MAX_ANSWER_CHARS = 20_000  # an answer longer than this is cut (and says so) on the graders' page
ANSWERS_FILE = "answers.md"
NOTES_NAME = "Written answers (for graders)"


class WrittenError(ValueError):
    """A malformed written.csv or [written] table: the message names the row or key."""


@dataclass(frozen=True)
class Question:
    number: int
    text: str
    points: float | None  # None: [written] points does not say


def questions(assignment) -> list[Question]:
    """The statement's written questions, numbered as the notebook numbers them."""
    if not assignment.statement.exists():
        return []
    texts = []
    for section in split_statement(assignment.statement.read_text()):
        if section.is_questions:
            texts.extend(split_questions(section.body)[1])
    points = _points(getattr(assignment, "written_table", None) or {}, len(texts))
    return [Question(i + 1, text, points[i]) for i, text in enumerate(texts)]


def _points(table: dict, count: int) -> list[float | None]:
    given = table.get("points")
    if given is None:
        return [None] * count
    if isinstance(given, (int, float)):
        return [float(given)] * count
    if not isinstance(given, list) or len(given) != count or not all(isinstance(p, (int, float)) for p in given):
        raise WrittenError(f"[written] points must be a number or a list of {count} numbers (one per question)")
    return [float(p) for p in given]


# --------------------------------------------------------------------------- collecting
def answers_of(submission: Path, slug: str) -> dict[int, str]:
    """A submission's written answers by question number (a folder, a zip, or one file)."""
    files = _files(Path(submission), slug)
    notebook = files.get(f"{slug}.ipynb")
    found = _notebook_answers(notebook) if notebook is not None else {}
    if not found and ANSWERS_FILE in files:
        found = _markdown_answers(files[ANSWERS_FILE].decode("utf-8", "replace"))
    if not found and f"{slug}.py" in files:
        found = _module_answers(files[f"{slug}.py"].decode("utf-8", "replace"))
    return {n: text[:MAX_ANSWER_CHARS] + ("\n\n[... cut]" if len(text) > MAX_ANSWER_CHARS else "")
            for n, text in sorted(found.items()) if text.strip()}


def _files(submission: Path, slug: str) -> dict[str, bytes]:
    """The shallowest ``<slug>.ipynb``, ``<slug>.py`` and ``answers.md`` of a submission."""
    wanted = (f"{slug}.ipynb", f"{slug}.py", ANSWERS_FILE)
    found: dict[str, tuple[int, bytes]] = {}

    def offer(name: str, depth: int, read) -> None:
        base = name.rsplit("/", 1)[-1]
        if base in wanted and "__MACOSX" not in name and (base not in found or depth < found[base][0]):
            found[base] = (depth, read())

    if submission.is_dir():
        for path in submission.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= 2**24:
                rel = path.relative_to(submission).as_posix()
                offer(rel, rel.count("/"), path.read_bytes)
    elif zipfile.is_zipfile(submission):
        with zipfile.ZipFile(submission) as zf:
            for info in zf.infolist()[:10_000]:
                if not info.is_dir() and info.file_size <= 2**24:
                    offer(info.filename, info.filename.count("/"), lambda info=info: zf.read(info))
    elif submission.is_file():
        offer(submission.name, 0, submission.read_bytes)
    return {name: data for name, (_, data) in found.items()}


def _notebook_answers(raw: bytes) -> dict[int, str]:
    try:
        nb = json.loads(raw.decode("utf-8"))
        cells = nb.get("cells", [])
    except (ValueError, AttributeError):
        return {}
    found = {}
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
        number = (meta.get("autograder") or {}).get("question") if isinstance(meta.get("autograder"), dict) else None
        if ANSWER_TAG in (meta.get("tags") or []) and isinstance(number, int):
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            if text.strip() and text.strip() != ANSWER_PLACEHOLDER.strip():
                found[number] = text.strip()
    return found


_ANSWER_HEADING = re.compile(r"^#{1,3}\s*(?:question\s*)?(\d+)\b[.):]?\s*$", re.IGNORECASE)


def _markdown_answers(text: str) -> dict[int, str]:
    found: dict[int, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = _ANSWER_HEADING.match(line.strip())
        if match:
            current = int(match.group(1))
            found[current] = []
        elif current is not None:
            found[current].append(line)
    return {n: "\n".join(lines).strip() for n, lines in found.items()}


def _module_answers(code: str) -> dict[int, str]:
    """``ANSWERS = {1: "..."}`` at module level, as literals: nothing of the file is run."""
    try:
        tree = ast.parse(code)
    except Exception:  # does not compile: no answers from it
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ANSWERS" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return {}
            if isinstance(value, dict):
                return {int(k): v for k, v in value.items()
                        if isinstance(v, str) and str(k).strip().isdigit()}
    return {}


# --------------------------------------------------------------------------- for graders
PAGE_STYLE = """body{font-family:sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
.answer{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.2em 1em}
.answer h3{font-size:100%;margin:.6em 0;color:#555}.none{color:#999;font-style:italic}
pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}
.question{background:#eef3fb;padding:.6em 1em;border-radius:4px}"""
MATHJAX = ('<script>MathJax={tex:{inlineMath:[["$","$"],["\\\\(","\\\\)"]]}};</script>'
           '<script async src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>')


def render_markdown(text: str) -> str:
    """Markdown as graders need it: fenced code blocks kept as code, everything else escaped,
    in paragraphs, with ``$...$`` left for MathJax. (No Markdown library: what a student writes
    must never become HTML of its own.)"""
    parts, code, fence = [], None, ""
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            parts.append("<p>" + "<br>".join(html.escape(line) for line in paragraph) + "</p>")
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if code is not None:
            if stripped.startswith(fence):
                parts.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
        elif stripped.startswith(("```", "~~~")):
            flush()
            code, fence = [], stripped[:3]
        elif not stripped:
            flush()
        else:
            paragraph.append(line)
    flush()
    if code is not None:  # an unclosed fence: still code
        parts.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
    return "".join(parts)


def write_pages(assignment, collected: list[tuple[str, str, dict[int, str]]], out: Path) -> list[Path]:
    """``out/written/question-<n>.html`` per question (every submission's answer, in the order
    given) and ``out/written-blank.csv``. ``collected``: (submission id, student, answers)."""
    from .atomic import atomic_write_text

    asked = questions(assignment)
    folder = Path(out) / "written"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for q in asked:
        blocks = []
        for sub, student, answers in collected:
            answer = answers.get(q.number)
            body = render_markdown(answer) if answer else '<p class="none">(no answer)</p>'
            blocks.append(f'<div class="answer"><h3>{html.escape(student)} ({html.escape(sub)})</h3>{body}</div>')
        points = f" ({q.points:g} points)" if q.points is not None else ""
        answered = sum(q.number in a for _, _, a in collected)
        page = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(assignment.title)}: '
                f"question {q.number}</title><style>{PAGE_STYLE}</style>{MATHJAX}</head><body>"
                f"<h1>{html.escape(assignment.title)}: question {q.number}{points}</h1>"
                f'<div class="question">{render_markdown(q.text)}</div>'
                f"<p>{answered} of {len(collected)} submissions answered.</p>{''.join(blocks)}</body></html>\n")
        path = folder / f"question-{q.number}.html"
        atomic_write_text(path, page)
        written.append(path)
    header = ["submission_id", "student"] + [c for q in asked for c in (f"q{q.number}", f"q{q.number} comment")]
    lines = [header] + [[sub, student] + [""] * (2 * len(asked)) for sub, student, _ in collected]
    atomic_write_text(Path(out) / "written-blank.csv", _csv_text(lines))
    return written


def _csv_text(rows: list[list[str]]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------- grades back
@dataclass(frozen=True)
class WrittenGrade:
    number: int
    points: float
    max_points: float
    comment: str


def read_grades(path: Path, assignment, known_ids: set[str]) -> dict[str, list[WrittenGrade]]:
    """A filled written.csv, every row checked first: an unknown submission, a blank or
    non-numeric cell, points outside [0, the question's maximum], or a missing [written]
    points are errors that name the row; then nothing is merged."""
    asked = questions(assignment)
    if any(q.points is None for q in asked):
        raise WrittenError("[written] points in assignment.toml says how many points each question is worth: "
                           "set it before merging written.csv")
    try:
        rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    except OSError as exc:
        raise WrittenError(f"{path}: {exc.strerror or exc}") from None
    grades: dict[str, list[WrittenGrade]] = {}
    for line, row in enumerate(rows, start=2):
        sub = (row.get("submission_id") or "").strip()
        if sub not in known_ids:
            raise WrittenError(f"{path}, row {line}: unknown submission_id {sub!r}")
        if sub in grades:
            raise WrittenError(f"{path}, row {line}: submission {sub} appears twice")
        marks = []
        for q in asked:
            cell = (row.get(f"q{q.number}") or "").strip()
            try:
                points = float(cell)
            except ValueError:
                raise WrittenError(f"{path}, row {line} ({sub}): q{q.number} is {cell!r}, not a number of points "
                                   "(write 0 for no credit)") from None
            if not 0 <= points <= q.points:
                raise WrittenError(f"{path}, row {line} ({sub}): q{q.number} gives {points:g}, outside 0 to "
                                   f"{q.points:g}")
            marks.append(WrittenGrade(q.number, points, q.points, (row.get(f"q{q.number} comment") or "").strip()))
        grades[sub] = marks
    return grades


def as_tests(grades: list[WrittenGrade]) -> list[dict]:
    """Gradescope test entries for the written grades (numbers W1, W2, ...)."""
    return [{"name": f"Written question {g.number}", "number": f"W{g.number}", "score": g.points,
             "max_score": g.max_points, "status": "passed" if g.points >= g.max_points else "failed",
             "visibility": "visible", "output": g.comment} for g in grades]


def notes_test(answers: dict[int, str]) -> dict:
    """On Gradescope: a 0-point test holding the answers, hidden from students (graders see it
    beside the manual questions they grade them in)."""
    text = "\n\n".join(f"Question {n}:\n{a}" for n, a in sorted(answers.items())) or "(no written answers found)"
    return {"name": NOTES_NAME, "number": "0.1", "score": 0.0, "max_score": 0.0, "status": "passed",
            "visibility": "hidden", "output": text}

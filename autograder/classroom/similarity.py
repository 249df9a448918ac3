"""Similar submissions: the pairs of a class whose own code is most alike (for ``batch``'s report).

Each submission is read as it is graded (:func:`autograder.submission.locate`: a ``.py``, a
notebook's code cells, a folder or a zip), then cut into the top-level functions and classes
that the assignment's template defines. Each function is fingerprinted once with copydetect's
winnowing (tokens, with names, strings and comments abstracted away, so renaming variables or
rewording comments changes nothing), with the template's own code for that function as
copydetect's *boilerplate*: the signature, docstring and provided code every student was handed
match nothing. Every pair of submissions is then compared function by function
(``copydetect.compare_files``).

A pair's score is the larger of two shares, each the part of the two versions' own code (what
is left once the template is removed) that the other one holds too:

* over the whole submissions, functions weighted by their size: short functions
  (``return cross_entropy(p, q) - entropy(p)``) come out the same in many honest submissions,
  so they barely count;
* over the single most alike *substantial* function (at least :data:`SUBSTANTIAL` characters
  of own tokenized code on both sides): one copied long function is suspicious even when the
  rest was written apart, and it would be diluted in the whole.

A flagged pair is something for a person to read, never evidence on its own and never a grade
change.
"""
from __future__ import annotations

import ast
import html
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from copydetect import CodeFingerprint, compare_files, defaults

from ..course import Assignment
from ..submission import locate, template_texts

# copydetect's defaults: a match is at least NOISE characters of tokenized code (about one line:
# names become V, strings S), and every such match is found (a window of 1 keeps every k-gram;
# functions are short, so there is no need to thin their fingerprints out).
NOISE = defaults.NOISE_THRESHOLD
WINDOW = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1

# Default threshold. Honest, independently written solutions of kl_asymmetry share short idioms
# (`.sum(dim=-1) / math.log(base)`, the same two tensors in discussion_example): between the
# reference and three implementations written apart (tests/test_similarity.py) the score stays
# at 0.2 or below, while a copy with renamed variables scores above 0.9 and a single copied long
# function (fit_reverse_kl, about 400 characters of tokenized code) gives that function's 1.0.
# Half in common is therefore well above what the independent pairs reach and well below copies.
THRESHOLD = 0.5
# A function counts on its own only with at least this many characters of own tokenized code
# (names are one character, spaces dropped) in both submissions, about ten lines: below that,
# honest solutions often coincide (in kl_asymmetry, kl_divergence's one line is the same in the
# reference and an independent variant, and discussion_example, two tensors and two calls, has
# 0.67 in common between the reference and another).
SUBSTANTIAL = 200
SHOWN_FUNCTIONS = 3  # functions shown side by side per pair, best match first
# A real function is a few thousand characters; a giant one (generated, or meant to slow the
# report down) is compared, and shown, by its beginning only.
MAX_FUNCTION_CHARS = 50_000


@dataclass
class FunctionMatch:
    """How much one function of two submissions has in common."""

    name: str
    score: float  # share of the two versions' own code found in the other one, 0..1
    code_a: str
    code_b: str
    spans_a: list[tuple[int, int]] = field(default_factory=list)  # matching character ranges of code_a
    spans_b: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Pair:
    """Two submissions whose own code is alike; ``functions`` best match first."""

    id_a: str
    id_b: str
    student_a: str
    student_b: str
    score: float  # the larger of `whole` and the best substantial function's score, 0..1
    whole: float  # share of both submissions' own code found in the other one, 0..1
    functions: list[FunctionMatch] = field(default_factory=list)


@dataclass
class _Submission:
    id: str
    student: str
    people: set[str]  # emails and sids, to tell one person's two submissions apart from two people
    functions: dict[str, tuple[str, CodeFingerprint]]  # name -> (source, fingerprint)


# --------------------------------------------------------------------------- reading code
def top_level_definitions(code: str) -> dict[str, str]:
    """Source of each top-level function and class of ``code`` (decorators included). A name
    defined twice keeps its last definition, the one an import ends up with. Code that does not
    parse gives nothing."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    lines = code.splitlines()
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found[node.name] = "\n".join(lines[first - 1:node.end_lineno]) + "\n"
    return found


def _cells_of(module: str) -> list[str]:
    """The code cells of a notebook as :func:`autograder.submission.notebook_to_module` wrote
    them (a JSON list assigned to ``__notebook_cells__``); a plain ``.py`` is one cell."""
    if not module.startswith("# Generated from a notebook"):
        return [module]
    try:
        for node in ast.parse(module).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "__notebook_cells__"):
                cells = ast.literal_eval(node.value)
                return [c for c in cells if isinstance(c, str)]
    except (SyntaxError, ValueError, RecursionError):
        pass
    return [module]


def graded_definitions(path: Path, slug: str, templates: Iterable[str]) -> dict[str, str]:
    """The top-level functions and classes of the code that grading would run for the submission
    at ``path`` (a notebook: its code cells, each parsed on its own as the grader runs them)."""
    located = locate(path, slug, templates)
    try:
        module = located.path.read_text(errors="replace")
    finally:
        shutil.rmtree(located.path.parent, ignore_errors=True)
    found: dict[str, str] = {}
    for cell in _cells_of(module):
        found.update(top_level_definitions(cell))  # a later cell redefines, as when it runs
    return found


def _fingerprint(name: str, code: str, boilerplate=None, window: int = WINDOW) -> CodeFingerprint:
    return CodeFingerprint(name, NOISE, window, boilerplate=boilerplate, language="python", fp=io.StringIO(code))


# --------------------------------------------------------------------------- comparing
def _spans(slices) -> list[tuple[int, int]]:
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def _compare(name: str, a: tuple[str, CodeFingerprint], b: tuple[str, CodeFingerprint]
             ) -> tuple[float, FunctionMatch]:
    """(characters of own code matched, on both sides together; the function's match)."""
    (code_a, print_a), (code_b, print_b) = a, b
    if print_a.hashes.isdisjoint(print_b.hashes):  # no k-gram in common: skip copydetect's array work
        return 0.0, FunctionMatch(name, 0.0, code_a, code_b)
    _, (share_a, share_b), (slices_a, slices_b) = compare_files(print_a, print_b)
    matched = share_a * print_a.token_coverage + share_b * print_b.token_coverage
    score = matched / (print_a.token_coverage + print_b.token_coverage)
    return matched, FunctionMatch(name, float(score), code_a, code_b, _spans(slices_a), _spans(slices_b))


def _own(submission: _Submission, name: str) -> float:
    """Characters of own tokenized code of one function (0 when the submission lacks it)."""
    return submission.functions[name][1].token_coverage if name in submission.functions else 0.0


def _pair(a: _Submission, b: _Submission) -> Pair:
    """Compare two submissions function by function; the score is described atop this module."""
    matched, functions, best_substantial = 0.0, [], 0.0
    for name in a.functions.keys() & b.functions.keys():
        matched_here, match = _compare(name, a.functions[name], b.functions[name])
        matched += matched_here
        functions.append(match)
        if min(_own(a, name), _own(b, name)) >= SUBSTANTIAL:
            best_substantial = max(best_substantial, match.score)
    total = sum(_own(a, n) for n in a.functions) + sum(_own(b, n) for n in b.functions)
    functions.sort(key=lambda f: (-f.score, f.name))
    whole = matched / total if total else 0.0
    return Pair(a.id, b.id, a.student, b.student, float(max(whole, best_substantial)), float(whole), functions)


def similar_pairs(assignment: Assignment, entries: Iterable, *, top: int = 20,
                  threshold: float = THRESHOLD) -> list[Pair]:
    """The pairs of ``entries`` (:class:`autograder.classroom.export.Entry`) whose own code is most alike,
    best first: at most ``top``, each scoring at least ``threshold``.

    Submissions that cannot be read, and those with no code of their own (the untouched
    template), are left out. An entry is never paired with itself, nor with another entry of
    one of its students (a resubmission is not two people's work)."""
    from ..authoring.templates import template_for  # judge-side only: not shipped in the student bundle

    if assignment.solution.exists():
        template = template_for(assignment.solution)
    elif assignment.template.exists():  # a course checkout without solutions/
        template = assignment.template.read_text(errors="replace")
    else:
        return []  # without the template, nothing tells the students' code from what they were given
    # The template's code for each function, as copydetect's boilerplate: every k-gram of it
    # (window 1), so that nothing handed out counts as the student's own.
    boilerplate = {name: sorted(_fingerprint(f"template:{name}", code, window=1).hashes)
                   for name, code in top_level_definitions(template).items()}
    templates = template_texts(assignment)
    submissions = []
    for entry in entries:
        try:
            definitions = graded_definitions(Path(entry.path), assignment.slug, templates)
        except Exception:  # unreadable (SubmissionError, a broken zip, bad encoding): not compared
            continue
        functions = {}
        for name, code in definitions.items():
            if name not in boilerplate:
                continue
            code = code[:MAX_FUNCTION_CHARS]
            fingerprint = _fingerprint(f"{entry.id}:{name}", code, boilerplate[name])
            if fingerprint.token_coverage > 0:  # no code of its own (left as handed out): nothing to compare
                functions[name] = (code, fingerprint)
        if functions:
            people = {str(s.get(k)).lower() for s in entry.students for k in ("email", "sid") if s.get(k)}
            submissions.append(_Submission(entry.id, entry.student, people, functions))

    pairs = []
    for i, a in enumerate(submissions):
        for b in submissions[i + 1:]:
            if a.id == b.id or a.people & b.people:
                continue
            pair = _pair(a, b)
            if pair.score >= threshold:
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, -p.whole, p.id_a, p.id_b))  # on a tie, the larger copy first
    return pairs[:top]


# --------------------------------------------------------------------------- the report
def _marked(code: str, spans: list[tuple[int, int]]) -> str:
    """``code`` html-escaped, with the ranges found in the other submission in ``<mark>``."""
    out, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(code))
        if start >= end:
            continue
        out.append(html.escape(code[at:start]))
        out.append(f"<mark>{html.escape(code[start:end])}</mark>")
        at = end
    out.append(html.escape(code[at:]))
    return "".join(out)


def _percent(score: float) -> str:
    return f"{100 * score:.0f}%"


def _side_by_side(match: FunctionMatch) -> str:
    column = '<pre style="font-family:monospace;font-size:85%;overflow-x:auto;margin:0">{}</pre>'
    return (f"<h4><code>{html.escape(match.name)}</code>: {_percent(match.score)} in common</h4>"
            '<div style="display:grid;grid-template-columns:1fr 1fr;gap:1em">'
            + column.format(_marked(match.code_a, match.spans_a))
            + column.format(_marked(match.code_b, match.spans_b)) + "</div>")


def similarity_html(pairs: list[Pair]) -> str:
    """The report's section on similar submissions (an HTML fragment); "" when no pair is flagged."""
    if not pairs:
        return ""
    e = html.escape
    rows = []
    for pair in pairs:
        shown = [f for f in pair.functions if f.score > 0][:SHOWN_FUNCTIONS]
        best = ", ".join(f"<code>{e(f.name)}</code> {_percent(f.score)}" for f in shown) or "-"
        rows.append(
            f"<tr><td>{_percent(pair.score)}</td><td>{_percent(pair.whole)}</td>"
            f"<td>{e(pair.student_a)} ({e(pair.id_a)})</td><td>{e(pair.student_b)} ({e(pair.id_b)})</td>"
            f"<td>{best}</td></tr>\n"
            f'<tr><td colspan="5"><details><summary>Side by side: {e(pair.student_a)} (left), '
            f"{e(pair.student_b)} (right)</summary>{''.join(_side_by_side(f) for f in shown)}</details></td></tr>")
    return (
        "<h2>Similar submissions</h2>\n"
        "<p>The pairs whose own code (what is left once the template is removed) is most alike, compared "
        "function by function with copydetect's winnowing, which ignores names, comments and layout. "
        "<i>Whole</i>: the share of the two submissions' own code that the other one holds too; "
        "<i>score</i>: that, or the share of their most alike function of some length "
        "(ten lines or so), whichever is higher. Highlighted code is found in both. "
        "A flagged pair is for a person to look at, never a grade change: short or standard code "
        "is often written the same way independently, and a pair says nothing of who wrote it.</p>\n"
        "<table><thead><tr><th>score</th><th>whole</th><th>submission</th><th>submission</th>"
        "<th>most alike functions</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")

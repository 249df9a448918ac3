"""Student notebooks, generated from the same sources as everything else (``autograder build``
writes ``<slug>.ipynb`` per assignment; see :func:`build_notebook`):

* the statement (``assignments/<slug>/README.md``) as Markdown cells, split at its headings
  (``autograder/statement.py``);
* the starter code: a first code cell with the module preamble (docstring, imports, provided
  code before the first function to write), then one code cell per function or class to fill
  in (the template's code for it, from ``solutions/<slug>.py`` through
  :func:`autograder.authoring.templates.make_template`), with provided code between them in cells
  of its own, in the order of the file, so the notebook runs exactly like the ``.py`` template (its
  ``if __name__ == "__main__":`` block, the command line's entry point, is left out: a Jupyter
  kernel runs as ``__main__``, so the block would run, arguments and all, in the notebook);
* after each function that public tests exercise, a cell tagged ``autograder-check`` that runs
  those tests in place (``autograder/notebooks.py``'s ``check``); the grader drops these cells
  (and magics and ``!`` lines) when it turns a submitted notebook into a module;
* the written questions of the statement, one Markdown cell per question followed by an answer
  cell tagged ``manual-answer`` for manual grading.
"""
from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..course import Assignment
from ..notebooks import check_cell_source, public_test_map
from ..statement import ANSWER_PLACEHOLDER, ANSWER_TAG, split_questions, split_statement, statement_images
from ..submission import NOTEBOOK_CHECK_TAG, code_fingerprint, is_main_guard


@dataclass
class Chunk:
    """A piece of the solution file: ``kind`` is "preamble", "function" (to fill in) or
    "provided"; ``name`` is the function or class for "function" chunks."""

    kind: str
    name: str | None
    solution: str
    template: str


def _region_lines(text: str) -> bool:
    from .templates import BEGIN

    return any(BEGIN.match(line) for line in text.splitlines())


def split_source(source: str, name: str = "<solution>") -> list[Chunk]:
    """Cut a solution file into cells: each top-level statement (with the comments directly
    above it) is a piece; a ``def``/``class`` holding a solution region is a function to fill
    in; pieces before the first such function form the preamble; provided pieces in between
    are grouped. Solution-only pieces (regions marked NO PROMPT: empty in the template)
    travel with the next function, so that each function cell's solution is complete."""
    from .templates import TemplateError, make_template

    tree = ast.parse(source)
    lines = source.splitlines()
    starts: list[int] = []
    previous_end = 0
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while first - 1 >= previous_end and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        starts.append(first)
        previous_end = node.end_lineno
    if starts:
        starts[0] = 0
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    pieces: list[tuple[str, str | None, str, str]] = []  # (kind, name, solution, template)
    pending = ""
    for (lo, hi), node in zip(bounds, tree.body):
        if is_main_guard(node) and not pending:
            continue  # `python <slug>.py`'s entry point: a kernel runs as __main__, so not a cell
        text = pending + "\n".join(lines[lo:hi]) + "\n"
        try:
            template = make_template(text, name)
        except TemplateError:  # a solution region runs past this statement: join the next one
            pending = text
            continue
        pending = ""
        graded = (_region_lines(text) and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and template.strip())
        if graded:
            pieces.append(("function", node.name, text, template))
        elif template.strip():
            pieces.append(("provided", None, text, template))
        else:
            pieces.append(("solution-only", None, text, ""))
    if pending:
        raise TemplateError(f"{name}: a solution region is not closed")

    chunks: list[Chunk] = []
    carry = ""  # solution-only code waiting for the next function
    seen_function = False
    for kind, fname, solution, template in pieces:
        if kind == "solution-only":
            carry += solution
            continue
        if kind == "function":
            seen_function = True
            chunks.append(Chunk("function", fname, carry + solution, template))
            carry = ""
            continue
        kind = "provided" if seen_function else "preamble"
        if chunks and chunks[-1].kind == kind and kind in ("preamble", "provided"):
            last = chunks[-1]
            chunks[-1] = Chunk(kind, None, last.solution + carry + solution, last.template + template)
        else:
            chunks.append(Chunk(kind, None, carry + solution, template))
        carry = ""
    if carry:  # solution-only code at the very end: keep it with the last piece
        if chunks:
            last = chunks[-1]
            chunks[-1] = Chunk(last.kind, last.name, last.solution + carry, last.template)
        else:
            chunks.append(Chunk("preamble", None, carry, ""))
    return [Chunk(c.kind, c.name, _tidy(c.solution), _tidy(c.template)) for c in chunks]


def _tidy(text: str) -> str:
    return text.strip("\n").rstrip() + "\n" if text.strip() else ""


def graded_names(assignment: Assignment) -> list[str]:
    """The functions and classes a student fills in, in the order of the solution file."""
    return [c.name for c in split_source(assignment.solution.read_text(), str(assignment.solution))
            if c.kind == "function"]


HOW_TO = """\
**How to work in this notebook.** Fill in every `TODO` in the code cells below, without renaming
the functions. After each function, run the check cell under it: it runs the public tests of that
function on the code this notebook has run so far, in the grader's sandbox, and prints a table.
Answer the written questions in the cells marked *Your answer here*.

Submit this notebook, `{slug}.ipynb`, on Gradescope, where hidden tests run too; hand in the notebook
or `{slug}.py`, not both (given both, the grader ignores the one that is still the untouched template
and the top of your results says which file it graded). When grading, each code cell runs on its own
(a cell that fails costs only what it defines); check cells, `%magics` and `!shell` lines are ignored.
Keep the notebook in the unzipped student folder, next to `autograder/` and `assignments/`, so that
the check cells find the public tests.
"""


def _md(source: str, **meta):
    import nbformat

    return nbformat.v4.new_markdown_cell(source.rstrip("\n"), metadata=meta)


def _code(source: str, **meta):
    import nbformat

    return nbformat.v4.new_code_cell(source.rstrip("\n"), metadata=meta)


def build_notebook(assignment: Assignment, *, solution: bool = False):
    """The student notebook (``solution=True``: the same notebook with the reference code)."""
    import nbformat

    slug = assignment.slug
    chunks = split_source(assignment.solution.read_text(), str(assignment.solution))
    names = [c.name for c in chunks if c.kind == "function"]
    touched = public_test_map(assignment, names) if assignment.public_tests.exists() else {}
    checked = {n for n in names if any(n in s for s in touched.values())}
    sections = split_statement(assignment.statement.read_text()) if assignment.statement.exists() else []
    first_q = next((i for i, s in enumerate(sections) if s.is_questions), len(sections))
    before, questions = sections[:first_q], sections[first_q:]

    cells = []
    for i, section in enumerate(before):
        cells.append(_md(section.text, autograder={"role": "statement"}))
        if i == 0:
            cells.append(_md(HOW_TO.format(slug=slug), autograder={"role": "instructions"}))
    if not before:
        cells.append(_md(f"# {assignment.title}\n\n" + HOW_TO.format(slug=slug), autograder={"role": "instructions"}))
    cells.append(_md("## Your code\n\nRun the first cell (imports and provided code) before the others.",
                     autograder={"role": "code-heading"}))
    for chunk in chunks:
        code = chunk.solution if solution else chunk.template
        if chunk.kind == "function":
            cells.append(_md(f"### `{chunk.name}`", autograder={"role": "function-heading", "function": chunk.name}))
            cells.append(_code(code, autograder={"role": "function", "function": chunk.name}))
            if chunk.name in checked:
                cells.append(_code(check_cell_source(slug, chunk.name), tags=[NOTEBOOK_CHECK_TAG],
                                   autograder={"role": "check", "function": chunk.name}))
        elif code.strip():
            cells.append(_code(code, autograder={"role": chunk.kind}))
    number = 0
    for section in questions:
        if not section.is_questions:
            cells.append(_md(section.text, autograder={"role": "statement"}))
            continue
        intro, items = split_questions(section.body)
        cells.append(_md("\n\n".join(x for x in (section.heading, intro) if x), autograder={"role": "questions"}))
        for item in items:
            number += 1
            cells.append(_md(item, autograder={"role": "question", "question": number}))
            cells.append(_md(ANSWER_PLACEHOLDER, tags=[ANSWER_TAG], autograder={"role": "answer", "question": number}))

    for index, cell in enumerate(cells):  # deterministic ids: a rebuild gives the same file
        role = cell.metadata["autograder"]["role"]
        cell["id"] = f"{index:03d}-{role}"[:64]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        # `template`: the fingerprint of the code handed out, so that a grader without the
        # solution (the student bundle's `check`) can tell this untouched notebook from work
        "autograder": {"assignment": slug, "solution": solution,
                       "template": code_fingerprint("\n".join(c.template for c in chunks))},
    })
    nbformat.validate(nb)
    return nb


def notebook_text(assignment: Assignment, *, solution: bool = False) -> str:
    import nbformat

    return nbformat.writes(build_notebook(assignment, solution=solution)) + "\n"


def copy_statement_images(assignment: Assignment, folder: Path) -> None:
    for rel in statement_images(assignment):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(assignment.folder / rel, folder / rel)


def write_notebook(assignment: Assignment, out: Path) -> Path:
    """``out/<slug>/<slug>.ipynb``, with the images its statement shows."""
    target = Path(out) / assignment.slug / f"{assignment.slug}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notebook_text(assignment))
    copy_statement_images(assignment, target.parent)
    return target


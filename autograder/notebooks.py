"""Student notebooks, generated from the same sources as everything else, and the check cells
that run inside them.

``autograder build`` writes ``<slug>.ipynb`` per assignment (see :func:`build_notebook`):

* the statement (``assignments/<slug>/README.md``) as Markdown cells, split at its headings;
* the starter code: a first code cell with the module preamble (docstring, imports, provided
  code before the first function to write), then one code cell per function or class to fill
  in (the template's code for it, from ``solutions/<slug>.py`` through
  :func:`autograder.templates.make_template`), with provided code between them in cells of its
  own, in the order of the file, so the notebook runs exactly like the ``.py`` template (its
  ``if __name__ == "__main__":`` block, the command line's entry point, is left out: a Jupyter
  kernel runs as ``__main__``, so the block would run, arguments and all, in the notebook);
* after each function that public tests exercise, a cell tagged ``autograder-check`` that runs
  those tests in place (:func:`check`); the grader drops these cells (and magics and ``!``
  lines) when it turns a submitted notebook into a module;
* the written questions of the statement (a section whose heading says "questions"), one
  Markdown cell per question followed by an answer cell tagged ``manual-answer`` for manual
  grading.

:func:`check` runs in the student's Jupyter kernel. It rebuilds the code the kernel has run
(IPython's input history, in execution order, without check cells, magics and shell escapes),
writes it to a temporary notebook and grades that with the normal engine, public tests only
and only those that call the function: student code runs in the sandboxed child, as with
``autograder check``. Outside a kernel, pass ``notebook=`` (a saved ``.ipynb`` or a ``.py``).

This module is shipped in the student bundle: everything that needs ``templates`` (absent
there) imports it lazily.
"""
from __future__ import annotations

import ast
import dataclasses
import re
import sys
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import Assignment, find_course, load_assignment
from .submission import NOTEBOOK_CHECK_TAG, code_fingerprint, is_main_guard

ANSWER_TAG = "manual-answer"  # Markdown cells where students answer the written questions
CHECK_MARKER = "autograder.notebooks"  # how check cells are recognised in a kernel's history
ANSWER_PLACEHOLDER = "*Your answer here* (double-click this cell to edit it; Markdown and $\\LaTeX$ work)."
QUESTION_HEADING = re.compile(r"\bquestions?\b", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,3})\s+\S")
FENCE = re.compile(r"^\s*(```|~~~)")
ITEM = re.compile(r"^(\d+)[.)]\s+\S")


# --------------------------------------------------------------------------- the code
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


# --------------------------------------------------------------------------- the statement
@dataclass
class Section:
    heading: str  # the heading line ("" for text before the first heading)
    body: str

    @property
    def text(self) -> str:
        return "\n\n".join(x for x in (self.heading, self.body.strip("\n")) if x).strip() + "\n"

    @property
    def is_questions(self) -> bool:
        return bool(self.heading) and bool(QUESTION_HEADING.search(self.heading.lstrip("#")))


def split_statement(markdown: str) -> list[Section]:
    """Split Markdown at headings of levels 1 to 3 (not inside fenced code)."""
    sections: list[Section] = []
    heading, body, fenced = "", [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and HEADING.match(line):
            if heading or any(b.strip() for b in body):
                sections.append(Section(heading, "\n".join(body)))
            heading, body = line.rstrip(), []
        else:
            body.append(line)
    if heading or any(b.strip() for b in body):
        sections.append(Section(heading, "\n".join(body)))
    return sections


def split_questions(body: str) -> tuple[str, list[str]]:
    """The text before the first numbered item, and the items (with their continuation lines)."""
    intro: list[str] = []
    items: list[list[str]] = []
    for line in body.splitlines():
        if ITEM.match(line):
            items.append([line])
        elif items:
            items[-1].append(line)
        else:
            intro.append(line)
    questions = ["\n".join(item).strip() for item in items]
    if not questions and body.strip():
        return "", [body.strip()]
    return "\n".join(intro).strip(), questions


# --------------------------------------------------------------------------- the notebook
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


def check_cell_source(slug: str, function: str) -> str:
    return (f"# Public checks for `{function}` (not part of your submission: ignored when grading).\n"
            f"from {CHECK_MARKER} import check\n"
            f"check({slug!r}, {function!r})")


def public_test_map(assignment: Assignment, names: list[str] | None = None) -> dict[str, set[str]]:
    return tests_touching(assignment.public_tests, names)


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


def statement_images(assignment: Assignment) -> list[str]:
    """The images the statement shows (``![...](path)`` with a relative path to a file of the
    assignment folder), as paths relative to that folder: whoever ships the statement (the
    bundle's README.md, a notebook) puts them beside it, or its links break."""
    if not assignment.statement.exists():
        return []
    found = []
    for link in re.findall(r"!\[[^\]]*\]\(\s*([^)\s]+)", assignment.statement.read_text()):
        path = (assignment.folder / link).resolve()
        if "://" not in link and path.is_file() and path.is_relative_to(assignment.folder.resolve()):
            found.append(path.relative_to(assignment.folder.resolve()).as_posix())
    return sorted(set(found))


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


# --------------------------------------------------------------------------- which test calls what
def tests_touching(test_file: Path, names: list[str] | None = None) -> dict[str, set[str]]:
    """For each ``test_*`` function of a grader test file, the student functions it calls,
    found statically: ``student.f(...)``, and strings naming a student function (``student.call("f")``,
    ``function="f"``, parametrized names), also through module-level helpers, fixtures and
    constants it uses. ``names`` adds known function names to those the file mentions."""
    tree = ast.parse(Path(test_file).read_text())
    known = set(names or ())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "student" \
                and node.attr not in ("call", "run"):
            known.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "student" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            known.add(node.args[0].value)
        elif isinstance(node, ast.keyword) and node.arg == "function" and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            known.add(node.value.value)
        if isinstance(node, ast.Call) and not _is_student_method(node.func):
            # a helper handed the student and a function's name: `_estimates(student, "f", ...)`,
            # `judge.batch_draws(student, "f", ...)` (student.run's strings name *helper* functions)
            args = list(node.args) + [k.value for k in node.keywords]
            if any(isinstance(a, ast.Name) and a.id == "student" for a in args):
                known.update(a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                             and a.value.isidentifier())
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    constants = {}
    for n in tree.body:
        if isinstance(n, (ast.Assign, ast.AnnAssign)):
            for target in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                if isinstance(target, ast.Name):
                    constants[target.id] = n
    memo: dict[str, set[str]] = {}

    def touched(name: str, seen: frozenset) -> set[str]:
        if name in memo:
            return memo[name]
        node = functions.get(name) or constants.get(name)
        found: set[str] = set()
        refs = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "student" \
                    and sub.attr in known:
                found.add(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in known:
                found.add(sub.value)
            elif isinstance(sub, ast.Name):
                refs.add(sub.id)
            elif isinstance(sub, ast.arg):
                refs.add(sub.arg)  # fixtures are requested by parameter name
        for ref in refs:
            if ref != name and ref not in seen and (ref in functions or ref in constants):
                found |= touched(ref, seen | {name})
        memo[name] = found
        return found

    return {name: touched(name, frozenset()) for name in functions if name.startswith("test")}


def _is_student_method(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "student"


def tests_for(touched: dict[str, set[str]], function: str) -> list[str]:
    """The tests to run for ``function``: those that call it, and those whose calls are unknown."""
    return [t for t, names in touched.items() if function in names or not names]


# --------------------------------------------------------------------------- check cells
@dataclass
class _Selected(Assignment):
    """An assignment whose public tests are narrowed to some test functions."""

    selection: tuple = ()

    def test_files(self, public_only: bool) -> list[Path]:
        return [Path(f"{self.public_tests}::{name}") for name in self.selection]


@dataclass
class CheckReport:
    function: str | None
    results: object = None  # autograder.results.Results
    tests: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        r = self.results
        return r is not None and r.ok and r.score == r.max_score and bool(r.tests)

    def __repr__(self) -> str:
        if self.results is None:
            return f"CheckReport({self.function!r}: no public checks)"
        r = self.results
        return f"CheckReport({self.function or 'all'}: {r.score:g}/{r.max_score:g} points, " \
               f"{'all pass' if self.passed else 'some checks fail'})"


def _kernel_history() -> list[str] | None:
    """The cells this IPython kernel has run, in order, or None outside IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return None
    return [c for c in shell.history_manager.input_hist_raw if isinstance(c, str)]


def cells_to_notebook(cells: list[str]) -> str:
    """A notebook holding these code cells, check cells left out."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells if CHECK_MARKER not in c])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nbformat.writes(nb)


def check(slug: str, function: str | None = None, *, notebook: str | Path | None = None,
          course: str | Path | None = None, device: str = "auto", quiet: bool = False) -> CheckReport:
    """Run the public tests of ``function`` (all public tests when None) on the code this
    Jupyter kernel has run, in the sandbox, and print a table. ``notebook`` grades a saved
    notebook or ``.py`` file instead (the only way outside Jupyter)."""
    from .grading import grade
    from .results import render_check

    root = find_course(Path(course) if course else None)
    assignment = load_assignment(root, slug)
    with tempfile.TemporaryDirectory(prefix="ag-check-") as tmp:
        if notebook is not None:
            submission = Path(notebook)
        else:
            history = _kernel_history()
            if history is None:
                raise RuntimeError("check() without notebook= works inside Jupyter; elsewhere pass "
                                   f"notebook='{slug}.ipynb' (saved) or run `python -m autograder check {slug}` "
                                   "in the unzipped student folder")
            submission = Path(tmp) / f"{slug}.ipynb"
            submission.write_text(cells_to_notebook(history))
        touched = public_test_map(assignment)
        selection = list(touched) if function is None else tests_for(touched, function)
        if function is not None and not any(function in s for s in touched.values()):
            if not quiet:
                print(f"No public test calls `{function}` directly; it is graded by the hidden tests.")
            return CheckReport(function)
        fields = {f.name: getattr(assignment, f.name) for f in dataclasses.fields(Assignment)}
        results = grade(_Selected(**fields, selection=tuple(selection)), submission, device=device,
                        public_only=True)
    report = CheckReport(function, results, [t.number for t in results.tests])
    if not quiet:
        what = f"`{function}`" if function else assignment.title
        print(f"Public checks for {what}:\n")
        print(render_check(results))  # e.g. why the code could not be loaded, then the table
        print("\nAll these checks pass. Hidden tests run when you submit." if report.passed else
              "\nSome checks fail: read the messages above, fix the cell, run it, then run this check again.")
    return report

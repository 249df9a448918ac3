"""Student material as teaching code (issue 17, item 7): statements and templates agree.

* One place for each formula: every displayed formula of a docstring in ``solutions/<slug>.py``
  (an RST ``.. math::`` block, which the template and the notebook copy) is also displayed,
  written the same way, in the statement ``assignments/<slug>/README.md``. Whitespace and the
  punctuation that ends a sentence are ignored; anything else that differs is a second version
  of the formula, which is what this test exists to catch.
* No grading rules in the teaching text: docstrings and the statement's sections before its
  "Grading" section do not talk about the grader.
* One heading scheme, the one the notebook builder (autograder/notebooks.py) splits on:
  ``# <title>``, then numbered sections ``## 1. ...``, ``## 2. ...`` (unnumbered ``###``
  subsections inside), ending with ``## N. Questions (answer in words)`` (numbered items, one
  answer cell each) and ``## N+1. Grading`` (after the code in the notebook).
* Each template runs as a script: ``python <slug>.py`` names the first TODO it meets instead
  of a traceback, and the notebook leaves that entry point out.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _slugs() -> list[str]:
    from autograder.course import list_assignments

    return list_assignments(ROOT)


# --------------------------------------------------------------------------- formulas
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
FENCE = re.compile(r"^\s*(```|~~~)")
# what may end a displayed formula in a sentence without being part of it
TRAILING = re.compile(r"(?:[.,;]|\\[,;:!]|\\quad|\\qquad|\\)+$")


def normalise(tex: str) -> str:
    """A formula without its whitespace and without the punctuation that ends a sentence."""
    return TRAILING.sub("", re.sub(r"\s+", "", tex))


def math_blocks(docstring: str) -> list[str]:
    """The formulas of the RST ``.. math::`` blocks of a docstring: the text on the directive's
    line and the lines indented under it; a blank line inside a block starts another formula."""
    formulas: list[str] = []
    lines = docstring.splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)\.\. math::(.*)$", lines[i])
        i += 1
        if not match:
            continue
        indent, current = len(match[1]), [match[2]]
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            if not lines[i].strip():
                formulas.append(" ".join(current))
                current = []
            else:
                current.append(lines[i])
            i += 1
        formulas.append(" ".join(current))
    return [f.strip() for f in formulas if f.strip()]


def docstrings(source: str) -> dict[str, str]:
    """Every docstring of a module, by the qualified name of its owner ("<module>" for the file's)."""
    found = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                doc = ast.get_docstring(child, clean=True)
                if doc:
                    found[name] = doc
                visit(child, f"{name}.")

    tree = ast.parse(source)
    if ast.get_docstring(tree):
        found["<module>"] = ast.get_docstring(tree, clean=True)
    visit(tree, "")
    return found


def statement_displays(markdown: str) -> set[str]:
    """The normalised ``$$ ... $$`` formulas of a statement (fenced code left out)."""
    kept, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return {normalise(m) for m in DISPLAY.findall("\n".join(kept))}


def test_math_blocks_are_read_as_rst_writes_them():
    doc = ("Intro.\n\n.. math::  a = b\n           + c\n\nText.\n\n.. math::\n    x = 1,\n\n    y = 2.\n"
           "\nAfter.\n")
    assert [normalise(f) for f in math_blocks(doc)] == ["a=b+c", "x=1", "y=2"]
    assert statement_displays("$$a = b\n + c.$$\n```\n$$not = this$$\n```\n$$\\mu = 0 ,$$") == {"a=b+c", "\\mu=0"}


@pytest.mark.parametrize("slug", _slugs())
def test_every_docstring_formula_is_the_statements(slug):
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, slug)
    displays = statement_displays(assignment.statement.read_text())
    formulas = {(name, f) for name, doc in docstrings(assignment.solution.read_text()).items()
                for f in math_blocks(doc)}
    assert formulas, f"{slug}: no displayed formula in the docstrings of solutions/{slug}.py"
    missing = [f"{name}: {f}" for name, f in sorted(formulas) if normalise(f) not in displays]
    assert not missing, (f"formulas of solutions/{slug}.py that assignments/{slug}/README.md does not display "
                         "the same way (write each formula once, then copy it exactly):\n" + "\n".join(missing))


# --------------------------------------------------------------------------- grading rules
GRADING_WORDS = re.compile(r"\b(grader|graded|grading|judge[sd]?|tests?|accepted|the autograder)\b", re.IGNORECASE)


def _grading_section(markdown: str) -> int:
    """Where the statement's "Grading" section starts (its heading's offset)."""
    match = re.search(r"^## \d+\. Grading\s*$", markdown, re.MULTILINE)
    assert match, "the statement has no '## N. Grading' section"
    return match.start()


@pytest.mark.parametrize("slug", _slugs())
def test_teaching_text_holds_no_grading_rules(slug):
    """The grader is described in the statement's Grading section only: neither the docstrings
    (the template, the notebook) nor the sections before Grading mention it. The line that says
    how to run the public tests (``python -m autograder check``) is a how-to, not a rule."""
    from autograder.course import load_assignment

    assignment = load_assignment(ROOT, slug)
    markdown = assignment.statement.read_text()
    teaching = markdown[:_grading_section(markdown)]
    found = [f"README.md: {line.strip()}" for line in teaching.splitlines() if GRADING_WORDS.search(line)]
    for name, doc in docstrings(assignment.solution.read_text()).items():
        found += [f"{name}: {line.strip()}" for line in doc.splitlines() if GRADING_WORDS.search(line)]
    assert not found, "grading rules in teaching text (move them to the Grading section):\n" + "\n".join(found)


# --------------------------------------------------------------------------- headings
SECTION = re.compile(r"^## (\d+)\. (\S.*)$")


def _headings(markdown: str) -> list[str]:
    from autograder.statement import FENCE as NOTEBOOK_FENCE, HEADING

    found, fenced = [], False
    for line in markdown.splitlines():
        if NOTEBOOK_FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,6}\s", line):
            assert HEADING.match(line) or line.startswith("####"), line
            found.append(line.rstrip())
    return found


@pytest.mark.parametrize("slug", _slugs())
def test_statement_follows_the_heading_scheme(slug):
    from autograder.course import load_assignment
    from autograder.statement import split_questions, split_statement

    assignment = load_assignment(ROOT, slug)
    markdown = assignment.statement.read_text()
    headings = _headings(markdown)
    assert headings[0] == f"# {assignment.title}", "the first heading is the assignment's title (assignment.toml)"
    assert markdown.startswith(headings[0] + "\n"), "the statement opens with its title"
    assert not [h for h in headings[1:] if h.startswith("# ")], "one level-1 heading: the title"
    assert not [h for h in headings if h.startswith("####")], "three heading levels at most"
    sections = [h for h in headings if h.startswith("## ")]
    unnumbered = [h for h in sections if not SECTION.match(h)]
    assert not unnumbered, f"sections are numbered '## N. Title': {unnumbered}"
    numbers = [int(SECTION.match(h)[1]) for h in sections]
    assert numbers == list(range(1, len(sections) + 1)), f"sections numbered 1, 2, ... in order: {sections}"
    titles = [SECTION.match(h)[2] for h in sections]
    assert titles[-2:] == ["Questions (answer in words)", "Grading"], (
        f"the last two sections are 'Questions (answer in words)' and 'Grading': {titles[-2:]}")
    assert not [h for h in headings if h.startswith("### ") and re.match(r"### (\d|\()", h)], (
        "subsections are not numbered or lettered")
    # what the notebook builder makes of it: one questions section, numbered items, nothing else
    parts = split_statement(markdown)
    questions = [s for s in parts if s.is_questions]
    assert [s.heading for s in questions] == [sections[-2]]
    intro, items = split_questions(questions[0].body)
    assert items and all(re.match(rf"{i}\. ", item) for i, item in enumerate(items, 1)), items


# --------------------------------------------------------------------------- running the files
SCRIPT_RUNS = {  # arguments that keep each solution's run short, and what its output must hold
    "kl_asymmetry": ([], ["KL(p || q) = 0.5108 nats, KL(q || p) = 0.3681 nats", "sigma = 3.162"]),
    "reparameterization": ([], ["dz/dmu = (1.000, 1.000), dz/dlog_var = (0.250, -0.250)"]),
    "vae": (["--epochs", "2", "--samples", "16", "--out", "samples.png"], ["epoch   2:", "Wrote samples.png"]),
    "elbo_bound": ([], ["log p(x) = -2.1563 (by hand: -log 2 pi - log(5/16) / 2 - 9/10 = -2.1563)"]),
    "rate_distortion": (["--epochs", "1", "--betas", "1", "--plot", "rd.png"], ["Wrote rd.png"]),
    "differential_entropy": ([], ["w =     10: H =  0.6931 nats", "8.000 bits per dimension"]),
}

# Runs files as `python FILE ARGS...` would, one after the other in one interpreter (torch is
# imported once): as __main__, with sys.argv set, in a folder of their own; what `python` would
# print on exit (an uncaught exception's traceback, sys.exit's message) goes to stderr.
DRIVER = r"""
import contextlib, io, json, os, runpy, sys, traceback
report = []
for path, args, folder in json.loads(sys.argv[1]):
    out, err, rc = io.StringIO(), io.StringIO(), 0
    os.chdir(folder)
    sys.argv = [path, *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as stop:
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
            rc = stop.code if isinstance(stop.code, int) else 1 if stop.code is not None else 0
        except BaseException:
            traceback.print_exc()
            rc = 1
    report.append({"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue(),
                   "files": sorted(os.listdir(folder))})
print(json.dumps(report))
"""


def _run_files(runs: list[tuple[Path, list[str], Path]]) -> list[dict]:
    import json

    for _, _, folder in runs:
        folder.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps([(str(p), a, str(f)) for p, a, f in runs])],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def template_runs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("templates")
    slugs = _slugs()
    return dict(zip(slugs, _run_files([(ROOT / "student_template" / f"{s}.py", [], root / s) for s in slugs])))


@pytest.fixture(scope="module")
def solution_runs(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("solutions")
    slugs = _slugs()
    return dict(zip(slugs, _run_files([(ROOT / "solutions" / f"{s}.py", SCRIPT_RUNS[s][0], root / s)
                                        for s in slugs])))


@pytest.mark.parametrize("slug", _slugs())
def test_template_run_as_a_script_names_the_first_todo(slug, template_runs):
    run = template_runs[slug]
    assert run["rc"] == 1, run
    assert "Traceback" not in run["stderr"]
    assert re.fullmatch(r"[\w.]+ \(line \d+\) is still a TODO: fill it in, then run this file again\.\n",
                        run["stderr"]), run["stderr"]
    line = int(re.search(r"line (\d+)", run["stderr"])[1])
    source = (ROOT / "student_template" / f"{slug}.py").read_text().splitlines()
    assert source[line - 1].strip() == "raise NotImplementedError", source[line - 1]
    assert run["files"] == [], "a template that stops at a TODO writes nothing"


@pytest.mark.parametrize("slug", _slugs())
def test_solution_runs_as_a_script(slug, solution_runs):
    """``python solutions/<slug>.py`` (the template once filled in) runs its examples; the
    figures it is asked for are written where it runs."""
    run, (args, expected) = solution_runs[slug], SCRIPT_RUNS[slug]
    assert run["rc"] == 0, run["stderr"]
    for text in expected:
        assert text in run["stdout"], (text, run["stdout"])
    assert run["files"] == sorted(a for a in args if a.endswith(".png")), run["files"]


def test_a_template_run_as_a_real_script_exits_with_the_todo(tmp_path):
    """The same as python itself runs it (the driver above imitates this)."""
    done = subprocess.run([sys.executable, str(ROOT / "student_template" / "kl_asymmetry.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stderr.startswith("entropy (line "), done.stderr
    assert done.stdout.startswith("p = (0.5, 0.5)")  # what ran before the TODO


@pytest.mark.parametrize("slug", _slugs())
def test_notebook_leaves_out_the_script_entry_point(slug):
    from autograder.course import load_assignment
    from autograder.authoring.student_notebook import build_notebook

    assignment = load_assignment(ROOT, slug)
    assert '\nif __name__ == "__main__":\n' in assignment.solution.read_text()
    code = [c.source for c in build_notebook(assignment).cells if c.cell_type == "code"]
    assert not [c for c in code if "__main__" in c]
    assert any("def main(" in c for c in code)  # the examples stay, to call by hand

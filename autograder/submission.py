"""Find the student's file in what they handed in: a ``.py``, a notebook, a folder or a zip.

The result is always one Python source file for the child to import. A notebook becomes
a module that runs its code cells one by one, so a cell that fails costs only what it
would have defined; check cells (ours, and Otter-Grader's), magics and shell escapes are
dropped, never executed.

When a folder or zip holds several candidate files (``<slug>.py`` and ``<slug>.ipynb``, or
copies in nested folders), the grader never silently grades an untouched template (see
:func:`_pick`): a candidate that is still the template as handed out (same code, comments
and blank lines aside) is ignored when another candidate differs from it; among those that
hold work, the one with the fewest ``raise NotImplementedError`` statements left is graded
(a ``.py`` that does not compile, or a notebook that cannot be read, comes last), and on a
tie the brief's order decides: ``<slug>.py`` before ``<slug>.ipynb``, shallowest first. The
rule is static (no candidate is run), so it costs milliseconds and gives the same answer in
``check`` and on Gradescope; the output says which file was graded, why, and which were
ignored. The template is known from ``solutions/`` (the judge), ``student_template/`` (a
course checkout), or the fingerprint the student notebook carries in its metadata (the
student bundle, where neither exists).
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

MAX_FILE_BYTES = 5 * 2**20
MAX_CANDIDATES = 20  # files named <slug>.py / <slug>.ipynb weighed against each other
BUNDLE_FOLDERS = ("autograder", "assignments")  # the student bundle's own code, never the student's
NOTEBOOK_CHECK_TAG = "autograder-check"  # cells with this tag only run the public checks
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints")
# Otter-Grader's own cells (its init cell, `grader.check("q1")`, `grader.export()`) only run
# Otter's checks, like our check cells: a notebook written for Otter is graded without them.
OTTER_LINE = re.compile(r"\s*(#.*|import otter|grader\s*=\s*otter\.Notebook\(.*\)"
                        r"|grader\.(check|check_all|export|to_pdf)\(.*\)\s*;?)?\s*")


class SubmissionError(Exception):
    """Nothing gradable was found; the message lists what was."""


@dataclass
class Located:
    path: Path  # a .py file ready for the child
    notes: list[str] = field(default_factory=list)


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p in IGNORED_PARTS or p.startswith("._") for p in parts)


def _order(name: str, slug: str) -> tuple | None:
    """Where a file named ``<slug>.py`` or ``<slug>.ipynb`` comes in the brief's order (the
    ``.py`` first, shallowest first); None for other files."""
    path = PurePosixPath(name)
    if _ignored(name) or path.name not in (f"{slug}.py", f"{slug}.ipynb"):
        return None
    return (path.suffix != ".py", len(path.parts), name)


def _others(names: list[str], chosen: list[str]) -> list[str]:
    """Python files and notebooks that are neither candidates nor the student bundle's own code."""
    return [n for n in names if n.endswith((".py", ".ipynb")) and n not in chosen and not _ignored(n)
            and not (len(PurePosixPath(n).parts) > 1 and set(PurePosixPath(n).parts[:-1]) & set(BUNDLE_FOLDERS))]


def _lone(names: list[str], slug: str) -> tuple[str | None, list[str]]:
    candidates = [n for n in names if not _ignored(n) and n.endswith((".py", ".ipynb"))]
    if len(candidates) == 1:
        return candidates[0], [f"No file named {slug}.py or {slug}.ipynb was found; "
                               f"graded {candidates[0]}, the only Python file or notebook."]
    return None, []


# --------------------------------------------------------------------------- which candidate
def code_fingerprint(code: str) -> str:
    """What "untouched template" compares: the code without its ``if __name__ == "__main__":``
    block (the notebook leaves it out, and it is not graded), comment-only lines, blank lines
    and trailing spaces (so a deleted TODO comment or a reformatted gap is no work), hashed.
    Plain text, so the fingerprint a notebook carries holds on any Python version."""
    lines = [ln.rstrip() for ln in _without_main_guard(code).splitlines()]
    kept = [ln for ln in lines if ln and not ln.lstrip().startswith("#")]
    return hashlib.sha256("\n".join(kept).encode("utf-8", "replace")).hexdigest()


def is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` at the top level of a file."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _without_main_guard(code: str) -> str:
    try:
        tree = ast.parse(code)
    except Exception:  # does not compile: compared as written
        return code
    lines = code.splitlines()
    for node in reversed(tree.body):
        if is_main_guard(node):
            del lines[node.lineno - 1:node.end_lineno]
    return "\n".join(lines)


def stubs_left(code: str) -> int | None:
    """How many ``raise NotImplementedError`` statements ``code`` holds (None: it does not compile)."""
    try:
        tree = ast.parse(code)
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError (absurd nesting)
        return None
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            count += isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return count


@dataclass
class Candidate:
    name: str
    raw: bytes | None  # None: larger than MAX_FILE_BYTES (not read)
    fingerprint: str | None = None
    stubs: int | None = None  # None: does not compile, is not a readable notebook, or too large
    template_prints: set = field(default_factory=set)  # what a notebook says its template was
    problem: str = ""

    @classmethod
    def read(cls, name: str, raw: bytes | None) -> "Candidate":
        if raw is None:
            return cls(name, None, problem=f"larger than {MAX_FILE_BYTES // 2**20} MB")
        if name.endswith(".ipynb"):
            try:
                cells, metadata = _notebook(raw)
            except Exception:
                return cls(name, raw, problem="not a readable notebook")
            meta = metadata.get("autograder") if isinstance(metadata.get("autograder"), dict) else {}
            prints = {meta["template"]} if re.fullmatch(r"[0-9a-f]{64}", str(meta.get("template", ""))) else set()
            stubs = sum(stubs_left(c) or 0 for c in cells)  # a cell that does not compile costs only itself
            return cls(name, raw, code_fingerprint("\n".join(cells)), stubs, prints)
        code = raw.decode("utf-8", "replace")
        stubs = stubs_left(code)
        return cls(name, raw, code_fingerprint(code), stubs, problem="" if stubs is not None else "does not compile")

    def describe(self, untouched: bool) -> str:
        if untouched:
            return "the untouched template"
        if self.problem:
            return self.problem
        return f"{self.stubs} `raise NotImplementedError` left"


def _pick(candidates: list[Candidate], slug: str, templates: Iterable[str],
          others: list[str]) -> tuple[Candidate, list[str]]:
    """The candidate to grade (``candidates`` in the brief's order) and what to tell the student."""
    prints = {code_fingerprint(t) for t in templates}
    for c in candidates:
        prints |= c.template_prints
    untouched = [c for c in candidates if c.fingerprint is not None and c.fingerprint in prints]
    worked = [c for c in candidates if c not in untouched]
    notes: list[str] = []
    if len(candidates) == 1:
        chosen = candidates[0]
    elif worked:
        chosen = min(worked, key=lambda c: (c.stubs is None, c.stubs or 0))  # min keeps the first on a tie
        names = ", ".join(c.name for c in candidates)
        if len(worked) == 1:
            why = (f"it holds your work; {_and(c.name for c in untouched)} "
                   f"{'is' if len(untouched) == 1 else 'are'} still the untouched template")
        else:
            tied = [c.name for c in worked if c is not chosen and c.stubs == chosen.stubs and not c.problem]
            why = ("of the files that hold work, it has the fewest `raise NotImplementedError` statements "
                   f"left ({chosen.stubs})" if chosen.stubs is not None else
                   "no file that holds work compiles; it comes first")
            if tied:
                why += f", as many as {_and(tied)}: {slug}.py comes before {slug}.ipynb, shallower folders first"
        ignored = "; ".join(f"{c.name} ({c.describe(c in untouched)})" for c in candidates if c is not chosen)
        notes.append(f"Your submission holds {len(candidates)} files that could be graded: {names}. "
                     f"Graded {chosen.name}: {why}. Ignored: {ignored}. "
                     f"Hand in only the file you worked in ({slug}.py or {slug}.ipynb).")
    else:
        chosen = candidates[0]
        notes.append(f"Your submission holds {len(candidates)} files that could be graded: "
                     f"{', '.join(c.name for c in candidates)}; every one is still the untouched template. "
                     f"Graded {chosen.name}, the first in the order {slug}.py, then {slug}.ipynb, "
                     "shallowest folder first.")
    if chosen in untouched:
        note = (f"{chosen.name} is still the template as handed out (no function filled in), so every "
                "test fails. Did you hand in the file you worked in?")
        if others:
            shown = ", ".join(others[:10]) + (", ..." if len(others) > 10 else "")
            note += (f" Your submission also holds {shown}: if your work is in one of them, name it "
                     f"{slug}.py (or {slug}.ipynb for a notebook) and hand in only that file.")
        notes.append(note)
    return chosen, notes


def _and(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _no_file_message(slug: str, names: list[str]) -> str:
    shown = [n for n in names if not _ignored(n)][:50]
    listing = "\n".join(f"  {n}" for n in shown) or "  (no files)"
    return (f"Could not find {slug}.py or {slug}.ipynb in your submission. Rename your file to "
            f"{slug}.py and submit again. Files found:\n{listing}")


def _notebook(raw: bytes) -> tuple[list[str], dict]:
    """The code cells of a notebook as they are graded (check cells, cell magics, ``%`` and
    ``!`` lines and Otter's own cells dropped), and the notebook's metadata."""
    try:
        import nbformat

        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        cells = [(c.cell_type, c.source, list(c.get("metadata", {}).get("tags", []))) for c in nb.cells]
        metadata = dict(nb.get("metadata", {}))
    except ImportError:  # nbformat is a dependency, but a plain JSON read does the same job
        nb = json.loads(raw.decode("utf-8"))
        cells = [(c.get("cell_type"), "".join(c.get("source", "")) if isinstance(c.get("source"), list)
                  else c.get("source", ""), c.get("metadata", {}).get("tags", [])) for c in nb.get("cells", [])]
        metadata = nb.get("metadata", {}) if isinstance(nb.get("metadata"), dict) else {}
    sources = []
    for kind, source, tags in cells:
        if kind != "code" or NOTEBOOK_CHECK_TAG in tags:
            continue
        if source.lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python
            continue
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        if not all(OTTER_LINE.fullmatch(ln) for ln in lines):  # not blank, not only Otter's checks
            sources.append("\n".join(lines))
    return sources, metadata


def notebook_to_module(raw: bytes) -> str:
    """Python source that runs a notebook's code cells, each on its own."""
    sources, _ = _notebook(raw)
    return (
        "# Generated from a notebook: each code cell runs on its own, so one failing cell\n"
        "# does not stop the others. codeop.Compile carries `from __future__` imports from a\n"
        "# cell to the next, as Jupyter does.\n"
        "import codeop as __codeop__\n"
        "__compile_cell__ = __codeop__.Compile()\n"
        f"__notebook_cells__ = {json.dumps(sources)}\n"
        "for __cell_number__, __cell_source__ in enumerate(__notebook_cells__, 1):\n"
        "    try:\n"
        "        exec(__compile_cell__(__cell_source__, f'<notebook cell {__cell_number__}>', 'exec'), globals())\n"
        "    except Exception as __cell_error__:\n"
        "        print(f'notebook cell {__cell_number__} failed: {__cell_error__!r}')\n"
    )


def _as_module(name: str, raw: bytes | None, workdir: Path) -> Path:
    if raw is None or len(raw) > MAX_FILE_BYTES:
        raise SubmissionError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    target = workdir / "submission.py"
    if name.endswith(".ipynb"):
        try:
            target.write_text(notebook_to_module(raw))
        except Exception as exc:  # nbformat raises several kinds for broken JSON
            raise SubmissionError(f"{name} is not a readable Jupyter notebook ({type(exc).__name__}).") from None
    else:
        target.write_bytes(raw)
    return target


def locate(submission: Path, slug: str, templates: Iterable[str] = ()) -> Located:
    """Turn whatever was submitted into one Python file in a fresh temporary folder.
    ``templates``: the template texts handed out (see :func:`template_texts`), to tell an
    untouched template from work when a submission holds several candidates."""
    if not submission.exists():
        raise SubmissionError(f"{submission} does not exist.")
    workdir = Path(tempfile.mkdtemp(prefix="ag-submission-"))
    if submission.is_dir():
        files = sorted(str(p.relative_to(submission).as_posix()) for p in submission.rglob("*")
                       if p.is_file() and not p.is_symlink())

        def read(name: str) -> bytes | None:
            path = submission / name
            return path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None

        return _locate_in(files, read, slug, templates, workdir)
    if submission.suffix == ".zip" or zipfile.is_zipfile(submission):
        try:
            with zipfile.ZipFile(submission) as zf:
                infos = {i.filename: i for i in zf.infolist()[:10_000] if not i.is_dir()}

                def read(name: str) -> bytes | None:
                    info = infos[name]
                    return zf.read(info) if info.file_size <= MAX_FILE_BYTES else None

                return _locate_in(list(infos), read, slug, templates, workdir)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError):
            raise SubmissionError(f"{submission.name} is not a readable zip file.") from None
    if submission.suffix in (".py", ".ipynb"):
        raw = submission.read_bytes() if submission.stat().st_size <= MAX_FILE_BYTES else None
        candidate = Candidate.read(submission.name, raw)
        _, notes = _pick([candidate], slug, templates, [])
        return Located(_as_module(submission.name, raw, workdir), notes)
    raise SubmissionError(f"{submission.name} is not a .py file, a notebook, a folder or a zip; "
                          f"submit {slug}.py.")


def _locate_in(names: list[str], read, slug: str, templates: Iterable[str], workdir: Path) -> Located:
    named = sorted((n for n in names if _order(n, slug) is not None), key=lambda n: _order(n, slug))
    named = named[:MAX_CANDIDATES]
    if not named:
        chosen, notes = _lone(names, slug)
        if chosen is None:
            raise SubmissionError(_no_file_message(slug, names))
        return Located(_as_module(chosen, read(chosen), workdir), notes)
    candidates = [Candidate.read(n, read(n)) for n in named]
    chosen, notes = _pick(candidates, slug, templates, _others(names, named))
    return Located(_as_module(chosen.name, chosen.raw, workdir), notes)


def template_texts(assignment) -> list[str]:
    """The template as handed out, where this machine has it: generated from ``solutions/``
    (the judge), or ``student_template/`` (a course checkout). The student bundle has
    neither; there the notebook's own fingerprint serves (see :class:`Candidate`)."""
    texts = []
    if assignment.solution.exists():
        try:
            from .authoring.templates import template_for  # not shipped in the student bundle

            texts.append(template_for(assignment.solution))
        except Exception:  # a broken solution file is reported by the grading itself
            pass
    if assignment.template.exists():
        texts.append(assignment.template.read_text(errors="replace"))
    return texts

"""Find the student's file in what they handed in: a ``.py``, a notebook, a folder or a zip.

The result is always one Python source file for the child to import. A notebook becomes
a module that runs its code cells one by one, so a cell that fails costs only what it
would have defined; check cells (ours, and Otter-Grader's), magics and shell escapes are
dropped, never executed.
"""
from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 5 * 2**20
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


def _choose(names: list[str], slug: str) -> tuple[str | None, list[str]]:
    """Pick ``<slug>.py``, then ``<slug>.ipynb`` (shallowest first), then a lone candidate."""
    candidates = [n for n in names if not _ignored(n) and n.endswith((".py", ".ipynb"))]
    by_depth = sorted(candidates, key=lambda n: (len(PurePosixPath(n).parts), n))
    for wanted in (f"{slug}.py", f"{slug}.ipynb"):
        for name in by_depth:
            if PurePosixPath(name).name == wanted:
                return name, []
    if len(candidates) == 1:
        return candidates[0], [f"No file named {slug}.py or {slug}.ipynb was found; "
                               f"graded {candidates[0]}, the only Python file or notebook."]
    return None, []


def _no_file_message(slug: str, names: list[str]) -> str:
    shown = [n for n in names if not _ignored(n)][:50]
    listing = "\n".join(f"  {n}" for n in shown) or "  (no files)"
    return (f"Could not find {slug}.py or {slug}.ipynb in your submission. Rename your file to "
            f"{slug}.py and submit again. Files found:\n{listing}")


def notebook_to_module(raw: bytes) -> str:
    """Python source that runs a notebook's code cells, each on its own."""
    try:
        import nbformat

        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        cells = [(c.cell_type, c.source, list(c.get("metadata", {}).get("tags", []))) for c in nb.cells]
    except ImportError:  # nbformat is a dependency, but a plain JSON read does the same job
        nb = json.loads(raw.decode("utf-8"))
        cells = [(c.get("cell_type"), "".join(c.get("source", "")) if isinstance(c.get("source"), list)
                  else c.get("source", ""), c.get("metadata", {}).get("tags", [])) for c in nb.get("cells", [])]
    sources = []
    for kind, source, tags in cells:
        if kind != "code" or NOTEBOOK_CHECK_TAG in tags:
            continue
        if source.lstrip().startswith("%%"):  # a cell magic: the whole cell is not Python
            continue
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        if not all(OTTER_LINE.fullmatch(ln) for ln in lines):  # not blank, not only Otter's checks
            sources.append("\n".join(lines))
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


def _as_module(name: str, raw: bytes, workdir: Path) -> Path:
    if len(raw) > MAX_FILE_BYTES:
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


def locate(submission: Path, slug: str) -> Located:
    """Turn whatever was submitted into one Python file in a fresh temporary folder."""
    workdir = Path(tempfile.mkdtemp(prefix="ag-submission-"))
    notes: list[str] = []
    if not submission.exists():
        raise SubmissionError(f"{submission} does not exist.")
    if submission.is_dir():
        files = sorted(str(p.relative_to(submission).as_posix()) for p in submission.rglob("*")
                       if p.is_file() and not p.is_symlink())
        chosen, notes = _choose(files, slug)
        if chosen is None:
            raise SubmissionError(_no_file_message(slug, files))
        return Located(_as_module(chosen, (submission / chosen).read_bytes(), workdir), notes)
    if submission.suffix == ".zip" or zipfile.is_zipfile(submission):
        try:
            with zipfile.ZipFile(submission) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()][:10_000]
                names = [i.filename for i in infos]
                chosen, notes = _choose(names, slug)
                if chosen is None:
                    raise SubmissionError(_no_file_message(slug, names))
                info = zf.getinfo(chosen)
                if info.file_size > MAX_FILE_BYTES:
                    raise SubmissionError(f"{chosen} is larger than {MAX_FILE_BYTES // 2**20} MB.")
                raw = zf.read(info)
        except zipfile.BadZipFile:
            raise SubmissionError(f"{submission.name} is not a readable zip file.") from None
        return Located(_as_module(chosen, raw, workdir), notes)
    if submission.suffix in (".py", ".ipynb"):
        return Located(_as_module(submission.name, submission.read_bytes(), workdir), notes)
    raise SubmissionError(f"{submission.name} is not a .py file, a notebook, a folder or a zip; "
                          f"submit {slug}.py.")

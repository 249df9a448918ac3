"""Wrong sample submissions are mutations: a file under ``assignments/<slug>/samples/wrong/``
holds only the mistake, i.e. the top-level definitions (functions, classes, assignments)
that differ from the reference ``solutions/<slug>.py``, after its docstring and its
``# expect-fail: N.M ...`` line. `build_sample` turns it into the module a student could
have handed in: the reference with those definitions replaced in place (new ones go just
before the next replaced one, or after the reference's last definition), the mutation's own
imports added after the reference's, and the reference's ``from __future__`` first. A
replaced function or class without a docstring keeps the reference's (a student keeps the
template's). The built module starts with a comment that names the sample.

Lines a mutation may carry after its docstring:

* ``# base: correct/<name>.py``: mutate that sample (a correct variant of the same
  assignment, path relative to ``assignments/<slug>/samples/``) instead of the reference;
* ``# remove: name ...``: the reference's top-level definitions the student lost;
* ``# patch: Class ...``: the methods (and class attributes) written in these classes
  replace the reference class's own of the same name, and new ones are appended to it;
  without this line a class replaces the reference's whole.

Correct variants, notebooks, zips and folders are whole submissions and are graded as
they are: `build_sample` returns their path unchanged. No pytest needed here: instructors'
scripts (benchmarks/, calibration scripts) import this module too, and find the samples
with `samples_folder` and `all_samples`, as the tests do.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: this checkout's engine, not an installed one
    sys.path.insert(0, str(ROOT))

from autograder.contract import SAMPLES_FOLDER  # noqa: E402

ASSIGNMENTS = ROOT / "assignments"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def samples_folder(slug: str) -> Path:
    """``assignments/<slug>/samples``: the assignment's sample submissions, in correct/ and
    wrong/ (never shipped, see autograder/authoring/layout.py ``never_shipped``)."""
    return ASSIGNMENTS / slug / SAMPLES_FOLDER


def all_samples() -> list[Path]:
    """Every assignment's samples, sorted: the ``.py``, ``.ipynb`` and ``.zip`` files and the
    folders in ``samples/correct/`` and ``samples/wrong/`` (a ``.expect`` file is the marker of
    a notebook, zip or folder of the same name, not a sample)."""
    return sorted(p for p in ASSIGNMENTS.glob(f"*/{SAMPLES_FOLDER}/*/*")
                  if p.suffix in (".py", ".ipynb", ".zip") or p.is_dir())


def slug_of(path: Path) -> str:
    """The assignment of the sample ``path`` (``assignments/<slug>/samples/<kind>/<name>``)."""
    return Path(path).resolve().parent.parent.parent.name


def sample_id(path: Path) -> str:
    """``<slug>/<kind>/<name>`` (``kl_asymmetry/correct/loops.py``): a sample's test id."""
    path = Path(path).resolve()
    return f"{slug_of(path)}/{path.parent.name}/{path.name}"


def is_mutation(path: Path) -> bool:
    """A ``.py`` file in some ``assignments/<slug>/samples/wrong/``."""
    path = Path(path).resolve()
    return (path.suffix == ".py" and path.is_file() and path.parent.name == "wrong"
            and path.parent.parent == samples_folder(path.parent.parent.parent.name))


def built_folder() -> Path:
    """Where built samples are written by default (per user)."""
    return Path(tempfile.gettempdir()) / f"autograder-built-samples-{os.getuid()}"


def build_sample(path: Path, folder: Path | None = None) -> Path:
    """The file to grade for the sample ``path``: for a mutation, the built module, written to
    ``folder/<slug>/wrong/<same name>.py``; any other sample as it is. By default the folder is
    `built_folder`/<digest of the built text>: two checkouts (or a reference edited between two
    runs) never share a file, and a file once written never changes."""
    path = Path(path)
    if not is_mutation(path):
        return path
    path = path.resolve()
    slug = slug_of(path)
    text = build_source(path)
    if folder is None:
        folder = built_folder() / hashlib.sha256(text.encode()).hexdigest()[:16]
    target = Path(folder) / slug / "wrong" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text() != text:
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        partial.write_text(text)
        os.replace(partial, target)  # atomic: a concurrent run never reads half a file
    return target


def base_of(path: Path) -> Path:
    """The whole module the mutation ``path`` changes: its ``# base:`` or the reference."""
    path = Path(path).resolve()
    samples = path.parent.parent
    match = re.search(r"^# base:(.*)$", path.read_text(), re.M)
    if not match:
        return ROOT / "solutions" / f"{slug_of(path)}.py"
    base = (samples / match.group(1).strip()).resolve()
    if not base.is_file() or base.parent != samples / "correct":
        raise ValueError(f"{path}: '# base:' must name a file in {samples / 'correct'}: {base}")
    return base


def build_source(path: Path) -> str:
    """The source of the built module for the mutation ``path``."""
    path = Path(path).resolve()
    base = base_of(path)
    return build(path.read_text(), base.read_text(),
                 sample=_shown(path), base_name=_shown(base))


def _shown(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------- the builder
@dataclass
class _Item:
    """One statement of a body: its names and its text (leading comments and decorators included)."""
    node: ast.stmt
    names: tuple[str, ...]
    text: str   # the statement's own lines, with the comment lines right above it
    gap: str    # the lines between the previous statement and this one's text (blank lines, loose comments)
    start: int  # 0-based index of the text's first line
    end: int    # 0-based index of the line after the text


def names_of(node: ast.stmt) -> tuple[str, ...]:
    """The top-level names a definition binds (empty for imports and other statements)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names: list[str] = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return tuple(names)


def _items(lines: list[str], body: list[ast.stmt], start: int, stop: int | None = None) -> tuple[list[_Item], str]:
    """Split ``lines[start:stop]``, which hold the statements ``body``, into items; also the text
    after the last one. Every item's text ends with a newline."""
    items = []
    previous_end = start  # 0-based index of the first line not yet taken
    for node in body:
        first = _first_line(node)
        lead = first
        while lead > previous_end and lines[lead - 1].strip().startswith("#"):
            lead -= 1
        end = _last_line(lines, node)
        items.append(_Item(node, names_of(node), "".join(lines[lead:end]), "".join(lines[previous_end:lead]),
                           lead, end))
        previous_end = end
    return items, "".join(lines[previous_end:stop])


def _last_line(lines: list[str], node: ast.stmt) -> int:
    """0-based index of the line after the statement, its trailing comments included: comment
    lines indented deeper than the statement (``# END SOLUTION`` after a function's return)."""
    end = scan = node.end_lineno
    while scan < len(lines):
        line = lines[scan]
        if line.strip() and not (line.lstrip().startswith("#") and len(line) - len(line.lstrip()) > node.col_offset):
            break
        scan += 1
        if line.strip():
            end = scan
    return end


def _first_line(node: ast.stmt) -> int:
    """0-based index of the statement's first line, its decorators included."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1


def _bindings(node: ast.stmt) -> list[tuple[str, str]]:
    """(name bound, what it is) for each name an import statement binds; [] for other statements."""
    if isinstance(node, ast.Import):
        return [(a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]) for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [(a.asname or a.name, f"{'.' * node.level}{node.module}:{a.name}") for a in node.names]
    return []


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _directive(text: str, word: str) -> list[str]:
    return [name for match in re.finditer(rf"^# {word}:(.*)$", text, re.M)
            for name in match.group(1).replace(",", " ").split()]


def _terminated(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def build(mutation: str, base: str, *, sample: str = "the mutation", base_name: str = "the reference") -> str:
    """The module ``base`` with the top-level definitions of ``mutation`` put in (see the module
    docstring). Raises ValueError where the mutation cannot be applied as written."""
    base_lines = _terminated(base).splitlines(keepends=True)
    mutation_lines = _terminated(mutation).splitlines(keepends=True)
    base_items, base_tail = _items(base_lines, ast.parse(base).body, 0)
    mutation_tree = ast.parse(mutation)
    mutation_items, _ = _items(mutation_lines, mutation_tree.body, 0)

    # The head: the mutation's docstring and the comment lines up to its first statement
    # (expect-fail, directives). It takes the place of the base's docstring.
    if mutation_items and _is_docstring(mutation_items[0].node):
        mutation_items.pop(0)
    split = _first_line(mutation_items[0].node) if mutation_items else len(mutation_lines)
    head = "".join(mutation_lines[:split]).rstrip("\n")
    head = head + "\n" if head else ""
    if mutation_items:
        first = mutation_items[0]
        first.text, first.gap, first.start = "".join(mutation_lines[split:first.end]), "", split
    removed = _directive(head, "remove")
    patched = set(_directive(head, "patch"))
    futures, imports, definitions = [], [], []
    for item in mutation_items:
        if isinstance(item.node, ast.ImportFrom) and item.node.module == "__future__":
            futures.append(item)
        elif isinstance(item.node, (ast.Import, ast.ImportFrom)):
            imports.append(item)
        elif isinstance(item.node, DEFINITIONS) and item.names:
            definitions.append(item)
        else:
            raise ValueError(f"{sample}, line {item.node.lineno}: a mutation holds only imports and "
                             f"top-level definitions, not {type(item.node).__name__}")

    by_name: dict[str, int] = {}
    for index, item in enumerate(base_items):
        if isinstance(item.node, DEFINITIONS):
            for name in item.names:
                if name in by_name:
                    raise ValueError(f"{base_name} defines {name} twice: a mutation of it would be ambiguous")
                by_name[name] = index
    base_bindings = {binding for item in base_items for binding in _bindings(item.node)}

    replaced: dict[int, str] = {}      # base item index -> new text
    before: dict[int, list[str]] = {}  # base item index -> new definitions that go just before it
    pending: list[str] = []            # new definitions waiting for the next replaced one
    dropped: set[int] = set()
    added_names, replaced_names, patched_names = [], [], []
    for item in definitions:
        targets = {by_name[name] for name in item.names if name in by_name}
        if len(targets) > 1:
            raise ValueError(f"{sample}: {', '.join(item.names)} stand in several definitions of {base_name}")
        if not targets:
            if item.names[0] in patched:
                raise ValueError(f"{sample}: '# patch: {item.names[0]}' but {base_name} has no such class")
            pending.append(item.text)
            added_names += item.names
            continue
        (index,) = targets
        if index in replaced:
            raise ValueError(f"{sample}: two definitions replace {', '.join(base_items[index].names)}")
        if item.names[0] in patched:
            replaced[index] = _patch_class(base_lines, base_items[index], mutation_lines, item, sample)
            patched_names.append(item.names[0])
        else:
            replaced[index] = _with_docstring(item, mutation_lines, base_items[index].node, base_lines)
            replaced_names += item.names
        before.setdefault(index, []).extend(pending)
        pending = []
    for name in removed:
        if name not in by_name:
            raise ValueError(f"{sample}: '# remove: {name}' but {base_name} has no top-level {name}")
        if by_name[name] in replaced:
            raise ValueError(f"{sample}: {name} is both removed and replaced")
        dropped.add(by_name[name])
    unknown = patched - set(patched_names)
    if unknown:
        raise ValueError(f"{sample}: '# patch:' names {sorted(unknown)}, which it does not define")

    new_futures = [f.text for f in futures if not set(_bindings(f.node)) <= base_bindings]
    new_imports = [i.text for i in imports if not set(_bindings(i.node)) <= base_bindings]
    import_indices = [k for k, item in enumerate(base_items) if isinstance(item.node, (ast.Import, ast.ImportFrom))]
    last_import = import_indices[-1] if import_indices else None
    has_docstring = bool(base_items) and _is_docstring(base_items[0].node)

    definition_indices = [k for k, item in enumerate(base_items) if isinstance(item.node, DEFINITIONS)]
    last_definition = definition_indices[-1] if definition_indices else len(base_items) - 1

    summary = [f"{', '.join(replaced_names)} replaced"] if replaced_names else []
    summary += [f"{', '.join(f'{name} methods' for name in patched_names)} replaced"] if patched_names else []
    summary += [f"{', '.join(added_names)} added"] if added_names else []
    summary += [f"{', '.join(removed)} removed"] if removed else []
    out = [f"# Built by tests/sample_builder.py from {sample}:\n"
           f"# {base_name} with {'; '.join(summary) or 'nothing changed'}.\n"]
    if not has_docstring:
        out.append(head)
        out += new_futures
        if last_import is None:
            out += new_imports
    for index, item in enumerate(base_items):
        if index not in dropped:
            for text in before.get(index, []):
                out += [item.gap or "\n\n", text]
            if index == 0 and has_docstring:
                out += [head or item.gap + item.text, *new_futures]
                if last_import is None:
                    out += new_imports
            else:
                text = replaced.get(index, item.text)
                if head and index == int(has_docstring):  # a correct variant's own '# expect: full' goes
                    text = re.sub(r"^# expect(-fail)?:.*\n", "", text, flags=re.M)
                out += [item.gap, text]
                if index == last_import:
                    out += new_imports
        if index == last_definition:
            for text in pending:
                out += ["\n\n", text]
    if not base_items:
        out += pending
    out.append(base_tail)
    source = "".join(out)
    compile(source, sample, "exec")  # a SyntaxError here is the builder's fault or the mutation's
    return source


def _patch_class(base_lines: list[str], base: _Item, mutation_lines: list[str], mutation: _Item,
                 sample: str) -> str:
    """The text of the base class with the mutation class's members put in by name."""
    old, new = base.node, mutation.node
    if not isinstance(new, ast.ClassDef) or not isinstance(old, ast.ClassDef):
        raise ValueError(f"{sample}: '# patch: {base.names[0]}' names a class in both files")
    header = [ast.dump(n) for n in (*old.bases, *old.keywords, *old.decorator_list)]
    if header != [ast.dump(n) for n in (*new.bases, *new.keywords, *new.decorator_list)]:
        raise ValueError(f"{sample}: '# patch: {new.name}' keeps the class's bases and decorators")
    old_items, _ = _items(base_lines, old.body, _header_end(old), base.end)
    new_items, _ = _items(mutation_lines, new.body, _header_end(new), mutation.end)
    by_name = {name: k for k, item in enumerate(old_items) for name in item.names}
    replaced: dict[int, str] = {}
    appended: list[str] = []
    for item in new_items:
        if not isinstance(item.node, DEFINITIONS) or not item.names:
            raise ValueError(f"{sample}, line {item.node.lineno}: '# patch: {new.name}' holds methods and "
                             f"class attributes only")
        hits = {by_name[name] for name in item.names if name in by_name}
        if len(hits) > 1:
            raise ValueError(f"{sample}: {', '.join(item.names)} stand in several members of {new.name}")
        if hits:
            k = hits.pop()
            replaced[k] = _with_docstring(item, mutation_lines, old_items[k].node, base_lines)
        else:
            appended.append(item.text)
    out = ["".join(base_lines[base.start:_header_end(old)])]
    for k, item in enumerate(old_items):
        out += [item.gap, replaced.get(k, item.text)]
    for text in appended:
        out += ["\n", text]
    return "".join(out)


def _with_docstring(item: _Item, lines: list[str], base: ast.stmt, base_lines: list[str]) -> str:
    """The text of the mutation's definition ``item``; where it has no docstring and the
    definition it replaces has one, with that docstring (a student keeps the template's)."""
    node = item.node
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    if not (isinstance(node, kinds) and isinstance(base, kinds) and base.body and _is_docstring(base.body[0])):
        return item.text
    if _is_docstring(node.body[0]) or node.body[0].lineno == node.lineno:
        return item.text
    doc = base.body[0]
    if doc.col_offset != node.body[0].col_offset or base_lines[doc.lineno - 1][:doc.col_offset].strip():
        return item.text  # indented otherwise, or sharing a line: not put in by text
    at = node.body[0].lineno - 1
    while at > node.lineno and lines[at - 1].strip().startswith("#"):
        at -= 1  # the comment lines above the first statement stay with it
    docstring = "".join(base_lines[doc.lineno - 1:doc.end_lineno])
    return "".join(lines[item.start:at]) + docstring + "".join(lines[at:item.end])


def _header_end(node: ast.ClassDef) -> int:
    """0-based index of the first line after the class statement's header."""
    return max([node.lineno] + [n.end_lineno for n in (*node.bases, *node.keywords)])


if __name__ == "__main__":  # python tests/sample_builder.py SAMPLE ...: the file to grade for each
    for argument in sys.argv[1:]:
        print(build_sample(Path(argument)))

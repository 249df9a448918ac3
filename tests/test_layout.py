"""The engine's house: no module imports one that imports it back (lazy imports inside
functions included), and the student bundle is the engine minus its instructors' folders."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

ENGINE = ROOT / "autograder"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the engine modules it imports anywhere in its code (top level or in a function)."""
    files = {_module_name(p): p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                submodules = {f"{module}.{alias.name}" for alias in node.names} & set(files)
                found |= submodules or ({module} & set(files))  # `from . import a` or `from .a import f`
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names} & set(files)
        found.discard(name)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_lazy_imports_included():
    graph = import_graph()
    assert graph["autograder.cli"] and graph["autograder.classroom.batch"]  # the graph sees imports
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = import_graph()
    graph["autograder.records"] = graph["autograder.records"] | {"autograder.classroom.batch"}
    assert any("autograder.records" in c and "autograder.classroom.batch" in c for c in cycles(graph))


def test_the_student_bundle_is_the_engine_minus_the_instructors_folders(tmp_path):
    from autograder.authoring.build import build_student_bundle, extract
    from autograder.authoring.layout import INSTRUCTOR_PACKAGES
    from autograder.course import load_assignment

    assert set(INSTRUCTOR_PACKAGES) == {"authoring", "classroom"}
    extract(build_student_bundle(load_assignment(ROOT, "kl_asymmetry"), tmp_path), tmp_path / "bundle")
    shipped = {p.relative_to(tmp_path / "bundle" / "kl_asymmetry" / "autograder").as_posix()
               for p in (tmp_path / "bundle" / "kl_asymmetry" / "autograder").rglob("*") if p.is_file()}
    engine = {p.relative_to(ENGINE).as_posix() for p in ENGINE.rglob("*") if p.is_file()
              and "__pycache__" not in p.parts and p.suffix != ".pyc" and "build_digits" not in p.name}
    expected = {p for p in engine if p.split("/")[0] not in INSTRUCTOR_PACKAGES}
    assert shipped == expected
    assert "classroom/batch.py" in engine and "authoring/build.py" in engine

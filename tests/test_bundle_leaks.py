"""The student bundle holds no code that computes an answer (issue 16, section 4).

For every assignment the student bundle is built as ``autograder build`` builds it. Every
Python file in it other than the template and the engine (public tests, helper files:
everything under ``assignments/<slug>/``) is then tried as a source of answers: each function
and class it defines (top level, methods of its classes, and classes defined inside its
functions) is put in the place of each student function or class whose signature it fits,
and the result is graded with the public and hidden tests of that function. A definition
leaks when it passes a test of that function that the plain template fails: the candidate
must earn no point beyond the template's.

How a candidate takes a student function's place: the template is kept as it is and the
bundle file's source is appended (each top-level statement on its own, so an import that
fails in the sandbox costs only what it would define), in a namespace of its own so that
its other names do not shadow the template's; then ``fn = <adapter for the candidate>``.
The adapter binds the call to the template's signature and passes the values on
positionally, in the template's order (a helper ``forward_fit(w, m, s)`` answers
``fit_forward_kl(weights, means, stds)``). A method is called with ``self = None``. A class
takes a student class's place through a factory that builds it from the student
constructor's arguments, by name (``VAE(x_dim, z_dim)``); a class defined inside a function
sees those arguments as the function's locals (the stand-in VAE built inside a helper). A
function that lacks some of the student function's parameters but computes them as locals
(``f, loss = CASES[case]``) is also tried with the student's parameters, those lines dropped.

Runtime: the candidates of one file are graded in rounds: round k puts the k-th fitting
candidate of every student function in its place at once, and runs only the tests that
call the functions replaced (tests with an unknown call list run too). The map "test ->
student functions it calls" is autograder.notebooks.tests_touching, the one the notebook
check cells use. A test that passes in a round is charged to the candidates of the
functions it calls.

The engine copy in the bundle is scanned statically: it must not name an assignment nor
define a function or class named like a student function.
"""
from __future__ import annotations

import ast
import math
import re
import textwrap
import time
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import pytest

from conftest import ROOT

PROBE_MARK = "# ---- bundle leak probe (tests/test_bundle_leaks.py) ----"


def _slugs() -> list[str]:
    from autograder.course import list_assignments

    return list_assignments(ROOT)


# --------------------------------------------------------------------------- signatures
@dataclass(frozen=True)
class Arity:
    required: int  # positional parameters without a default (after self)
    capacity: float  # positional parameters in all (inf with *args)
    names: tuple  # every named parameter (after self)
    required_kwonly: tuple = ()

    def fits(self, student: "Arity") -> bool:
        """Whether a call the student's signature allows can also be made to this one."""
        return (self.required <= len(student.names) and self.capacity >= student.required
                and set(self.required_kwonly) <= set(student.names))


def _arity(args: ast.arguments, drop_first: bool) -> Arity:
    positional = [a.arg for a in args.posonlyargs + args.args]
    n_defaults = len(args.defaults)
    required = len(positional) - n_defaults
    if drop_first and positional:
        positional, required = positional[1:], max(required - 1, 0)
    kwonly = [a.arg for a in args.kwonlyargs]
    required_kwonly = tuple(a for a, d in zip(kwonly, args.kw_defaults) if d is None)
    return Arity(required, math.inf if args.vararg else len(positional), tuple(positional + kwonly), required_kwonly)


def _raises_not_implemented(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _init_of(cls: ast.ClassDef) -> ast.FunctionDef | None:
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)


@dataclass(frozen=True)
class StudentName:
    name: str
    kind: str  # "function" or "class"
    arity: Arity  # of the function, or of the class's constructor


def student_names(template: str) -> list[StudentName]:
    """What the student fills in: the template's top-level functions and classes that raise
    NotImplementedError."""
    out = []
    for node in ast.parse(template).body:
        if isinstance(node, ast.FunctionDef) and _raises_not_implemented(node):
            out.append(StudentName(node.name, "function", _arity(node.args, False)))
        elif isinstance(node, ast.ClassDef) and _raises_not_implemented(node):
            init = _init_of(node)
            arity = _arity(init.args, True) if init else Arity(0, math.inf, ())
            out.append(StudentName(node.name, "class", arity))
    return out


# --------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class Candidate:
    label: str  # how the report names it: "GraderVAE (in _stand_in)", "reverse_kl.forward_fit"
    kind: str  # "function", "method" or "class"
    arity: Arity | None  # None: a class (its constructor is matched by name)
    access: str  # code giving the object from `_leak_ns` (functions and methods)
    maker: ast.FunctionDef | None = None  # a class inside this top-level function
    node: ast.AST | None = None
    source: str = ""  # a rewritten definition, run in `_leak_ns` (see `rewritten`)


def _is_static(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)


def _methods(cls: ast.ClassDef, owner: str, access: str, where: str) -> list[Candidate]:
    out = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and not (node.name.startswith("__") and node.name.endswith("__")):
            out.append(Candidate(f"{owner}.{node.name}{where}", "method", _arity(node.args, not _is_static(node)),
                                 f"_leak_method({access}, {node.name!r})", node=node))
        elif isinstance(node, ast.ClassDef):
            inner = f"{owner}.{node.name}"
            out.append(Candidate(inner + where, "class", None, f"{access}.{node.name}", node=node))
            out += _methods(node, inner, f"{access}.{node.name}", where)
    return out


def candidates(source: str, is_test_file: bool) -> list[Candidate]:
    """Every function and class a bundle file defines: top level, in classes, and classes
    defined inside top-level functions (with their methods). Test functions of a grader test
    file are left out (they take fixtures and return nothing)."""
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            if not (is_test_file and node.name.startswith("test")):
                out.append(Candidate(node.name, "function", _arity(node.args, False), f"_leak_ns[{node.name!r}]",
                                     node=node))
            for sub in node.body:
                if isinstance(sub, ast.ClassDef):
                    where = f" (in {node.name})"
                    out.append(Candidate(sub.name + where, "class", None, "", maker=node, node=sub))
                    out += _methods(sub, sub.name, f"_leak_make({node.name!r}, {sub.name!r})", where)
        elif isinstance(node, ast.ClassDef):
            out.append(Candidate(node.name, "class", None, f"_leak_ns[{node.name!r}]", node=node))
            out += _methods(node, node.name, f"_leak_ns[{node.name!r}]", "")
    return out


def _bound_names(stmt: ast.stmt) -> set[str] | None:
    """The names a plain assignment ``a = ...`` or ``a, b = ...`` binds (None for anything else)."""
    if not isinstance(stmt, ast.Assign):
        return None
    names = set()
    for target in stmt.targets:
        for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
            if not isinstance(t, ast.Name):
                return None
            names.add(t.id)
    return names


def rewritten(cand: Candidate, student: StudentName) -> Candidate | None:
    """The candidate with the student function's parameters in place of its own, when the
    parameters it lacks are locals it computes at its top level (``f, loss = CASES[case]``
    in a helper that answers ``pathwise_gradient(f, loss, theta, v)``): those assignments go,
    and so do its own other parameters."""
    node = cand.node
    if cand.kind != "function" or not isinstance(node, ast.FunctionDef) or cand.source:
        return None
    wanted = list(student.arity.names)
    dropped = [i for i, stmt in enumerate(node.body)
               if (_bound_names(stmt) or None) is not None and _bound_names(stmt) <= set(wanted)]
    assigned = set().union(*(_bound_names(node.body[i]) for i in dropped)) if dropped else set()
    missing = set(wanted) - set(cand.arity.names)
    if not missing or not missing <= assigned:
        return None
    new = ast.FunctionDef(name=f"_leak_{student.name}_from_{node.name}",
                          args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in wanted], vararg=None,
                                             kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
                          body=[stmt for i, stmt in enumerate(node.body) if i not in dropped] or [ast.Pass()],
                          decorator_list=[], returns=None, type_params=[])
    ast.fix_missing_locations(new)
    return Candidate(f"{node.name} (its {', '.join(sorted(assigned))} as parameters)", "function",
                     Arity(len(wanted), len(wanted), tuple(wanted)), f"_leak_ns[{new.name!r}]", node=new,
                     source=ast.unparse(new))


def fitting(cands: list[Candidate], student: StudentName) -> list[Candidate]:
    if student.kind == "class":
        return [c for c in cands if c.kind == "class"]
    plain = [c for c in cands if c.kind != "class" and c.arity.fits(student.arity)]
    return plain + [r for r in (rewritten(c, student) for c in cands) if r is not None]


# --------------------------------------------------------------------------- the probe module
PROBE_RUNTIME = '''
def _leak_load(source, filename):
    import __future__
    import ast as _ast
    ns = {"__name__": "_leak_bundle", "__file__": filename, "__builtins__": __builtins__}
    for stmt in _ast.parse(source).body:
        try:
            code = compile(_ast.Module(body=[stmt], type_ignores=[]), filename, "exec",
                           flags=__future__.annotations.compiler_flag, dont_inherit=True)
            exec(code, ns)
        except (Exception, SystemExit):
            pass
    return ns


def _leak_method(owner, name):
    raw = owner.__dict__[name]
    if isinstance(raw, (staticmethod, classmethod)):
        return getattr(owner, name)
    return lambda *args, **kwargs: raw(None, *args, **kwargs)


def _leak_make(function_name, class_name, **values):
    return _leak_ns["_leak_make_" + function_name + "_" + class_name](**values)


def _leak_as_function(candidate, template_fn):
    """Call ``candidate`` with the values of a call to ``template_fn``: positionally, in the
    template's order; what does not fit positionally goes by name when the candidate has it."""
    import inspect
    tsig = inspect.signature(template_fn)
    try:
        csig = inspect.signature(candidate)
        cparams = [p for p in csig.parameters.values()]
    except (TypeError, ValueError):
        cparams = None
    named_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                   inspect.Parameter.KEYWORD_ONLY)

    def probe(*args, **kwargs):
        bound = tsig.bind(*args, **kwargs)
        names = [n for n, p in tsig.parameters.items() if p.kind in named_kinds]
        given = [i for i, n in enumerate(names) if n in bound.arguments]
        last = max(given) if given else -1
        values = []
        for i, n in enumerate(names):
            p = tsig.parameters[n]
            if n in bound.arguments:
                values.append((n, bound.arguments[n]))
            elif i < last or p.default is not inspect.Parameter.empty and cparams is not None:
                values.append((n, None if p.default is inspect.Parameter.empty else p.default))
        if cparams is None:
            return candidate(*[v for _, v in values[:last + 1]])
        positional = [p for p in cparams if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                       inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        star = any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in cparams)
        cnames = {p.name for p in cparams}
        needed = sum(p.default is inspect.Parameter.empty for p in positional)
        room = len(values) if star else len(positional)
        pos = [v for _, v in values[:room]]
        pos = pos[:max(needed, last + 1)] if not star else pos[:last + 1]
        kw = {n: v for n, v in values[len(pos):] if n in cnames and n not in {p.name for p in positional[:len(pos)]}}
        return candidate(*pos, **kw)

    probe.__name__ = template_fn.__name__
    return probe


def _leak_construct(cls, values):
    """``cls`` built from the student constructor's ``values``: by name, then what it still
    requires, positionally from the values left."""
    import inspect
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return cls(*values.values())
    kw = {p.name: values[p.name] for p in params if p.name in values and p.kind != p.POSITIONAL_ONLY}
    left = [v for n, v in values.items() if n not in kw]
    pos = []
    for p in params:
        if p.name in kw or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY):
            continue
        if p.default is p.empty and left:
            pos.append(left.pop(0))
    return cls(*pos, **kw)


def _leak_as_class(make_class, template_cls):
    """A stand-in for the student class: building it builds the candidate class instead."""
    import inspect
    tsig = inspect.signature(template_cls.__init__)

    def build(*args, **kwargs):
        bound = tsig.bind(None, *args, **kwargs)
        bound.apply_defaults()
        values = {n: v for n, v in list(bound.arguments.items())[1:]
                  if tsig.parameters[n].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
        return _leak_construct(make_class(values), values)

    class Stand(object):
        def __new__(cls, *args, **kwargs):
            return build(*args, **kwargs)

    Stand.__name__ = Stand.__qualname__ = template_cls.__name__
    return Stand
'''


def _maker_source(function: ast.FunctionDef, cls: ast.ClassDef, extra: tuple) -> str:
    """``_leak_make_<function>_<class>(**values)``: runs the function's statements before the
    class (imports, mostly) and returns the class; the function's parameters and the student
    constructor's are its locals (None when not given)."""
    a = function.args
    params = list(dict.fromkeys([x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + list(extra)))
    lines = [f"def _leak_make_{function.name}_{cls.name}({', '.join(p + '=None' for p in params)}, **_leak_kw):"]
    for stmt in function.body:
        if stmt is cls:
            break
        lines += ["    try:", textwrap.indent(ast.unparse(stmt), "        "), "    except Exception:", "        pass"]
    lines += [textwrap.indent(ast.unparse(cls), "    "), f"    return {cls.name}"]
    return "\n".join(lines) + "\n"


def probe_source(template: str, bundle_file: Path, label: str, placed: dict, class_params: tuple) -> str:
    """The template, then the bundle file in a namespace of its own, then each student name of
    ``placed`` bound to its candidate (a binding that fails leaves the template's)."""
    source = bundle_file.read_text()
    parts = [template.rstrip("\n"), "", "", PROBE_MARK, PROBE_RUNTIME,
             f"_leak_ns = _leak_load({source!r}, {str(bundle_file)!r})  # {label}"]
    makers = {(c.maker.name, c.node.name): c for c in candidates(source, False) if c.maker is not None}
    for function_name, class_name in makers:
        function = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function_name)
        cls = next(n for n in function.body if isinstance(n, ast.ClassDef) and n.name == class_name)
        maker = _maker_source(function, cls, class_params)
        parts.append(f"try:\n    exec(compile({maker!r}, {str(bundle_file)!r}, 'exec'), _leak_ns)\n"
                     "except Exception:\n    pass")
    for cand in placed.values():
        if cand.source:
            parts.append(f"try:\n    exec(compile({cand.source!r}, {str(bundle_file)!r}, 'exec'), _leak_ns)\n"
                         "except Exception:\n    pass")
    for student, cand in placed.items():
        if student.kind == "class":
            if cand.maker is not None:
                make = f"lambda values: _leak_make({cand.maker.name!r}, {cand.node.name!r}, **values)"
            else:
                make = f"lambda values: {cand.access}"
            bind = f"{student.name} = _leak_as_class({make}, {student.name})"
        else:
            bind = f"{student.name} = _leak_as_function({cand.access}, {student.name})"
        parts.append(f"try:  # {cand.label}\n    {bind}\nexcept Exception:\n    pass")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- grading
def _selected_assignment(assignment, selection: list[str]):
    """The assignment with only these tests (``path::test_name``), public and hidden."""
    from dataclasses import dataclass as dc

    from autograder.course import Assignment

    @dc
    class Selected(Assignment):
        selection: tuple = ()

        def test_files(self, public_only: bool) -> list[Path]:
            return [Path(s) for s in self.selection]

    fields = {k: getattr(assignment, k) for k in ("slug", "root", "title", "deadline", "limits")}
    return Selected(**fields, total_points=None, selection=tuple(selection))


def _test_name(nodeid: str) -> tuple[str, str]:
    file, _, rest = nodeid.partition("::")
    return Path(file).name, rest.split("[")[0]


@dataclass
class Leak:
    file: str
    number: str  # "1.5"
    test: str  # "test_shapes"
    placed: tuple  # (("VAE", "GraderVAE (in _stand_in)"), ...): what stood in for the functions it calls

    def __str__(self) -> str:
        where = "; ".join(f"{s} <- {c}" for s, c in self.placed) or "(no replaced function)"
        return f"{self.file}: {where} passes {self.number} {self.test}"


def bundle_python_files(folder: Path, slug: str) -> list[Path]:
    """The bundle's Python files other than the template and the engine."""
    return sorted(p for p in folder.rglob("*.py")
                  if p != folder / f"{slug}.py" and "autograder" != p.relative_to(folder).parts[0]
                  and "__pycache__" not in p.parts)


def find_leaks(slug: str, out: Path, log: list[str], files: list[Path] | None = None,
               only: set[str] | None = None) -> tuple[list[Leak], dict]:
    """The leaks of the student bundle's files (of ``files`` instead, when given), trying only the
    student names in ``only`` when given; and the map (test file, test) -> names it calls."""
    from autograder.authoring.build import build_student_bundle, extract
    from autograder.course import load_assignment
    from autograder.notebooks import tests_touching

    assignment = load_assignment(ROOT, slug)
    extract(build_student_bundle(assignment, out / "dist"), out / "bundle")
    folder = out / "bundle" / slug
    template = (folder / f"{slug}.py").read_text()
    students = [s for s in student_names(template) if only is None or s.name in only]
    names = [s.name for s in student_names(template)]
    class_params = tuple(dict.fromkeys(n for s in students if s.kind == "class" for n in s.arity.names))
    touching = {}  # (file name, test function) -> student names it calls
    for test_file in assignment.test_files(public_only=False):
        for test, called in tests_touching(test_file, names).items():
            touching[(test_file.name, test)] = called

    started = time.monotonic()
    baseline = _grade_by_nodeid(assignment, template, out / "template", None)
    log.append(f"{slug}: template graded in {time.monotonic() - started:.1f} s, "
               f"{sum(s == 'passed' for _, s in baseline.values())} of {len(baseline)} tests pass")
    leaks = []
    for k, bundle_file in enumerate(files if files is not None else bundle_python_files(folder, slug)):
        rel = str(bundle_file.relative_to(folder)) if bundle_file.is_relative_to(folder) else bundle_file.name
        cands = candidates(bundle_file.read_text(), bundle_file.name.startswith("test_"))
        per_student = {s: fitting(cands, s) for s in students}
        rounds = list(zip_longest(*per_student.values()))
        for r, row in enumerate(rounds):
            placed = {s: c for s, c in zip(per_student, row) if c is not None}
            replaced = {s.name for s in placed}
            selection = [f"{assignment.folder / f}::{t}" for (f, t), called in touching.items()
                         if called & replaced or not called]
            if not selection:
                continue
            started = time.monotonic()
            source = probe_source(template, bundle_file, rel, placed, class_params)
            got = _grade_by_nodeid(assignment, source, out / f"probe-{k}-{r}", selection)
            log.append(f"{slug}: {rel} round {r + 1}/{len(rounds)} ({len(selection)} tests, "
                       f"{time.monotonic() - started:.1f} s): "
                       + ", ".join(f"{s.name}<-{c.label}" for s, c in placed.items()))
            for nodeid, (number, status) in got.items():
                if status != "passed" or baseline.get(nodeid, (None, "failed"))[1] == "passed":
                    continue
                called = touching.get(_test_name(nodeid), set()) or replaced
                blamed = tuple((s.name, c.label) for s, c in placed.items() if s.name in called)
                leaks.append(Leak(rel, number, _test_name(nodeid)[1], blamed))
    return leaks, touching


def _grade_by_nodeid(assignment, source: str, folder: Path, selection: list[str] | None) -> dict[str, tuple]:
    """{pytest node id: (test number, status)} of grading ``source`` as ``<slug>.py`` (only the
    tests in ``selection`` when given)."""
    from autograder import plugin as plugin_module
    from autograder.grading import grade

    folder.mkdir(parents=True)
    path = folder / f"{assignment.slug}.py"
    path.write_text(source)
    target = assignment if selection is None else _selected_assignment(assignment, selection)
    plugins = []
    original = plugin_module.GradingPlugin.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        plugins.append(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plugin_module.GradingPlugin, "__init__", keep)
        results = grade(target, path, device="cpu")
    assert results.tests and plugins, results.output
    return {nodeid: (r.number, r.status) for nodeid, r in plugins[-1].records.items()}


# --------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("slug", _slugs())
def test_bundle_defines_no_answer(slug, tmp_path):
    log: list[str] = []
    started = time.monotonic()
    leaks, _ = find_leaks(slug, tmp_path, log)
    log.append(f"{slug}: {time.monotonic() - started:.1f} s in all")
    print("\n".join(log))
    assert not leaks, "the student bundle holds code that passes tests the template fails:\n" + "\n".join(
        f"  {leak}" for leak in leaks)


@pytest.mark.parametrize("slug, only", [("kl_asymmetry", None), ("vae", {"VAE", "gaussian_kl", "standardize"})])
def test_probe_finds_the_reference(slug, only, tmp_path):
    """The probe itself: the reference solution, tried as if it were a bundle file, passes every
    test that calls only one student function, with that function in its own place (so a
    file that passes nothing really computes no answer, and the class adapter works)."""
    log: list[str] = []
    solution = ROOT / "solutions" / f"{slug}.py"
    leaks, touching = find_leaks(slug, tmp_path, log, files=[solution], only=only)
    print("\n".join(log))
    found = {(leak.number, leak.test) for leak in leaks if len(leak.placed) == 1
             and leak.placed[0][0] == leak.placed[0][1]}
    found_tests = {test for _, test in found}
    wanted = {test for (_, test), called in touching.items()
              if len(called) == 1 and (only is None or called <= only)}
    assert wanted, "no test calls a single student function"
    assert wanted <= found_tests, f"the reference was not found to pass {sorted(wanted - found_tests)}: {log}"


def test_bundle_engine_is_generic(tmp_path):
    """The engine copy in a student bundle names no assignment and defines nothing named like a
    student function or class of any assignment."""
    from autograder.authoring.build import build_student_bundle, extract
    from autograder.course import load_assignment

    slugs = _slugs()
    student = {}
    for slug in slugs:
        template = load_assignment(ROOT, slug).template
        for s in student_names(template.read_text()):
            student.setdefault(s.name, []).append(slug)
    slug_word = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, slugs)) + r")(?![\w-])")  # not vae-autograder
    problems, scanned = [], 0
    for slug in slugs:
        extract(build_student_bundle(load_assignment(ROOT, slug), tmp_path / slug), tmp_path / slug / "bundle")
        engine = tmp_path / slug / "bundle" / slug / "autograder"
        for path in sorted(engine.rglob("*.py")):
            text = path.read_text()
            scanned += 1
            rel = path.relative_to(engine.parent)
            for m in slug_word.finditer(text):
                problems.append(f"{rel}: names the assignment {m.group(1)!r} "
                                f"(line {text.count(chr(10), 0, m.start()) + 1})")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in student:
                    problems.append(f"{rel}: defines {node.name!r} (line {node.lineno}), a student function of "
                                    f"{', '.join(student[node.name])}")
    assert scanned and not problems, "\n".join(problems)

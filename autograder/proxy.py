"""The ``student`` object grader tests talk to: every call runs in the sandboxed child.

``student.entropy(p)`` sends ``p`` to the child, which calls the submission's ``entropy``
and sends back plain arrays; the judge rebuilds fresh tensors from them. The session
restarts the child after a crash or hang, and remembers which function broke so that its
later tests fail at once instead of waiting out the timeout again.
"""
from __future__ import annotations

import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .sandbox import wire
from .sandbox.process import Child, ChildGone, Limits, SandboxError


# --------------------------------------------------------------------------- failures
class StudentFailure(Exception):
    """Something went wrong in student code. ``public`` is safe to show for hidden tests."""

    def __init__(self, function: str | None, public: str, detail: str = "") -> None:
        super().__init__(public)
        self.function = function
        self.public = public
        self.detail = detail or public


class NotImplementedByStudent(StudentFailure):
    def __init__(self, function: str, where: str | None = None) -> None:
        text = f"`{function}` is not implemented yet (it raises NotImplementedError)."
        if where and where != function and not where.startswith(f"{function}."):
            text = (f"`{function}` could not run: `{where}`, which it uses, is not implemented yet "
                    "(it raises NotImplementedError).")
        super().__init__(function, text)


class MissingFunction(StudentFailure):
    def __init__(self, function: str) -> None:
        super().__init__(function, f"Your submission defines no function `{function}`. "
                                   "Check its name against the template.")


class StudentRaised(StudentFailure):
    def __init__(self, function: str, type_name: str, message: str, tb: str) -> None:
        where = f"`{function}` raised {type_name}"
        super().__init__(function, f"{where}.", f"{where}: {message}\n{_short_traceback(tb)}".rstrip())
        self.type_name = type_name


class StudentCrashed(StudentFailure):
    def __init__(self, function: str, reason: str, kind: str, earlier: bool = False) -> None:
        text = f"Calling `{function}` failed: {reason}."
        if earlier:
            text = f"Not run: `{function}` already failed in an earlier test ({reason})."
        super().__init__(function, text)
        self.kind = kind
        self.reason = reason


class SubmissionNotLoaded(StudentFailure):
    """The whole submission failed to load: the details go once at the top of the results."""

    def __init__(self, message: str) -> None:
        super().__init__(None, "Not run: your submission could not be loaded (see the message at the top).",
                         message)


class SandboxUnavailable(SubmissionNotLoaded):
    """The sandbox could not be built here: nothing of the student's ran (the instructor is told why)."""

    def __init__(self, problem: str) -> None:
        StudentFailure.__init__(self, None, "Not run: the grader could not build its sandbox on this machine, so "
                                            "your code was not run. This is not your fault; your instructor "
                                            "has been told.", problem)


class OutOfTime(StudentFailure):
    def __init__(self) -> None:
        super().__init__(None, "Not run: the grader's overall time limit was reached before this test.")


def _short_traceback(tb: str) -> str:
    """The student's own frames only: the child's plumbing is noise to them."""
    lines = tb.splitlines()
    keep, skip = [], False
    for line in lines:
        plumbing = any(f'/{name}"' in line for name in ("child.py", "wire.py"))
        if line.strip().startswith('File "') and plumbing and ("/grader/" in line or "/ag-child-" in line):
            skip = True
            continue
        if skip and line.startswith("    ") and not line.strip().startswith('File "'):
            continue
        skip = False
        keep.append(line)
    return "\n".join(keep[-15:])


# --------------------------------------------------------------------------- session
@dataclass
class CallResult:
    value: Any
    tensors: list = field(default_factory=list)  # device / requires_grad / grad_fn of returned tensors
    mutated: list = field(default_factory=list)  # positions of tensor arguments changed in place


class ChangedInPlace(StudentFailure):
    """A student call changed a tensor argument in place. The engine fails every call that
    does (the conventions forbid it), unless the test allows that argument (``inplace_ok``).
    ``changed`` holds ``(position or keyword, parameter name or None)`` pairs."""

    def __init__(self, function: str, changed: list[tuple], through_helper: bool = False) -> None:
        def join(items: list[str]) -> str:
            return (", ".join(items[:-1]) + " and " + items[-1]) if len(items) > 1 else items[0]

        rule = ("(the conventions forbid modifying inputs); work on a copy or use out-of-place "
                "operations (x = x + 1, not x += 1 or x.add_(1)).")
        names = [name for _, name in changed]
        if all(names):
            quoted = join([f"`{n}`" for n in names])
            what = f"argument{'s' if len(names) > 1 else ''} {quoted}"
        else:
            what = join([f"argument `{n}`" if n else _ordinal(i) for i, n in changed])
        if through_helper:
            text = (f"While the grader ran `{function}`, your code changed the grader's {what} in place "
                    f"{rule}")
        else:
            text = f"`{function}` changed its {what} in place {rule}"
        super().__init__(function, text)
        self.changed = changed


def _ordinal(index: int) -> str:
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
    return f"{words[index]} argument" if 0 <= index < len(words) else f"argument number {index + 1}"


def _parameter_names(source: str | None, name: str, skip: int = 0) -> list[str]:
    """The positional parameter names of the top-level function (or class: its __init__,
    without self) ``name`` in ``source``, the last definition winning as in Python; [] when
    it cannot be told."""
    import ast

    try:
        tree = ast.parse(source or "")
    except (SyntaxError, ValueError):
        return []
    found, drop = None, skip
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found, drop = node.args, skip
        elif isinstance(node, ast.ClassDef) and node.name == name:
            init = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
            found, drop = (init[-1].args, skip + 1) if init else (None, skip)
    if found is None:
        return []
    return [a.arg for a in [*found.posonlyargs, *found.args]][drop:]


@dataclass
class Helper:
    """Grader code that runs in the child next to the submission (public, never secret)."""

    name: str
    source: str

    @classmethod
    def from_file(cls, path: str | Path) -> "Helper":
        path = Path(path)
        return cls(path.stem, path.read_text())


class Session:
    def __init__(self, submission: Path | None, module: str, limits: Limits, device: str,
                 deadline: float, load_error: str | None = None, protect: list[Path] = ()) -> None:
        self.submission = submission
        self.module = module
        self.limits = limits
        self.device = device
        self.deadline = deadline
        self.child: Child | None = None
        self.broken: dict[str, StudentCrashed] = {}
        self.load_failure: SubmissionNotLoaded | None = (
            SubmissionNotLoaded(load_error) if load_error else None)
        self.test_id = ""
        self.calls_in_test = 0
        self.notes: list[str] = []  # for the instructor: sandbox facts, restarts
        self.protect = list(protect)  # folders the sandbox must never show (the course)
        self.sandbox_problem: str | None = None
        self.started_children = 0
        self.startup_seconds = 0.0  # spent starting children (interpreter, torch, the submission)
        self._spare: Child | None = None
        self._spare_started = 0.0

    # ---------------------------------------------------------------- bookkeeping
    def begin_test(self, test_id: str) -> None:
        self.test_id = test_id
        self.calls_in_test = 0

    def _seed(self) -> int:
        self.calls_in_test += 1
        return zlib.crc32(f"{self.test_id}#{self.calls_in_test}".encode())

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def close(self) -> None:
        for child in (self.child, self._spare):
            if child is not None:
                child.close()
        self.child = self._spare = None

    def prestart(self) -> None:
        """Start the first child now, so that its interpreter and torch load while the judge
        collects the tests; its greeting is read at the first call."""
        if self.load_failure is None and self._spare is None and self.child is None:
            try:
                self._spare = self._new_child()
            except SandboxError as exc:
                self._refuse(exc)
            self._spare_started = time.monotonic()

    def _new_child(self) -> Child:
        return Child(self.submission, self.module, self.limits, self.device, seed=0, protect=self.protect)

    def _refuse(self, exc: SandboxError) -> None:
        self.sandbox_problem = str(exc)
        self.load_failure = SandboxUnavailable(str(exc))

    def student_output(self) -> str:
        return self.child.log.text() if self.child else ""

    # ---------------------------------------------------------------- child life
    def _ensure_child(self) -> Child:
        if self.load_failure:
            raise self.load_failure
        if self.child is not None and self.child.alive():
            return self.child
        if self.child is not None:
            self.child.close()
            self.child = None
        if self._spare is not None:
            child, started, self._spare = self._spare, self._spare_started, None
        else:
            started = time.monotonic()
            try:
                child = self._new_child()
            except SandboxError as exc:
                self._refuse(exc)
                raise self.load_failure from None
        self.started_children += 1
        try:
            hello = child.start(timeout=max(1.0, min(self.limits.call_timeout + 60, self.time_left())))
            self.startup_seconds += time.monotonic() - started
        except SandboxError as exc:
            child.close()
            self._refuse(exc)
            raise self.load_failure from None
        except ChildGone as gone:
            log = child.log.text().strip()
            child.close()
            if gone.kind == "timeout":
                text = "Your submission did not finish loading in time (does it run long work at import?)."
            else:
                text = f"Your submission could not be loaded: {gone.reason}."
            if log:
                text += f"\nIts output:\n{log[-1500:]}"
            self.load_failure = SubmissionNotLoaded(text)
            raise self.load_failure from None
        if not hello.get("ok"):
            err = hello.get("error") or {}
            child.close()
            self.load_failure = SubmissionNotLoaded(
                f"Your submission could not be imported: {err.get('type')}: {err.get('message')}\n"
                f"{_short_traceback(err.get('traceback', ''))}".rstrip())
            raise self.load_failure
        if self.started_children == 1:
            self.notes.extend(child.sandbox_notes())
        self.child = child
        return child

    # ---------------------------------------------------------------- calls
    def call(self, fn: str, args: tuple, kwargs: dict, *, helper: Helper | None = None,
             entry: str | None = None, timeout: float | None = None, inplace_ok=()) -> CallResult:
        """Run ``fn`` (or ``helper``'s ``entry``) in the child. A call that changes a tensor
        argument in place fails with :class:`ChangedInPlace`, whatever the test: ``inplace_ok``
        lists the positions (or parameter names) a test lets the student change."""
        if fn in self.broken:
            old = self.broken[fn]
            raise StudentCrashed(fn, old.reason, old.kind, earlier=True)
        wanted = timeout if timeout is not None else self.limits.call_timeout
        left = self.time_left()
        if left <= 0:
            raise OutOfTime()
        child = self._ensure_child()
        message = {
            "op": "call", "fn": fn, "seed": self._seed(),
            "args": [wire.encode(a) for a in args],
            "kwargs": {k: wire.encode(v) for k, v in kwargs.items()},
        }
        if helper is not None:
            message["helper"] = {"name": helper.name, "source": helper.source, "entry": entry}
        progress = _Progress(fn)
        try:
            reply = child.call(message, min(wanted, left), on_wait=progress.tick)
        except ChildGone as gone:
            progress.done()
            self.close()
            if gone.kind == "timeout" and left < wanted:
                raise OutOfTime() from None
            crash = StudentCrashed(fn, gone.reason, gone.kind)
            self.broken[fn] = crash
            self.notes.append(f"child restarted after `{fn}`: {gone.reason}")
            raise crash from None
        progress.done()
        if not reply.get("ok"):
            # A call that raised after changing an argument (autograd's "modified by an inplace
            # operation", say) is reported as the change, when the child says which changed.
            changed = reply.get("mutated")
            if isinstance(changed, list) and changed:
                self._forbid_inplace(fn, helper, entry, [i for i in changed if type(i) is int],
                                     reply.get("mutated_kwargs"), inplace_ok)
            raise failure_from_error(fn, reply.get("error"))
        try:
            value = wire.decode(reply.get("value"), max_elements=self.limits.max_reply_mb * 2**18)
        except Exception as exc:  # noqa: BLE001 - whatever the child sent, a bad reply is the student's
            raise StudentCrashed(fn, f"it returned something the grader cannot read ({type(exc).__name__}: "
                                     f"{str(exc)[:200]})", "protocol") from None
        mutated = reply.get("mutated", [])
        mutated = [i for i in mutated if type(i) is int] if isinstance(mutated, list) else []
        self._forbid_inplace(fn, helper, entry, mutated, reply.get("mutated_kwargs"), inplace_ok)
        return CallResult(value, wire.tensor_metas(reply.get("value")), mutated)

    def _forbid_inplace(self, fn: str, helper: Helper | None, entry: str | None, mutated: list,
                        mutated_kwargs, allowed) -> None:
        """Raise :class:`ChangedInPlace` for the changed arguments the test did not allow.
        Names come from the student's own source (a direct call) or the helper's entry."""
        kw = [k for k in mutated_kwargs if isinstance(k, str)] if isinstance(mutated_kwargs, list) else []
        if not (mutated or kw):
            return
        if helper is not None:
            names = _parameter_names(helper.source, entry or "", skip=1)
        else:
            cache = self.__dict__.setdefault("_signatures", {})
            if fn not in cache:
                try:
                    source = Path(self.submission).read_text(errors="replace") if self.submission else None
                except OSError:
                    source = None
                cache[fn] = _parameter_names(source, fn)
            names = cache[fn]
        allowed = set(allowed or ())
        changed = [(i, names[i] if 0 <= i < len(names) else None) for i in sorted(set(mutated))]
        changed = [(i, n) for i, n in changed if i not in allowed and n not in allowed]
        changed += [(k, k) for k in kw if k not in allowed]
        if changed:
            raise ChangedInPlace(fn, changed, through_helper=helper is not None)


class _Progress:
    """On a terminal, a call that runs for more than a few seconds (training, say) shows one
    line with its elapsed time, rewritten in place: no flood in logs."""

    def __init__(self, fn: str) -> None:
        self.fn = fn
        self.started = time.monotonic()
        self.shown = False

    def tick(self) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r  running {self.fn} in the sandbox: {time.monotonic() - self.started:.0f} s ")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write(f"\r  {self.fn} finished in {time.monotonic() - self.started:.0f} s          \n")
            sys.stderr.flush()


def failure_from_error(fn: str, err: dict) -> Exception:
    """The failure to raise for an error reported by the child (``{"kind", "type", "message",
    "traceback"}``); grader helpers that catch a student error themselves report it the same way.
    Whatever the child put there is read as text: a forged error costs only this test."""
    err = {k: str(v)[:4000] for k, v in err.items()} if isinstance(err, dict) else {}
    kind = err.get("kind")
    if kind == "missing":
        return MissingFunction(fn)
    if kind == "not_implemented":
        return NotImplementedByStudent(fn, err.get("where"))
    if kind == "grader":
        return RuntimeError(f"the child could not decode the grader's arguments: {err.get('message')}")
    if kind == "exit":
        return StudentRaised(fn, "SystemExit", "your code called sys.exit() or exit()", "")
    if kind == "memory":
        return StudentCrashed(fn, "memory limit exceeded: it tried to allocate more memory than the grader "
                                  "allows", "memory")
    return StudentRaised(fn, str(err.get("type", "Exception")), str(err.get("message", "")),
                         str(err.get("traceback", "")))


class Student:
    """What grader tests see as ``student``: attribute access calls the submission.

    ``student.f(x)`` returns ``f``'s value; ``student.call("f", x)`` returns a
    :class:`CallResult` with facts about returned tensors and mutated arguments;
    ``student.run(helper, "entry", ..., function="f")`` runs grader code in the child.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._session.call(name, args, kwargs).value

        return call

    def call(self, fn: str, *args: Any, timeout: float | None = None, inplace_ok=(), **kwargs: Any) -> CallResult:
        """``inplace_ok``: argument positions or names this call may change in place (the
        contract lets it); any other tensor argument changed in place fails the test."""
        extra = {"inplace_ok": inplace_ok} if inplace_ok else {}  # sessions without the check take none
        return self._session.call(fn, args, kwargs, timeout=timeout, **extra)

    def run(self, helper: Helper, entry: str, *args: Any, function: str,
            timeout: float | None = None, inplace_ok=(), **kwargs: Any) -> CallResult:
        """Run ``entry(submission_module, *args, **kwargs)`` from grader helper code in the
        child; failures are charged to the student function ``function``. A tensor in ``args``
        changed in place fails the test (``inplace_ok`` as in :meth:`call`, for ``entry``'s
        parameters)."""
        extra = {"inplace_ok": inplace_ok} if inplace_ok else {}
        return self._session.call(function, args, kwargs, helper=helper, entry=entry, timeout=timeout, **extra)

"""Otter-Grader's side of our grader tests: run them inside the student's Jupyter kernel.

Each test case of the Otter master notebook (``authoring/otter_master.py`` writes it) calls
:func:`run_grader_test`: one of *our* grader tests (a pytest test in
``assignments/<slug>/test_public.py`` or ``test_hidden.py``), run by pytest with the engine's
own plugin (:class:`autograder.plugin.GradingPlugin`): same numbers, points, messages and
hidden-test discretion. The ``student`` fixture is the engine's :class:`autograder.proxy.Student`
over :class:`KernelSession`, which calls the notebook's functions **in the notebook's own
process** through the child's codec (:class:`autograder.sandbox.child.Server`): arguments are
fresh copies, values come back as fresh tensors, ``.mutated`` and ``.tensors`` are computed as
in the sandbox. There is no sandbox: Otter runs tests inside the student's kernel (weaker
security, see docs/otter.md). The ``reference`` fixture loads ``solutions/<slug>.py``, shipped to
the autograder only (``autograder_files``). Imports nothing that the student bundle lacks.
"""
from __future__ import annotations

import math
import types
import zlib
from pathlib import Path

from .course import find_course
from .plugin import GradingPlugin, run_pytest
from .proxy import CallResult, Helper, failure_from_error
from .sandbox import wire
from .sandbox.child import Server

class KernelSession:
    """Stands in for :class:`autograder.proxy.Session` inside a notebook kernel: the same
    messages, seeds and codec as the sandboxed child, but the functions are the notebook's
    globals, called in this process. No timeouts, no memory limits, no isolation."""

    def __init__(self, env: dict, device: str = "cpu") -> None:
        module = types.ModuleType("submission")
        module.__dict__.update({k: v for k, v in env.items() if isinstance(k, str)})
        self.server = Server(-1, -1, module)
        self.device = device
        self.test_id = ""
        self.calls_in_test = 0

    def begin_test(self, test_id: str) -> None:
        self.test_id, self.calls_in_test = test_id, 0

    def _seed(self) -> int:  # as Session._seed: the same seeds as in the sandbox
        self.calls_in_test += 1
        return zlib.crc32(f"{self.test_id}#{self.calls_in_test}".encode())

    def call(self, fn: str, args: tuple, kwargs: dict, *, helper: Helper | None = None,
             entry: str | None = None, timeout: float | None = None) -> CallResult:
        message = {"op": "call", "fn": fn, "seed": self._seed(),
                   "args": [wire.encode(a) for a in args],
                   "kwargs": {k: wire.encode(v) for k, v in kwargs.items()}}
        if helper is not None:
            message["helper"] = {"name": helper.name, "source": helper.source, "entry": entry}
        reply = self.server.handle(message)
        if not reply.get("ok"):
            raise failure_from_error(fn, reply.get("error") or {})
        value = wire.decode(reply.get("value"))
        return CallResult(value, wire.tensor_metas(reply.get("value")), list(reply.get("mutated", [])))


_CACHE: dict[tuple, dict] = {}


def _fingerprint(env: dict) -> tuple:
    return tuple(sorted((k, id(v)) for k, v in env.items() if isinstance(k, str) and callable(v)
                        and not k.startswith("_")))


def run_grader_tests(env: dict, slug: str, nodeids: list[str], device: str = "cpu") -> dict:
    """Run these grader tests (pytest node ids relative to the course folder) against the
    notebook's globals ``env``; returns ``{nodeid: TestRecord}``. Results are cached while the
    notebook's functions stay the same objects, so the cases of one Otter question share a run."""
    root = find_course()
    key = (str(root), slug, tuple(nodeids), _fingerprint(env))
    if key in _CACHE:
        return _CACHE[key]
    present = [n for n in nodeids if (root / n.split("::")[0]).exists()]
    solution = root / "solutions" / f"{slug}.py"
    plugin = GradingPlugin(KernelSession(env, device), solution if solution.exists() else None, math.inf)
    if present:
        run_pytest([Path(root / n) for n in present], plugin, root)
    _CACHE.clear()  # keep one run: a rerun after an edit replaces it
    _CACHE[key] = dict(plugin.records)
    if plugin.problems:
        _CACHE[key]["__problems__"] = plugin.problems
    return _CACHE[key]


def run_grader_test(env: dict, slug: str, nodeid: str, group: list[str] | None = None) -> None:
    """One Otter test case: run grader test ``nodeid`` (with the others of ``group`` in the same
    pytest run) and raise AssertionError with the grader's message unless it passed."""
    records = run_grader_tests(env, slug, list(group or [nodeid]) if nodeid in (group or []) else [nodeid])
    record = records.get(nodeid)
    if record is None:
        problems = "\n".join(records.get("__problems__", []))
        raise AssertionError(f"grader test {nodeid} could not run here" + (f":\n{problems}" if problems else ""))
    if record.status != "passed":
        raise AssertionError(f"{record.number} {record.name}: {record.output}")



"""The last line of defence: whatever happens inside grading, a complete results file.

``grade`` registers what it is doing here; :class:`Watchdog` waits past the assignment's
deadline and, if grading has not returned by then, writes results with every collected
test (those that did not finish get 0 and say why), kills the sandbox and ends the judge.
Nothing the child does can block the judge's wire (every read and write has a deadline),
so this fires only for a grader bug; it exists so that even then Gradescope gets a file
on its spec with the maximum intact. ``skeleton`` lists an assignment's tests without
running any, for the fallback file that the Gradescope zip carries.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .records import TestRecord

_ACTIVE: dict = {}


def register(plugin, session) -> None:
    _ACTIVE["plugin"], _ACTIVE["session"] = plugin, session


def unregister() -> None:
    _ACTIVE.clear()


class Watchdog:
    def __init__(self, seconds: float, results_path: Path, title: str, max_score: float | None) -> None:
        self.results_path = results_path
        self.title = title
        self.max_score = max_score
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)

    def __enter__(self) -> "Watchdog":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()

    def _run(self, seconds: float) -> None:
        if self._done.wait(seconds):
            return
        from .results import DEADLINE, Results, failure_results, write_json

        plugin, session = _ACTIVE.get("plugin"), _ACTIVE.get("session")
        message = (f"{self.title}: grading was stopped at its deadline ({seconds:.0f} s); tests that had "
                   "not finished get 0. This is not your fault; your instructor has been told.")
        if plugin is not None and plugin.records:
            records = []
            for record in plugin.records.values():
                if not record.ran:
                    record = TestRecord(record.number, record.name, record.max_score, record.visibility,
                                        output="Not run: grading was stopped at its deadline.")
                records.append(record)
            data = Results(records, header=message, stopped=DEADLINE,
                           notes=["watchdog: grading did not return by the deadline"]).to_gradescope()
        else:
            data = failure_results(message, self.max_score, seconds, status=DEADLINE)
        write_json(data, self.results_path)
        try:
            if session is not None:
                session.close()
        finally:
            os._exit(0)


def skeleton(assignment) -> list[dict]:
    """Every graded test of ``assignment`` (number, name, max_score, visibility), by collection."""
    from .plugin import GradingPlugin, run_pytest
    from .proxy import Session

    session = Session(None, assignment.slug, assignment.limits, "cpu", time.monotonic() + 60,
                      load_error="collection only")
    plugin = GradingPlugin(session, None, time.monotonic() + 60)
    run_pytest(assignment.test_files(False) + ["--collect-only"], plugin, assignment.root)
    return [{"number": r.number, "name": r.name, "max_score": r.max_score, "visibility": r.visibility}
            for r in plugin.records.values()]

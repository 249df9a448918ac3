"""The batch's progress line: done / failed / left / cached and the time left."""
from __future__ import annotations

import sys
import threading
import time

from .outcomes import Outcome


class Progress:
    """One status line: done / failed / remaining and the time left."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.failed, self.cached = total, 0, 0, 0
        self.started = time.monotonic()
        self.stream = stream
        self.tty = stream.isatty()
        self.lock = threading.Lock()
        self.last_print = 0.0
        self.extra = ""  # e.g. "3 workers, 2 running, " on Dask

    def show(self, every: float = 5.0) -> None:
        """Print the line again (Dask: workers and running change between results)."""
        with self.lock:
            now = time.monotonic()
            if now - self.last_print > (1.0 if self.tty else every):
                self.last_print = now
                self.stream.write(("\r" if self.tty else "") + self.line() + ("" if self.tty else "\n"))
                self.stream.flush()

    def update(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            self.failed += outcome.status != "ok"
            self.cached += outcome.cached
            now = time.monotonic()
            if self.tty or now - self.last_print > 5 or self.done == self.total:
                self.last_print = now
                self.stream.write(("\r" if self.tty else "") + self.line() + ("" if self.tty else "\n"))
                self.stream.flush()

    def line(self) -> str:
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.monotonic() - self.started
        fresh = self.done - self.cached
        left = self.total - self.done
        eta = elapsed / fresh * left if fresh else 0.0
        return (f"[{'#' * filled}{'.' * (width - filled)}] {self.extra}{self.done}/{self.total} done, "
                f"{self.failed} failed, {left} left, {self.cached} cached, "
                f"elapsed {elapsed:.0f}s, ~{eta:.0f}s left")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

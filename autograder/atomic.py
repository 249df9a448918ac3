"""Files written whole or not at all: a temp file ``.<name>.<random>.tmp`` beside the target,
then os.replace, so a signal or a kill never leaves half a file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all: a temp file beside it, then os.replace."""
    with atomic_output(path) as fh:
        fh.write(text)


class atomic_output:
    """``with atomic_output(path) as fh:`` writes to ``.<name>.<random>.tmp`` beside ``path``
    and replaces ``path`` with it on success; on any exception the temp file is removed and
    ``path`` keeps what it held. The temp file exists from ``__enter__`` on."""

    def __init__(self, path: Path, newline: str | None = None) -> None:
        self.path = Path(path)
        self.newline = newline

    def __enter__(self):
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.fh = os.fdopen(fd, "w", newline=self.newline, encoding="utf-8")
        return self.fh

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self.fh.close()
            if kind is None:
                os.chmod(self.tmp, 0o644)
                os.replace(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)

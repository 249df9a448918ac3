"""The child's folder on the judge's side (``/tmp/ag-child-*``): made for each child, locked
for as long as its judge lives, and removed by the judge when the child closes.

A judge killed outright (SIGKILL from the OOM killer, a cluster's preemption, a batch worker
killed by its scheduler) cannot remove its folders. The lock outlives nothing: the kernel
drops a ``flock`` when the last descriptor of it closes, i.e. when the judge dies. So the next
child this user starts removes every folder of its own whose lock it can take: their judges
are gone.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

PREFIX = "ag-child-"
# A folder just made is not locked yet for a few microseconds: leave young ones alone.
MIN_AGE_S = 60.0

_swept = False


class Stage:
    """A fresh ``ag-child-*`` folder, locked until `remove`."""

    def __init__(self) -> None:
        global _swept
        if not _swept:  # once per judge process: a judge's own folders are removed by itself
            _swept = True
            sweep()
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX))
        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)  # not inherited (O_CLOEXEC)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def sweep(folder: str | None = None, min_age_s: float = MIN_AGE_S) -> list[Path]:
    """Remove this user's child folders in ``folder`` (the temp folder) whose judge is gone
    (nobody holds their lock) and that are older than ``min_age_s``; return them."""
    removed = []
    now = time.time()
    for entry in os.scandir(folder or tempfile.gettempdir()):
        try:
            if not entry.name.startswith(PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.geteuid() or now - info.st_mtime < min_age_s:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live judge holds it
            os.close(fd)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(Path(entry.path))
    return removed

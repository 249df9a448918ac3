"""A batch's side of warm judges: start the judge server (``autograder/classroom/warm_judge.py``, which
says what is kept warm and why no submission can reach another) and ask it for one forked
judge per grading."""
from __future__ import annotations

import sys

from ..sandbox import forkserver


class WarmJudges:
    """A judge fork server, started by a batch. ``start(cmd, env, stderr)`` takes the command
    line ``batch.grade_one`` would run and returns a Popen-like handle of a forked judge."""

    def __init__(self, threads: int, device: str) -> None:
        self.control, self.proc = forkserver.launch(
            [sys.executable, "-m", "autograder.classroom.warm_judge", str(threads), device], start_new_session=True)

    def start(self, cmd: list[str], env: dict, stderr) -> forkserver.ForkedProcess:
        prefix = [sys.executable, "-m", "autograder"]
        if cmd[:3] != prefix:
            raise ValueError(f"not an autograder command: {cmd[:3]}")
        return forkserver.spawn(self.control, {"argv": cmd[3:], "env": env}, [stderr.fileno()], timeout=120)

    def close(self) -> None:
        forkserver.shut(self.control, self.proc, timeout=10)

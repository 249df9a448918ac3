"""Warm judges: a batch's gradings forked from a process that has already started up.

A cold grading spends most of its time starting: the judge imports pytest, torch and the
engine, the child imports torch (about 2.4 s of a 3.9 s grading of the smallest assignment on
the 2-core reference machine). A warm server pays both once per batch (or per Dask worker):

- **the judge** is this module's server, run as ``python -m autograder.classroom.warm_judge THREADS DEVICE CONTROL_FD``
  by a batch (``warm.py`` beside it starts it and asks it for judges). It
  imports the judge's modules and then forks one judge per grading (``forkserver.py``); the
  fork runs ``autograder grade`` exactly as the command would, in its own session. Judges
  are trusted code; a fork still starts from the server's state, which no grading touched.
- **the child** is forked from a zygote (``sandbox/zygote.py``) that has imported numpy and
  torch and nothing of the course; each fork builds a new sandbox around itself with the
  same jail as a cold start, loads one submission, and ends with its grading.

So no submission's code ever runs in a process another submission's code ran in, or sees
its files: what is kept warm is only state from before any submission was read.
"""
from __future__ import annotations

import os
import signal
import socket
import sys

from ..sandbox import forkserver


def _judge(payload: dict, fds: list[int]) -> None:
    """In a forked judge: ``autograder ARGV`` with the batch's environment, stderr to its file."""
    from .. import cli

    os.setsid()  # the batch finds and stops a judge by its session, as a cold one
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(fds[0], 2)
    os.close(null)
    os.close(fds[0])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(payload["env"])
    try:
        code = cli.main(payload["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - as the interpreter would: a traceback, status 1
        import traceback

        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    os._exit(code or 0)


def main(argv: list[str]) -> None:
    threads, device, control = int(argv[1]), argv[2], socket.socket(fileno=int(argv[3]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch stops its judges, not this server
    # what every judge imports (grading.py imports the plugin and pytest after starting the child)
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401

    from .. import cli, grading, plugin, proxy  # noqa: F401
    from ..sandbox import process, warm_start

    process.ZYGOTE = warm_start.Zygote(threads, device)
    forkserver.serve(control, _judge)


if __name__ == "__main__":
    main(sys.argv)

"""The child zygote: an interpreter that has imported numpy and torch (the child's start-up,
about 2 s here) and then forks one fresh child per submission.

Run by a warm judge (``autograder/classroom/warm_judge.py``) as ``python -I zygote.py CONTROL_FD``, with the
environment a child gets (``process.child_env``), outside any sandbox and before any
submission exists. Its state is the cold child's state at the moment it would import
student code: the standard library, numpy, torch, and this folder's trusted files (jail,
child, wire, landlock, seccomp), loaded by path. It never reads a
submission, a configuration or a file descriptor of a request (the warden of
``forkserver.py`` does, after the fork), so no submission can leave anything in it for the
next one.

Each fork runs the jail exactly as ``python -I -S jail.py CONFIG`` does (same namespaces,
uid, limits, seccomp and Landlock, same status line to the judge), except that the last step
calls ``child.run`` in the locked process instead of exec'ing a new interpreter. What the
forks share that fresh interpreters do not: the address-space layout (ASLR is drawn once per
zygote) and torch's import-time state, identical in every fork (the child seeds every
generator before each call anyway).
"""
from __future__ import annotations

import os
import socket
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name: str):
    """A trusted file of this folder, named as a cold child sees it (``/grader/<name>.py``), so
    that a traceback a student reads does not show where the engine is installed."""
    with open(os.path.join(HERE, f"{name}.py"), encoding="utf-8") as fh:
        source = fh.read()
    module = types.ModuleType(name)
    module.__file__ = f"/grader/{name}.py"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[1]))
    forkserver = _load("forkserver")
    _load("landlock")
    _load("seccomp")
    jail = _load("jail")
    _load("wire")
    child = _load("child")  # finds wire in sys.modules
    import numpy  # noqa: F401  - what child.run imports before student code
    import torch  # noqa: F401

    jail.RUN_CHILD = child.run

    def start(cfg: dict, fds: list[int]) -> None:
        """In the target process: the jail, from its first step, with this request's fds."""
        req_r, resp_w, status_w, out_w = fds
        cfg["keep_fds"], cfg["status_fd"] = [req_r, resp_w], status_w
        cfg["child_options"].update(req_fd=req_r, resp_fd=resp_w)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.close(null)
        os.close(out_w)
        jail.run(cfg)

    def on_orphan(cfg: dict) -> None:
        """The judge died mid-grading: as root, no process may keep the sandbox's uid."""
        if cfg.get("uid") is not None and os.geteuid() == 0:
            forkserver.kill_uid(int(cfg["uid"]))

    forkserver.serve(control, start, on_orphan)


if __name__ == "__main__":
    main(sys.argv)

"""Judge side of warm starts: start the child zygote (``zygote.py``) and fork children from it.

A judge sets ``process.ZYGOTE = Zygote(...)``; from then on each ``Child`` is forked from the
zygote when it ``accepts`` the child (same sandbox mode, same environment but for the
child's folder), and started cold otherwise. Refused where the judge could not find every
process of a sandbox without ancestry: without namespaces and not root (there, orphans are
found by being re-parented to the judge, and a fork of the zygote is not the judge's child).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from . import forkserver, probe
from .process import child_env, interpreter

ZYGOTE_SCRIPT = Path(__file__).with_name("zygote.py")
PER_CHILD = ("HOME", "TMPDIR")  # the child's folder: the only difference between two children


class Zygote:
    def __init__(self, threads: int = 1, device: str = "cpu") -> None:
        self.mode = probe.detect().mode
        self.env = child_env("/tmp/work", threads, device)
        self.control, self.proc = forkserver.launch([str(interpreter()), "-I", str(ZYGOTE_SCRIPT)],
                                                    env=self.env, cwd="/", stderr=subprocess.DEVNULL)

    def accepts(self, mode: str, env: dict) -> bool:
        if mode != self.mode:  # (a dead zygote is found by spawn: the judge then starts cold)
            return False
        if mode != "namespaces" and os.geteuid() != 0:
            return False
        same = lambda e: {k: v for k, v in e.items() if k not in PER_CHILD}  # noqa: E731
        return same(env) == same(self.env)

    def spawn(self, cfg: dict, fds: list[int], stdout) -> forkserver.ForkedProcess:
        return forkserver.spawn(self.control, cfg, fds, stdout=stdout)

    def close(self) -> None:
        forkserver.shut(self.control, self.proc, timeout=5)  # its forks end with their judges

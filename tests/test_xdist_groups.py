"""tests/xdist_groups.py: under `pytest -n 2 --dist loadgroup` a module that names an
xdist_group runs on one worker, and the others' tests still spread over both."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist")

HERE = Path(__file__).resolve().parent
TEST = '''{header}
import os
import time

import pytest


@pytest.mark.parametrize("n", range(8))
def test_record(n):
    time.sleep(0.1)
    with open({log!r}, "a") as f:
        f.write(f"{{__name__}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")
'''


def _workers(tmp_path: Path) -> dict[str, set[str]]:
    """Run both modules under two workers with the plugin; the workers each module ran on."""
    log = tmp_path / "workers.log"
    for name, header in (("test_grouped", 'import pytest\npytestmark = pytest.mark.xdist_group("grouped")'),
                         ("test_free", "")):
        (tmp_path / f"{name}.py").write_text(TEST.format(header=header, log=str(log)))
    env = dict(os.environ, PYTHONPATH=str(HERE))
    argv = [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
            "-p", "xdist_groups", "--rootdir", str(tmp_path), str(tmp_path)]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        module, worker = line.split()
        seen.setdefault(module, set()).add(worker)
    return seen


def test_a_grouped_module_runs_on_one_worker_and_the_rest_spread(tmp_path):
    seen = _workers(tmp_path)
    assert len(seen["test_grouped"]) == 1, seen
    assert seen["test_free"] == {"gw0", "gw1"}, seen

"""The sandbox under hostile submissions: leftover processes, limits, environment, network."""
from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT
from test_engine import SOLUTION, TEMPLATE, failed_numbers, quick, replace_body, run, write


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_escaped_processes_are_killed(tmp_path):
    """setsid + double fork: the grandchild survives its parents, but not the grading."""
    marker = Path("/tmp") / f"ag-escape-{uuid.uuid4().hex}"
    evil = TEMPLATE + f'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open({str(marker)!r}, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(600)
    os._exit(0)
'''
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", evil))
    assert results.score == 0
    deadline = time.time() + 5
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the escape never ran"
    pid = int(marker.read_text())
    time.sleep(0.5)
    marker.unlink()
    assert not _alive(pid), f"process {pid} outlived the grading"


def test_many_processes_are_bounded_and_cleaned(tmp_path):
    pid_file = Path("/tmp") / f"ag-forks-{uuid.uuid4().hex}"
    source = replace_body(SOLUTION, "discussion_example", f'''import os, time
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    with open({str(pid_file)!r}, "a") as fh:
        fh.write(f"{{pid}}\\n")
return (0.5108256237659907, 0.36806420716849726)''')
    results = run(quick(processes=64), write(tmp_path, "kl_asymmetry.py", source))
    assert "1.1" not in failed_numbers(results)
    time.sleep(0.5)
    pids = [int(x) for x in pid_file.read_text().split()]
    pid_file.unlink()
    assert pids, "no process was started"
    assert not [p for p in pids if _alive(p)], "forked processes outlived the grading"


def test_cpu_time_limit(tmp_path):
    source = replace_body(SOLUTION, "fit_forward_kl", "x = 0\nwhile True:\n    x += 1")
    results = run(quick(cpu_seconds=8, call_timeout=90), write(tmp_path, "kl_asymmetry.py", source))
    outputs = {t.number: t.output for t in results.tests}
    assert failed_numbers(results) == {"1.7", "2.17"}
    assert "CPU" in outputs["1.7"], outputs["1.7"]


def test_file_size_limit(tmp_path):
    source = replace_body(SOLUTION, "fit_forward_kl",
                          "with open('big.bin', 'wb') as fh:\n    fh.write(b'x' * (200 * 2**20))\nreturn (0.0, 1.0)")
    results = run(quick(file_mb=16), write(tmp_path, "kl_asymmetry.py", source))
    assert failed_numbers(results) == {"1.7", "2.17"}
    assert "File too large" in {t.number: t.output for t in results.tests}["1.7"]


def test_environment_carries_no_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "hunter2")
    probe = Path("/tmp") / f"ag-env-{uuid.uuid4().hex}"  # writable by the sandbox user too
    evil = TEMPLATE + f'''
import os
with open({str(probe)!r}, "w") as fh:
    fh.write(repr(sorted(os.environ)) + "\\n" + os.environ.get("AUTOGRADER_TEST_SECRET", "none"))
'''
    run(quick(), write(tmp_path, "kl_asymmetry.py", evil))
    text = probe.read_text()
    probe.unlink()
    assert "hunter2" not in text and text.endswith("none")


@pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")
def test_no_network_when_root(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port = server.getsockname()[1]
    reached = []

    def accept():
        server.settimeout(20)
        try:
            conn, _ = server.accept()
            reached.append(True)
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    evil = TEMPLATE + f'''
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
except OSError:
    pass
'''
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", evil))
    server.close()
    thread.join()
    assert any("network none" in n for n in results.notes), results.notes
    assert not reached


def test_child_works_in_a_private_folder(tmp_path):
    source = replace_body(SOLUTION, "discussion_example",
                          "import os\nassert os.listdir('.') == [] or set(os.listdir('.')) <= "
                          "{'kl_asymmetry.py', '_grader_child.py'}, os.listdir('.')\n"
                          "return (0.5108256237659907, 0.36806420716849726)")
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", source))
    assert results.score == results.max_score

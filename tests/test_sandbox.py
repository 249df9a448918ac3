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


def _with_token(token: str) -> list[int]:
    """Processes anywhere on the machine whose command line carries ``token``."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if token.encode() in fh.read() and _alive(int(pid)):
                    found.append(int(pid))
        except (OSError, ValueError):
            pass
    return found


def test_escaped_processes_are_killed(tmp_path):
    """setsid + double fork, and a chain of 30 forks: nothing survives the grading. (The
    sandbox's /tmp is its own, so the escapees mark themselves by their command line.)"""
    token = f"ag-escape-{uuid.uuid4().hex}"
    evil = TEMPLATE + f'''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "600", {token!r}])
    os._exit(0)
if os.fork() == 0:  # a chain: each link forks the next and exits
    for _ in range(30):
        if os.fork():
            os._exit(0)
        os.setsid()
    os.execv("/bin/sleep", ["sleep", "600", {token!r}])
time.sleep(1)
'''
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", evil))
    assert results.score == 0
    time.sleep(0.3)
    assert not _with_token(token), "processes outlived the grading"


def test_many_processes_are_bounded_and_cleaned(tmp_path):
    token = f"ag-forks-{uuid.uuid4().hex}"
    source = replace_body(SOLUTION, "discussion_example", f'''import os, time
started = 0
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.execv("/bin/sleep", ["sleep", "600", {token!r}])
    started += 1
if started >= 300:
    raise RuntimeError("no process limit")
return (0.5108256237659907, 0.36806420716849726)''')
    results = run(quick(processes=64), write(tmp_path, "kl_asymmetry.py", source))
    assert "1.1" not in failed_numbers(results), {t.number: t.output for t in results.tests}["1.1"]
    time.sleep(0.3)
    assert not _with_token(token), "forked processes outlived the grading"


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
    shown = {t.number: t.output for t in results.tests}["1.7"]
    assert "File too large" in shown or "No space left on device" in shown, shown  # one file / the whole tmpfs


def test_environment_carries_no_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "hunter2")
    source = replace_body(SOLUTION, "entropy", "import os\nraise ValueError('ENV ' + repr(sorted(os.environ)) + ' '"
                                               " + os.environ.get('AUTOGRADER_TEST_SECRET', 'none'))")
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", source))
    shown = {t.number: t.output for t in results.tests}["1.1"]
    assert "ENV [" in shown and "hunter2" not in shown and shown.rstrip().split("\n")[0].endswith("none"), shown


def test_no_network(tmp_path):
    """Neither TCP nor UDP reaches a listener of the judge's on 127.0.0.1, as root or not."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    port, udp_port = server.getsockname()[1], udp.getsockname()[1]
    reached = []

    def accept():
        server.settimeout(20)
        try:
            conn, _ = server.accept()
            reached.append("tcp")
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
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"leak", ("127.0.0.1", {udp_port}))
except OSError:
    pass
'''
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", evil))
    server.close()
    thread.join()
    try:
        udp.recv(100)
        reached.append("udp")
    except OSError:
        pass
    udp.close()
    assert any("sandbox (observed by the judge)" in n for n in results.notes), results.notes
    assert not reached


def test_child_works_in_a_private_folder(tmp_path):
    source = replace_body(SOLUTION, "discussion_example",
                          "import os\nassert os.listdir('.') == [] or set(os.listdir('.')) <= "
                          "{'kl_asymmetry.py', '_grader_child.py'}, os.listdir('.')\n"
                          "return (0.5108256237659907, 0.36806420716849726)")
    results = run(quick(), write(tmp_path, "kl_asymmetry.py", source))
    assert results.score == results.max_score


def test_landlock_mode_loads_and_grades_the_reference(monkeypatch):
    """Without namespaces (an older kernel, a container that forbids them) the child runs from a
    folder it may pass through but not list: its own files must still load (wire.py once did
    not: every submission, the reference included, 'could not be loaded')."""
    from autograder.course import load_assignment
    from autograder.sandbox import probe

    monkeypatch.setenv("AUTOGRADER_SANDBOX_NO_NAMESPACES", "1")
    caps = probe.detect(refresh=True)
    try:
        if caps.mode != "landlock":
            pytest.skip(f"this machine has no Landlock (mode {caps.mode})")
        result = run(load_assignment(ROOT, "kl_asymmetry"), ROOT / "solutions" / "kl_asymmetry.py")
        assert result.score == result.max_score > 0, [t.output for t in result.tests][:3]
        assert any("mode landlock" in n for n in result.notes), result.notes
    finally:
        monkeypatch.delenv("AUTOGRADER_SANDBOX_NO_NAMESPACES")
        probe.detect(refresh=True)


def test_sandbox_uids_do_not_follow_the_judges_seed():
    """The judge seeds ``random`` before every test (plugin.py), so two judges side by side
    (a batch's, a Dask worker's) run the same seeds at about the same time. Their sandboxes'
    uids must still differ: a shared uid lets one student's code signal and read the other's,
    and one sandbox's cleanup (kill_uid) kills the other's child. Seen as 16 SIGKILLed or
    unbuildable gradings in a parallel run of the samples."""
    import random

    from autograder.sandbox import process

    uids = []
    for _ in range(3):
        random.seed(0)
        uids.append(process._free_uid())
    assert len(set(uids)) == 3, uids


def test_a_dead_sandbox_never_takes_in_its_neighbours_processes(tmp_path):
    """The kernel hands a dead PID namespace's inode number to the next new namespace at
    once. A sandbox whose child is gone (killed, not yet closed: a judge between kill and
    close, or still in kill's loop) must not count the next sandbox's processes, of another
    judge of the batch, as its own: it would SIGKILL them, and add their memory to its own.
    Seen as SIGKILLed calls in a parallel run of the samples."""
    from autograder.sandbox import probe, process

    if probe.detect().mode != "namespaces":
        pytest.skip("PID namespaces only")
    submission = tmp_path / "kl_asymmetry.py"
    submission.write_text(SOLUTION)
    first = process.Child(submission, "kl_asymmetry", process.Limits(), "cpu")
    first.start(60)
    first.kill()
    time.sleep(0.2)  # the namespace is freed
    neighbours = []
    try:
        for _ in range(3):  # the number is reused at once; three chances for it
            neighbour = process.Child(submission, "kl_asymmetry", process.Limits(), "cpu")
            neighbours.append(neighbour)
            neighbour.start(60)
            assert neighbour.members(), "the neighbour has processes"
            assert not set(first.members()) & set(neighbour.members()), \
                f"{first.pidns} takes in {neighbour.pidns}'s processes"
        assert neighbour.alive()
    finally:
        first.close()
        for neighbour in neighbours:
            neighbour.close()


KILLED_JUDGE = '''
import os, sys, time
from pathlib import Path
from autograder.sandbox import process
child = process.Child(Path(sys.argv[1]), "kl_asymmetry", process.Limits(), "cpu")
child.start(60)
print(child.stage, flush=True)
time.sleep(600)  # killed here, its child alive
'''


def test_a_killed_judges_child_folder_is_swept_by_the_next_judge(monkeypatch):
    """A judge killed outright (SIGKILL: the OOM killer, a Dask worker killed mid-grading)
    cannot remove its child's folder in /tmp. Its lock dies with it, so the next judge's
    first child removes it; a live judge's folder, and a folder just made, stay. (In a temp
    folder of this test's own: a sweep of /tmp could meet a parallel test's folder in the
    microseconds between its making and its lock.)"""
    import shutil
    import subprocess
    import sys
    import tempfile

    from autograder.sandbox import process, stage

    base = Path(tempfile.mkdtemp(prefix="ag-sweep-test-"))
    base.chmod(0o755)  # a sandbox uid passes through to its folder, as in /tmp
    try:
        submission = base / "kl_asymmetry.py"
        submission.write_text(SOLUTION)
        judge = subprocess.Popen([sys.executable, "-c", KILLED_JUDGE, str(submission)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=str(base)))
        try:
            dead = Path(judge.stdout.readline().strip())
        finally:
            judge.kill()
            judge.wait()
        assert dead.parent == base and dead.name.startswith(stage.PREFIX) and dead.is_dir(), \
            "the killed judge left its folder"
        monkeypatch.setattr(tempfile, "tempdir", str(base))
        live = process.Child(submission, "kl_asymmetry", process.Limits(), "cpu")
        try:
            live.start(60)
            assert live.stage.parent == base
            assert dead not in stage.sweep(str(base), min_age_s=3600) and dead.is_dir(), "a folder just made stays"
            removed = stage.sweep(str(base), min_age_s=0)
            assert dead in removed and not dead.exists()
            assert live.stage not in removed and live.stage.is_dir(), "a live judge's folder stays"
        finally:
            live.close()
        assert not live.stage.exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)

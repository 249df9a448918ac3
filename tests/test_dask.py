"""`autograder batch --scheduler`: the gradings on a real Dask cluster (issue 18).

Real components throughout: a `dask scheduler` and two `dask worker` processes on 127.0.0.1
(free ports, one worker advertising the abstract resource GPU=1, the scheduler with
``allowed-failures`` 1 so that a task is given up after its second dead worker), and the batch
itself as the `autograder` command. Workers are killed with SIGKILL while they grade; their
nanny starts a fresh worker, as on a real cluster.
"""
from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, build_sample
from sample_builder import samples_folder

pytestmark = pytest.mark.xdist_group("test_dask")  # see pyproject.toml

distributed = pytest.importorskip("distributed", reason="Dask is not installed: pip install -e '.[dask]'")

SUBMISSIONS = {  # full marks, nothing, some (three, to keep the file's time small on a loaded machine)
    "a_solution": ROOT / "solutions" / "kl_asymmetry.py",
    "b_template": ROOT / "student_template" / "kl_asymmetry.py",
    "c_swapped": samples_folder("kl_asymmetry") / "wrong" / "kl_arguments_swapped.py",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(address, test client) of a scheduler with two single-threaded workers, one with GPU=1."""
    logs = tmp_path_factory.mktemp("dask-logs")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    bindir = Path(sys.executable).parent
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                              stderr=(logs / "scheduler.log").open("w"), start_new_session=True)]
    for name, extra in (("cpu", []), ("gpu", ["--resources", "GPU=1"])):
        procs.append(subprocess.Popen([str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--name", name, *extra], env=env,
                                      stdout=subprocess.DEVNULL, stderr=(logs / f"{name}.log").open("w"),
                                      start_new_session=True))
    client = None
    try:
        client = distributed.Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        yield address, client
    finally:
        if client is not None:
            client.close()
        for proc in reversed(procs):  # the workers first, then the scheduler; each with its session
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except OSError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_the_course_tarball_holds_what_judges_need_and_no_samples():
    """Workers get the assignment as Gradescope's judge does: tests, helpers, config and the
    reference, never samples/ (nor instructor/)."""
    import io
    import tarfile

    from autograder.classroom.distributed import pack_course
    from autograder.course import load_assignment

    with tarfile.open(fileobj=io.BytesIO(pack_course(load_assignment(ROOT, "kl_asymmetry")))) as tar:
        names = tar.getnames()
    assert {"assignments/kl_asymmetry/test_hidden.py", "solutions/kl_asymmetry.py"} <= set(names)
    assert samples_folder("kl_asymmetry").is_dir() and not [n for n in names if "samples/" in n], names


def _class(tmp_path: Path, names=tuple(SUBMISSIONS), extra: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    for name in names:
        shutil.copy(build_sample(SUBMISSIONS[name]), folder / f"{name}.py")  # a wrong sample: built
    for name, text in (extra or {}).items():
        (folder / f"{name}.py").write_text(text)
    return folder


def _batch(source: Path, out: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "batch", "kl_asymmetry", str(source),
                             "--out", str(out), "--device", "cpu", "--course", str(ROOT), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))


def _gradebook(out: Path) -> dict[str, tuple[str, str]]:
    with (out / "gradebook.csv").open() as fh:
        return {row["submission_id"]: (row["score"], row["status"]) for row in csv.DictReader(fh)}


def _executing(client) -> dict[str, tuple[int, list[str]]]:
    """Worker address -> (its pid, keys it is running now)."""
    try:
        return client.run(lambda dask_worker: (os.getpid(), [ts.key for ts in dask_worker.state.executing]))
    except Exception:  # a worker died between listing and asking
        return {}


def _kill_worker_running(client, prefix: str, proc: subprocess.Popen, timeout: float = 120) -> str:
    """SIGKILL the worker process that runs a task whose key starts with ``prefix``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        for address, (pid, keys) in _executing(client).items():
            if any(str(k).startswith(prefix) for k in keys):
                os.kill(pid, signal.SIGKILL)
                while address in client.scheduler_info()["workers"]:  # the scheduler saw it go
                    time.sleep(0.1)
                return address
        time.sleep(0.1)
    raise AssertionError(f"no task {prefix}* ran (batch exited: {proc.poll()})")


LOCAL: dict[str, tuple[str, str]] = {}


def _local_scores(tmp_path: Path) -> dict[str, tuple[str, str]]:
    if not LOCAL:
        out = tmp_path / "local"
        (tmp_path / "local-class").mkdir()
        proc = _batch(_class(tmp_path / "local-class"), out, "--jobs", "2")
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        LOCAL.update(_gradebook(out))
    return LOCAL


def test_dask_batch_equals_local_and_a_killed_worker_loses_nothing(cluster, tmp_path):
    address, client = cluster
    local = _local_scores(tmp_path)
    assert local["a_solution"] == ("41", "ok") and local["b_template"][0] == "0"
    out = tmp_path / "dask"
    started = time.monotonic()
    proc = _batch(_class(tmp_path), out, "--scheduler", address)
    killed = _kill_worker_running(client, "grade-", proc)  # in the middle of its first grading
    stdout, stderr = proc.communicate(timeout=300)
    print(f"Dask batch of {len(SUBMISSIONS)} with one worker killed: {time.monotonic() - started:.1f} s")
    assert proc.returncode == 0, stderr
    assert "workers" in stderr and "running" in stderr  # the progress line
    errors = [(out / "results" / f"{i}.json").read_text()[-600:] for i, (_, st) in _gradebook(out).items()
              if st != "ok"]
    assert _gradebook(out) == local, errors
    assert all(status == "ok" for _, status in _gradebook(out).values())
    assert killed not in client.scheduler_info()["workers"]
    client.wait_for_workers(2, timeout=120)  # the nanny's new worker


SLEEPER = (ROOT / "solutions" / "kl_asymmetry.py").read_text() + "\nimport time\ntime.sleep(600)\n"


def test_a_submission_that_kills_its_worker_twice_alone_is_reported_and_spares_its_neighbour(cluster, tmp_path):
    address, client = cluster
    client.wait_for_workers(2, timeout=120)
    out = tmp_path / "dask"
    proc = _batch(_class(tmp_path, ["a_solution"], {"z_killer": SLEEPER}), out, "--scheduler", address)
    # allowed-failures is 1: two deaths with a_solution perhaps queued on the same worker,
    # then two more while z_killer is graded alone
    for prefix in ("grade-z_killer-", "grade-z_killer-", "grade-z_killer-alone-", "grade-z_killer-alone-"):
        _kill_worker_running(client, prefix, proc)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    book = _gradebook(out)
    assert book["a_solution"] == ("41", "ok")
    assert book["z_killer"][1] == "killed its worker"
    assert not (out / "results" / "z_killer.key").exists()  # not cached: graded again next run
    assert "allowed-failures" in (out / "results" / "z_killer.json").read_text()
    client.wait_for_workers(2, timeout=120)


def test_tasks_asking_for_a_gpu_run_only_on_the_worker_that_has_one(cluster, tmp_path):
    from autograder.classroom.batch import run_batch
    from autograder.course import load_assignment

    address, client = cluster
    client.wait_for_workers(2, timeout=120)
    gpu = [a for a, w in client.scheduler_info()["workers"].items() if w.get("resources", {}).get("GPU")]
    assert len(gpu) == 1
    outcomes = run_batch(load_assignment(ROOT, "kl_asymmetry"), _class(tmp_path, ["a_solution", "b_template"]),
                         tmp_path / "out", jobs=2, device="cpu", scheduler=address,
                         resources={"GPU": 1})
    assert [o.status for o in outcomes] == ["ok"] * 2  # with a free CPU worker, still both on the GPU one
    assert {o.data["_batch_worker"] for o in outcomes} == set(gpu)


def test_an_interrupted_client_resumes(cluster, tmp_path):
    address, client = cluster
    client.wait_for_workers(2, timeout=120)
    local = _local_scores(tmp_path)
    source, out = _class(tmp_path), tmp_path / "dask"
    proc = _batch(source, out, "--scheduler", address)
    end = time.monotonic() + 240
    while not list((out / "results").glob("*.key")) if (out / "results").is_dir() else True:
        assert time.monotonic() < end and proc.poll() is None, "no grading finished"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    first = _gradebook(out)
    kept = {i for i, (_, status) in first.items() if status == "ok"}
    assert kept and any(status == "not graded" for _, status in first.values())
    stamps = {i: (out / "results" / f"{i}.json").stat().st_mtime_ns for i in kept}
    proc = _batch(source, out, "--scheduler", address)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert _gradebook(out) == local
    assert {i: (out / "results" / f"{i}.json").stat().st_mtime_ns for i in kept} == stamps  # not graded again

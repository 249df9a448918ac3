"""What a killed Dask worker costs a batch: the same class on a real scheduler and two workers,
once undisturbed and once with a worker killed (SIGKILL) while it grades.

    python benchmarks/dask_faults.py [--assignment kl_asymmetry] [--size 16] [--kill-after 8]
                                     [--cold]

The scheduler and workers are `dask scheduler` / `dask worker --nworkers 1 --nthreads 1` on
127.0.0.1 (the worker's nanny restarts it, as on a cluster). The killed worker's gradings are
rescheduled; the table gives each run's wall time, and whether the gradebooks are equal.
"""
from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch import make_class  # noqa: E402
from common import ROOT, machine, table  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker_pids(address: str) -> list[int]:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return sorted(client.run(os.getpid).values())


def run(slug: str, source: Path, out: Path, address: str, kill_after: float | None, cold: bool):
    cmd = [sys.executable, "-m", "autograder", "batch", slug, str(source), "--out", str(out), "--device", "cpu",
           "--scheduler", address, "--no-similarity", *(["--cold"] if cold else [])]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = None
    if kill_after is not None:
        time.sleep(kill_after)
        killed = _worker_pids(address)[0]
        os.kill(killed, signal.SIGKILL)
    _, err = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        sys.exit(err)
    with (out / "gradebook.csv").open() as fh:
        book = {r["submission_id"]: (r["score"], r["status"]) for r in csv.DictReader(fh)}
    return time.monotonic() - started, book, killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="kl_asymmetry")
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--kill-after", type=float, default=8.0, help="seconds into the batch")
    parser.add_argument("--cold", action="store_true", help="cold judges (batch --cold)")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    procs += [subprocess.Popen([str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True) for _ in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            make_class(args.assignment, args.size, Path(tmp) / "class", "typical")
            # a first run warms the workers (their judge servers) so that both runs compare alike
            run(args.assignment, Path(tmp) / "class", Path(tmp) / "warmup", address, None, args.cold)
            base, book, _ = run(args.assignment, Path(tmp) / "class", Path(tmp) / "calm", address, None, args.cold)
            rows.append(["undisturbed", args.size, base, "", "yes"])
            wall, killed_book, pid = run(args.assignment, Path(tmp) / "class", Path(tmp) / "killed", address,
                                         args.kill_after, args.cold)
            rows.append([f"worker {pid} killed at {args.kill_after:.0f} s", args.size, wall, f"{wall - base:+.1f}",
                         "yes" if killed_book == book else "NO"])
        print(f"Machine: {machine()}; {'cold' if args.cold else 'warm'} judges, 2 workers\n")
        print(table(["run", "submissions", "wall s", "lost s", "same gradebook"], rows))
    finally:
        for proc in reversed(procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except OSError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()

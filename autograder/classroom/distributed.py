"""``autograder batch --scheduler ADDRESS`` / ``--cluster KIND``: the gradings on Dask workers.

Nothing is shared between this client and the workers. Each task carries the submission's
files (a dict of bytes) and a reference to the assignment's tarball (its tests, solution and
config), scattered once with a content hash, so that a worker receives an assignment once and
unpacks it once (into a private 0700 temp folder, kept per assignment digest for the worker's
life). The worker writes the submission into another private 0700 folder and runs the same
judge as a local batch (``python -m autograder grade ... --course <unpacked>``), which builds
the sandbox itself: student code cannot read the unpacked course. The worker returns the
judge's results (text, stderr, figures as bytes); only the client writes ``results/``, the
cache keys, gradebook.csv and report.html, through :func:`autograder.classroom.outcomes.record_outcome`,
so the cache rule is the local one (only a finished grading is cached, keyed by content).

Faults: Dask reschedules a task whose worker died; after ``distributed.scheduler.allowed-failures``
(a scheduler setting, default 3) deaths the task fails with ``KilledWorker``. A dying worker takes
with it every task assigned to it, including those queued behind the guilty one (the scheduler
assigns more tasks than a worker has threads), so such a submission is graded once more, alone,
after the others; only if its workers die again then is it recorded with status
``killed its worker`` (not cached: graded again next run).

Warm: unless the client says ``--cold``, each worker process keeps a warm judge server
(warm.py) for its life, started at its first task: every grading is then a fork of a judge and
of a sandbox child that no submission touched, as in a local batch.

GPUs: with ``--device cuda`` each grading asks for ``{"GPU": gpu_fraction}``, where
``gpu_fraction`` is ``[grading] gpu_fraction`` in the assignment's assignment.toml (default 1:
a whole GPU); workers advertise theirs with ``dask worker --resources GPU=1``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from ..authoring.layout import never_shipped
from ..course import Assignment
from .export import Entry
from .judges import Judges
from .outcomes import Outcome, _submission_key, cached_outcome, judge_options, record_outcome
from .progress import Progress

JOBQUEUE = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
            "htcondor": "HTCondorCluster", "oar": "OARCluster", "moab": "MoabCluster"}
KILLED = "killed its worker"


# --------------------------------------------------------------------------- client side
def gpu_fraction(assignment: Assignment) -> float:
    """``[grading] gpu_fraction`` of assignment.toml: the part of one GPU a grading needs."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    grading = tomllib.loads((assignment.folder / "assignment.toml").read_text()).get("grading", {})
    return float(grading.get("gpu_fraction", 1.0))


def default_resources(assignment: Assignment, device: str) -> dict:
    return {"GPU": gpu_fraction(assignment)} if device == "cuda" else {}


def pack_course(assignment: Assignment) -> bytes:
    """The assignment folder and its solution as a tar (deterministic: sorted, no times). Not
    samples/ nor instructor/ (never_shipped): no judge needs them, as none on Gradescope has them."""
    buf = io.BytesIO()
    root = assignment.root
    files = [p for p in sorted(assignment.folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
             and not never_shipped(p, assignment.folder)]
    if assignment.solution.exists():
        files.append(assignment.solution)
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for f in files:
            data = f.read_bytes()
            info = tarfile.TarInfo(str(f.relative_to(root)))
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def pack_submission(entry: Entry) -> tuple[str, dict[str, bytes] | bytes]:
    """(name, bytes of a file) or (name, {relative path: bytes}) of a folder."""
    if entry.path.is_dir():
        return entry.path.name, {str(p.relative_to(entry.path)): p.read_bytes()
                                 for p in sorted(entry.path.rglob("*")) if p.is_file()}
    return entry.path.name, entry.path.read_bytes()


def connect(scheduler: str | None, cluster: str | None, jobs: int, todo: int):
    """(client, cluster or None). A scheduler file (a path that exists) or an address; or a
    cluster started here: ``local`` (``jobs`` single-threaded worker processes) or a
    dask-jobqueue kind from its own configuration (jobqueue.yaml), adapted to the work left."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            if os.path.exists(scheduler):
                return Client(scheduler_file=scheduler), None
            return Client(scheduler), None
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    if cluster == "local":
        made = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, processes=True,
                            dashboard_address=None)
        return Client(made), made
    if cluster not in JOBQUEUE:
        raise ValueError(f"unknown --cluster {cluster!r} (known: local, {', '.join(JOBQUEUE)})")
    try:
        import dask_jobqueue
    except ImportError:
        raise ValueError("--cluster needs dask-jobqueue: pip install 'vae-autograder[slurm]'") from None
    made = getattr(dask_jobqueue, JOBQUEUE[cluster])()
    made.adapt(minimum=0, maximum=max(1, todo))
    return Client(made), made


def grade_on_dask(assignment: Assignment, entries: list[Entry], out: Path, key: str, device: str,
                  stop: threading.Event, progress: Progress, *, scheduler: str | None, cluster: str | None,
                  jobs: int, resources: dict | None, warm: bool = True) -> dict[str, Outcome]:
    """Grade ``entries`` on Dask; returns the outcomes that came back (cached ones included).
    When ``stop`` is set, the tasks not finished are cancelled and left out."""
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise ValueError("--scheduler/--cluster need Dask: pip install 'vae-autograder[dask]'") from None
    done: dict[str, Outcome] = {}
    todo = []
    for entry in entries:
        cached = cached_outcome(entry, out, key)
        if cached is not None:
            done[entry.id] = cached
            progress.update(cached)
        else:
            todo.append(entry)
    if not todo:
        return done
    resources = default_resources(assignment, device) if resources is None else resources
    client, made = connect(scheduler, cluster, jobs, len(todo))
    try:
        try:  # only when the scheduler serves one
            if "dashboard" in client.scheduler_info().get("services", {}):
                print(f"Dask dashboard: {client.dashboard_link}", file=progress.stream)
        except Exception:
            pass
        course = pack_course(assignment)
        digest = hashlib.sha256(course).hexdigest()
        # a task (not scattered data): its key is the content's digest, each worker fetches its result
        # once from a peer, and when every worker holding it died the scheduler makes it again
        course_future = client.submit(_same, course, key=f"course-{digest[:32]}", pure=False)
        if device == "cuda" and resources.get("GPU"):  # the child's share of its worker's GPU memory
            assignment = dataclasses.replace(assignment, limits=dataclasses.replace(
                assignment.limits, gpu_fraction=0.9 * min(1.0, resources["GPU"])))
        options = judge_options(assignment)
        limit = assignment.deadline + 120

        def submit(entry: Entry, round_: str):
            submission_key = _submission_key(key, entry)
            (out / "results" / f"{entry.id}.key").unlink(missing_ok=True)
            name, payload = pack_submission(entry)
            task_key = f"grade-{entry.id}-{round_}{hashlib.sha256(submission_key.encode()).hexdigest()[:16]}"
            fut = client.submit(grade_remote, course_future, digest, assignment.slug, name, payload, device,
                                limit, options, warm, assignment.limits.threads, key=task_key,
                                resources=resources or None, pure=False, retries=0)
            return fut, (entry, submission_key)

        # Round 1: everything at once. A worker that dies takes with it every task assigned to it,
        # the ones waiting behind the guilty one included, so a KilledWorker here is not yet a verdict.
        futures = dict(submit(entry, "") for entry in todo)
        suspects = _wait(client, futures, out, limit, KilledWorker, stop, progress, done, hold_killed=True)
        # Round 2: each suspect alone, one after the other: only a worker that dies while it is the
        # only grading of this batch convicts it.
        for entry in suspects:
            if stop.is_set():
                break
            _wait(client, dict([submit(entry, "alone-")]), out, limit, KilledWorker, stop, progress, done,
                  hold_killed=False)
    finally:
        try:
            client.close()
        finally:
            if made is not None:
                made.close()
    return done


def _wait(client, futures: dict, out: Path, limit: float, KilledWorker, stop: threading.Event,
          progress: Progress, done: dict[str, Outcome], *, hold_killed: bool) -> list[Entry]:
    """Collect ``futures`` into ``done`` as they finish, showing progress; on ``stop`` cancel the rest.
    With ``hold_killed``, a submission whose workers died is returned instead of recorded."""
    held: list[Entry] = []
    left = dict(futures)
    last_info = 0.0
    while left and not stop.is_set():
        finished = [f for f in left if f.done()]
        for fut in finished:
            entry, submission_key = left.pop(fut)
            outcome = _collect(fut, entry, out, submission_key, limit, KilledWorker)
            if hold_killed and outcome.status == KILLED:
                held.append(entry)
                continue
            done[entry.id] = outcome
            progress.update(outcome)
        now = time.monotonic()
        if now - last_info > 2.0:
            last_info = now
            try:
                info = client.scheduler_info()
                mine = {f.key for f in left}
                threads = {w: i.get("nthreads", 1) for w, i in info.get("workers", {}).items()}
                running = sum(min(threads.get(w, 1), sum(k in mine for k in keys))  # assigned, capped
                              for w, keys in client.processing().items())     # by the worker's threads
                progress.extra = f"{len(info.get('workers', {}))} workers, {running} running, "
            except Exception:  # the scheduler is away for a moment: keep the old line
                pass
            progress.show()
        if not finished:
            time.sleep(0.2)
    if left:  # interrupted: nothing of these is kept (a running judge on a worker ends on its own)
        client.cancel(list(left))
    return held


def _collect(fut, entry: Entry, out: Path, submission_key: str, limit: float, KilledWorker) -> Outcome:
    if fut.status == "finished":
        r = fut.result()
        return record_outcome(entry, out, submission_key, returncode=r["returncode"], results_text=r["results"],
                              timed_out=r["timed_out"], limit=limit, stderr_text=r["stderr"],
                              figures=r["figures"], seconds=r["seconds"], extra={"_batch_worker": r["worker"]})
    try:
        exc = fut.exception()
    except Exception as err:  # cancelled (the scheduler lost it)
        exc = err
    if isinstance(exc, KilledWorker):
        why = ("the workers grading this submission died every time it was tried, also when it was "
               "graded alone (distributed.scheduler.allowed-failures); it is not retried again in this run")
        return record_outcome(entry, out, submission_key, returncode=None, results_text=None, timed_out=False,
                              limit=limit, stderr_text=str(exc), figures={}, seconds=0.0, status=KILLED, why=why)
    return record_outcome(entry, out, submission_key, returncode=None, results_text=None, timed_out=False,
                          limit=limit, stderr_text=f"task {fut.status}: {type(exc).__name__}: {exc}", figures={}, seconds=0.0,
                          status="error", why="the Dask task failed" + (
                              " (cancelled by the scheduler: its log says why; a scheduler or worker that runs "
                              "another version of autograder cannot read the task)" if fut.status == "cancelled"
                              else ""))


# --------------------------------------------------------------------------- worker side
def _same(data: bytes) -> bytes:
    return data


_COURSES: dict[str, Path] = {}
_COURSES_LOCK = threading.Lock()


def _course_dir(digest: str, tar_bytes: bytes) -> Path:
    """The unpacked assignment, once per digest on this worker, in a private 0700 folder."""
    with _COURSES_LOCK:
        folder = _COURSES.get(digest)
        if folder is not None and folder.is_dir():
            return folder
        folder = Path(tempfile.mkdtemp(prefix=f"ag-course-{digest[:12]}-"))  # mode 0700
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            for member in tar.getmembers():
                if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
                    continue
                target = folder / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
        _COURSES[digest] = folder
        return folder


_WARM: dict[tuple[int, str], Judges] = {}
_WARM_LOCK = threading.Lock()


def _warm_judges(threads: int, device: str) -> Judges:
    """This worker's warm judge server (warm.py), started once and kept for the worker's life.
    It is started from a thread that lives as long as the worker, because a process's
    PR_SET_PDEATHSIG follows the thread that started it (a task thread may end first)."""
    with _WARM_LOCK:
        if (threads, device) not in _WARM:
            made: list[Judges] = []
            ready = threading.Event()

            def keep() -> None:
                made.append(Judges(die_with_parent=True, warm=(threads, device)))
                ready.set()
                threading.Event().wait()  # until the worker's process ends

            threading.Thread(target=keep, name="autograder-warm-judges", daemon=True).start()
            ready.wait()
            _WARM[(threads, device)] = made[0]
        return _WARM[(threads, device)]


def grade_remote(course_tar: bytes, digest: str, slug: str, name: str, payload, device: str,
                 limit: float, options: list[str], warm: bool = False, threads: int = 1) -> dict:
    """On a worker: grade one submission with the judge; return what the client records."""
    try:
        from distributed import get_worker

        worker = get_worker().address
    except Exception:
        worker = ""
    course = _course_dir(digest, course_tar)
    scratch = Path(tempfile.mkdtemp(prefix="ag-grading-"))  # mode 0700: the submission and the judge's output
    try:
        submission = scratch / "submission" / name
        submission.parent.mkdir()
        if isinstance(payload, dict):
            for rel, data in payload.items():
                if rel.startswith("/") or ".." in Path(rel).parts:
                    continue
                (submission / rel).parent.mkdir(parents=True, exist_ok=True)
                (submission / rel).write_bytes(data)
        else:
            submission.write_bytes(payload)
        results_dir = scratch / "results"
        results_dir.mkdir()
        judge_results = results_dir / "results.json"
        cmd = [sys.executable, "-m", "autograder", "grade", slug, str(submission), "--quiet",
               "--course", str(course), "--results", str(judge_results), "--device", device, *options]
        env = dict(os.environ)
        judges = _warm_judges(threads, device) if warm else Judges(die_with_parent=True)
        started = time.monotonic()
        returncode, timed_out = judges.run(cmd, env, scratch / "stderr.txt", limit)
        seconds = time.monotonic() - started
        try:
            results = judge_results.read_text()
        except OSError:
            results = None
        figures = {p.name: p.read_bytes() for p in results_dir.iterdir()
                   if p.is_file() and p.name != "results.json"}
        return {"returncode": returncode, "results": results, "timed_out": timed_out,
                "stderr": (scratch / "stderr.txt").read_text(errors="replace")[-4000:],
                "figures": figures, "seconds": seconds, "worker": worker}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

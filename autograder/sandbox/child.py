"""The child process that runs student code: a server of calls from the judge.

The jail (``jail.py``) puts copies of this file and ``wire.py`` where the child can read but
not write them, and execs ``python -I child.py ...`` once the sandbox is locked: the child
never imports the ``autograder`` package. It depends on the standard library, numpy and
torch only. Each request names a function of the submission (or of a grader helper) and its
arguments in the wire's codec; each reply carries the value or the error.
"""
from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
import traceback
import types

if __package__:  # imported by the judge's side (the Otter export runs calls in the kernel)
    from . import wire
else:  # a script in the jail: wire.py lies beside it. Loaded by its path, not from sys.path:
    # -I leaves the script's folder off sys.path, and without namespaces that folder may be
    # passed through but not listed (mode 711, Landlock grants the two files only), so an
    # import's directory scan would not find it.
    # (In a fork of the zygote, zygote.py has loaded it already.)
    wire = sys.modules.get("wire")
    if wire is None:
        _spec = importlib.util.spec_from_file_location("wire", os.path.join(os.path.dirname(__file__), "wire.py"))
        wire = importlib.util.module_from_spec(_spec)
        sys.modules["wire"] = wire
        _spec.loader.exec_module(wire)

# --------------------------------------------------------------------------- child side
def _error_info(exc: BaseException, limit_frames: bool = True) -> dict:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    if isinstance(exc, SystemExit):
        kind = "exit"
    elif isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    else:
        kind = "exception"
    try:
        message = str(exc)[:2000]
    except BaseException:
        message = "<unprintable>"
    if isinstance(exc, MemoryError) or "can't allocate memory" in message:
        kind = "memory"
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "message": message,
        "traceback": "".join(tb)[-4000:],
    }


def _locate_todo(info: dict, exc: BaseException, module) -> dict:
    """A NotImplementedError is a TODO only when a ``raise NotImplementedError`` line of the
    submission raised it; then ``where`` names the function holding that line (which may be
    another student function than the one called). One raised by a library (torch's "Could
    not run 'aten::...'") is an ordinary exception, reported with its message."""
    if info.get("kind") != "not_implemented":
        return info
    submission = getattr(module, "__file__", None)
    tb, innermost = exc.__traceback__, None
    while tb is not None:
        innermost, tb = tb, tb.tb_next
    if innermost is None or submission is None:
        return info
    code = innermost.tb_frame.f_code
    if code.co_filename != submission and not code.co_filename.startswith("<notebook cell"):
        return dict(info, kind="exception")  # raised inside a library
    import linecache

    line = linecache.getline(code.co_filename, innermost.tb_lineno).strip()
    if line and not line.startswith("raise NotImplementedError"):
        return dict(info, kind="exception")  # e.g. a torch operation without this backend
    return dict(info, where=getattr(code, "co_qualname", code.co_name))


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _snapshot(args: list) -> list:
    import torch

    return [(i, a, bytes(a.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes()))
            for i, a in enumerate(args) if isinstance(a, torch.Tensor)]


def _mutated(snapshots: list) -> list:
    import torch

    changed = []
    for i, a, before in snapshots:
        now = bytes(a.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        if now != before:
            changed.append(i)
    return changed


class Server:
    def __init__(self, req_fd: int, resp_fd: int, module: types.ModuleType | None) -> None:
        self.req_fd = req_fd
        self.resp_fd = resp_fd
        self.module = module
        self.helpers: dict[str, types.ModuleType] = {}

    def helper(self, spec: dict) -> types.ModuleType:
        key = spec["name"]
        if key not in self.helpers:
            mod = types.ModuleType(f"_grader_helper_{key}")
            # A helper that catches a student function's error itself (to judge another
            # function on) reports it in the child's own format: see proxy.failure_from_error.
            mod.describe_error = self.describe_error
            exec(compile(spec["source"], f"<grader helper {key}>", "exec"), mod.__dict__)
            self.helpers[key] = mod
        return self.helpers[key]

    def describe_error(self, exc: BaseException) -> dict:
        return _locate_todo(_error_info(exc), exc, self.module)

    def handle(self, msg: dict) -> dict:
        try:
            args = wire.decode(msg.get("args", []), grad=True)
            kwargs = {k: wire.decode(v, grad=True) for k, v in msg.get("kwargs", {}).items()}
            _seed_everything(int(msg.get("seed", 0)))
        except Exception as exc:  # the judge sent something wrong: not the student's fault
            return {"ok": False, "error": dict(_error_info(exc), kind="grader")}
        name = msg["fn"]
        if not callable(getattr(self.module, name, None)):
            return {"ok": False, "error": {"kind": "missing", "type": "AttributeError",
                                           "message": f"no function named {name!r}", "traceback": ""}}
        if msg.get("helper"):
            func = getattr(self.helper(msg["helper"]), msg["helper"]["entry"])
            call_args = [self.module, *args]
        else:
            func = getattr(self.module, name)
            call_args = list(args)
        snapshots = _snapshot(call_args)
        try:
            value = func(*call_args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - everything the student raises is reported
            return {"ok": False, "error": self.describe_error(exc)}
        mutated = _mutated(snapshots)
        if msg.get("helper"):
            mutated = [i - 1 for i in mutated if i > 0]
        return {"ok": True, "value": wire.encode(value), "mutated": mutated}

    def serve(self) -> None:
        while True:
            try:
                msg = wire.read_message(self.req_fd)
            except EOFError:
                return
            if msg.get("op") == "stop":
                return
            try:
                reply = self.handle(msg)
            except BaseException as exc:  # a failure while encoding or decoding
                reply = {"ok": False, "error": _error_info(exc)}
            reply["id"] = msg.get("id")
            try:
                wire.write_message(self.resp_fd, reply)
            except (TypeError, ValueError) as exc:
                wire.write_message(self.resp_fd, {"id": msg.get("id"), "ok": False, "error": _error_info(exc)})


def load_submission(path: str, module_name: str) -> tuple[types.ModuleType | None, dict | None]:
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except BaseException as exc:  # syntax errors, import errors, sys.exit at import...
        info = _error_info(exc)
        if isinstance(exc, SyntaxError):
            info["message"] = f"{exc.msg} (line {exc.lineno})"
        return None, info
    return module, None


def main(argv: list[str]) -> None:
    run(json.loads(argv[1]))  # the jail (jail.py) has already locked this process in


def run(options: dict) -> None:
    """Load the submission and serve the judge's calls (in a fresh interpreter, or in a
    fork of the zygote: then the imports below are already done)."""
    req_fd, resp_fd = options["req_fd"], options["resp_fd"]
    os.chdir(options["workdir"])
    sys.path.insert(0, options["workdir"])
    sys.dont_write_bytecode = True
    import numpy  # noqa: F401  - imported before student code, so timing is not theirs
    import torch

    torch.set_num_threads(int(options.get("threads", 1)))
    if options.get("gpu_fraction") and torch.cuda.is_available():  # several children share one GPU
        torch.cuda.set_per_process_memory_fraction(float(options["gpu_fraction"]))
    _seed_everything(int(options.get("seed", 0)))
    module, error = load_submission(options["submission"], options["module"])
    names = sorted(n for n, v in vars(module).items() if callable(v)) if module else []
    wire.write_message(resp_fd, {"op": "hello", "ok": error is None, "error": error,
                            "names": names})
    Server(req_fd, resp_fd, module).serve()


if __name__ == "__main__":
    main(sys.argv)

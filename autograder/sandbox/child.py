"""The child process that runs student code, and the wire format it shares with the judge.

The jail (``jail.py``) puts a copy of this file where the child can read but not write it,
and execs ``python -I child.py ...`` once the sandbox is locked: the child never imports the
``autograder`` package. It depends on the standard library, numpy and torch only.

Wire format: every message is an 8-byte big-endian length followed by UTF-8 JSON.
Tensors travel as ``{"__t__": "tensor", "dtype", "shape", "data": base64 of raw bytes}``:
plain arrays, never pickles, so nothing the child sends can run code in the judge.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import random
import sys
import traceback
import types
from typing import Any

HEADER = 8
# dtype name -> (numpy dtype name used on the wire, item size)
WIRE_DTYPES = {
    "float16": ("float16", 2),
    "bfloat16": ("float32", 4),  # numpy has no bfloat16: it travels widened
    "float32": ("float32", 4),
    "float64": ("float64", 8),
    "int8": ("int8", 1),
    "int16": ("int16", 2),
    "int32": ("int32", 4),
    "int64": ("int64", 8),
    "uint8": ("uint8", 1),
    "bool": ("bool", 1),
}
MAX_DEPTH = 8


# --------------------------------------------------------------------------- framing
def write_message(fd: int, obj: Any) -> None:
    payload = json.dumps(obj).encode("utf-8")
    data = len(payload).to_bytes(HEADER, "big") + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> Any:
    size = int.from_bytes(read_exact(fd, HEADER), "big")
    return json.loads(read_exact(fd, size))


# --------------------------------------------------------------------------- codec
def _torch_dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).replace("torch.", "")


def encode(value: Any, depth: int = 0) -> Any:
    """Turn a Python/torch/numpy value into JSON-able data (used on both sides)."""
    import numpy as np

    if depth > MAX_DEPTH:
        return {"__t__": "object", "type": "too deeply nested", "repr": ""}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int or type(value) is float:
        return value
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return _encode_tensor(value, torch)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        arr = np.asarray(value)
        if arr.dtype.name not in WIRE_DTYPES:
            return {"__t__": "object", "type": f"numpy array of {arr.dtype.name}", "repr": ""}
        return {
            "__t__": "ndarray",
            "dtype": arr.dtype.name,
            "shape": list(arr.shape),
            "scalar": isinstance(value, np.generic),
            "data": base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii"),
        }
    if type(value) in (list, tuple):
        return {"__t__": type(value).__name__, "items": [encode(v, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__t__": "dict", "items": {k: encode(v, depth + 1) for k, v in value.items()}}
    try:
        text = repr(value)[:200]
    except BaseException:  # a hostile __repr__ costs only its own text
        text = "<repr failed>"
    return {"__t__": "object", "type": type(value).__qualname__, "repr": text}


def _encode_tensor(value: Any, torch: Any) -> dict:
    dtype = _torch_dtype_name(value)
    meta = {
        "device": str(value.device),
        "requires_grad": bool(value.requires_grad),
        "grad_fn": value.grad_fn is not None,
    }
    if dtype not in WIRE_DTYPES:
        return {"__t__": "object", "type": f"tensor of {dtype}", "repr": "", **meta}
    plain = torch.Tensor.detach(value).to("cpu")
    if dtype == "bfloat16":
        plain = plain.to(torch.float32)
    arr = plain.contiguous().numpy()
    return {
        "__t__": "tensor",
        "dtype": dtype,
        "shape": list(arr.shape),
        "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        **meta,
    }


def decode_array(obj: dict, max_elements: int) -> Any:
    """Rebuild a numpy array from its wire form, checking every field first."""
    import numpy as np

    dtype = obj.get("dtype")
    if dtype not in WIRE_DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}")
    shape = obj.get("shape")
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise ValueError("malformed shape")
    count = 1
    for s in shape:
        count *= s
    if count > max_elements:
        raise ValueError(f"array of {count} elements is too large")
    wire_dtype, itemsize = WIRE_DTYPES[dtype]
    raw = base64.b64decode(obj.get("data", ""), validate=True)
    if len(raw) != count * itemsize:
        raise ValueError("array data does not match its shape")
    return np.frombuffer(raw, dtype=wire_dtype).reshape(shape).copy()


def decode(obj: Any, max_elements: int = 50_000_000, depth: int = 0, grad: bool = False) -> Any:
    """Inverse of :func:`encode`. Tensors come back as CPU torch tensors; with ``grad``
    (the child decoding the judge's arguments) they keep ``requires_grad``."""
    if depth > MAX_DEPTH + 1:
        raise ValueError("value nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):  # only plain JSON lists inside helper-made data
        return [decode(v, max_elements, depth + 1, grad) for v in obj]
    if not isinstance(obj, dict):
        raise ValueError("malformed value")
    kind = obj.get("__t__")
    if kind == "tensor":
        import torch

        arr = decode_array(obj, max_elements)
        tensor = torch.from_numpy(arr)
        if obj["dtype"] == "bfloat16":
            tensor = tensor.to(torch.bfloat16)
        if grad and obj.get("requires_grad") and tensor.is_floating_point():
            tensor.requires_grad_(True)
        return tensor
    if kind == "ndarray":
        arr = decode_array(obj, max_elements)
        return arr[()] if obj.get("scalar") else arr
    if kind in ("list", "tuple"):
        items = [decode(v, max_elements, depth + 1, grad) for v in obj.get("items", [])]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {str(k): decode(v, max_elements, depth + 1, grad) for k, v in obj.get("items", {}).items()}
    if kind == "object":
        return ForeignObject(str(obj.get("type", "?")), str(obj.get("repr", "")))
    raise ValueError(f"unknown value kind {kind!r}")


class ForeignObject:
    """Stands in, judge-side, for a returned value that is not data (a model, a generator...)."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def tensor_metas(obj: Any, out: list | None = None) -> list:
    """Device/grad facts of every tensor in an encoded value, in traversal order."""
    out = [] if out is None else out
    if isinstance(obj, dict):
        if obj.get("__t__") == "tensor":
            out.append({k: obj.get(k) for k in ("device", "requires_grad", "grad_fn", "dtype", "shape")})
        else:
            items = obj.get("items")
            for v in items.values() if isinstance(items, dict) else items or []:
                tensor_metas(v, out)
    elif isinstance(obj, list):
        for v in obj:
            tensor_metas(v, out)
    return out


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
            args = decode(msg.get("args", []), grad=True)
            kwargs = {k: decode(v, grad=True) for k, v in msg.get("kwargs", {}).items()}
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
        return {"ok": True, "value": encode(value), "mutated": mutated}

    def serve(self) -> None:
        while True:
            try:
                msg = read_message(self.req_fd)
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
                write_message(self.resp_fd, reply)
            except (TypeError, ValueError) as exc:
                write_message(self.resp_fd, {"id": msg.get("id"), "ok": False, "error": _error_info(exc)})


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
    options = json.loads(argv[1])  # the jail (jail.py) has already locked this process in
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
    write_message(resp_fd, {"op": "hello", "ok": error is None, "error": error,
                            "names": names})
    Server(req_fd, resp_fd, module).serve()


if __name__ == "__main__":
    main(sys.argv)

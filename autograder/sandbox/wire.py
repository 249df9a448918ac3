"""The wire between the judge and the child: framing and a codec of plain data.

Every message is an 8-byte big-endian length followed by UTF-8 JSON. Tensors travel as
``{"__t__": "tensor", "dtype", "shape", "data": base64 of raw bytes}``: plain arrays, never
pickles, so nothing the child sends can run code in the judge. Standard library, numpy and
torch only: the jail installs this file beside ``child.py``, which imports it without the
``autograder`` package.
"""
from __future__ import annotations

import base64
import json
import os
import sys
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

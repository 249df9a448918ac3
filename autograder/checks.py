"""Assertions for grader tests, with messages that teach.

Every check validates what came back from the child (type, shape, dtype, finiteness)
before comparing it, and fails with :class:`GradingFailure`, whose text is shown to the
student as it is. Hidden tests pass ``inputs=None`` so that no message reveals an input.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .sandbox.wire import ForeignObject


class GradingFailure(AssertionError):
    """A wrong answer. Its message is written for the student."""


def fail(message: str) -> None:
    raise GradingFailure(message)


class PartialCredit(GradingFailure):
    """A part of the test's points, ``fraction`` of them (clipped to [0, 1]), with a message
    for the student. The test's maximum stays what its ``grade`` mark says."""

    def __init__(self, fraction: float, message: str) -> None:
        super().__init__(message)
        fraction = float(fraction)
        self.fraction = 0.0 if fraction != fraction else min(max(fraction, 0.0), 1.0)  # NaN: nothing


def partial_credit(fraction: float, message: str) -> None:
    """End the test with ``fraction`` of its points, e.g. a loss between a baseline that earns
    nothing and a pass mark that earns everything::

        fraction = (baseline - loss) / (baseline - pass_mark)
        if fraction < 1:
            partial_credit(fraction, f"held-out loss {loss:.1f} nats: {fraction:.0%} of the way "
                                     f"from the baseline ({baseline:.1f}) to the pass mark ({pass_mark:.1f})")
    """
    raise PartialCredit(fraction, message)


def describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, ForeignObject):
        return f"an object of type {value.type_name}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a value of type {type(value).__name__}"


def fmt(x: Any) -> str:
    """Short, readable rendering of numbers and small tensors."""
    if isinstance(x, torch.Tensor):
        if x.numel() == 1:
            return fmt(x.item())
        flat = x.detach().double().flatten().tolist()
        body = ", ".join(fmt(v) for v in flat[:8]) + (", ..." if len(flat) > 8 else "")
        return f"[{body}] (shape {tuple(x.shape)})"
    if isinstance(x, float):
        if math.isinf(x) or math.isnan(x):
            return str(x)
        return f"{x:.6g}"
    return str(x)


def expect_tensor(value: Any, *, what: str, shape: tuple | None = None,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        fail(f"{what} should be a torch.Tensor, but it is {describe(value)}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(value.shape)}.")
    if dtype is not None and value.dtype != dtype:
        fail(f"{what} should keep the input's dtype {dtype}, but it is {value.dtype}.")
    return value


def expect_tuple(value: Any, length: int, *, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != length:
        fail(f"{what} should be a tuple of {length} items, but it is {describe(value)}.")
    return tuple(value)


def as_float(value: Any, *, what: str) -> float:
    """Anything ``float()`` accepts: a Python number, a numpy scalar, a one-element tensor."""
    if isinstance(value, bool):
        fail(f"{what} should be a number, but it is a bool.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype != torch.bool:
        return float(value.reshape(()).item())
    if isinstance(value, (np.ndarray, np.generic)) and np.size(value) == 1:
        return float(np.asarray(value).item())
    fail(f"{what} should be a number, but it is {describe(value)}.")


def _float64(x: Any) -> torch.Tensor:
    """A tensor keeps its values; a Python number or list becomes float64 directly (through
    float32, the default, a float would lose digits a tight tolerance needs)."""
    if isinstance(x, torch.Tensor):
        return x.detach().to(torch.float64)
    return torch.as_tensor(x, dtype=torch.float64)


def expect_close(got: Any, expected: Any, *, what: str, rtol: float = 1e-4, atol: float = 1e-6,
                 inputs: str | None = None, hint: str | None = None) -> None:
    """``|got - expected| <= atol + rtol * |expected|`` elementwise, with infinities matched
    exactly. ``got`` must already be a tensor or a float (use :func:`expect_tensor` first)."""
    g, e = _float64(got), _float64(expected)
    if g.shape != e.shape:
        fail(f"{what} should have shape {tuple(e.shape)}, but it has shape {tuple(g.shape)}.")
    where = f" for {inputs}" if inputs else ""
    extra = f"\nHint: {hint}" if hint else ""
    if torch.isnan(g).any() and not torch.isnan(e).any():
        idx = _first(torch.isnan(g))
        fail(f"{what}{where} contains NaN{idx}; expected {fmt(e)}.{extra}")
    inf_mismatch = (torch.isinf(g) | torch.isinf(e)) & (g != e)
    if inf_mismatch.any():
        fail(f"{what}{where}: expected {fmt(e)}, got {fmt(g)} (infinite values do not match{_first(inf_mismatch)}).{extra}")
    finite = torch.isfinite(e)
    err = (g - e).abs().where(finite, torch.zeros_like(g))
    bad = err > atol + rtol * e.abs().where(finite, torch.zeros_like(e))
    if bad.any():
        fail(f"{what}{where}: expected {fmt(e)}, got {fmt(g)} "
             f"(largest difference {err.max().item():.3g}{_first(bad)}).{extra}")


def _first(mask: torch.Tensor) -> str:
    if mask.dim() == 0:
        return ""
    idx = tuple(int(i) for i in mask.nonzero()[0].tolist())
    return f", first at index {idx}"

"""Grader helpers that run in the child, next to the student's code (public: not secret).

The grader cannot send functions or autograd graphs across the process boundary, so the
backward passes through ``sample_gaussian`` and the grader's own ``f`` and ``loss`` for
``pathwise_gradient`` live here. Every entry returns plain data: tensors, numbers, flags.
The hidden tests take ``f`` and ``loss`` from the judge's copy (``child_helpers.in_judge().CASES``)
and compute the expected values themselves: nothing here computes an answer the student is asked for.
"""
from __future__ import annotations

import torch


# --------------------------------------------------------------------------- sample_gaussian
def sample_with_grads(module, mu, log_var, eps=None):
    """Call ``sample_gaussian`` on fresh leaves ``mu`` and ``log_var`` and backpropagate
    ``sum(z)``: returns ``z`` and the gradients with respect to ``mu`` and ``log_var``
    (``None`` where no gradient reaches them)."""
    mu = mu.detach().clone().requires_grad_(True)
    log_var = log_var.detach().clone().requires_grad_(True)
    if eps is None:
        z = module.sample_gaussian(mu, log_var)
    else:
        z = module.sample_gaussian(mu, log_var, eps)
    out = {"z": z, "differentiable": False, "grad_mu": None, "grad_log_var": None}
    if not isinstance(z, torch.Tensor):
        return out
    out["z"] = z.detach().clone()
    if not z.requires_grad or not z.is_floating_point():
        return out
    out["differentiable"] = True
    g_mu, g_lv = torch.autograd.grad(z, (mu, log_var), grad_outputs=torch.ones_like(z), allow_unused=True)
    out["grad_mu"] = None if g_mu is None else g_mu.detach().clone()
    out["grad_log_var"] = None if g_lv is None else g_lv.detach().clone()
    return out


# --------------------------------------------------------------------------- pathwise_gradient
# Each case is (f, loss). f(theta, v_i) maps the parameters and one draw to a sample x, and
# loss(x) reduces the last dimension to a number; both also broadcast over a leading batch
# dimension of v (f(theta, v) gives one row per draw and loss then gives one value per row).

def _shift_f(theta, v):
    """x = theta + v: the location family of seed 002, 2(c)."""
    return theta + v


def _square_loss(x):
    return (x**2).sum(dim=-1)


def _scale_f(theta, v):
    """x = mu + exp(log_sigma) * v with theta = (mu, log_sigma): a reparameterized Gaussian."""
    return theta[0] + torch.exp(theta[1]) * v


def _soft_loss(x):
    """A smooth, non-quadratic loss: sum_k log(1 + (x_k - 1)^2)."""
    return torch.log1p((x - 1.0) ** 2).sum(dim=-1)


def _linear_f(theta, v):
    """x = tanh(v W) with theta = W of shape (D, K)."""
    return torch.tanh(v @ theta)


def _lse_loss(x):
    return torch.logsumexp(x, dim=-1) - x[..., 0]


CASES = {
    "shift": (_shift_f, _square_loss),
    "scale": (_scale_f, _soft_loss),
    "linear": (_linear_f, _lse_loss),
}


def pathwise_case(module, case, theta, v):
    """Call ``pathwise_gradient`` with the grader's ``f`` and ``loss`` and report what the
    call left behind: the result, whether it is attached to a graph, and theta's state."""
    f, loss = CASES[case]
    before = theta.detach().clone()
    result = module.pathwise_gradient(f, loss, theta, v)
    is_tensor = isinstance(result, torch.Tensor)
    return {
        "value": result.detach().clone() if is_tensor else result,
        "attached": bool(is_tensor and (result.requires_grad or result.grad_fn is not None)),
        "theta_changed": not torch.equal(theta.detach(), before),
        "theta_requires_grad": bool(theta.requires_grad),
        "theta_has_grad": theta.grad is not None,
    }

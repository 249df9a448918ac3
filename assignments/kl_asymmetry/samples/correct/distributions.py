"""Correct: torch.distributions where it is valid. Categorical(...).entropy() gives 0 log 0 = 0
(and keeps the dtype); the base is applied by hand. Cross-entropy uses xlogy (Categorical's
logits clip probabilities at machine epsilon, so they are not used for q). The forward fit is
MixtureSameFamily's mean and variance; the reverse fit uses L-BFGS with a Wolfe line search.
The fits return 0-dim tensors, which float() accepts."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.distributions import Categorical, MixtureSameFamily, Normal


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    nats = Categorical(probs=p, validate_args=False).entropy()
    return nats / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return torch.xlogy(p, q).sum(-1).neg().div(math.log(base))


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return cross_entropy(p, q, base) - entropy(p, base)


def discussion_example() -> tuple[float, float]:
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    return kl_divergence(p, q).item(), kl_divergence(q, p).item()


def _mixture(weights: Tensor, means: Tensor, stds: Tensor) -> MixtureSameFamily:
    return MixtureSameFamily(Categorical(probs=weights.double()), Normal(means.double(), stds.double()))


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    return _mixture(weights, means, stds).log_prob(x)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    mix = _mixture(weights, means, stds)
    return mix.mean, mix.variance.sqrt()


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    mix = _mixture(weights, means, stds)
    t = torch.linspace(-10.0, 10.0, 4001, dtype=torch.float64)
    c = Normal(0.0, 1.0).log_prob(t).exp()
    c = c / c.sum()
    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(init_sigma), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([mu, log_sigma], lr=1.0, max_iter=200, tolerance_grad=1e-9,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        sigma = log_sigma.exp()
        kl = -Normal(mu, sigma).entropy() - (c * mix.log_prob(mu + sigma * t)).sum()
        kl.backward()
        return kl

    for _ in range(3):
        opt.step(closure)
    return mu.detach(), log_sigma.detach().exp()

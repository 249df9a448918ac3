"""Correct: torch.distributions throughout (Normal entropy, cdf, log_prob and kl_divergence,
MultivariateNormal entropies for the mutual information, MixtureSameFamily for the KDE)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.distributions import (Categorical, Independent, MixtureSameFamily, MultivariateNormal, Normal,
                                 kl_divergence)


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return Normal(torch.zeros_like(sigma), sigma).entropy()


def quantized_entropy(sigma: float, width: float) -> float:
    lo, hi = math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 1
    edges = torch.arange(lo, hi + 1, dtype=torch.float64) * width
    cdf = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64)).cdf(edges)
    p = torch.diff(cdf)
    return Categorical(probs=p / p.sum()).entropy().item()


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    return kl_divergence(Normal(mu_p, sigma_p), Normal(mu_q, sigma_q))


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    one, zero = torch.ones_like(rho), torch.zeros_like(rho)
    cov = torch.stack([torch.stack([one, rho], -1), torch.stack([rho, one], -1)], -2)
    joint = MultivariateNormal(torch.zeros(*rho.shape, 2, dtype=rho.dtype), covariance_matrix=cov)
    marginal = Normal(zero, one)
    return 2 * marginal.entropy() - joint.entropy()


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n = train.shape[0]
    mix = Categorical(logits=torch.zeros(n, dtype=train.dtype))
    comps = Independent(Normal(train, torch.full_like(train, float(sigma))), 1)
    return MixtureSameFamily(mix, comps).log_prob(x).mean()


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    t = torch.stack([-kde_log_likelihood(train, train, s) for s in sigmas])
    h = torch.stack([-kde_log_likelihood(train, heldout, s) for s in sigmas])
    return t, h


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    return -Normal(y_hat, log_sigma.exp()).log_prob(y).sum(-1)


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    # the uniform density on one bin [0, w)^d has exactly this NLL
    return -torch.distributions.Uniform(torch.zeros(d, dtype=torch.float64),
                                        torch.full((d,), width, dtype=torch.float64)).log_prob(
        torch.zeros(d, dtype=torch.float64)).sum().item()


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return (nll - d * math.log(width)) / d / math.log(2)

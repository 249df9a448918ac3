"""Correct: hand-written KL and Bernoulli log-likelihood, and its own model with 256-unit SiLU
heads (separate heads for mu and log_var), shuffled minibatches of 256."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    var = torch.exp(log_var)
    kl = 0.5 * torch.sum(mu * mu + var - 1.0 - log_var, dim=1)
    return torch.mean(kl)


def _log_sigmoid(t: Tensor) -> Tensor:
    # log sigmoid(t) = -log(1 + e^{-t}) = min(t, 0) - log(1 + e^{-|t|}), stable for any t
    return torch.clamp(t, max=0.0) - torch.log1p(torch.exp(-t.abs()))


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        log_p = x * _log_sigmoid(x_hat) + (1.0 - x) * _log_sigmoid(-x_hat)
        return -torch.mean(torch.sum(log_p, dim=1))
    if kind == "l2":
        return torch.mean(torch.sum((x - x_hat) ** 2, dim=1))
    if kind == "l1":
        return torch.mean(torch.sum(torch.abs(x - x_hat), dim=1))
    raise ValueError(kind)


class Encoder(nn.Module):
    def __init__(self, x_dim: int, z_dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.mu = nn.Sequential(nn.Linear(x_dim, hidden), nn.SiLU(), nn.Linear(hidden, z_dim))
        self.log_var = nn.Sequential(nn.Linear(x_dim, hidden), nn.SiLU(), nn.Linear(hidden, z_dim))

    def forward(self, x: Tensor):
        return self.mu(x), self.log_var(x)


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    data = data.to(device=device, dtype=torch.float32)
    n, x_dim = data.shape
    out = []
    for beta in betas:
        enc = Encoder(x_dim, z_dim).to(device)
        dec = nn.Sequential(nn.Linear(z_dim, 256), nn.SiLU(), nn.Linear(256, x_dim)).to(device)
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-3)
        steps = math.ceil(n / 256)
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            for k in range(steps):
                x = data[order[k * 256:(k + 1) * 256]]
                mu, log_var = enc(x)
                z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
                loss = distortion(x, dec(z)) + beta * rate(mu, log_var)
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            mu, log_var = enc(data)
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            out.append((float(beta), rate(mu, log_var).item(), distortion(data, dec(z)).item()))
    return out

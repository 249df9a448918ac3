"""Correct: the template's model; R and D reported as averages over the last epoch's minibatches,
numpy floats, results collected in a dict and returned in the order of betas."""
# expect: full
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BetaVAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int = 8, hidden_dim: int = 128) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 2 * z_dim))
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, x_dim))

    def forward(self, x):
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decoder(z), mu, log_var


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    var = torch.exp(log_var)
    return torch.mean(torch.sum(mu ** 2 + var - log_var - 1, dim=-1)) / 2


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        return F.binary_cross_entropy_with_logits(x_hat, x, reduction="sum") / x.shape[0]
    elif kind == "l2":
        return torch.sum((x - x_hat) ** 2) / x.shape[0]
    elif kind == "l1":
        return torch.sum(torch.abs(x - x_hat)) / x.shape[0]
    raise ValueError(kind)


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    data = data.to(device)
    found = {}
    for i, beta in enumerate(betas):
        model = BetaVAE(data.shape[1], z_dim).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for epoch in range(epochs):
            rates, dists, sizes = [], [], []
            for idx in torch.randperm(len(data)).split(128):
                xb = data[idx.to(device)]
                logits, mu, log_var = model(xb)
                r, d = rate(mu, log_var), distortion(xb, logits)
                opt.zero_grad()
                (d + beta * r).backward()
                opt.step()
                rates.append(r.item()); dists.append(d.item()); sizes.append(len(idx))
        found[i] = (beta, np.average(rates, weights=sizes), np.average(dists, weights=sizes))
    return [found[i] for i in range(len(betas))]

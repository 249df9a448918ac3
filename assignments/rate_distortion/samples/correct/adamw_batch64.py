"""Correct: AdamW with weight decay, minibatches of 64, and a wider ELU model."""
# expect: full
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    kl = 0.5 * (mu * mu + log_var.exp() - 1.0 - log_var)
    return kl.sum(-1).mean()


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        return F.binary_cross_entropy_with_logits(x_hat, x, reduction="sum") / x.shape[0]
    if kind == "l2":
        return F.mse_loss(x_hat, x, reduction="sum") / x.shape[0]
    if kind == "l1":
        return F.l1_loss(x_hat, x, reduction="sum") / x.shape[0]
    raise ValueError(kind)


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    x_all = data.float().to(device)
    n, x_dim = x_all.shape
    results = []
    for beta in betas:
        encoder = nn.Sequential(nn.Linear(x_dim, 256), nn.ELU(), nn.Linear(256, 2 * z_dim)).to(device)
        decoder = nn.Sequential(nn.Linear(z_dim, 256), nn.ELU(), nn.Linear(256, x_dim)).to(device)
        params = list(encoder.parameters()) + list(decoder.parameters())
        optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)
        for _ in range(epochs):
            perm = torch.randperm(n, device=device)
            for start in range(0, n, 64):
                x = x_all[perm[start:start + 64]]
                mu, log_var = encoder(x).chunk(2, dim=1)
                z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)
                loss = distortion(x, decoder(z)) + beta * rate(mu, log_var)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            mu, log_var = encoder(x_all).chunk(2, dim=1)
            z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)
            results.append((float(beta), float(rate(mu, log_var)), float(distortion(x_all, decoder(z)))))
    return results

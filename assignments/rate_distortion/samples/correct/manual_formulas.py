"""Correct: hand-written formulas, a DataLoader, its own model, and D averaged over several draws of z."""
# expect: full
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    # -1/2 sum (1 + log sigma^2 - mu^2 - sigma^2), the form in Kingma & Welling
    per_example = -0.5 * torch.sum(1 + log_var - mu * mu - torch.exp(log_var), dim=-1)
    return per_example.sum() / mu.shape[0]


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        log_p = x * nn.functional.logsigmoid(x_hat) + (1 - x) * nn.functional.logsigmoid(-x_hat)
        return -log_p.sum(dim=1).mean()
    diff = x - x_hat
    if kind == "l2":
        return (diff * diff).sum(dim=1).mean()
    if kind == "l1":
        return diff.abs().sum(dim=1).mean()
    raise ValueError(kind)


class Encoder(nn.Module):
    def __init__(self, x_dim, z_dim, hidden=200):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(x_dim, hidden), nn.Tanh())
        self.mu = nn.Linear(hidden, z_dim)
        self.log_var = nn.Linear(hidden, z_dim)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.log_var(h)


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    x_dim = data.shape[1]
    loader = DataLoader(TensorDataset(data), batch_size=64, shuffle=True)
    out = []
    for beta in betas:
        enc = Encoder(x_dim, z_dim).to(device)
        dec = nn.Sequential(nn.Linear(z_dim, 200), nn.Tanh(), nn.Linear(200, x_dim)).to(device)
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=2e-3)
        for epoch in range(epochs):
            for (xb,) in loader:
                xb = xb.to(device)
                mu, log_var = enc(xb)
                z = mu + torch.randn_like(mu) * torch.exp(log_var / 2)
                loss = distortion(xb, dec(z)) + beta * rate(mu, log_var)
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            x = data.to(device)
            mu, log_var = enc(x)
            d = 0.0
            for _ in range(5):
                z = mu + torch.randn_like(mu) * torch.exp(log_var / 2)
                d += distortion(x, dec(z)).item() / 5
            out.append((beta, rate(mu, log_var).item(), d))
    return out

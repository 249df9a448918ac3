"""Correct: z drawn with torch.distributions (Normal(...).rsample()), an encoder that outputs
log sigma (log_var = 2 log sigma), two draws of z per image in the training loss, and R and D
measured on the data in chunks of 500 (weighted by chunk size)."""
# expect: full
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.distributions import Bernoulli, Normal


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    sigma2 = log_var.exp()
    return (0.5 * (mu.square() + sigma2 - 1.0 - log_var)).sum(dim=-1).mean()


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        return -Bernoulli(logits=x_hat).log_prob(x).sum(dim=-1).mean()
    if kind == "l2":
        return (x - x_hat).square().sum(dim=-1).mean()
    if kind == "l1":
        return (x - x_hat).abs().sum(dim=-1).mean()
    raise ValueError(kind)


class Model(nn.Module):
    def __init__(self, x_dim: int, z_dim: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(x_dim, 128), nn.ReLU())
        self.mu = nn.Linear(128, z_dim)
        self.log_sigma = nn.Linear(128, z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, 128), nn.ReLU(), nn.Linear(128, x_dim))

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(x)
        return self.mu(h), 2.0 * self.log_sigma(h)  # (mu, log_var)


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    data = data.to(device, torch.float32)
    out = []
    for beta in betas:
        model = Model(data.shape[1], z_dim).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            for idx in torch.randperm(data.shape[0], device=device).split(128):
                x = data[idx]
                mu, log_var = model.posterior(x)
                q = Normal(mu, torch.exp(0.5 * log_var))
                d = sum(distortion(x, model.decoder(q.rsample())) for _ in range(2)) / 2
                loss = d + beta * rate(mu, log_var)
                opt.zero_grad()
                loss.backward()
                opt.step()
        r_sum = d_sum = 0.0
        with torch.no_grad():
            for x in data.split(500):
                mu, log_var = model.posterior(x)
                z = Normal(mu, torch.exp(0.5 * log_var)).sample()
                r_sum += rate(mu, log_var).item() * len(x)
                d_sum += distortion(x, model.decoder(z)).item() * len(x)
        out.append((beta, r_sum / len(data), d_sum / len(data)))
    return out

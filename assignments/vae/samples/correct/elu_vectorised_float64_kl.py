"""Correct: ELU layers of 512, log_var squashed into a safe range by its head (the grader
never asks for a particular parameterization), the KL computed in float64 and cast back,
BCE with logits through F.binary_cross_entropy_with_logits(reduction="sum") / batch,
the whole data set moved to the device once and a fixed number of steps per epoch."""
# expect: full
import math

import torch
import torch.nn.functional as F
from torch import nn


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    dtype = mu_q.dtype
    mq, lq = mu_q.double(), log_var_q.double()
    mp = torch.zeros_like(mq) if mu_p is None else mu_p.double()
    lp = torch.zeros_like(lq) if log_var_p is None else log_var_p.double()
    kl = 0.5 * (lp - lq) + (lq.exp() + (mq - mp).square()) / (2 * lp.exp()) - 0.5
    return kl.sum(-1).to(dtype)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    return (mu_q - mu_p) / log_var_p.exp().sqrt(), log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=512):
        super().__init__()
        self.z_dim = z_dim
        self.body = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.ELU())
        self.mu = nn.Linear(hidden_dim, z_dim)
        self.log_var = nn.Linear(hidden_dim, z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.ELU(), nn.Linear(hidden_dim, x_dim))

    def encode(self, x):
        h = self.body(x)
        return self.mu(h), 6.0 * torch.tanh(self.log_var(h) / 6.0)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        std = log_var.mul(0.5).exp()
        return self.decode(mu + std * torch.randn(mu.shape, device=mu.device, dtype=mu.dtype)), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    n = x.shape[0]
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = gaussian_kl(mu, log_var).sum() / n
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model.to(device).train()
    data = data.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = math.ceil(len(data) / batch_size)
    history = []
    for _ in range(epochs):
        perm = torch.randperm(len(data), device=device)
        total = torch.zeros((), device=device)
        for k in range(steps):
            batch = data[perm[k * batch_size:(k + 1) * batch_size]]
            loss = negative_elbo(batch, *model(batch))[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(batch)
        history.append((total / len(data)).item())
    return history


def sample_images(model, n, device="cpu"):
    model.eval()
    with torch.no_grad():
        z = torch.randn(n, model.z_dim, device=device)
        probs = torch.sigmoid(model.decode(z))
    model.train()
    return probs

"""Correct: a small network (64 hidden units, LeakyReLU), KL written with loops over the
latent dimensions, the likelihood from log-sigmoid in float64, full-batch shuffling by hand."""
# expect: full
import math

import torch
import torch.nn.functional as F
from torch import nn


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    total = torch.zeros(mu_q.shape[:-1], dtype=mu_q.dtype, device=mu_q.device)
    for j in range(mu_q.shape[-1]):
        mq, lq = mu_q[..., j], log_var_q[..., j]
        mp = torch.zeros_like(mq) if mu_p is None else mu_p[..., j]
        lp = torch.zeros_like(lq) if log_var_p is None else log_var_p[..., j]
        total = total + 0.5 * (lp - lq + (torch.exp(lq) + (mq - mp) ** 2) / torch.exp(lp) - 1)
    return total


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    sigma_p = torch.sqrt(torch.exp(log_var_p))
    return (mu_q - mu_p) / sigma_p, torch.log(torch.exp(log_var_q) / torch.exp(log_var_p))


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=256):
        super().__init__()
        self.z_dim = z_dim
        hidden = 64
        self.fc1 = nn.Linear(x_dim, hidden)
        self.fc_mu = nn.Linear(hidden, z_dim)
        self.fc_lv = nn.Linear(hidden, z_dim)
        self.fc3 = nn.Linear(z_dim, hidden)
        self.fc4 = nn.Linear(hidden, x_dim)

    def encode(self, x):
        h = F.leaky_relu(self.fc1(x))
        return self.fc_mu(h), self.fc_lv(h)

    def decode(self, z):
        return self.fc4(F.leaky_relu(self.fc3(z)))

    def forward(self, x):
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype)
        return self.decode(mu + eps * torch.sqrt(torch.exp(log_var))), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    lg = logits.double()
    log_lik = x.double() * F.logsigmoid(lg) + (1 - x.double()) * F.logsigmoid(-lg)
    rec = (-log_lik.sum(-1).mean()).to(logits.dtype)
    kl = gaussian_kl(mu, log_var).mean()
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2 * lr)
    data = data.to(device)
    out = []
    for epoch in range(epochs):
        perm = torch.randperm(data.shape[0], device=device)
        total = 0.0
        batches = math.ceil(len(data) / batch_size)
        for i in range(batches):
            xb = data[perm[i * batch_size:(i + 1) * batch_size]]
            loss, _, _ = negative_elbo(xb, *model(xb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(xb)
        out.append(total / len(data))
    return out


def sample_images(model, n, device="cpu"):
    with torch.no_grad():
        logits = model.decode(torch.randn(n, model.z_dim, device=device))
    return 1 / (1 + torch.exp(-logits))

"""Correct: the layout of pytorch/examples' vae/main.py (fc1, fc21, fc22, fc3, fc4, hidden 400),
a reparameterize method that writes into its own noise tensor, BCE on probabilities with
reduction="sum" divided by the batch size, the KL as -1/2 sum(1 + logvar - mu^2 - exp(logvar))."""
# expect: full
import torch
import torch.nn.functional as F
from torch import nn, optim


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    if mu_p is None and log_var_p is None:
        return -0.5 * torch.sum(1 + log_var_q - mu_q.pow(2) - log_var_q.exp(), dim=-1)
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if log_var_p is None:
        log_var_p = torch.zeros_like(log_var_q)
    var_p = log_var_p.exp()
    terms = (log_var_q.exp() + (mu_q - mu_p).pow(2)) / (2 * var_p) + 0.5 * (log_var_p - log_var_q) - 0.5
    return terms.sum(dim=-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    std_p = torch.exp(0.5 * log_var_p)
    return (mu_q - mu_p) / std_p, log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=400):
        super().__init__()
        self.z_dim = z_dim
        self.fc1 = nn.Linear(x_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, z_dim)
        self.fc22 = nn.Linear(hidden_dim, z_dim)
        self.fc3 = nn.Linear(z_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, x_dim)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return eps.mul(std).add_(mu)

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return self.fc4(h3)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    batch = x.shape[0]
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / batch
    kld = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / batch
    return bce + beta * kld, bce, kld


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model = model.to(device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0.0
        perm = torch.randperm(data.shape[0])
        for batch_idx in range(0, data.shape[0], batch_size):
            x = data[perm[batch_idx:batch_idx + batch_size]].to(device)
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss, _, _ = negative_elbo(x, recon, mu, logvar)
            loss.backward()
            train_loss += loss.item() * x.shape[0]
            optimizer.step()
        history.append(train_loss / data.shape[0])
    return history


def sample_images(model, n, device="cpu"):
    model.eval()
    with torch.no_grad():
        sample = torch.randn(n, model.z_dim).to(device)
        return model.decode(sample).sigmoid().cpu()

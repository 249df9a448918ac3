"""The grader's stand-in VAE: child code for grading only (never in the student bundle: the
``hidden_`` prefix, see ``is_hidden`` in autograder/authoring/layout.py). The engine appends this source
to child_helpers.py's wherever it is present (the ``child_helpers`` fixture,
autograder/contract.py), so that it runs in the child beside the student's module;
``_stand_in`` there calls ``_grader_vae``."""


def _grader_vae(x_dim, z_dim, device):
    """The grader's own small VAE, with the assignment's API (``x_dim``, ``z_dim``, ``encode``,
    ``decode`` returning logits, ``forward``), on which train_vae is judged when the student's VAE
    cannot be built or fails while training. Fixed initial weights: every grading trains the same."""
    import math

    import torch
    from torch import nn

    class GraderVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.x_dim, self.z_dim = x_dim, z_dim
            self.enc_hidden = nn.Linear(x_dim, 128)
            self.enc_mu = nn.Linear(128, z_dim)
            self.enc_log_var = nn.Linear(128, z_dim)
            self.dec_hidden = nn.Linear(z_dim, 128)
            self.dec_logits = nn.Linear(128, x_dim)
            g = torch.Generator().manual_seed(2024)
            with torch.no_grad():
                for layer in (self.enc_hidden, self.enc_mu, self.enc_log_var, self.dec_hidden, self.dec_logits):
                    fan_in = layer.weight.shape[1]
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=g) / math.sqrt(fan_in))
                    layer.bias.zero_()
                self.enc_log_var.weight.mul_(0.1)
                self.dec_logits.weight.mul_(3.0)

        def encode(self, x):
            h = torch.relu(self.enc_hidden(x))
            return self.enc_mu(h), self.enc_log_var(h)

        def decode(self, z):
            return self.dec_logits(torch.tanh(self.dec_hidden(z)))

        def forward(self, x):
            mu, log_var = self.encode(x)
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            return self.decode(z), mu, log_var

    return GraderVAE().to(device)

"""Sample submission with a mistake: log_var_exp.

The encoder's log-variance head is exponentiated (log_var = exp(h), as if the head had
to be positive), so log_var > 0: the posterior variance is never below the prior's 1. Hidden
layers of 400, as in pytorch/examples.
"""
# expect-fail: 2.14
# patch: VAE


class VAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int, hidden_dim: int = 400) -> None:
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        self.enc_hidden = nn.Linear(x_dim, hidden_dim)
        self.enc_mu = nn.Linear(hidden_dim, z_dim)
        self.enc_log_var = nn.Linear(hidden_dim, z_dim)
        self.dec_hidden = nn.Linear(z_dim, hidden_dim)
        self.dec_logits = nn.Linear(hidden_dim, x_dim)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.enc_hidden(x))
        return self.enc_mu(h), torch.exp(self.enc_log_var(h))

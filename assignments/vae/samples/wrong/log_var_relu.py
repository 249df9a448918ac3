"""Sample submission with a mistake: log_var_relu.

The encoder's log-variance head goes through ReLU, so log_var >= 0: the posterior
variance exp(log_var) is never below the prior's 1.
"""
# expect-fail: 2.14
# patch: VAE


class VAE(nn.Module):
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.enc_hidden(x))
        return self.enc_mu(h), F.relu(self.enc_log_var(h))

"""Sample submission with a mistake: log_var_clamped_nonneg.

The encoder clamps log_var to [0, 10] 'for stability', so the posterior variance is never
below the prior's 1.
"""
# expect-fail: 2.14
# patch: VAE


class VAE(nn.Module):
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = F.relu(self.enc_hidden(x))
        return self.enc_mu(h), self.enc_log_var(h).clamp(0.0, 10.0)

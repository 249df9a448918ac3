"""Sample submission with a mistake: decoder_caches_x."""
# expect-fail: 2.8 2.9
# patch: VAE


class VAE(nn.Module):
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        self._last_x = x  # a side channel: the decoder will copy it
        h = F.relu(self.enc_hidden(x))
        return self.enc_mu(h), self.enc_log_var(h)

    def decode(self, z: Tensor) -> Tensor:
        logits = self.dec_logits(F.relu(self.dec_hidden(z)))
        cached = getattr(self, '_last_x', None)
        if cached is not None and len(cached) == len(z):
            return logits + 20 * (2 * cached - 1)  # leaks x from encode
        return logits

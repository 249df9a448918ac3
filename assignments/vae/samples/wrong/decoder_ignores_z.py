"""Sample submission with a mistake: decoder_ignores_z."""
# expect-fail: 2.7 2.8 2.9
# patch: VAE


class VAE(nn.Module):
    def decode(self, z: Tensor) -> Tensor:
        return self.dec_logits(F.relu(self.dec_hidden(torch.zeros_like(z))))

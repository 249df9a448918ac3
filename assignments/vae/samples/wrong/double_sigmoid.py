"""Sample submission with a mistake: double_sigmoid."""
# expect-fail: 2.8 2.9
# patch: VAE


class VAE(nn.Module):
    def decode(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.dec_logits(F.relu(self.dec_hidden(z))))

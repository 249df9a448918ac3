"""Wrong: the entropy in bits (log base 2) instead of nats."""
# expect-fail: 1.1 2.1 2.2 2.3


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log2(sigma) + 0.5 * math.log2(2 * math.pi * math.e)

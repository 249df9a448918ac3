"""Wrong: the base argument is accepted but never used (always nats)."""
# expect-fail: 1.2 2.4 2.9 2.15


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=-1)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=-1)

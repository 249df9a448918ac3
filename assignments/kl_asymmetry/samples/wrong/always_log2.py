"""Wrong: always uses log2 (bits), whatever the base; the contract's default is nats."""
# expect-fail: 1.1 1.3 1.4 1.5 1.6 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.10 2.11 2.12 2.13 2.16


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=-1) / math.log(2)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=-1) / math.log(2)

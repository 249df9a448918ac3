"""Wrong: sums over the first dimension (the batch) instead of the last one (the outcomes)."""
# expect-fail: 1.3 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12 2.13 2.14 2.15 2.16


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=0) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=0) / math.log(base)

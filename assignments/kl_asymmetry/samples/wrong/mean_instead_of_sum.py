"""Wrong: averages p_k log p_k over the outcomes instead of summing (an expectation under p already has its weights p_k)."""
# expect-fail: 1.1 1.2 1.3 1.4 1.5 1.6 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12 2.13 2.15 2.16


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, p).mean(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).mean(dim=-1) / math.log(base)

"""Wrong: converts to base b by multiplying by ln b instead of dividing (log_b x = ln x / ln b)."""
# expect-fail: 1.2 2.4 2.9 2.15


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, p).sum(dim=-1) * math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=-1) * math.log(base)

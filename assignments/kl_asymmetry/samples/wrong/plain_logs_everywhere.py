"""Wrong: p * log(p), p * log(q) and p * log(p / q) without handling p_k = 0 (NaN from 0 * log 0)."""
# expect-fail: 2.3 2.5 2.7 2.13 2.16


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(p)).sum(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(q)).sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return (p * torch.log(p / q)).sum(dim=-1) / math.log(base)

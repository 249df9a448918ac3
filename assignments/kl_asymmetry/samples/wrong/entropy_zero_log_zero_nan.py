"""Wrong: entropy as plain p * log(p): 0 * log 0 = 0 * (-inf) = NaN where some p_k = 0."""
# expect-fail: 2.3 2.5


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(p)).sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1) / math.log(base)

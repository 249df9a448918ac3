"""Wrong: entropy replaces zeros in place (p[p == 0] = 1, so log gives 0) and so changes the caller's tensor."""
# expect-fail: 2.3 2.5


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    p[p == 0] = 1.0  # log 1 = 0, and these outcomes should add 0 ... but this edits the input
    return -(p * torch.log(p)).sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return torch.xlogy(p, p).sum(dim=-1) / math.log(base) - torch.xlogy(p, q).sum(dim=-1) / math.log(base)

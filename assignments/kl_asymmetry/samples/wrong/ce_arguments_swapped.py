"""Wrong: cross_entropy computes H(q, p) = -sum q log p (arguments swapped); KL is written on its own."""
# expect-fail: 1.4 2.6 2.7 2.8 2.9 2.10


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(q, p).sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return torch.xlogy(p, p).sum(dim=-1) / math.log(base) - torch.xlogy(p, q).sum(dim=-1) / math.log(base)

"""Wrong: adds 1e-12 inside every log (log(p + 1e-12), log(q + 1e-12)); harmless in the entropy, but H(p, q) and KL become finite where q_k = 0 < p_k."""
# expect-fail: 2.7 2.8 2.13


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(p + 1e-12)).sum(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(q + 1e-12)).sum(dim=-1) / math.log(base)

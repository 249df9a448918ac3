"""Wrong: clips q with q.clamp_min(1e-8) before the log, so H(p, q) and KL are finite where they should be +inf and wrong for tiny q."""
# expect-fail: 2.7 2.8 2.13


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q.clamp_min(1e-8)).sum(dim=-1) / math.log(base)

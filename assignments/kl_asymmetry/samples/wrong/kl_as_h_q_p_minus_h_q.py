"""Wrong: KL written as H(q, p) - H(q), which is KL(q || p), not KL(p || q)."""
# expect-fail: 1.5 1.6 2.11 2.12 2.13 2.15 2.16


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return cross_entropy(q, p, base) - entropy(q, base)

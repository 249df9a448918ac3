"""Wrong: computes in float64 (fine) but forgets to cast back, so float32 inputs give float64 outputs."""
# expect-fail: 1.1 2.1 2.6 2.11


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    p = p.double()
    return -torch.xlogy(p, p).sum(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    p, q = p.double(), q.double()
    return -torch.xlogy(p, q).sum(dim=-1) / math.log(base)

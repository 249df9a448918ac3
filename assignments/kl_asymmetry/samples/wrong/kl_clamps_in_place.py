"""Wrong: kl_divergence calls p.clamp_(min=1e-30) to avoid log 0, which edits the input and turns 0 * log(0 / 0) into +inf."""
# expect-fail: 2.13 2.16


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    p = p.clamp_(min=1e-30)
    return (p * torch.log(p / q)).sum(dim=-1) / math.log(base)

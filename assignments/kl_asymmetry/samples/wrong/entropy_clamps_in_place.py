"""Wrong: entropy calls p.clamp_(min=1e-12) to keep log away from 0. The value is right, but the clamp
edits the caller's tensor (its zeros become 1e-12), and kl_divergence, which calls entropy(p), passes
the change on. Only inputs with zeros are changed, so exactly the tests that give these functions a
p with zeros fail."""
# expect-fail: 2.3 2.5 2.13 2.16


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    p.clamp_(min=1e-12)  # log(0) would give nan; clamping in place changes the input
    return -(p * torch.log(p)).sum(dim=-1) / math.log(base)

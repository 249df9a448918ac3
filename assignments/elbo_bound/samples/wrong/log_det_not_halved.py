"""Sample submission with a mistake: log_det_not_halved.

log_marginal: log det C without its factor 1/2.
"""
# expect-fail: 1.1 2.1 2.2 2.11


def log_marginal(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    d = x.shape[-1]
    C = W @ W.T + sigma**2 * torch.eye(d, dtype=x.dtype, device=x.device)
    L = torch.linalg.cholesky(C)  # C = L L^T
    r = (x - b).unsqueeze(-1)  # (B, d, 1)
    y = torch.linalg.solve_triangular(L, r, upper=False).squeeze(-1)  # L^{-1} (x - b)
    log_det = 2 * torch.log(torch.diagonal(L)).sum()  # log det C
    return -0.5 * (d * math.log(2 * math.pi) + (y**2).sum(-1)) - log_det

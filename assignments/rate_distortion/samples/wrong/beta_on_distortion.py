"""Wrong: beta_sweep multiplies the distortion by beta instead of the rate."""
# expect-fail: 1.7 2.9 2.10 2.11


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    data = data.to(device=device, dtype=torch.float32)
    results = []
    for beta in betas:
        model = BetaVAE(data.shape[1], z_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            for batch in torch.randperm(len(data), device=device).split(128):
                x = data[batch]
                logits, mu, log_var = model(x)
                loss = beta * distortion(x, logits) + rate(mu, log_var)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            logits, mu, log_var = model(data)
            results.append((float(beta), rate(mu, log_var).item(), distortion(data, logits).item()))
    return results

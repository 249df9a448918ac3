"""Grader code that runs in the child beside the student's module (public, not secret).

Every function builds the student's own VAE and drives it only through the API of the
assignment; the judge computes every loss itself from what these return."""


def _model(module, x_dim, z_dim, device):
    model = module.VAE(x_dim, z_dim)
    return model.to(device)


def shapes(module, x, z_dim, device):
    """Shapes of encode / decode / forward, and whether gradients reach log_var through z."""
    import torch

    model = _model(module, x.shape[-1], z_dim, device)
    x = x.to(device)
    mu, log_var = model.encode(x)
    logits = model.decode(torch.randn(len(x), z_dim, device=device))
    out_logits, out_mu, out_log_var = model(x)
    grad = torch.autograd.grad(out_logits.sum(), out_log_var, allow_unused=True)[0]
    again, _, _ = model(x)
    return {
        "encode": [list(mu.shape), list(log_var.shape)],
        "decode": list(logits.shape),
        "forward": [list(out_logits.shape), list(out_mu.shape), list(out_log_var.shape)],
        "grad_log_var": 0.0 if grad is None else float(grad.abs().sum()),
        "stochastic": float((again - out_logits).abs().max()),
        "device": str(out_logits.device),
    }


def train_and_probe(module, train, held_a, held_b, eps_a, z_dim, epochs, device, n_samples):
    """Train with the student's train_vae, then probe the model the way the judge wants:
    encode A, encode B (a decoder that caches the last batch now holds B), decode z_A drawn
    with the judge's own noise, decode shuffled z_A, and sample from the prior."""
    import torch

    model = _model(module, train.shape[-1], z_dim, device)
    losses = module.train_vae(model, train.to(device), epochs=epochs, device=device)
    device_after = str(next(model.parameters()).device)
    model.eval()
    with torch.no_grad():
        mu_a, log_var_a = model.encode(held_a.to(device))
        model.encode(held_b.to(device))
        std = torch.exp(0.5 * log_var_a)
        logits = torch.stack([model.decode(mu_a + std * eps_a[s].to(device)) for s in range(n_samples)])
        shuffled = model.decode((mu_a + std * eps_a[0].to(device)).roll(1, dims=0))
    samples, sample_error = _samples(module, model, 64, device)
    return {
        "losses": [float(v) for v in losses],
        "mu": mu_a.cpu(), "log_var": log_var_a.cpu(), "logits": logits.cpu(), "shuffled": shuffled.cpu(),
        "samples": samples, "sample_error": sample_error, "device_after": device_after,
    }


def _samples(module, model, n, device):
    """(samples, None), or (None, error) when sample_images fails: its failure is reported by the
    sample_images tests only, never held against train_vae (a correct train_vae keeps its points
    while sample_images is still a TODO). The error has the child's format (proxy.failure_from_error)."""
    import traceback

    import torch

    if not callable(getattr(module, "sample_images", None)):
        return None, {"kind": "missing", "type": "AttributeError", "message": "no function named 'sample_images'"}
    try:
        return torch.as_tensor(module.sample_images(model, n, device=device)).detach().cpu(), None
    except Exception as exc:  # noqa: BLE001 - whatever the student raises is reported to the tests
        kind = "not_implemented" if isinstance(exc, NotImplementedError) else "raised"
        return None, {"kind": kind, "type": type(exc).__name__, "message": str(exc)[:2000],
                      "traceback": traceback.format_exc()[-4000:]}


def untrained_samples(module, x_dim, z_dim, n, device):
    """sample_images on a freshly built (untrained) VAE: what the public range check needs,
    without depending on train_vae."""
    model = _model(module, x_dim, z_dim, device)
    model.eval()
    samples, error = _samples(module, model, n, device)
    return {"samples": samples, "sample_error": error}


def sampling(module, x, mu0, log_var0, device):
    """Draw z through the student's forward with encode replaced by fixed (mu0, log_var0) and
    decode by a recorder: returns the z's forward drew and the gradient of sum(z) with
    respect to log_var0. None when forward does not go through self.encode / self.decode."""
    import torch

    model = _model(module, x.shape[-1], mu0.shape[-1], device)
    mu0 = mu0.to(device).requires_grad_(True)
    log_var0 = log_var0.to(device).requires_grad_(True)
    seen = []

    def fake_encode(_x):
        return mu0, log_var0

    def recorder(z):
        seen.append(z)
        return torch.zeros(len(z), x.shape[-1], device=z.device) + 0 * z.sum()

    model.encode = fake_encode
    model.decode = recorder
    model(x.to(device))
    if not seen:
        return None
    z = seen[-1]
    grad = torch.autograd.grad(z.sum(), log_var0, allow_unused=True)[0] if z.requires_grad else None
    return {"z": z.detach().cpu(), "grad_log_var": 0.0 if grad is None else float(grad.abs().sum())}


def prior_draws(module, x_dim, z_dim, n, device):
    """The z's that the student's sample_images hands to decode (decode replaced by a
    recorder), concatenated; None when sample_images does not go through model.decode."""
    import torch

    model = _model(module, x_dim, z_dim, device)
    seen = []

    def recorder(z):
        seen.append(torch.as_tensor(z).detach().to("cpu", torch.float64).reshape(-1, z_dim))
        return torch.zeros(len(z), x_dim, device=z.device)

    model.decode = recorder
    module.sample_images(model, n, device=device)
    if not seen:
        return None
    return torch.cat(seen)

"""Grader code that runs in the child beside the student's module (public, not secret).

Every function builds the student's own VAE and drives it only through the API of the
assignment; the judge computes every loss itself from what these return.

Each test charges its failures to the function it is about. Where a test of one function
needs another one (``train_vae`` needs a model, ``sample_images`` needs a model whose images
depend on z), a failure of that other function is caught here and reported by its own tests,
and the test goes on with the grader's own small VAE (``_stand_in``, for train_vae: judge side
only) or a bare decoder (``_decoder_shell``, for sample_images) instead. A caught failure goes
back in the result as ``student_failure(function, exc)`` (the engine's child-helper API,
autograder/contract.py), which the judge turns into the failure the tests of that function raise.
"""

# The sample_images tests judge the student's trained model only when its own images, for the
# judge's z ~ N(0, I), vary at least this much (mean over pixels of the std over 64 images;
# 2.11's mark is 0.02; trained reference and correct samples 0.16-0.19; models whose decoder
# ignores z 0.00-0.02): such a decoder would make a correct sample_images look like one that
# decodes a single z.
MIN_DECODER_SPREAD = 0.05


def _model(module, x_dim, z_dim, device):
    model = module.VAE(x_dim, z_dim)
    return model.to(device)


def _student_model(module, x_dim, z_dim, device):
    """(the student's VAE(x_dim, z_dim) on ``device``, None), or (None, failure) when it cannot be built."""
    if not callable(getattr(module, "VAE", None)):
        return None, student_failure("VAE")
    try:
        return _model(module, x_dim, z_dim, device), None
    except Exception as exc:  # noqa: BLE001 - reported by the tests of the VAE
        return None, student_failure("VAE", exc)


def _raised_in(exc, module, model):
    """Whether ``exc`` was raised inside ``model`` (a method of the student's VAE or of one of its
    layers) rather than in the student function that called it. The innermost frame that is
    either a method of the model or in the student's file decides."""
    if model is None or exc is None:  # no exception: the function is missing, not failing
        return False
    parts = {id(m) for m in model.modules()}
    student_file = getattr(module, "__file__", None)
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        owner = frame.f_locals.get("self")
        if owner is not None and id(owner) in parts:
            return True
        if student_file and frame.f_code.co_filename == student_file:
            return False
    return False


def _stand_in(x_dim, z_dim, device):
    """The grader's own small VAE for the tests of train_vae when the student's VAE cannot serve,
    or None where it is not available. It lives in hidden_child_helpers.py, on the grader's side
    only (a whole working VAE is an answer of this assignment): the engine appends that file's
    source to this one where it is present, as it is wherever a grade is given. In the student
    folder it is absent, and train_vae is then not tried without a working VAE."""
    make = globals().get("_grader_vae")
    return None if make is None else make(x_dim, z_dim, device)


def _decoder_shell(x_dim, z_dim, device):
    """A bare decoder for the sample_images tests when the student's VAE cannot serve: the API
    sample_images uses (``z_dim``, ``x_dim``, ``decode`` returning logits, ``parameters``), with
    fixed random weights that make the images depend strongly on z. Not a VAE: nothing encodes."""
    import math

    import torch
    from torch import nn

    class DecoderShell(nn.Module):
        def __init__(self):
            super().__init__()
            self.x_dim, self.z_dim = x_dim, z_dim
            self.hidden = nn.Linear(z_dim, 128)
            self.logits = nn.Linear(128, x_dim)
            g = torch.Generator().manual_seed(2024)
            with torch.no_grad():
                for layer, gain in ((self.hidden, 1.0), (self.logits, 3.0)):
                    fan_in = layer.weight.shape[1]
                    layer.weight.copy_(gain * torch.randn(layer.weight.shape, generator=g) / math.sqrt(fan_in))
                    layer.bias.zero_()

        def decode(self, z):
            return self.logits(torch.tanh(self.hidden(z)))

    return DecoderShell().to(device)


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
    with the judge's own noise, decode shuffled z_A, and sample from the prior.

    When the student's VAE cannot be built, or fails inside train_vae (a TODO forward, say),
    train_vae is run on the grader's stand-in instead, so that a correct train_vae keeps the
    points of its own tests; ``model_error`` then carries the VAE's failure, which the tests
    of the trained model (2.8, 2.9) report. Failures of train_vae itself go to the judge as
    usual. Where the stand-in is absent (the student folder), the result is only
    ``{"untried": why, "model_error": ...}``: train_vae was not run."""
    import torch

    x_dim = train.shape[-1]
    model, model_error = _student_model(module, x_dim, z_dim, device)
    problem = "your VAE could not be built"
    if model is None:
        model = _stand_in(x_dim, z_dim, device)
        if model is None:
            return {"untried": problem, "model_error": model_error}
    failure = None
    try:
        losses = module.train_vae(model, train.to(device), epochs=epochs, device=device)
    except Exception as exc:  # noqa: BLE001 - sorted out just below
        failure = exc
    if failure is not None:
        if model_error is not None or isinstance(failure, MemoryError) or not _raised_in(failure, module, model):
            raise failure
        model_error, problem = student_failure("VAE", failure), "your VAE failed during training"
        model = _stand_in(x_dim, z_dim, device)
        if model is None:
            return {"untried": problem, "model_error": model_error}
        losses = module.train_vae(model, train.to(device), epochs=epochs, device=device)
    device_after = str(next(model.parameters()).device)
    model.eval()
    probe = {"mu": None, "log_var": None, "logits": None, "shuffled": None}
    if model_error is None:
        try:
            with torch.no_grad():
                mu_a, log_var_a = model.encode(held_a.to(device))
                model.encode(held_b.to(device))
                std = torch.exp(0.5 * log_var_a)
                logits = torch.stack([model.decode(mu_a + std * eps_a[s].to(device)) for s in range(n_samples)])
                shuffled = model.decode((mu_a + std * eps_a[0].to(device)).roll(1, dims=0))
            probe = {"mu": mu_a.cpu(), "log_var": log_var_a.cpu(), "logits": logits.cpu(),
                     "shuffled": shuffled.cpu()}
        except Exception as exc:  # noqa: BLE001 - the judge calls encode/decode here: the VAE's failure
            model_error, problem = student_failure("VAE", exc), "your trained VAE's encode or decode failed"
    judged = _judged_samples(module, None if model_error else model, 64, device, x_dim, z_dim, why_not=problem,
                             need_spread=True)
    return dict(probe, losses=[float(v) for v in losses], device_after=device_after, model_error=model_error,
                **judged)


def _samples(module, model, n, device):
    """(samples, None, None), or (None, failure, exception) when sample_images fails: its failure
    is reported by the sample_images tests only, never held against train_vae (a correct
    train_vae keeps its points while sample_images is still a TODO)."""
    import torch

    if not callable(getattr(module, "sample_images", None)):
        return None, student_failure("sample_images"), None
    try:
        return torch.as_tensor(module.sample_images(model, n, device=device)).detach().cpu(), None, None
    except Exception as exc:  # noqa: BLE001 - whatever the student raises is reported to the tests
        return None, student_failure("sample_images", exc), exc


def _decoder_spread(model, z_dim, device):
    """How much the model's images vary with z ~ N(0, I) (judge's own draws); None when decode fails."""
    import torch

    z = torch.randn(64, z_dim, generator=torch.Generator().manual_seed(11), dtype=torch.float32)
    try:
        with torch.no_grad():
            probs = torch.sigmoid(torch.as_tensor(model.decode(z.to(device))).float())
        return float(probs.std(0).mean())
    except Exception:  # noqa: BLE001 - the VAE's failure, reported by its own tests
        return None


def _judged_samples(module, model, n, device, x_dim, z_dim, *, why_not, need_spread,
                    whose="the images of your trained model"):
    """sample_images(model, n) for the sample_images tests, on the student's ``model`` when it
    can show whether sample_images is right, else on the grader's bare decoder. ``stand_in`` says
    why the decoder was used (None when it was not)."""
    reason = None if model is not None else why_not
    if reason is None and need_spread:
        spread = _decoder_spread(model, z_dim, device)
        if spread is None:
            reason = "your VAE's decode failed"
        elif spread < MIN_DECODER_SPREAD:
            reason = (f"{whose} hardly change with z (the decoder barely uses z), so they cannot show "
                      "whether sample_images decodes a fresh z for every image")
    if reason is None:
        samples, error, exc = _samples(module, model, n, device)
        if error is None or not _raised_in(exc, module, model):
            return {"samples": samples, "sample_error": error, "stand_in": None}
        reason = "your VAE failed inside sample_images"
    samples, error, _ = _samples(module, _decoder_shell(x_dim, z_dim, device), n, device)
    return {"samples": samples, "sample_error": error, "stand_in": reason}


def untrained_samples(module, x_dim, z_dim, n, device):
    """sample_images on a freshly built (untrained) VAE: what the public range check needs,
    without depending on train_vae (nor on the VAE: the bare decoder serves when it cannot)."""
    model, _ = _student_model(module, x_dim, z_dim, device)
    if model is not None:
        model.eval()
    return _judged_samples(module, model, n, device, x_dim, z_dim, why_not="your VAE could not be built",
                           need_spread=False)


def fresh_samples(module, x_dim, z_dim, n, device):
    """For 2.11 when training failed: sample_images on an untrained VAE, or on the bare decoder when
    that VAE's images hardly depend on z (an untrained decoder's usually do not)."""
    model, _ = _student_model(module, x_dim, z_dim, device)
    if model is not None:
        model.eval()
    return _judged_samples(module, model, n, device, x_dim, z_dim, why_not="your VAE could not be built",
                           need_spread=True,
                           whose="training failed, and the images of your VAE, untrained,")


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
    recorder), concatenated; None when sample_images does not go through model.decode.
    Only the model's z_dim and decode are used, so the bare decoder serves when the student's
    VAE cannot be built."""
    import torch

    model, _ = _student_model(module, x_dim, z_dim, device)
    if model is None:
        model = _decoder_shell(x_dim, z_dim, device)
    seen = []

    def recorder(z):
        seen.append(torch.as_tensor(z).detach().to("cpu", torch.float64).reshape(-1, z_dim))
        return torch.zeros(len(z), x_dim, device=z.device)

    model.decode = recorder
    module.sample_images(model, n, device=device)
    if not seen:
        return None
    return torch.cat(seen)

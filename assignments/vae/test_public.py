"""Public tests for vae: values worked out by hand, shapes, and a very short training run."""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, expect_tuple, fail
from autograder.proxy import NotImplementedByStudent

LN2 = math.log(2)
# The child helpers (the `child_helpers` fixture) hold the grader's stand-in VAE
# (hidden_child_helpers.py) wherever a grade is given, not in the student folder (a working VAE
# is an answer).


@pytest.mark.grade("1.1", "gaussian_kl to N(0, I), summed over the last dimension", points=1)
def test_kl_standard(student):
    mu = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    log_var = torch.tensor([[0.0, 0.0], [0.0, 0.0], [LN2, LN2]])
    got = expect_tensor(student.gaussian_kl(mu, log_var), what="gaussian_kl(mu, log_var)", shape=(3,))
    expect_close(got, [0.0, 1.0, 1.0 - LN2], what="KL(q || N(0, I))",
                 inputs="rows mu = (0,0), (1,1), (0,0) with log_var = (0,0), (0,0), (ln 2, ln 2)",
                 hint="KL = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2), with sigma^2 = exp(log_var)")


@pytest.mark.grade("1.2", "gaussian_kl to a general diagonal prior", points=1)
def test_kl_general(student):
    args = [torch.tensor([[0.0]]), torch.tensor([[0.0]]), torch.tensor([[1.0]]), torch.tensor([[math.log(4)]])]
    got = expect_tensor(student.gaussian_kl(*args), what="gaussian_kl(...)", shape=(1,))
    expect_close(got, [0.5 * (0.25 + 0.25 - 1 + math.log(4))], what="KL(N(0, 1) || N(1, 4))",
                 inputs="q = N(0, 1), p = N(1, 4) (log_var_p = ln 4)",
                 hint="1/2 [log(sigma_p^2 / sigma_q^2) + (sigma_q^2 + (mu_q - mu_p)^2) / sigma_p^2 - 1]")


@pytest.mark.grade("1.3", "standardize moves the prior to N(0, I)", points=1)
def test_standardize(student):
    args = [torch.tensor([[0.0]]), torch.tensor([[0.0]]), torch.tensor([[1.0]]), torch.tensor([[math.log(4)]])]
    mu, log_var = expect_tuple(student.standardize(*args), 2, what="standardize(...)")
    expect_close(expect_tensor(mu, what="mu'", shape=(1, 1)), [[-0.5]], what="mu'",
                 inputs="q = N(0, 1), p = N(1, 4)", hint="mu' = (mu_q - mu_p) / sigma_p")
    expect_close(expect_tensor(log_var, what="log_var'", shape=(1, 1)), [[-math.log(4)]], what="log_var'",
                 inputs="q = N(0, 1), p = N(1, 4)", hint="log_var' = log_var_q - log_var_p")


@pytest.mark.grade("1.4", "negative_elbo on a batch of two two-pixel images, with beta", points=1)
def test_negative_elbo_example(student):
    # Image 1: x = (1, 0), logits (0, 0): s = (1/2, 1/2), -log p(x|z) = ln 2 + ln 2 = 2 ln 2.
    # Image 2: x = (0, 1), logits (ln 3, ln 3): s = (3/4, 3/4), -log p(x|z) = ln 4 + ln(4/3) = ln(16/3).
    # KL to N(0, 1) of q = N(0, 1) is 0, of q = N(1, 1) is 1/2. Batch means: rec = ln(64/3) / 2, kl = 1/4.
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    logits = torch.tensor([[0.0, 0.0], [math.log(3), math.log(3)]])
    mu, log_var = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [0.0]])
    where = ("x = [(1, 0), (0, 1)], logits = [(0, 0), (ln 3, ln 3)], mu = [0, 1], log_var = [0, 0] "
             "(a batch of two images, one latent dimension)")
    rec, kl = 0.5 * math.log(64 / 3), 0.25
    hints = {
        "reconstruction": "-log p(x|z) = -sum_i [x_i log s_i + (1 - x_i) log(1 - s_i)], s = sigmoid(logits): "
                          "SUM over the pixels of each image, then the MEAN over the batch",
        "kl": "KL(q(z|x) || N(0, I)) per image, summed over latent dimensions, then the mean over the batch",
        "loss": "loss = reconstruction + beta * kl (the NEGATIVE ELBO; beta weighs the KL only)",
    }
    for beta in (1.0, 2.0):
        parts = expect_tuple(student.negative_elbo(x, logits, mu, log_var, beta=beta), 3,
                             what=f"negative_elbo(..., beta={beta:g})")
        got = dict(zip(("loss", "reconstruction", "kl"), parts))
        for name, want in (("reconstruction", rec), ("kl", kl), ("loss", rec + beta * kl)):  # most telling first
            expect_close(expect_tensor(got[name], what=name, shape=()), want, what=f"{name} with beta = {beta:g}",
                         inputs=where, hint=hints[name])


@pytest.mark.grade("1.5", "VAE: shapes of encode, decode and forward", points=1)
def test_shapes(student, device, child_helpers):
    x = (torch.rand(5, 64, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    info = student.run(child_helpers, "shapes", x, 8, device, function="VAE").value
    if info["encode"] != [[5, 8], [5, 8]]:
        fail(f"encode(x) for x of shape (5, 64) and z_dim 8 should give (mu, log_var) of shapes (5, 8) and "
             f"(5, 8); got {info['encode']}.")
    if info["decode"] != [5, 64]:
        fail(f"decode(z) for z of shape (5, 8) should give logits of shape (5, 64); got {info['decode']}.")
    if info["forward"] != [[5, 64], [5, 8], [5, 8]]:
        fail(f"forward(x) should give (logits, mu, log_var) of shapes (5, 64), (5, 8), (5, 8); got {info['forward']}.")


@pytest.mark.grade("1.6", "train_vae returns one loss per epoch", points=1)
def test_train_short(student, device, child_helpers):
    from autograder.data import load_digits_binary

    images, _ = load_digits_binary()
    data = torch.from_numpy(images[:256])
    for epochs in (2, 3):
        result = student.run(child_helpers, "train_and_probe", data, data[:8], data[8:16], torch.randn(1, 8, 8), 8,
                             epochs, device, 1, function="train_vae", timeout=120).value
        if result.get("untried"):
            error = getattr(result.get("model_error"), "reported", {})  # what the child reported
            if isinstance(result.get("model_error"), NotImplementedByStudent):
                detail = " (it is still a TODO: it raises NotImplementedError)"
            else:
                detail = f" ({error.get('type', 'an error')}: {error.get('message')})" if error.get("message") else ""
            fail(f"train_vae could not be tried: {result['untried']}{detail}. In the student folder "
                 "train_vae needs your VAE; the grader tries it on a small VAE of its own, so this test's "
                 "points do not depend on your VAE there.")
        losses = result["losses"]
        if len(losses) != epochs:
            fail(f"train_vae(..., epochs={epochs}) returned {len(losses)} losses; it should train for exactly "
                 f"{epochs} epochs and return one mean loss per epoch.")
        if not all(math.isfinite(v) for v in losses):
            fail(f"train_vae returned non-finite losses: {losses}.")


@pytest.mark.grade("1.7", "sample_images: Bernoulli means in [0, 1]", points=1)
def test_samples_range(student, device, feedback, child_helpers):
    result = student.run(child_helpers, "untrained_samples", 64, 8, 64, device, function="sample_images", timeout=60).value
    if result["stand_in"]:
        feedback.add(f"sample_images was judged on the grader's own small decoder, since {result['stand_in']}.")
    if result["sample_error"]:
        raise result["sample_error"]
    samples = expect_tensor(result["samples"], what="sample_images(model, 64)", shape=(64, 64))
    if samples.min() < 0 or samples.max() > 1:
        fail(f"sample_images should return probabilities sigmoid(logits) in [0, 1]; got values from "
             f"{float(samples.min()):.3g} to {float(samples.max()):.3g}.")

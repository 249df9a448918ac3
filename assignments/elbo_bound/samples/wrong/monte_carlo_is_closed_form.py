"""Sample submission with a mistake: monte_carlo_is_closed_form.

elbo_monte_carlo: returns the closed form, no sampling.
"""
# expect-fail: 1.6 2.12 2.13


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    return elbo(x, q_mu, q_log_var, W, b, sigma)

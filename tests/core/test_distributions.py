"""Gaussian helpers against torch.distributions and Monte Carlo estimates."""

import torch
from torch.distributions import Independent, Normal, kl_divergence

from hockey_vae.core import (
    diag_gaussian_log_prob,
    kl_diag_gaussians,
    kl_standard_normal,
    reparameterize,
)


def _params(seed: int, shape=(5, 3)):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g, dtype=torch.float64)


def test_kl_standard_normal_matches_torch():
    mu, logvar = _params(0)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(kl_standard_normal(mu, logvar), expected)


def test_kl_standard_normal_sum_is_closed_form():
    mu, logvar = _params(1)
    total = kl_standard_normal(mu, logvar).sum(-1)
    d = mu.shape[-1]
    formula = 0.5 * (logvar.exp() + mu**2 - logvar).sum(-1) - d / 2
    torch.testing.assert_close(total, formula)


def test_kl_diag_gaussians_matches_torch_and_reduces_to_standard():
    mu_q, logvar_q = _params(2)
    mu_p, logvar_p = _params(3)
    q = Independent(Normal(mu_q, (0.5 * logvar_q).exp()), 1)
    p = Independent(Normal(mu_p, (0.5 * logvar_p).exp()), 1)
    torch.testing.assert_close(kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p).sum(-1),
                               kl_divergence(q, p))
    zeros = torch.zeros_like(mu_q)
    torch.testing.assert_close(kl_diag_gaussians(mu_q, logvar_q, zeros, zeros),
                               kl_standard_normal(mu_q, logvar_q))


def test_kl_diag_gaussians_matches_monte_carlo():
    mu_q = torch.tensor([0.3, -1.0], dtype=torch.float64)
    logvar_q = torch.tensor([-0.5, 0.4], dtype=torch.float64)
    mu_p = torch.tensor([1.0, 0.2], dtype=torch.float64)
    logvar_p = torch.tensor([0.3, -0.2], dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    z = reparameterize(mu_q, logvar_q, n_samples=200_000, generator=g)
    mc = (diag_gaussian_log_prob(z, mu_q, logvar_q) - diag_gaussian_log_prob(z, mu_p, logvar_p)).mean()
    exact = kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p).sum()
    assert abs(float(mc - exact)) < 0.01, (float(mc), float(exact))


def test_reparameterize_moments_shape_and_gradient():
    mu = torch.tensor([1.0, -2.0], requires_grad=True)
    logvar = torch.tensor([0.0, 2 * torch.log(torch.tensor(3.0)).item()], requires_grad=True)
    z = reparameterize(mu, logvar, n_samples=100_000, generator=torch.Generator().manual_seed(5))
    assert z.shape == (100_000, 2)
    torch.testing.assert_close(z.mean(0), mu.detach(), atol=0.05, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([1.0, 3.0]), atol=0.05, rtol=0)
    z.sum().backward()  # the point of the trick: gradients flow to mu and logvar
    assert mu.grad is not None and logvar.grad is not None
    assert reparameterize(mu, logvar).shape == (2,)


def test_diag_gaussian_log_prob_matches_torch():
    mu, logvar = _params(6)
    z, _ = _params(7)
    expected = Independent(Normal(mu, (0.5 * logvar).exp()), 1).log_prob(z)
    torch.testing.assert_close(diag_gaussian_log_prob(z, mu, logvar), expected)

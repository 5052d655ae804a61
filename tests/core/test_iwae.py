"""IWAE log-likelihood: exact on a linear-Gaussian model, above the ELBO, rising with k."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal

from hockey_vae.core import VAE, VAEConfig, log_likelihood

SIGMA2 = 0.25


def _linear_gaussian(mean_scale: float = 1.0, logvar_shift: float = 0.0):
    """x = W z + b + noise, W with orthogonal columns so the true posterior is diagonal.

    Returns the VAE (linear encoder set to a perturbed true posterior) and the exact p(x).
    """
    torch.manual_seed(0)
    w = torch.tensor([[1.5, 0.0], [0.0, 0.8], [0.0, 0.0]], dtype=torch.float64)  # (D=3, d=2)
    b = torch.tensor([0.5, -1.0, 0.2], dtype=torch.float64)
    post_var = 1.0 / (1.0 + (w**2).sum(0) / SIGMA2)                                # (d,)
    a = post_var[:, None] * w.T / SIGMA2                                             # (d, D)
    enc = torch.nn.Linear(3, 4).double()
    dec = torch.nn.Linear(2, 3).double()
    with torch.no_grad():
        enc.weight.zero_()
        enc.weight[:2] = mean_scale * a
        enc.bias[:2] = -mean_scale * a @ b
        enc.bias[2:] = post_var.log() + logvar_shift
        dec.weight.copy_(w)
        dec.bias.copy_(b)
    cfg = VAEConfig(input_dim=3, latent_dim=2, likelihood="gaussian", obs_logvar=math.log(SIGMA2))
    model = VAE(cfg, encoder=enc, decoder=dec).double()
    exact = MultivariateNormal(b, w @ w.T + SIGMA2 * torch.eye(3, dtype=torch.float64))
    return model, exact


def _x(n: int = 64, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 1.5


def test_exact_posterior_gives_exact_log_likelihood_for_any_chunking():
    model, exact = _linear_gaussian()
    x = _x()
    est = log_likelihood(model, x, k=50, chunk=7, batch_size=5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(est, exact.log_prob(x), atol=1e-8, rtol=0)


def test_estimate_converges_to_exact_marginal_likelihood():
    model, exact = _linear_gaussian(mean_scale=0.8, logvar_shift=0.5)  # an imperfect proposal
    x = _x()
    g = torch.Generator().manual_seed(2)
    truth = exact.log_prob(x)
    gap1 = (truth - log_likelihood(model, x, k=1, generator=g)).mean().item()
    gap1000 = truth - log_likelihood(model, x, k=1000, chunk=250, generator=g)
    assert gap1 > 0.3  # the ELBO is clearly below log p(x) ...
    assert abs(gap1000.mean().item()) < 0.02  # ... the k = 1000 estimate is not
    assert gap1000.abs().mean().item() < 0.05


def test_iwae_above_elbo_and_rising_with_k():
    torch.manual_seed(0)
    model = VAE(VAEConfig(input_dim=8, latent_dim=4, hidden_dims=(32,), likelihood="gaussian_learned"))
    x = torch.randn(256, 8, generator=torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        model.eval()
        # average ELBO with the analytic KL, over many posterior samples
        elbo = torch.stack([model(x, generator=g).elbo for _ in range(50)]).mean().item()
    one = log_likelihood(model, x, k=1, generator=g)
    lk = {k: log_likelihood(model, x, k=k, chunk=50, generator=g).mean().item() for k in (10, 100)}
    # k = 1 is the ELBO with a Monte Carlo KL: equal within its standard error
    se = (one.std() / len(one) ** 0.5).item()
    assert one.mean().item() == pytest.approx(elbo, abs=4 * se)
    assert elbo < lk[10] < lk[100], (elbo, lk)


def test_rejects_bad_arguments():
    model, _ = _linear_gaussian()
    with pytest.raises(ValueError, match="k=0"):
        log_likelihood(model, _x(), k=0)

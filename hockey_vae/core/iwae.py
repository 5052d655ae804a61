"""Importance-sampled estimate of log p(x) (the IWAE bound, Burda et al. 2016).

log p(x) ~= logsumexp_k [ln p(x | z_k) + ln p(z_k) - ln q(z_k | x)] - ln k, z_k ~ q(z | x).
It is a lower bound in expectation, equals the ELBO at k = 1 and rises towards log p(x) as k
grows. Samples are drawn in chunks so k = 1000 fits in memory.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hockey_vae.core.distributions import diag_gaussian_log_prob, reparameterize

__all__ = ["log_likelihood", "log_weights"]


def log_weights(model: nn.Module, x: Tensor, k: int,
                generator: torch.Generator | None = None) -> Tensor:
    """Importance log-weights, (k, batch), for a model with `encode_params` and `decode`.

    The prior is N(0, I); the proposal is the model's posterior q(z | x).
    """
    mu, logvar = model.encode_params(x)
    z = reparameterize(mu, logvar, n_samples=k, generator=generator)     # (k, batch, d)
    log_pz = diag_gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))
    log_qz = diag_gaussian_log_prob(z, mu, logvar)
    return model.decode(z).log_prob(x) + log_pz - log_qz


@torch.no_grad()
def log_likelihood(model: nn.Module, x: Tensor, k: int = 1000, chunk: int = 100,
                   batch_size: int = 256, generator: torch.Generator | None = None) -> Tensor:
    """IWAE estimate of ln p(x) per example, shape (batch,), in nats.

    Parameters
    ----------
    model : module with `encode_params(x) -> (mu, logvar)` and `decode(z) -> Distribution`.
    x : (batch, ...) data, on the model's device.
    k : importance samples per example (k = 1 gives the one-sample ELBO).
    chunk : samples drawn at once; memory grows with chunk * batch_size, not k.
    """
    if k < 1 or chunk < 1 or batch_size < 1:
        raise ValueError(f"k={k}, chunk={chunk}, batch_size={batch_size} must all be >= 1")
    was_training = model.training
    model.eval()
    out = []
    try:
        for start in range(0, x.shape[0], batch_size):
            xb = x[start:start + batch_size]
            logw = torch.cat([log_weights(model, xb, min(chunk, k - done), generator)
                              for done in range(0, k, chunk)])              # (k, batch)
            out.append(torch.logsumexp(logw, dim=0) - math.log(k))
    finally:
        model.train(was_training)
    return torch.cat(out)

"""General deep generative building blocks (VAE, GAN, Gaussian helpers)."""

from hockey_vae.core.distributions import (
    diag_gaussian_log_prob,
    kl_diag_gaussians,
    kl_standard_normal,
    reparameterize,
)

__all__ = [
    "reparameterize",
    "kl_standard_normal",
    "kl_diag_gaussians",
    "diag_gaussian_log_prob",
]

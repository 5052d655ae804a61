"""General deep generative building blocks (VAE, GAN, Gaussian helpers)."""

from hockey_vae.core.distributions import (
    diag_gaussian_log_prob,
    kl_diag_gaussians,
    kl_standard_normal,
    reparameterize,
)
from hockey_vae.core.gan import GAN, GANConfig, discriminator_loss, gan_step, generator_loss
from hockey_vae.core.iwae import log_likelihood
from hockey_vae.core.tester import TwoSampleResult, two_sample_test
from hockey_vae.core.training import History, loss_step, shuffled_batches, train_loop
from hockey_vae.core.vae import VAE, VAEConfig, VAEOutput

__all__ = [
    "reparameterize",
    "kl_standard_normal",
    "kl_diag_gaussians",
    "diag_gaussian_log_prob",
    "VAE",
    "VAEConfig",
    "VAEOutput",
    "log_likelihood",
    "GAN",
    "GANConfig",
    "discriminator_loss",
    "generator_loss",
    "gan_step",
    "two_sample_test",
    "TwoSampleResult",
    "History",
    "train_loop",
    "loss_step",
    "shuffled_batches",
]

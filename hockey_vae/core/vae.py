"""Variational autoencoder with pluggable networks and a choice of likelihood.

References: Kingma & Welling (2014) "Auto-Encoding Variational Bayes"; Higgins et al. (2017)
(beta weight); Bowman et al. (2016) (KL warm-up); Kingma et al. (2016) (free bits).

The encoder maps x (batch, input_dim) to (batch, 2 * latent_dim): the posterior mean and
log-variance. The decoder maps z (..., latent_dim) to the parameters of p(x | z), a
`torch.distributions.Independent` over the features, so `decode(z).log_prob(x)` sums over them.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Bernoulli, Categorical, Distribution, Independent, Normal

from hockey_vae.core.config import BaseConfig
from hockey_vae.core.distributions import kl_standard_normal, reparameterize
from hockey_vae.core.nets import mlp
from hockey_vae.io import atomic_path

__all__ = ["LIKELIHOODS", "VAEConfig", "VAEOutput", "VAE", "distribution_mean", "linear_warmup"]

LIKELIHOODS = ("gaussian", "gaussian_learned", "bernoulli", "categorical")


@dataclasses.dataclass
class VAEConfig(BaseConfig):
    """Everything needed to rebuild a `VAE` with the default MLP networks."""

    input_dim: int = 2                       # D, features per example
    latent_dim: int = 2                      # d, size of z
    hidden_dims: tuple[int, ...] = (128, 128)  # MLP widths of encoder and (mirrored) decoder
    likelihood: str = "gaussian"             # one of LIKELIHOODS
    n_categories: int = 2                    # C, values per feature (categorical only)
    obs_logvar: float = 0.0                  # fixed decoder log-variance ("gaussian")
    min_obs_logvar: float = -9.0             # soft floor on a learned log-variance: no spikes
    beta: float = 1.0                        # KL weight once warm-up is over
    warmup_steps: int = 0                    # KL weight rises linearly 0 -> beta over these steps
    free_bits: float = 0.0                   # nats per latent dim below which KL is not penalised

    def __post_init__(self) -> None:
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood={self.likelihood!r}; allowed: {LIKELIHOODS}")
        if self.likelihood == "categorical" and self.n_categories < 2:
            raise ValueError(f"n_categories={self.n_categories} must be >= 2 for categorical")

    @property
    def decoder_out_dim(self) -> int:
        """Width of the decoder's output layer for this likelihood."""
        per_feature = {"gaussian": 1, "gaussian_learned": 2, "bernoulli": 1,
                       "categorical": self.n_categories}[self.likelihood]
        return self.input_dim * per_feature


@dataclasses.dataclass
class VAEOutput:
    """What `VAE.forward` returns: the loss to minimise plus its named terms (batch means)."""

    loss: Tensor       # recon + kl_weight * kl (free bits applied), scalar
    recon: Tensor      # -E_q[ln p(x | z)] per example, one sample, scalar
    kl: Tensor         # KL(q(z | x) || p(z)) per example (no free bits), scalar
    elbo: Tensor       # -(recon + kl) per example, scalar
    kl_weight: float   # weight applied to the KL term at this step
    mu: Tensor         # (batch, latent_dim) posterior means
    logvar: Tensor     # (batch, latent_dim) posterior log-variances

    def metrics(self) -> dict[str, float]:
        """Scalars for a metric history."""
        return {"loss": self.loss.item(), "recon": self.recon.item(), "kl": self.kl.item(),
                "elbo": self.elbo.item(), "kl_weight": float(self.kl_weight)}


def linear_warmup(step: int, warmup: int, beta: float) -> float:
    """The KL weight at training step (or epoch) `step`, 0-based: beta * (step + 1) / warmup,
    reaching beta at step warmup - 1 and staying there; beta throughout when warmup <= 0.

    The one KL schedule of the package: `VAE` counts optimizer steps, `PlayerCVAE` epochs.
    """
    if warmup <= 0:
        return beta
    return beta * min(1.0, (step + 1) / warmup)


def distribution_mean(dist: Distribution) -> Tensor:
    """Mean of p(x | z); for a categorical, the expected category index (float)."""
    base = dist.base_dist if isinstance(dist, Independent) else dist
    if isinstance(base, Categorical):
        values = torch.arange(base.probs.shape[-1], dtype=base.probs.dtype, device=base.probs.device)
        return (base.probs * values).sum(-1)
    return dist.mean


class VAE(nn.Module):
    """VAE with prior N(0, I), diagonal-Gaussian posterior and a configurable likelihood.

    `VAE(cfg)` builds MLPs from `cfg.hidden_dims`; pass `encoder`/`decoder` modules to plug in
    other networks (encoder: (batch, D) -> (batch, 2d); decoder: (..., d) -> (..., cfg.decoder_out_dim)).
    """

    def __init__(self, config: VAEConfig, encoder: nn.Module | None = None,
                 decoder: nn.Module | None = None) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder if encoder is not None else mlp(
            config.input_dim, config.hidden_dims, 2 * config.latent_dim)
        self.decoder = decoder if decoder is not None else mlp(
            config.latent_dim, tuple(reversed(config.hidden_dims)), config.decoder_out_dim)

    # --- the two halves -------------------------------------------------------------------
    def encode_params(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and log-variance, each (batch, latent_dim)."""
        if not x.is_floating_point():  # categorical data arrive as integer codes
            x = x.to(next(self.parameters()).dtype)
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and variance of q(z | x), each (batch, latent_dim)."""
        mu, logvar = self.encode_params(x)
        return mu, logvar.exp()

    def decode(self, z: Tensor) -> Distribution:
        """p(x | z) with batch shape z.shape[:-1] and event shape (input_dim,)."""
        cfg = self.config
        out = self.decoder(z)
        if cfg.likelihood == "gaussian":
            scale = torch.full_like(out, math.exp(0.5 * cfg.obs_logvar))
            base: Distribution = Normal(out, scale)
        elif cfg.likelihood == "gaussian_learned":
            mean, raw = out.chunk(2, dim=-1)
            logvar = cfg.min_obs_logvar + F.softplus(raw - cfg.min_obs_logvar)
            base = Normal(mean, torch.exp(0.5 * logvar))
        elif cfg.likelihood == "bernoulli":
            base = Bernoulli(logits=out)
        else:
            logits = out.unflatten(-1, (cfg.input_dim, cfg.n_categories))
            base = Categorical(logits=logits)
        return Independent(base, 1)

    # --- training objective ---------------------------------------------------------------
    def kl_weight(self, step: int | None) -> float:
        """beta, ramped linearly from 0 over `warmup_steps` when a training step is given."""
        if step is None:
            return self.config.beta
        return linear_warmup(step, self.config.warmup_steps, self.config.beta)

    def forward(self, x: Tensor, step: int | None = None,
                generator: torch.Generator | None = None) -> VAEOutput:
        """One-sample ELBO on a batch x (batch, input_dim); `step` drives the KL warm-up."""
        mu, logvar = self.encode_params(x)
        z = reparameterize(mu, logvar, generator=generator)
        log_px = self.decode(z).log_prob(x)                      # (batch,)
        kl_dims = kl_standard_normal(mu, logvar)                 # (batch, d)
        recon = -log_px.mean()
        kl = kl_dims.sum(-1).mean()
        # Free bits: each dimension's batch-mean KL is only penalised above the floor.
        kl_pen = kl_dims.mean(0).clamp(min=self.config.free_bits).sum() if self.config.free_bits > 0 else kl
        weight = self.kl_weight(step)
        return VAEOutput(loss=recon + weight * kl_pen, recon=recon, kl=kl, elbo=-(recon + kl),
                         kl_weight=weight, mu=mu, logvar=logvar)

    # --- generation -----------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, mean: bool = True, generator: torch.Generator | None = None) -> Tensor:
        """n draws z ~ N(0, I) decoded: the mean of p(x | z) by default, else a sample of it."""
        p = next(self.parameters())
        z = torch.randn(n, self.config.latent_dim, generator=generator, dtype=p.dtype).to(p.device)
        dist = self.decode(z)
        return distribution_mean(dist) if mean else dist.sample()

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        """Mean of p(x | z) at the posterior mean z = E[z | x]; shape like x (float)."""
        mu, _ = self.encode_params(x)
        return distribution_mean(self.decode(mu))

    # --- persistence ----------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        """Write `model_config.json` and `model.pt` (state_dict) into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.config.save_json(directory / "model_config.json")
        with atomic_path(directory / "model.pt") as tmp:
            torch.save(self.state_dict(), tmp)
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> VAE:
        """Rebuild a default-network VAE saved by `save`; FileNotFoundError names a missing file."""
        directory = Path(directory)
        for name in ("model_config.json", "model.pt"):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{name} not found in {str(directory)!r}")
        model = cls(VAEConfig.from_json_file(directory / "model_config.json"))
        model.load_state_dict(torch.load(directory / "model.pt", weights_only=True))
        return model

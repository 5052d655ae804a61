"""Generative adversarial network: generator, discriminator, both generator losses.

Reference: Goodfellow et al. (2014) "Generative Adversarial Nets". The discriminator returns a
logit; D(x) = sigmoid(logit) = P(x is real). Losses are written on logits with softplus,
because ln D = -softplus(-logit) and ln(1 - D) = -softplus(logit) stay finite when D saturates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hockey_vae.core.config import BaseConfig
from hockey_vae.core.nets import mlp

__all__ = ["GAN_LOSSES", "GANConfig", "GAN", "discriminator_loss", "generator_loss", "gan_step"]

GAN_LOSSES = ("non_saturating", "minimax")


@dataclasses.dataclass
class GANConfig(BaseConfig):
    """Everything needed to rebuild a `GAN` with the default MLP networks."""

    data_dim: int = 2                           # dimension of x
    noise_dim: int = 2                          # dimension of the generator's input noise
    hidden_dims: tuple[int, ...] = (128, 128)   # MLP widths of both networks
    loss: str = "non_saturating"                # generator loss, one of GAN_LOSSES
    d_steps: int = 1                            # discriminator updates per generator update round
    g_steps: int = 1                            # generator updates per round
    noise: str = "normal"                       # "normal" N(0, I) or "uniform" U[-1, 1]
    r1_gamma: float = 0.0                       # weight of the R1 penalty gamma/2 E||grad D(real)||^2

    def __post_init__(self) -> None:
        if self.loss not in GAN_LOSSES:
            raise ValueError(f"loss={self.loss!r}; allowed: {GAN_LOSSES}")
        if self.noise not in ("normal", "uniform"):
            raise ValueError(f"noise={self.noise!r}; allowed: ('normal', 'uniform')")
        if self.d_steps < 1 or self.g_steps < 1:
            raise ValueError(f"d_steps={self.d_steps}, g_steps={self.g_steps} must be >= 1")


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-mean ln D(real) - mean ln(1 - D(fake)), from logits (any shapes)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: Tensor, kind: str = "non_saturating") -> Tensor:
    """Generator loss from the discriminator's logits on generated samples.

    `minimax`: mean ln(1 - D(fake)) (the zero-sum game; flat gradients when D rejects fakes).
    `non_saturating`: -mean ln D(fake) (same fixed point, strong gradients early on).
    """
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"kind={kind!r}; allowed: {GAN_LOSSES}")


class GAN(nn.Module):
    """Generator G: noise (n, noise_dim) -> x (n, data_dim); discriminator: x -> logit (n,)."""

    def __init__(self, config: GANConfig, generator: nn.Module | None = None,
                 discriminator: nn.Module | None = None) -> None:
        super().__init__()
        self.config = config
        self.generator = generator if generator is not None else mlp(
            config.noise_dim, config.hidden_dims, config.data_dim, nn.LeakyReLU)
        self.discriminator = discriminator if discriminator is not None else mlp(
            config.data_dim, config.hidden_dims, 1, nn.LeakyReLU)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Generator input, (n, noise_dim)."""
        p = next(self.parameters())
        shape = (n, self.config.noise_dim)
        if self.config.noise == "uniform":
            eps = 2 * torch.rand(shape, generator=generator, dtype=p.dtype) - 1
        else:
            eps = torch.randn(shape, generator=generator, dtype=p.dtype)
        return eps.to(p.device)

    def logits(self, x: Tensor) -> Tensor:
        """Discriminator logits, (n,)."""
        return self.discriminator(x).squeeze(-1)

    def prob_real(self, x: Tensor) -> Tensor:
        """D(x) = P(x is real), (n,)."""
        return torch.sigmoid(self.logits(x))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n generated samples, (n, data_dim)."""
        return self.generator(self.noise(n, generator))


def gan_step(gan: GAN, d_optimizer: torch.optim.Optimizer, g_optimizer: torch.optim.Optimizer,
             generator: torch.Generator | None = None) -> Callable[[Tensor, int], dict[str, float]]:
    """A step function for `core.training.train_loop`: alternating updates at the configured ratio.

    Every call updates the discriminator once on the given real batch (batch, data_dim) and a
    fresh fake batch (plus the R1 penalty when `r1_gamma` > 0); every `d_steps`-th call then
    makes `g_steps` generator updates.
    """
    cfg = gan.config
    last: dict[str, float] = {}

    def step(real: Tensor, i: int) -> dict[str, float]:
        n = real.shape[0]
        fake = gan.generator(gan.noise(n, generator)).detach()
        if cfg.r1_gamma > 0:
            real = real.detach().requires_grad_(True)
        real_logits = gan.logits(real)
        d_loss = discriminator_loss(real_logits, gan.logits(fake))
        if cfg.r1_gamma > 0:
            # R1 (Mescheder et al. 2018): penalise D's slope on real data, damping the orbiting
            (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            penalty = grad.pow(2).flatten(1).sum(1).mean()
            last["r1"] = penalty.item()
            d_loss = d_loss + 0.5 * cfg.r1_gamma * penalty
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        last["d_loss"] = d_loss.item()
        if (i + 1) % cfg.d_steps == 0:
            for _ in range(cfg.g_steps):
                g_loss = generator_loss(gan.logits(gan.generator(gan.noise(n, generator))), cfg.loss)
                g_optimizer.zero_grad(set_to_none=True)
                g_loss.backward()
                g_optimizer.step()
                last["g_loss"] = g_loss.item()
        return dict(last)

    return step

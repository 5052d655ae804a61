"""The classic demos: noise through a function, Monte Carlo pi, 1-D GAN, 8-Gaussian ring GAN,
and a VAE on scikit-learn's 8x8 digits with an honest held-out log-likelihood.

Each `toy_*` function returns a `ToyResult`: JSON-able numbers, a matplotlib Figure (built
with the object API, no pyplot and no display needed) and a markdown section for
`reports/core.md`. `write_report_section` puts a section into that file atomically.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import seaborn as sns
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from hockey_vae.core.gan import GAN, GAN_LOSSES, GANConfig, gan_step
from hockey_vae.core.iwae import log_likelihood
from hockey_vae.core.nets import mlp
from hockey_vae.core.tester import two_sample_test
from hockey_vae.core.training import loss_step, shuffled_batches, train_loop
from hockey_vae.core.vae import VAE, VAEConfig
from hockey_vae.io import atomic_path

__all__ = ["ToyResult", "TOYS", "run_toy", "toy_noise", "toy_pi", "toy_gan1d", "toy_ring8",
           "toy_digits", "ring8_centres", "ring8_metrics", "write_report_section"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ToyResult:
    """What a demo produces."""

    name: str
    numbers: dict[str, Any]   # JSON-able measurements
    figure: Figure            # the demo's figure
    markdown: str             # its section of reports/core.md
    seconds: float = 0.0      # wall time of the demo


def _fig(ncols: int, nrows: int = 1, size: float = 3.2) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(size * ncols, size * nrows), layout="constrained")
    axes = np.atleast_1d(np.asarray(fig.subplots(nrows, ncols, squeeze=False))).reshape(nrows, ncols)
    return fig, axes


# --- 1. mapping noise through a function ---------------------------------------------------
def toy_noise(n: int = 20_000, seed: int = 0) -> ToyResult:
    """U[0,1] + 1 -> U[1,2]; N(0,1) + 1 -> N(1,1); 2-D N(0,I) -> ring via z/10 + z/||z||."""
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, generator=g)
    z = torch.randn(n, generator=g)
    z2 = torch.randn(n, 2, generator=g)
    ring = z2 / 10 + z2 / z2.norm(dim=1, keepdim=True)
    radius = ring.norm(dim=1)
    numbers = {
        "uniform_plus_1": {"min": (u + 1).min().item(), "max": (u + 1).max().item()},
        "normal_plus_1": {"mean": (z + 1).mean().item(), "std": (z + 1).std().item()},
        "ring": {"radius_mean": radius.mean().item(), "radius_std": radius.std().item(),
                 "radius_mean_expected": 1 + math.sqrt(math.pi / 2) / 10},
    }
    fig, ax = _fig(3)
    sns.histplot(u.numpy(), ax=ax[0, 0], stat="density", color="grey", label="U[0,1]")
    sns.histplot((u + 1).numpy(), ax=ax[0, 0], stat="density", label="U[0,1] + 1")
    sns.histplot(z.numpy(), ax=ax[0, 1], stat="density", color="grey", label="N(0,1)")
    sns.histplot((z + 1).numpy(), ax=ax[0, 1], stat="density", label="N(0,1) + 1")
    ax[0, 2].scatter(*z2[:2000].T.numpy(), s=2, color="grey", label="z ~ N(0, I)")
    ax[0, 2].scatter(*ring[:2000].T.numpy(), s=2, label="z/10 + z/||z||")
    ax[0, 2].set_aspect("equal")
    for a in ax[0]:
        a.legend(fontsize=7)
    md = (f"Uniform [0,1] + 1 spans [{numbers['uniform_plus_1']['min']:.4f}, "
          f"{numbers['uniform_plus_1']['max']:.4f}]; N(0,1) + 1 has mean "
          f"{numbers['normal_plus_1']['mean']:.3f} and sd {numbers['normal_plus_1']['std']:.3f}; "
          f"the ring map gives mean radius {numbers['ring']['radius_mean']:.4f} "
          f"(expected 1 + sqrt(pi/2)/10 = {numbers['ring']['radius_mean_expected']:.4f}), "
          f"sd {numbers['ring']['radius_std']:.4f}. n = {n}, seed {seed}.")
    return ToyResult("noise", numbers, fig, md)


# --- 2. Monte Carlo estimate of pi ---------------------------------------------------------
def toy_pi(max_exponent: int = 6, reps: int = 30, seed: int = 0) -> ToyResult:
    """pi ~= 4 * share of uniform points in the unit square inside the quarter disc."""
    rng = np.random.default_rng(seed)
    ns = np.unique(np.logspace(1, max_exponent, 4 * (max_exponent - 1) + 1).astype(int))
    rows = []
    for n in ns:
        pts = rng.random((reps, n, 2), dtype=np.float32) if n <= 10**5 else None
        if pts is None:  # large n: one repetition at a time keeps memory flat
            est = np.array([4 * (np.square(rng.random((n, 2))).sum(1) <= 1).mean() for _ in range(reps)])
        else:
            est = 4 * (np.square(pts).sum(2) <= 1).mean(1)
        rows.append((int(n), float(np.abs(est - np.pi).mean()), float(est[-1])))
    n_arr = np.array([r[0] for r in rows], dtype=float)
    err = np.array([r[1] for r in rows])
    slope, intercept = np.polyfit(np.log(n_arr), np.log(err), 1)
    numbers = {"reps": reps, "slope": float(slope), "n": n_arr.astype(int).tolist(),
               "mean_abs_error": err.tolist(), "estimate_at_max_n": rows[-1][2]}
    fig, ax = _fig(1, size=4)
    ax[0, 0].loglog(n_arr, err, "o-", label=f"mean |error| over {reps} runs")
    ax[0, 0].loglog(n_arr, np.exp(intercept) * n_arr**-0.5, "--", label="c / sqrt(n)")
    ax[0, 0].set_xlabel("points n")
    ax[0, 0].set_ylabel("|estimate - pi|")
    ax[0, 0].legend(fontsize=7)
    md = (f"Mean absolute error of the estimate over {reps} repetitions falls from {err[0]:.3f} "
          f"at n = {int(n_arr[0])} to {err[-1]:.5f} at n = {int(n_arr[-1])}; the log-log slope is "
          f"{slope:.3f} (theory: -0.5). Seed {seed}.")
    return ToyResult("pi", numbers, fig, md)


# --- 3. 1-D GAN --------------------------------------------------------------------------
class _WideStart(nn.Module):
    """Generator x = 8 * eps_1 + net(eps), eps ~ U[-1, 1]^m, net's last layer starting at zero:
    at step 0 it produces exactly U[-8, 8], as the demo asks."""

    def __init__(self, noise_dim: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.net = mlp(noise_dim, hidden, 1, nn.LeakyReLU)
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, eps: Tensor) -> Tensor:
        return 8 * eps[..., :1] + self.net(eps)


def _gan1d(loss: str, steps: int, snapshots: tuple[int, ...], seed: int, lr: float = 1e-3,
           batch: int = 256, noise_dim: int = 4, r1_gamma: float = 0.3,
           ) -> tuple[GAN, list[tuple[int, np.ndarray, np.ndarray]]]:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    cfg = GANConfig(data_dim=1, noise_dim=noise_dim, hidden_dims=(64, 64), loss=loss,
                    noise="uniform", r1_gamma=r1_gamma)
    gan = GAN(cfg, generator=_WideStart(noise_dim, cfg.hidden_dims))
    d_opt = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    grid = torch.linspace(-9, 9, 361)[:, None]
    shots: list[tuple[int, np.ndarray, np.ndarray]] = []

    def snap(step: int) -> None:
        with torch.no_grad():
            shots.append((step, gan.sample(4000, g).squeeze(1).numpy(),
                          gan.prob_real(grid).numpy()))

    scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, steps) for o in (d_opt, g_opt)]

    def after(i: int, metrics: dict[str, float]) -> None:
        for sched in scheds:
            sched.step()
        if i + 1 in snapshots:
            snap(i + 1)

    snap(0)
    real = (torch.randn(batch, 1, generator=g) + 5 for _ in range(steps))
    train_loop(gan_step(gan, d_opt, g_opt, g), real, steps, callback=after)
    return gan, shots


def toy_gan1d(steps: int = 2000, seed: int = 0, n_test: int = 2000, noise_dim: int = 4,
              r1_gamma: float = 0.3) -> ToyResult:
    """Real N(5, 1); generator starts at U[-8, 8]; both generator losses; C2ST at the end."""
    snapshots = tuple(sorted({steps // 20, steps // 4, steps}))
    fig, ax = _fig(len(snapshots) + 1, 2, size=2.8)
    grid = np.linspace(-9, 9, 361)
    numbers: dict[str, Any] = {"steps": steps, "seed": seed, "n_test": n_test,
                               "noise_dim": noise_dim, "r1_gamma": r1_gamma}
    for row, loss in enumerate(GAN_LOSSES):
        gan, shots = _gan1d(loss, steps, snapshots, seed, noise_dim=noise_dim, r1_gamma=r1_gamma)
        g = torch.Generator().manual_seed(seed + 1)
        real = (torch.randn(n_test, generator=g) + 5).numpy()
        fake = gan.sample(n_test, g).squeeze(1).numpy()
        test = two_sample_test(real, fake, random_state=seed)
        numbers[loss] = {"c2st": test.accuracy, "c2st_ci": [test.ci_low, test.ci_high],
                         "fake_mean": float(fake.mean()), "fake_std": float(fake.std())}
        for col, (step, sample, prob) in enumerate(shots):
            a = ax[row, col]
            a.hist(real, bins=60, range=(-9, 9), density=True, alpha=0.4, color="grey", label="real")
            a.hist(sample, bins=60, range=(-9, 9), density=True, alpha=0.5, label="generated")
            a.plot(grid, prob, color="black", lw=1, label="D(x) = P(real)")
            a.set_ylim(0, 1.05)
            a.set_title(f"{loss}, step {step}", fontsize=8)
        ax[row, 0].legend(fontsize=6)
    numbers["c2st"] = numbers["non_saturating"]["c2st"]
    md = "\n".join([
        f"Real N(5, 1); generator G(eps) = 8 eps_1 + MLP(eps), eps ~ U[-1, 1]^{noise_dim}, MLP "
        f"64x2 with its last layer starting at zero, so G starts at exactly U[-8, 8]; D: MLP 64x2 "
        f"with an R1 penalty (gamma {r1_gamma}); {steps} alternating steps (1:1), batch 256, Adam "
        f"lr 1e-3 (betas 0.5, 0.999) with cosine decay to 0; seed {seed}. "
        f"Two-sample test: MLP classifier on {n_test} real + {n_test} generated, half held out.",
        "",
        "| generator loss | C2ST accuracy (95% CI) | generated mean | generated sd |",
        "|---|---|---|---|",
        *[f"| {k} | {v['c2st']:.3f} ({v['c2st_ci'][0]:.3f}-{v['c2st_ci'][1]:.3f}) | "
          f"{v['fake_mean']:.3f} | {v['fake_std']:.3f} |"
          for k, v in numbers.items() if k in GAN_LOSSES],
    ])
    return ToyResult("gan1d", numbers, fig, md)


# --- 4. ring of 8 Gaussians ----------------------------------------------------------------
def ring8_centres(radius: float = 2.0) -> Tensor:
    """The 8 mode centres on a circle, (8, 2)."""
    angles = torch.arange(8) * 2 * math.pi / 8
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def ring8_metrics(samples: Tensor, centres: Tensor, std: float,
                  min_share: float = 0.2) -> dict[str, Any]:
    """Modes covered and share of high-quality samples (within 3 std of the nearest centre).

    A mode counts as covered when it receives at least `min_share` of its fair share
    (n / n_modes) of the high-quality samples.
    """
    dist, nearest = torch.cdist(samples, centres).min(dim=1)
    good = dist < 3 * std
    counts = torch.bincount(nearest[good], minlength=len(centres))
    fair = len(samples) / len(centres)
    return {"modes": int((counts >= min_share * fair).sum()),
            "high_quality": good.float().mean().item(), "per_mode": counts.tolist()}


def toy_ring8(steps: int = 8000, seed: int = 0, std: float = 0.05, n_test: int = 5000,
              losses: tuple[str, ...] = ("non_saturating", "minimax"), batch: int = 256,
              r1_gamma: float = 0.1, hidden: int = 128) -> ToyResult:
    """2-D GAN on 8 Gaussians (radius 2, sd `std`) for each generator loss."""
    centres = ring8_centres()
    numbers: dict[str, Any] = {"steps": steps, "seed": seed, "std": std, "radius": 2.0,
                               "n_test": n_test, "batch": batch, "r1_gamma": r1_gamma}
    fig, ax = _fig(len(losses))
    for col, loss in enumerate(losses):
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)

        def real(n: int, g: torch.Generator = g) -> Tensor:
            k = torch.randint(0, 8, (n,), generator=g)
            return centres[k] + std * torch.randn(n, 2, generator=g)

        gan = GAN(GANConfig(data_dim=2, noise_dim=16, hidden_dims=(hidden, hidden), loss=loss,
                            r1_gamma=r1_gamma))
        d_opt = torch.optim.Adam(gan.discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
        g_opt = torch.optim.Adam(gan.generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
        # cosine decay of both learning rates lets the game settle instead of orbiting
        scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, steps) for o in (d_opt, g_opt)]
        train_loop(gan_step(gan, d_opt, g_opt, g), (real(batch) for _ in range(steps)), steps,
            callback=lambda i, m, s=scheds: [x.step() for x in s])
        fake = gan.sample(n_test, g)
        ref = real(n_test)
        metrics = ring8_metrics(fake, centres, std)
        test = two_sample_test(ref.numpy(), fake.numpy(), random_state=seed)
        numbers[loss] = {**metrics, "c2st": test.accuracy, "c2st_ci": [test.ci_low, test.ci_high]}
        a = ax[0, col]
        a.scatter(*ref[:2000].T.numpy(), s=2, color="grey", alpha=0.5, label="real")
        a.scatter(*fake[:2000].T.numpy(), s=2, alpha=0.5, label="generated")
        a.set_aspect("equal")
        a.set_title(f"{loss}: {metrics['modes']}/8 modes, {metrics['high_quality']:.1%} HQ", fontsize=8)
        a.legend(fontsize=6, loc="upper right")
    md = "\n".join([
        f"8 Gaussians on a circle of radius 2, sd {std}; G: 16-d N(0, I) noise -> MLP "
        f"{hidden}x2 (LeakyReLU); D: MLP {hidden}x2 with an R1 penalty (gamma {r1_gamma}) on real "
        f"data; {steps} alternating steps (1:1), batch {batch}, Adam lr 1e-3 (betas 0.5, 0.999) "
        f"with cosine decay to 0; seed {seed}. High quality = within 3 sd of the nearest "
        f"centre; a mode is covered when it gets >= 20% of its fair share of high-quality "
        f"samples; {n_test} generated samples scored; C2ST against {n_test} fresh real samples.",
        "",
        "| generator loss | modes (of 8) | high-quality share | C2ST accuracy (95% CI) | per-mode HQ counts |",
        "|---|---|---|---|---|",
        *[f"| {k} | {numbers[k]['modes']} | {numbers[k]['high_quality']:.3f} | {numbers[k]['c2st']:.3f} "
          f"({numbers[k]['c2st_ci'][0]:.3f}-{numbers[k]['c2st_ci'][1]:.3f}) | {numbers[k]['per_mode']} |"
          for k in losses],
    ])
    return ToyResult("ring8", numbers, fig, md)


# --- 5. VAE on the 8x8 digits --------------------------------------------------------------
LEVELS = 17  # load_digits pixels are integers 0..16


def _dequantize(v: Tensor, g: torch.Generator) -> Tensor:
    """x = (v + u) / 17, u ~ U[0, 1) per pixel: a continuous point in [0, 1]^64."""
    return (v + torch.rand(v.shape, generator=g)) / LEVELS


GMM_GRID = {"full": (1, 2, 5, 10, 20), "diag": (5, 10, 20, 40, 80), "tied": (1, 5, 20),
            "spherical": (10, 40)}
GMM_REG = (1e-6, 1e-4, 1e-3)


def _fit_gmm(x_train: np.ndarray, x_val: np.ndarray, seed: int,
             grid: dict[str, tuple[int, ...]], regs: tuple[float, ...]) -> tuple[Any, dict[str, Any]]:
    from sklearn.mixture import GaussianMixture

    best, best_val, best_params = None, -np.inf, {}
    for cov, ks in grid.items():
        for k in ks:
            for reg in regs:
                gmm = GaussianMixture(k, covariance_type=cov, reg_covar=reg, max_iter=200,
                                      random_state=seed).fit(x_train)
                val = gmm.score(x_val)
                if val > best_val:
                    best, best_val, best_params = gmm, val, {
                        "covariance_type": cov, "n_components": k, "reg_covar": reg, "val_loglik": val}
    best_params["grid"] = {c: list(k) for c, k in grid.items()} | {"reg_covar": list(regs)}
    return best, best_params


def toy_digits(steps: int = 6000, k: int = 1000, seed: int = 0, latent_dim: int = 16,
               gmm_grid: dict[str, tuple[int, ...]] | None = None,
               gmm_reg: tuple[float, ...] = GMM_REG) -> ToyResult:
    """VAE (Gaussian decoder, learned per-pixel variance) vs the best GaussianMixture.

    Both are densities on [0, 1]^64 scored on the same uniformly dequantized held-out images.

    One script on purpose (data, GMM baseline, VAE, IWAE score, figure), read top to bottom
    like the other demos, hence its length.
    """
    from sklearn.datasets import load_digits

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    digits = torch.tensor(load_digits().data, dtype=torch.float32)          # (1797, 64), 0..16
    order = torch.randperm(len(digits), generator=g)
    n_val = n_test = 300
    test_idx, val_idx, train_idx = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    x_val = _dequantize(digits[val_idx], g)
    x_test = _dequantize(digits[test_idx], g)

    cfg = VAEConfig(input_dim=64, latent_dim=latent_dim, hidden_dims=(256, 256),
                    likelihood="gaussian_learned", warmup_steps=steps // 5)
    vae = VAE(cfg)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    history = train_loop(loss_step(vae, opt, transform=lambda v: _dequantize(v, g)),
                  shuffled_batches(digits[train_idx], 64, g), steps, log_every=max(1, steps // 20))
    vae.eval()
    with torch.no_grad():
        val_elbo = vae(x_val, generator=g).elbo.item()
        test_elbo = vae(x_test, generator=g).elbo.item()
    ll = log_likelihood(vae, x_test, k=k, chunk=100, generator=g)
    vae_ll = ll.mean().item()
    vae_se = (ll.std() / math.sqrt(len(ll))).item()

    gmm, gmm_params = _fit_gmm(_dequantize(digits[train_idx], g).numpy().astype(np.float64),
                               x_val.numpy().astype(np.float64), seed,
                               GMM_GRID if gmm_grid is None else gmm_grid, gmm_reg)
    gmm_scores = gmm.score_samples(x_test.numpy().astype(np.float64))
    gmm_ll = float(gmm_scores.mean())
    diff = ll.numpy().astype(np.float64) - gmm_scores          # paired per-image differences
    numbers = {
        "vae_loglik": vae_ll, "vae_loglik_se": vae_se, "vae_elbo": test_elbo,
        "vae_val_elbo": val_elbo, "gmm_loglik": gmm_ll, "gap": vae_ll - gmm_ll,
        "gap_se": float(diff.std(ddof=1) / math.sqrt(len(diff))), "k": k, "gmm": gmm_params,
        "n_train": len(train_idx), "n_val": n_val, "n_test": n_test, "steps": steps, "seed": seed,
        "latent_dim": latent_dim, "offset_to_0_17_scale": -64 * math.log(LEVELS),
        "final_train": history.last(),
    }

    fig, ax = _fig(2, size=4.2)
    samples = vae.sample(64, generator=g).clamp(0, 1)
    recon_pairs = torch.stack([x_test[:32], vae.reconstruct(x_test[:32]).clamp(0, 1)], 1).reshape(64, 64)
    for a, imgs, title in ((ax[0, 0], samples, "generated (decoder mean)"),
                           (ax[0, 1], recon_pairs, "held-out (left) / reconstruction (right)")):
        # 8 x 8 grid of 8 x 8 images, each padded by a blank pixel so neighbours do not merge
        padded = torch.nn.functional.pad(imgs.reshape(64, 8, 8), (0, 1, 0, 1))
        tiles = padded.reshape(8, 8, 9, 9).permute(0, 2, 1, 3).reshape(72, 72).numpy()
        a.imshow(tiles, cmap="gray_r", vmin=0, vmax=1)
        a.set_title(title, fontsize=8)
        a.axis("off")
    md = "\n".join([
        f"Data: `sklearn.datasets.load_digits` (1797 images, 8x8, integer levels 0..16); "
        f"seeded permutation (seed {seed}) into {len(train_idx)} train / {n_val} validation / "
        f"{n_test} test images.",
        "Dequantization: x = (v + u) / 17 with u ~ U[0, 1) per pixel, so x lies in [0, 1]^64; "
        "training draws fresh noise every batch, validation and test images are dequantized "
        "once (seeded) and both models score those same points.",
        "Jacobian convention: densities are w.r.t. Lebesgue measure on the [0, 1]-scaled "
        "pixels x, in nats per image (64 pixels, natural log). On the raw [0, 17) pixel scale "
        f"every value is 64 ln 17 = {64 * math.log(LEVELS):.2f} nats lower; subtracting that "
        "constant also gives, by Jensen's inequality, a lower bound (in expectation over u) on the "
        "log-probability each model gives the integer image (its density integrated over the "
        "image's bin). Both models are densities on all of R^64 (Gaussian tails leak outside "
        "the cube), which can only lower both numbers.",
        f"VAE: MLP 64-256-256-(2x{latent_dim}) encoder, mirrored decoder giving a Gaussian with "
        f"learned per-pixel mean and variance (log-variance soft-floored at -9), N(0, I) prior, "
        f"KL warm-up over {steps // 5} steps, {steps} Adam steps (lr 1e-3, batch 64). Log-likelihood: "
        f"IWAE estimate with k = {k} posterior samples per image.",
        f"GMM: `sklearn.mixture.GaussianMixture` fitted on one dequantized draw of the training "
        f"images; grid {gmm_params['grid']}; best on validation: "
        f"{gmm_params['covariance_type']}, {gmm_params['n_components']} components, reg_covar "
        f"{gmm_params['reg_covar']:g} (validation {gmm_params['val_loglik']:.2f} nats).",
        "",
        "| model | held-out log-likelihood (nats / image) |",
        "|---|---|",
        f"| VAE, IWAE k = {k} | {vae_ll:.2f} (s.e. {vae_se:.2f}) |",
        f"| VAE, ELBO (1 sample) | {test_elbo:.2f} |",
        f"| best GaussianMixture | {gmm_ll:.2f} |",
        f"| gap VAE - GMM | {vae_ll - gmm_ll:.2f} (paired s.e. {numbers['gap_se']:.2f}) |",
    ])
    return ToyResult("digits", numbers, fig, md)


TOYS = {"noise": toy_noise, "pi": toy_pi, "gan1d": toy_gan1d, "ring8": toy_ring8,
        "digits": toy_digits}


def run_toy(name: str, **kwargs: Any) -> ToyResult:
    """Run the demo `name` (one of TOYS) and time it."""
    if name not in TOYS:
        raise ValueError(f"unknown toy {name!r}; allowed: {sorted(TOYS)}")
    start = time.perf_counter()
    result = TOYS[name](**kwargs)
    result.seconds = time.perf_counter() - start
    log.info("toy %s took %.1f s", name, result.seconds)
    return result


def write_report_section(path: str | os.PathLike, name: str, markdown: str) -> Path:
    """Put `markdown` between `<!-- toy:name -->` markers in `path` (appended if new), atomically."""
    path = Path(path)
    text = path.read_text() if path.is_file() else "# Generative core: demos and quality bars\n"
    start, end = f"<!-- toy:{name} -->", f"<!-- /toy:{name} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path

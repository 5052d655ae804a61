"""Player-latent model: a latent u_j per player, a position-level prior, an event decoder.

q(u_j) = N(m_j, diag s_j^2) are free parameters per player; the prior p(u_j | position) =
N(mu_pos, diag sigma_pos^2) is learned (empirical Bayes). The ELBO is

    sum_records E_q[log p(record | context, u_actor, u_other)] - sum_j KL(q(u_j) || p(u_j | pos_j))

with the KL paid once per player (per epoch: each minibatch pays its fraction of it), so a
regular gets a sharp posterior and a player with few events stays near his position's mean.
The decoder's heads (`hockey_vae.models.event_decoder`) reconstruct the event kind given the
context, who of the on-ice skaters acted, shot location and outcome (with the goalie's
latent), faceoff wins (with the opponent's latent) and ice time. Unlike the CVAE's per-event
latent, the decoder cannot get these records right without u_j, so u_j cannot collapse.

Reference for the design: DESIGN.md "Model" and issue 14.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn
from torch.distributions import Normal, kl_divergence

from hockey_vae.models.event_decoder import EventDecoder
from hockey_vae.models.latent_events import POSITION_LEVELS, LatentEvents

__all__ = ["PlayerLatentConfig", "PlayerLatentModel", "minibatches", "fit_player_latent",
           "player_embeddings", "TERMS"]

log = logging.getLogger(__name__)

TERMS: tuple[str, ...] = ("types", "choice", "shots", "faceoffs", "usage")


@dataclass
class PlayerLatentConfig:
    """Model and training settings (defaults: the synthetic-league benchmark's)."""

    d_u: int = 16  # latent size: ~11 independent styles show in the simulator's events, + room
    hidden: int = 64  # width of the context MLPs
    init_log_sd: float = -1.0  # initial log sd of every q(u_j) (the prior starts at 0)
    init_mean_sd: float = 0.0  # sd of the initial means m_j (0: every player at the prior)
    terms: tuple[str, ...] = TERMS  # likelihood terms in the objective
    epochs: int = 60
    batches_per_epoch: int = 20  # every term is cut into this many minibatches per epoch
    lr: float = 0.01  # Adam: decoder and prior
    lr_players: float = 0.03  # Adam: q(u_j) means and log sds (few records per step each)
    seed: int = 0


class PlayerLatentModel(nn.Module):
    """q(u_j) per player, the position prior and the event decoder."""

    def __init__(self, cfg: PlayerLatentConfig, position: np.ndarray):
        super().__init__()
        unknown = set(cfg.terms) - set(TERMS)
        if unknown:
            raise ValueError(f"unknown terms {sorted(unknown)}; allowed: {TERMS}")
        self.cfg = cfg
        n = len(position)
        g = torch.Generator().manual_seed(cfg.seed)
        self.register_buffer("position", torch.tensor(np.asarray(position), dtype=torch.long))
        self.m = nn.Parameter(cfg.init_mean_sd * torch.randn(n, cfg.d_u, generator=g))
        self.log_s = nn.Parameter(torch.full((n, cfg.d_u), cfg.init_log_sd))
        self.prior_mu = nn.Parameter(torch.zeros(len(POSITION_LEVELS), cfg.d_u))
        self.prior_log_sd = nn.Parameter(torch.zeros(len(POSITION_LEVELS), cfg.d_u))
        self.decoder = EventDecoder(cfg.d_u, cfg.hidden, len(POSITION_LEVELS))

    def posterior(self) -> Normal:
        """q(u) for every player: batch shape (n_players, d_u)."""
        return Normal(self.m, self.log_s.exp())

    def prior(self) -> Normal:
        """p(u_j | position_j) for every player: batch shape (n_players, d_u)."""
        return Normal(self.prior_mu[self.position], self.prior_log_sd[self.position].exp())

    def kl_per_player(self) -> Tensor:
        """(n_players,) KL(q(u_j) || p(u_j | pos_j)) in nats, closed form."""
        return kl_divergence(self.posterior(), self.prior()).sum(-1)

    def forward(self, batch: dict[str, dict[str, Tensor]], kl_weight: float,
                sample: bool = True) -> tuple[Tensor, dict[str, Tensor]]:
        """Negative ELBO of a minibatch: summed record NLLs + kl_weight * total KL.

        `batch` maps term names to record dicts (see LatentEvents); `kl_weight` is the
        fraction of the data in the minibatch, so one epoch pays each player's KL once.
        """
        u = self.posterior().rsample() if sample else self.m
        pos = self.position
        nll = {name: self.decoder.term(name, recs, u, pos) for name, recs in batch.items()
               if name in self.cfg.terms}
        kl = self.kl_per_player().sum()
        loss = sum(nll.values()) + kl_weight * kl
        return loss, {**nll, "kl": kl}


def _to_tensors(recs: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, Tensor]:
    return {k: torch.as_tensor(v[idx]) for k, v in recs.items()}


def minibatches(data: LatentEvents, n_batches: int, rng: np.random.Generator
                ) -> Iterator[tuple[dict[str, dict[str, Tensor]], float]]:
    """One epoch: every term shuffled and cut into `n_batches` parts; yields (batch, kl_weight).

    The kl_weights of an epoch sum to 1, whatever the number of records, so the KL of each
    player is paid once per epoch (not once per event).
    """
    if n_batches < 1:
        raise ValueError(f"n_batches must be >= 1, got {n_batches}")
    parts = {}
    for name, recs in data.terms().items():
        n = len(next(iter(recs.values()))) if recs else 0
        parts[name] = np.array_split(rng.permutation(n), n_batches)
    for b in range(n_batches):
        batch = {name: _to_tensors(recs, parts[name][b])
                 for name, recs in data.terms().items() if recs}
        yield batch, 1.0 / n_batches


def fit_player_latent(data: LatentEvents, cfg: PlayerLatentConfig | None = None
                      ) -> tuple[PlayerLatentModel, pd.DataFrame]:
    """Train the model on `data`; returns it and a per-epoch history (nats per term)."""
    cfg = cfg or PlayerLatentConfig()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = PlayerLatentModel(cfg, data.position)
    players = [model.m, model.log_s]
    rest = [p for n, p in model.named_parameters() if n not in ("m", "log_s")]
    opt = torch.optim.Adam([{"params": players, "lr": cfg.lr_players},
                            {"params": rest, "lr": cfg.lr}])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.epochs * cfg.batches_per_epoch,
                                                       eta_min=0.0)
    history = []
    for epoch in range(cfg.epochs):
        totals: dict[str, float] = {}
        for batch, w in minibatches(data, cfg.batches_per_epoch, rng):
            loss, terms = model(batch, w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            for k, v in terms.items():
                totals[k] = totals.get(k, 0.0) + float(v.detach()) * (w if k == "kl" else 1.0)
        history.append({"epoch": epoch, **totals})
        log.info("epoch %d: %s", epoch, {k: round(v, 1) for k, v in totals.items()})
    return model, pd.DataFrame(history)


@torch.no_grad()
def player_embeddings(model: PlayerLatentModel, data: LatentEvents) -> pd.DataFrame:
    """Per player: id, position, record count, posterior mean emb_* and sd emb_sd_*, KL."""
    d = model.cfg.d_u
    mean = model.m.detach().numpy().astype(np.float32)
    sd = model.log_s.detach().exp().numpy().astype(np.float32)
    out = pd.DataFrame({
        "player_id": pd.Series(data.player_ids, dtype="string"),
        "position": pd.Series(np.asarray(POSITION_LEVELS, dtype=object)[data.position],
                              dtype="string"),
        "n_events": data.event_counts().astype(np.int64),
        "kl": model.kl_per_player().numpy(),
    })
    emb = pd.DataFrame(mean, columns=[f"emb_{i}" for i in range(d)])
    emb_sd = pd.DataFrame(sd, columns=[f"emb_sd_{i}" for i in range(d)])
    return pd.concat([out, emb, emb_sd], axis=1)

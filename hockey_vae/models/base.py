"""What every player-identification model shares: output types and the scoring API.

A model maps a Batch (see `hockey_vae.features.batches`) to log p(player | context) over
the player vocabulary. Candidate sets (`Candidates`) are applied to the logits before the
softmax, in training and evaluation alike; a model never asks which form a set is in.
Model-specific behaviour (sampling, embeddings, schedules) is a method or attribute here,
overridden by the models that have it, so no caller branches on the model's kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from hockey_vae.features.batches import NEG_INF, Batch, Candidates, EncodedGames

__all__ = ["ModelOutput", "SetScores", "PlayerModel", "masked_log_softmax", "NEG_INF"]


@dataclass
class ModelOutput:
    """`loss` (a scalar to minimise) plus named terms (floats or tensors) for logging."""

    loss: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)


class SetScores(NamedTuple):
    """A model's scores under one candidate set for N target events."""

    logp: Tensor  # (N, C) log p(. | context), aligned with the set's index
    loglik: Tensor  # (N,) log-likelihood of the true player
    loglik_small: Tensor | None  # (N,) the same with n_samples // 10 samples, or None


def masked_log_softmax(logits: Tensor, mask: Tensor) -> Tensor:
    """log softmax over the True entries of `mask` (broadcastable to logits (..., V));
    masked entries get ~NEG_INF."""
    return torch.log_softmax(torch.where(mask, logits.float(), NEG_INF), dim=-1)


class PlayerModel(nn.Module):
    """Base class: subclasses implement `forward(batch, candidates)` and `logits(batch)`
    (or `score`), and read their sizes from `cfg`."""

    kind: str = "base"
    trainable: bool = True  # False: `fit(encoded games)` instead of gradient steps
    embeds: bool = False  # True: `embed(batch)` gives per-event embeddings
    kl_weight: float = 0.0  # current KL weight (latent models), logged per epoch
    cfg: Any

    @property
    def n_players(self) -> int:
        """Vocabulary size (incl. special tokens) the model scores."""
        cfg = self.cfg
        return cfg.n_players if hasattr(cfg, "n_players") else cfg.encoder.n_players

    def forward(self, batch: Batch,
                candidates: dict[str, Candidates]) -> ModelOutput:  # pragma: no cover
        raise NotImplementedError

    def logits(self, batch: Batch) -> Tensor:  # pragma: no cover
        """(N, V) unnormalised scores of every vocabulary entry for each target event."""
        raise NotImplementedError

    def score(self, batch: Batch, candidates: dict[str, Candidates], n_samples: int | None = None,
              generator: torch.Generator | None = None) -> dict[str, SetScores]:
        """Per candidate set: log p(. | context) over the set and the truth's log-likelihood.

        `n_samples` and `generator` serve sampling models (see `samples_used`); a model with
        an exact softmax ignores them.
        """
        logits = self.logits(batch)
        out = {}
        for name, cands in candidates.items():
            logp = cands.log_softmax(logits)
            out[name] = SetScores(logp, cands.truth_log_prob(logp, batch.tgt_player), None)
        return out

    def samples_used(self, n_samples: int | None) -> int:
        """How many samples `score(n_samples=...)` draws for the likelihood (1: exact)."""
        return 1

    def embed(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Per-event embedding (mean, variance), each (N, d); only where `embeds`."""
        raise ValueError(f"model {self.kind!r} has no embeddings (a cvae does)")

    @property
    def embedding_dim(self) -> int:
        """Width d of `embed`'s output."""
        raise ValueError(f"model {self.kind!r} has no embeddings (a cvae does)")

    def fit(self, enc: EncodedGames) -> PlayerModel:
        """Fit a non-trainable model (counts) on encoded training games."""
        return self

    def prepare(self, tables: Any, train_game_ids: list[str], encoder: Any) -> None:
        """Hook `fit` calls before training: a model that also learns from the training
        tables themselves (the player-latent model's event decoder) reads them here."""

    def on_epoch_start(self, epoch: int) -> None:
        """Hook for schedules (KL warm-up)."""

    def latent_diagnostics(self, batches: Iterable[Batch], ks: Sequence[int] = (10, 100, 1000),
                           generator: torch.Generator | None = None) -> dict[str, float]:
        """Variational diagnostics of a latent model on `batches` (roster candidates, known
        players): `loglik_k{k}` for k in `ks`, `kl_per_event`, `active_units`, `n_events`
        (latent models add their own, e.g. `kl_per_player`); {} for a model without one."""
        return {}

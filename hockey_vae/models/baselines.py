"""Count baselines under the same inputs, split and candidate sets as the neural models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from hockey_vae.features import Batch, Candidates, EncodedGames
from hockey_vae.models.base import ModelOutput, PlayerModel

__all__ = ["CountConfig", "FrequencyModel", "UniformModel"]


@dataclass
class CountConfig:
    """Sizes for the count baselines (filled from the data) and the smoothing."""

    n_players: int = 0  # vocabulary size incl. special tokens (from the encoder)
    n_teams: int = 1  # team vocabulary size incl. <none> (from the encoder)
    alpha: float = 0.5  # add-alpha smoothing of the per-team player counts


class FrequencyModel(PlayerModel):
    """p(player | acting team) proportional to the player's training events for that team."""

    kind = "frequency"
    trainable = False

    def __init__(self, cfg: CountConfig):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("counts", torch.zeros(cfg.n_teams, cfg.n_players))

    def fit(self, enc: EncodedGames) -> FrequencyModel:
        """Count the training targets (known players and cold-start tokens alike)."""
        counts = np.zeros((self.cfg.n_teams, self.cfg.n_players), np.float32)
        np.add.at(counts, (enc.team[enc.target], enc.player[enc.target]), 1.0)
        self.counts.copy_(torch.from_numpy(counts))
        return self

    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        zero = self.counts.sum() * 0.0
        return ModelOutput(loss=zero, terms={})

    def logits(self, batch: Batch) -> Tensor:
        return torch.log(self.counts[batch.team[batch.target]] + self.cfg.alpha)


class UniformModel(FrequencyModel):
    """Uniform over the candidates."""

    kind = "uniform"

    def logits(self, batch: Batch) -> Tensor:
        return torch.zeros(batch.n_targets, self.cfg.n_players, device=self.counts.device)

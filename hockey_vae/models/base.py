"""What every player-identification model shares: output type, masking and the scoring API.

A model maps a Batch (see `hockey_vae.sequences`) to log p(player | context) over the
player vocabulary. Candidate masks are applied to the logits before the softmax, in
training and evaluation alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from hockey_vae.sequences import Batch

__all__ = ["ModelOutput", "PlayerModel", "masked_log_softmax", "dropout_targets", "NEG_INF"]

NEG_INF = -1e9  # finite, so masked logits never produce NaN in bf16/fp32 arithmetic


@dataclass
class ModelOutput:
    """`loss` (a scalar to minimise) plus named terms (floats or tensors) for logging."""

    loss: Tensor
    terms: dict[str, Tensor] = field(default_factory=dict)


def masked_log_softmax(logits: Tensor, mask: Tensor) -> Tensor:
    """log softmax over the True entries of `mask`; masked entries get ~NEG_INF.

    Shapes: logits (..., V), mask broadcastable to logits.
    """
    return torch.log_softmax(logits.float().masked_fill(~mask, NEG_INF), dim=-1)


def dropout_targets(target: Tensor, backoff: Tensor, rate: float, training: bool,
                    generator: torch.Generator | None = None) -> Tensor:
    """During training, replace each target by its cold-start token with probability `rate`.

    This is how the unknown-player tokens learn the mass of "a player not seen in training".
    """
    if not training or rate <= 0:
        return target
    drop = torch.rand(target.shape, device=target.device, generator=generator) < rate
    return torch.where(drop, backoff[target], target)


class PlayerModel(nn.Module):
    """Base class: subclasses implement `forward(batch, masks)` and `score(batch, mask, k)`."""

    kind: str = "base"
    trainable: bool = True

    def forward(self, batch: Batch, masks: dict[str, Tensor]) -> ModelOutput:  # pragma: no cover
        raise NotImplementedError

    def score(self, batch: Batch, masks: dict[str, Tensor], n_samples: int = 1,
              generator: torch.Generator | None = None) -> dict[str, tuple]:
        """Per candidate set: (log p(. | context) (N, V), log-lik. of the truth (N,), extra).

        `extra` is None, or for sampled likelihoods the estimate with n_samples // 10 samples.
        """
        logits = self.logits(batch)
        out = {}
        for name, mask in masks.items():
            logp = masked_log_softmax(logits, mask)
            out[name] = (logp, logp.gather(1, batch.tgt_player[:, None]).squeeze(1), None)
        return out

    def logits(self, batch: Batch) -> Tensor:  # pragma: no cover
        """(N, V) unnormalised scores of every vocabulary entry for each target event."""
        raise NotImplementedError

    def on_epoch_start(self, epoch: int) -> None:
        """Hook for schedules (KL warm-up)."""

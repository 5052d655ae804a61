"""What every player-identification model shares: output type, masking and the scoring API.

A model maps a Batch (see `hockey_vae.sequences`) to log p(player | context) over the
player vocabulary. Candidate masks are applied to the logits before the softmax, in
training and evaluation alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import Tensor, nn

from hockey_vae.sequences import N_SPECIAL, Batch

__all__ = ["ModelOutput", "PlayerModel", "masked_log_softmax", "candidate_log_softmax",
           "truth_log_prob", "candidate_nll", "dropout_targets", "simulate_unseen", "NEG_INF"]

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
    # torch.where is several times faster than masked_fill(~mask) on CPU (one pass, no
    # inverted copy of the mask); the result is the same
    return torch.log_softmax(torch.where(mask, logits.float(), NEG_INF), dim=-1)


def candidate_log_softmax(logits: Tensor, candidates: Any) -> Tensor:
    """log p(. | context) over a candidate set, nothing forced in.

    For an (N, V) mask: (..., N, V) with masked entries ~NEG_INF. For short lists (index,
    valid, full) from `sequences.candidate_lists` without `full` rows: (..., N, C), column
    j being entry index[:, j] (invalid columns ~NEG_INF).
    """
    if isinstance(candidates, Tensor):
        return masked_log_softmax(logits, candidates)
    index, valid, full = candidates
    if bool(full.any()):
        raise ValueError("rows without a candidate list need the (N, V) mask")
    shape = (*logits.shape[:-1], index.shape[-1])
    picked = torch.where(valid, logits.float().gather(-1, index.expand(shape)), NEG_INF)
    return torch.log_softmax(picked, dim=-1)


def truth_log_prob(logp: Tensor, candidates: Any, y: Tensor) -> Tensor:
    """log p(y) (N,) from `candidate_log_softmax` output; ~NEG_INF when y is not a candidate."""
    if isinstance(candidates, Tensor):
        return logp.gather(1, y[:, None]).squeeze(1)
    index, valid, _ = candidates
    hit = valid & (index == y[:, None])
    pos = hit.to(torch.int8).argmax(1)
    got = logp.gather(1, pos[:, None]).squeeze(1)
    return torch.where(hit.any(1), got, torch.full_like(got, NEG_INF))


def candidate_nll(logits: Tensor, candidates: Any, y: Tensor) -> Tensor:
    """Mean -log p(y) over a candidate set, the truth always counted as a candidate.

    `candidates` is an (N, V) bool mask, or the short lists (index, valid, full) of
    `sequences.candidate_lists`, where the log-normaliser is taken over a few dozen
    gathered logits instead of the whole vocabulary (rows with `full` use all players).
    """
    rows = torch.arange(len(y), device=y.device)
    if isinstance(candidates, Tensor):
        mask = candidates.clone()
        mask[rows, y] = True
        return -masked_log_softmax(logits, mask)[rows, y].mean()
    index, valid, full = candidates
    logits = logits.float()
    truth = logits[rows, y]
    listed = (valid & (index == y[:, None])).any(1)
    picked = torch.where(valid, logits.gather(1, index), NEG_INF)
    extra = torch.where(listed, torch.full_like(truth, NEG_INF), truth)  # truth off its list
    lse = torch.logsumexp(torch.cat([picked, extra[:, None]], 1), 1)
    if bool(full.any()):  # no list at all: every player but index 0
        lse = torch.where(full, torch.logsumexp(logits[:, 1:], 1), lse)
    return (lse - truth).mean()


def dropout_targets(target: Tensor, backoff: Tensor, rate: float, training: bool,
                    generator: torch.Generator | None = None) -> Tensor:
    """During training, replace each target by its cold-start token with probability `rate`.

    Event-level and off by default (`LSTMConfig.unk_rate = 0`): the tokens now learn from
    `simulate_unseen`, which hides a player for a whole game, as at test time.
    """
    if not training or rate <= 0:
        return target
    drop = torch.rand(target.shape, device=target.device, generator=generator) < rate
    return torch.where(drop, backoff[target], target)


def simulate_unseen(batch: Batch, backoff: Tensor, rate: float) -> Batch:
    """Training-time cold start: each dressed player of each game is, with probability
    `rate`, treated as unseen in training for that whole game.

    The player is replaced by its position token everywhere the game mentions it: targets,
    the roster and on-ice candidate lists, and the earlier-event history. So the tokens
    learn how much mass an unknown dressed player deserves in context, and are candidates
    exactly when the list holds such a player, as at test time. `backoff` (V,) maps each
    vocabulary index to its cold-start token. Uses the global torch RNG.
    """
    if rate <= 0 or batch.n_targets == 0:
        return batch
    B, V = batch.player.shape[0], backoff.shape[0]
    dev = batch.player.device
    drop = torch.rand((B, V), device=dev) < rate  # (B, V): player v unseen in game b
    drop[:, :N_SPECIAL] = False
    game = batch.target.nonzero()[:, 0]  # (N,) game row of each target, row-major

    def swap(idx: Tensor, rows: Tensor) -> Tensor:
        safe = idx.clamp(min=0)
        hit = drop[rows.expand_as(idx), safe] & (idx >= N_SPECIAL)
        return torch.where(hit, backoff[safe], idx)

    tgt_player = swap(batch.tgt_player, game)
    return replace(
        batch,
        player=swap(batch.player, torch.arange(B, device=dev)[:, None]),
        tgt_player=tgt_player,
        tgt_known=batch.tgt_known & (tgt_player >= N_SPECIAL),
        tgt_roster=swap(batch.tgt_roster, game[:, None]),
        tgt_on_ice=swap(batch.tgt_on_ice, game[:, None]),
    )


class PlayerModel(nn.Module):
    """Base class: subclasses implement `forward(batch, masks)` and `score(batch, mask, k)`."""

    kind: str = "base"
    trainable: bool = True

    def forward(self, batch: Batch, masks: dict[str, Tensor]) -> ModelOutput:  # pragma: no cover
        raise NotImplementedError

    def score(self, batch: Batch, masks: dict[str, Any], n_samples: int = 1,
              generator: torch.Generator | None = None) -> dict[str, tuple]:
        """Per candidate set: (log p(. | context), log-lik. of the truth (N,), extra).

        A set is an (N, V) mask, giving (N, V) log-probabilities, or short lists from
        `sequences.candidate_lists`, giving (N, C) ones aligned with the list (see
        `candidate_log_softmax`). `extra` is None, or for sampled likelihoods the estimate
        with n_samples // 10 samples.
        """
        logits = self.logits(batch)
        out = {}
        for name, cands in masks.items():
            logp = candidate_log_softmax(logits, cands)
            out[name] = (logp, truth_log_prob(logp, cands, batch.tgt_player), None)
        return out

    def logits(self, batch: Batch) -> Tensor:  # pragma: no cover
        """(N, V) unnormalised scores of every vocabulary entry for each target event."""
        raise NotImplementedError

    def on_epoch_start(self, epoch: int) -> None:
        """Hook for schedules (KL warm-up)."""

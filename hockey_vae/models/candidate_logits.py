"""Logits of the listed candidates only: a vocabulary head applied to a few rows per event.

A metric over a short candidate set (roster, on-ice: a few dozen players) needs only those
players' logits, so instead of the full (..., N, V) product with the output layer and a
gather, the candidates' rows of the weight matrix are gathered once per event, (N, C, H), and
multiplied with the hidden states: C / V of the work, and the same numbers up to float
rounding (the softmax over the set is exact, not a sampled approximation). The dense form
(`Candidates.whole`, the `all` set) keeps the full product.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hockey_vae.features import NEG_INF, Candidates
from hockey_vae.models.lstm import SlotBonus

__all__ = ["candidate_logits", "candidate_bonus", "masked_truth_log_prob"]


def candidate_bonus(bonus: SlotBonus, cands: Candidates) -> Tensor:
    """(N, C) the roster scorer's bonus at each listed candidate (0 where it adds none).

    The bonus lists each vocabulary entry at most once, so the sum picks one value or none:
    the same number `SlotBonus.add_to` adds to that logit."""
    match = cands.index[:, :, None] == bonus.index[:, None, :]  # (N, C, W)
    return (match * bonus.value[:, None, :]).sum(-1)


def candidate_logits(head: nn.Linear, hidden: Tensor, cands: Candidates,
                     bonus: SlotBonus | None = None) -> Tensor:
    """(..., N, C) float logits of `cands`' listed players, NEG_INF off the set.

    `head` is the (H -> V) output layer, `hidden` (..., N, H) its input; equals gathering
    `head(hidden)` (plus the bonus) at `cands.index` without computing the other V - C."""
    if cands.whole:
        raise ValueError("candidate_logits needs short lists; the dense form uses the head")
    cands._no_full()
    w = head.weight[cands.index]  # (N, C, H)
    lead = hidden.shape[:-2]
    n, h = hidden.shape[-2:]
    x = hidden.reshape(-1, n, h).transpose(0, 1)  # (N, S, H)
    out = torch.bmm(x, w.transpose(1, 2).to(x.dtype)).transpose(0, 1)  # (S, N, C)
    out = out.reshape(*lead, n, cands.index.shape[-1]).float()
    if head.bias is not None:
        out = out + head.bias[cands.index].float()
    if bonus is not None:
        out = out + candidate_bonus(bonus, cands).float()
    return torch.where(cands.valid, out, NEG_INF)


def masked_truth_log_prob(cands: Candidates, masked: Tensor, y: Tensor) -> Tensor:
    """(..., N) log p(y) over the set from masked candidate logits (..., N, C); ~NEG_INF
    when y is no candidate. logit_y - logsumexp without the normalised scores."""
    pos, in_set = cands.locate(y)
    truth = masked.gather(-1, pos.expand(masked.shape[:-1])[..., None]).squeeze(-1)
    out = truth - torch.logsumexp(masked, -1)
    return out if cands.whole else torch.where(in_set, out, torch.full_like(out, NEG_INF))

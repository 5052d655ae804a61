"""Logits of the listed candidates only: a vocabulary head applied to a few rows per event.

A metric over a short candidate set (roster, on-ice: a few dozen players) needs only those
players' logits, so instead of the full (..., N, V) product with the output layer and a
gather, the candidates' rows of the weight matrix are gathered once per event, (N, C, H), and
multiplied with the hidden states: C / V of the work, and the same numbers up to float
rounding (the softmax over the set is exact, not a sampled approximation). The dense form
(`Candidates.whole`, the `all` set) keeps the full product.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from hockey_vae.features import NEG_INF, Candidates
from hockey_vae.models.lstm import SlotBonus

__all__ = ["CandidateHead", "ListScorer", "candidate_logits", "candidate_bonus",
           "masked_truth_log_prob", "union_lists"]


def candidate_bonus(bonus: SlotBonus, cands: Candidates) -> Tensor:
    """(N, C) the roster scorer's bonus at each listed candidate (0 where it adds none).

    The bonus lists each vocabulary entry at most once, so the sum picks one value or none:
    the same number `SlotBonus.add_to` adds to that logit."""
    match = cands.index[:, :, None] == bonus.index[:, None, :]  # (N, C, W)
    return (match * bonus.value[:, None, :]).sum(-1)


@dataclass
class CandidateHead:
    """An (H -> V) output layer restricted to each event's listed candidates: the rows of
    its weight matrix gathered once, (N, H, C), and bias + bonus as one (N, C) offset, so
    every batch of samples costs one batched product. Built once per scoring call."""

    weight: Tensor  # (N, H, C)
    offset: Tensor  # (N, C) float: bias plus the roster scorer's bonus
    valid: Tensor  # (N, C) bool

    @classmethod
    def build(cls, head: nn.Linear, cands: Candidates,
              bonus: SlotBonus | None = None) -> CandidateHead:
        """`head` restricted to `cands` (short lists only), plus `bonus` if given."""
        if cands.whole:
            raise ValueError("candidate_logits needs short lists; the dense form uses the head")
        cands._no_full()
        offset = torch.zeros(cands.index.shape, device=cands.index.device)
        if head.bias is not None:
            offset = offset + head.bias[cands.index].float()
        if bonus is not None:
            offset = offset + candidate_bonus(bonus, cands).float()
        return cls(head.weight[cands.index].transpose(1, 2).contiguous(), offset, cands.valid)

    def __call__(self, hidden: Tensor) -> Tensor:
        """(S, N, C) float logits, NEG_INF off the set, from `hidden` (N, S, H): event-major,
        so the batched product reads it without a copy."""
        out = torch.bmm(hidden, self.weight.to(hidden.dtype)).float()  # (N, S, C)
        out = out.add_(self.offset[:, None, :]).transpose(0, 1)
        return torch.where(self.valid, out, NEG_INF)


def candidate_logits(head: nn.Linear, hidden: Tensor, cands: Candidates,
                     bonus: SlotBonus | None = None) -> Tensor:
    """(..., N, C) float logits of `cands`' listed players, NEG_INF off the set.

    `head` is the (H -> V) output layer, `hidden` (..., N, H) its input; equals gathering
    `head(hidden)` (plus the bonus) at `cands.index` without computing the other V - C."""
    lead, (n, h) = hidden.shape[:-2], hidden.shape[-2:]
    out = CandidateHead.build(head, cands, bonus)(hidden.reshape(-1, n, h).transpose(0, 1))
    return out.reshape(*lead, n, out.shape[-1])


def masked_truth_log_prob(cands: Candidates, masked: Tensor, y: Tensor) -> Tensor:
    """(..., N) log p(y) over the set from masked candidate logits (..., N, C); ~NEG_INF
    when y is no candidate. logit_y - logsumexp without the normalised scores."""
    pos, in_set = cands.locate(y)
    truth = masked.gather(-1, pos.expand(masked.shape[:-1])[..., None]).squeeze(-1)
    out = truth - torch.logsumexp(masked, -1)
    return out if cands.whole else torch.where(in_set, out, torch.full_like(out, NEG_INF))


def union_lists(sets: list[Candidates]) -> tuple[Candidates, list[Tensor]]:
    """The union of several short-list sets per event (each player once, (N, U)) and, per
    set, the column of each of its entries in the union (N, C_s): the on-ice list is mostly
    inside the roster, so both are decoded for about the price of the roster."""
    big = torch.iinfo(torch.long).max
    idx = torch.cat([torch.where(c.valid, c.index, big) for c in sets], 1).sort(1).values
    dup = torch.zeros_like(idx, dtype=torch.bool)
    dup[:, 1:] = idx[:, 1:] == idx[:, :-1]
    idx = torch.where(dup, big, idx).sort(1).values
    width = max(1, int((idx != big).sum(1).max())) if idx.shape[0] else 1
    union = idx[:, :width].contiguous()
    valid = union != big
    pos = [torch.searchsorted(union, torch.where(c.valid, c.index, 0)).clamp(max=width - 1)
           for c in sets]
    full = torch.zeros(union.shape[0], dtype=torch.bool, device=union.device)
    return Candidates(torch.where(valid, union, 0), valid, full), pos


@dataclass
class ListScorer:
    """Masked logits of several short-list sets from one CandidateHead over their union."""

    head: CandidateHead
    sets: dict[str, Candidates]
    pos: dict[str, Tensor]

    @classmethod
    def build(cls, head: nn.Linear, sets: dict[str, Candidates],
              bonus: SlotBonus | None = None) -> ListScorer:
        """For the short-list sets `sets` (name -> Candidates) of one batch."""
        union, pos = union_lists(list(sets.values()))
        return cls(CandidateHead.build(head, union, bonus), sets, dict(zip(sets, pos,
                                                                          strict=True)))

    def __call__(self, hidden: Tensor) -> dict[str, Tensor]:
        """Per set, (S, N, C) float logits, NEG_INF off the set; `hidden` (N, S, H)."""
        u = self.head(hidden)
        return {name: torch.where(c.valid, u.gather(-1, self.pos[name].expand(
                    *u.shape[:-1], c.index.shape[-1])), NEG_INF)
                for name, c in self.sets.items()}

"""Torch batches of encoded games, candidate sets, and the batch utilities of every loop.

A `Batch` pads a few games into (B, T) sequence tensors and lists the prediction targets
flat, (N,) in row-major order of `target`. A `Candidates` is one candidate set for those N
targets in a single type: short lists (index, valid) or the whole vocabulary (the dense form,
index = 0..V-1 on every row), with the scoring operations each model needs, so a scorer has
one code path whatever the form.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from hockey_vae.features.encoding import EncodedGames
from hockey_vae.features.vocab import N_SPECIAL

__all__ = ["CANDIDATE_SETS", "CANDIDATE_FORMS", "NEG_INF", "Batch", "collate",
           "iterate_batches", "flush_denormals", "Candidates", "candidate_mask",
           "candidate_set", "training_candidates", "unseen_counts", "simulate_unseen"]

CANDIDATE_SETS: tuple[str, ...] = ("all", "roster", "on_ice")
CANDIDATE_FORMS: tuple[str, ...] = ("auto", "lists", "vocab")
NEG_INF = -1e9  # finite, so masked logits never produce NaN in bf16/fp32 arithmetic


@dataclass
class Batch:
    """A padded batch of B games (T = longest) plus the flat list of its N prediction targets.

    `flat_index` maps each target back to its row in the EncodedGames it came from; W is the
    longest roster, F = len(NUM_FEATURES), K = N_ROSTER_FEATURES.
    """

    etype: Tensor  # (B, T) int64 event type
    team: Tensor  # (B, T) int64 acting team (0 = none)
    num: Tensor  # (B, T, F) float32 standardised numeric features
    player: Tensor  # (B, T) int64 acting player (history input; 0 = none)
    valid: Tensor  # (B, T) bool, False on padding
    target: Tensor  # (B, T) bool, events whose player is predicted
    tgt_player: Tensor  # (N,) int64 the true player (vocabulary index)
    tgt_etype: Tensor  # (N,) int64
    tgt_known: Tensor  # (N,) bool, the player is in the training vocabulary
    tgt_roster: Tensor  # (N, W) vocabulary indices of the acting team's roster, -1 padded
    tgt_on_ice: Tensor  # (N, MAX_ON_ICE) the acting team's on-ice list, -1 padded
    tgt_roster_features: Tensor  # (N, W, K) float32 per-candidate features, as tgt_roster
    flat_index: Tensor  # (N,) int64

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on `device`."""
        return Batch(**{f.name: getattr(self, f.name).to(device, non_blocking=True)
                        for f in dataclasses.fields(self)})

    @property
    def n_targets(self) -> int:
        return int(self.tgt_player.shape[0])


def collate(enc: EncodedGames, games: Sequence[int]) -> Batch:
    """Pad the games with positions `games` in `enc` into one Batch (CPU tensors)."""
    games = list(games)
    lens = enc.lengths()[games]
    B, T = len(games), int(lens.max()) if len(games) else 0
    etype = np.zeros((B, T), np.int64)
    team = np.zeros((B, T), np.int64)
    num = np.zeros((B, T, enc.num.shape[1]), np.float32)
    player = np.zeros((B, T), np.int64)
    valid = np.zeros((B, T), bool)
    target = np.zeros((B, T), bool)
    rows = np.full((B, T), -1, np.int64)
    for b, g in enumerate(games):
        s, e = enc.offsets[g], enc.offsets[g + 1]
        n = e - s
        etype[b, :n] = enc.etype[s:e]
        team[b, :n] = enc.team[s:e]
        num[b, :n] = enc.num[s:e]
        player[b, :n] = enc.player[s:e]
        valid[b, :n] = True
        target[b, :n] = enc.target[s:e]
        rows[b, :n] = np.arange(s, e)
    flat = rows[target]
    rr = enc.roster_row[flat]
    roster = np.where(rr[:, None] >= 0, enc.rosters[np.maximum(rr, 0)], -1)
    t = torch.from_numpy
    return Batch(
        etype=t(etype), team=t(team), num=t(num), player=t(player), valid=t(valid),
        target=t(target), tgt_player=t(enc.player[flat]), tgt_etype=t(enc.etype[flat]),
        tgt_known=t(enc.known[flat]), tgt_roster=t(roster), tgt_on_ice=t(enc.on_ice[flat]),
        tgt_roster_features=t(np.ascontiguousarray(enc.roster_features[flat])),
        flat_index=t(flat),
    )


def iterate_batches(enc: EncodedGames, batch_games: int,
                    order: Sequence[int] | None = None) -> Iterator[Batch]:
    """Batches of `batch_games` games (in `order`, default file order)."""
    order = list(range(enc.n_games)) if order is None else list(order)
    for i in range(0, len(order), batch_games):
        yield collate(enc, order[i:i + batch_games])


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat subnormal floats as zero on CPU while inside (restored to off afterwards).

    Probabilities far below the top candidates underflow into subnormals, which x86 CPUs
    process many times slower; measured 6x on CVAE evaluation. No effect on results that
    matter (values below 1e-38). Usable as a decorator.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


@dataclass
class Candidates:
    """One candidate set for N target events.

    index (N, C) int64 vocabulary entries and valid (N, C) bool: row n's candidates are
    index[n][valid[n]], each at most once, never index 0. full (N,) bool marks rows with no
    list at all, whose candidates are every player but index 0; only `nll` accepts them
    (training), every other operation needs `full` all False. `whole` is the dense form:
    index is 0..V-1 on every row (an expanded view), valid the (N, V) mask, so scores come
    out (N, V). Listing a few dozen players instead of the whole vocabulary is what makes
    the roster and on-ice sets cheap.
    """

    index: Tensor
    valid: Tensor
    full: Tensor
    whole: bool = False

    @classmethod
    def from_mask(cls, mask: Tensor) -> Candidates:
        """The dense form of an (N, V) bool mask."""
        n, v = mask.shape
        index = torch.arange(v, device=mask.device).expand(n, v)
        return cls(index, mask, torch.zeros(n, dtype=torch.bool, device=mask.device), True)

    @classmethod
    def from_lists(cls, lists: Tensor) -> Candidates:
        """Short lists from (N, W) vocabulary indices padded with -1 (repeats allowed:
        several unseen players share one token); rows with no entry are `full`."""
        idx = lists.sort(1).values
        valid = idx >= 1
        valid[:, 1:] &= idx[:, 1:] != idx[:, :-1]
        return cls(idx.clamp(min=0), valid, ~valid.any(1))

    def dense(self, n_vocab: int) -> Tensor:
        """(N, n_vocab) bool mask of the same set (`full` rows: every player but 0)."""
        if self.whole:
            return self.valid
        n = self.index.shape[0]
        mask = torch.zeros((n, n_vocab), dtype=torch.bool, device=self.index.device)
        mask.scatter_(1, torch.where(self.valid, self.index, 0), self.valid)
        mask[self.full, 1:] = True
        mask[:, 0] = False
        return mask

    def _no_full(self) -> None:
        if bool(self.full.any()):
            raise ValueError("rows without a candidate list need the dense form "
                             "(candidate_set(..., form='auto' or 'vocab'))")

    def log_softmax(self, logits: Tensor) -> Tensor:
        """log p(. | context) over the set, (..., N, C) aligned with `index` (entries off
        the set ~NEG_INF); `logits` (..., N, V)."""
        if self.whole:
            # torch.where is several times faster than masked_fill(~mask) on CPU
            return torch.log_softmax(torch.where(self.valid, logits.float(), NEG_INF), dim=-1)
        self._no_full()
        shape = (*logits.shape[:-1], self.index.shape[-1])
        picked = torch.where(self.valid, logits.float().gather(-1, self.index.expand(shape)),
                             NEG_INF)
        return torch.log_softmax(picked, dim=-1)

    def locate(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """(column of y in `index` (N,), y is a candidate (N,) bool) for true players y."""
        if self.whole:
            return y, self.valid.gather(1, y[:, None]).squeeze(1)
        hit = self.valid & (self.index == y[:, None])
        return hit.to(torch.int8).argmax(1), hit.any(1)

    def truth_log_prob(self, logp: Tensor, y: Tensor) -> Tensor:
        """log p(y) (N,) from `log_softmax` output (N, C); ~NEG_INF when y is no candidate."""
        pos, in_set = self.locate(y)
        got = logp.gather(1, pos[:, None]).squeeze(1)
        if self.whole:
            return got
        return torch.where(in_set, got, torch.full_like(got, NEG_INF))

    def nll(self, logits: Tensor, y: Tensor) -> Tensor:
        """Mean -log p(y) over the set with the truth always counted as a candidate
        (the training loss); `logits` (N, V), y (N,)."""
        rows = torch.arange(len(y), device=y.device)
        if self.whole:
            mask = self.valid.clone()
            mask[rows, y] = True
            return -Candidates.from_mask(mask).log_softmax(logits)[rows, y].mean()
        logits = logits.float()
        truth = logits[rows, y]
        listed = (self.valid & (self.index == y[:, None])).any(1)
        picked = torch.where(self.valid, logits.gather(1, self.index), NEG_INF)
        extra = torch.where(listed, torch.full_like(truth, NEG_INF), truth)  # truth off its list
        lse = torch.logsumexp(torch.cat([picked, extra[:, None]], 1), 1)
        if bool(self.full.any()):  # no list at all: every player but index 0
            lse = torch.where(self.full, torch.logsumexp(logits[:, 1:], 1), lse)
        return (lse - truth).mean()

    def share_tokens(self, logp: Tensor, log_counts: Tensor) -> Tensor:
        """`logp` (N, C) with each cold-start token's mass divided among the `exp(log_counts)`
        (N, N_SPECIAL) unseen players it stands for. May modify `logp` in place."""
        if self.whole:
            logp[:, :N_SPECIAL] -= log_counts
            return logp
        token = self.valid & (self.index < N_SPECIAL)
        share = log_counts.gather(1, self.index.clamp(max=N_SPECIAL - 1))
        return logp - torch.where(token, share, 0.0)


def candidate_mask(batch: Batch, kind: str, n_vocab: int) -> Tensor:
    """(N, n_vocab) bool: the candidates for each target event under candidate set `kind`.

    `all`: every vocabulary player; `roster`: the acting team's dressed roster for the
    game; `on_ice`: the acting team's players on the ice (roster when the source has none).
    A position's cold-start token is a candidate only when the list holds a player unseen in
    training at that position (it then stands for all of them, see `unseen_counts`); under
    `all` the roster decides (every token when there is no roster). Index 0 (no player)
    never is. A roster or on-ice list that is missing falls back to the next wider set.
    """
    _check_kind(kind)
    N = batch.n_targets
    device = batch.tgt_player.device
    if kind == "all":
        mask = torch.ones((N, n_vocab), dtype=torch.bool, device=device)
        has_roster = (batch.tgt_roster >= 0).any(1)
        if bool(has_roster.any()):
            tokens = candidate_mask(batch, "roster", n_vocab)[:, 1:N_SPECIAL]
            mask[has_roster, 1:N_SPECIAL] = tokens[has_roster]
        mask[:, 0] = False
        return mask
    lists = batch.tgt_roster if kind == "roster" else batch.tgt_on_ice
    mask = torch.zeros((N, n_vocab + 1), dtype=torch.bool, device=device)
    idx = torch.where(lists >= 0, lists, torch.full_like(lists, n_vocab))
    mask.scatter_(1, idx, True)
    mask = mask[:, :n_vocab]
    empty = ~(lists >= 0).any(dim=1)
    if kind == "on_ice" and bool(empty.any()):
        sub = candidate_mask(batch, "roster", n_vocab)
        mask[empty] = sub[empty]
        empty = ~mask[:, 1:].any(dim=1)
    if bool(empty.any()):
        mask[empty] = True
    mask[:, 0] = False
    return mask


def _lists(batch: Batch, kind: str) -> Tensor:
    """(N, W) the roster, or for `on_ice` the on-ice list where there is one (else roster)."""
    lists = batch.tgt_roster
    if kind == "on_ice":
        on = batch.tgt_on_ice
        width = max(lists.shape[1], on.shape[1])
        has = (on >= 0).any(1, keepdim=True)
        lists = torch.where(has, F.pad(on, (0, width - on.shape[1]), value=-1),
                            F.pad(lists, (0, width - lists.shape[1]), value=-1))
    return lists


def candidate_set(batch: Batch, kind: str, n_vocab: int, form: str = "auto") -> Candidates:
    """Candidate set `kind` of `batch` (see `candidate_mask` for the sets).

    `form`: "vocab" the dense form; "lists" short lists for roster/on_ice, rows without a
    list marked `full` (enough for the training loss); "auto" short lists unless some row
    has none, else the dense form (exact for every operation). `all` is always dense.
    """
    _check_kind(kind)
    if form not in CANDIDATE_FORMS:
        raise ValueError(f"candidate form {form!r} is not one of {CANDIDATE_FORMS}")
    if kind != "all" and form != "vocab":
        cands = Candidates.from_lists(_lists(batch, kind))
        if form == "lists" or not bool(cands.full.any()):
            return cands
    return Candidates.from_mask(candidate_mask(batch, kind, n_vocab))


def training_candidates(batch: Batch, names: Sequence[str], n_vocab: int
                        ) -> dict[str, Candidates]:
    """The candidate sets of a training loss, each in its cheapest form for `nll`."""
    return {c: candidate_set(batch, c, n_vocab, form="lists") for c in names}


def unseen_counts(batch: Batch, kind: str) -> Tensor:
    """(N, N_SPECIAL) float: how many players of the candidate list each cold-start token
    stands for (at least 1), so a token's probability is split evenly among them.

    Under `all` the roster's counts are used; where the list is missing every count is 1.
    """
    _check_kind(kind)
    tokens = torch.arange(N_SPECIAL, device=batch.tgt_player.device)

    def count(lists: Tensor) -> Tensor:
        return (lists[:, :, None] == tokens).sum(1).float()  # (N, N_SPECIAL)

    counts = count(batch.tgt_roster)
    if kind == "on_ice":
        has = (batch.tgt_on_ice >= 0).any(1, keepdim=True)
        counts = torch.where(has, count(batch.tgt_on_ice), counts)
    return counts.clamp(min=1.0)


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
    return dataclasses.replace(
        batch,
        player=swap(batch.player, torch.arange(B, device=dev)[:, None]),
        tgt_player=tgt_player,
        tgt_known=batch.tgt_known & (tgt_player >= N_SPECIAL),
        tgt_roster=swap(batch.tgt_roster, game[:, None]),
        tgt_on_ice=swap(batch.tgt_on_ice, game[:, None]),
    )


def _check_kind(kind: str) -> None:
    if kind not in CANDIDATE_SETS:
        raise ValueError(f"candidate set {kind!r} is not one of {CANDIDATE_SETS}")

"""Fold-in of players unseen in training into a trained `player-latent` model.

A player unseen in training is scored through his position's cold-start token T, whose q(u)
is the position prior N(mu_p, sd_p^2), and whose mass is split evenly among the c unseen
players of that position in the candidate list. Fold-in gives such a player his own
q(u_new) = N(m, diag s^2) from the events of games already seen, every network weight frozen.

Scoring (per event, candidate set, and sample k of `PlayerLatentLSTM.score`): the token's
logit draw is l_T = base_T(h) + q(h).mu_p + sd_T(h) eps_T, with sd_T^2 = sum_d q_d^2 sd_pd^2.
A folded-in player of that token gets his own entry

    l_new = base_T(h) + q(h).m - log c + sd_new(h) eps_T,   sd_new^2 = sum_d q_d^2 s_d^2,

i.e. the token's draw minus log c plus q(h).(m - mu_p), with the token's own noise eps_T;
the f folded-in players leave the token standing for the c - f others, its logit moved by
log((c - f) / c) (gone when f = c), and an unfolded player's share is log(c - f). At
m = mu_p, s = sd_p every entry is the token's draw minus log c, so the masses and the truth's
log-probability are today's cold start exactly, draw for draw (the guard in the tests).
Sharing eps_T keeps that identity exact rather than in expectation; it follows today's
convention that one draw stands for all unseen players of a position.

Fitting: the ELBO of the events seen so far, sum_t mean_sets log p(y_t | h_t, u) - sum KL(q ||
prior), where every event that lists a folded-in player counts (he acted: his logit; he did
not: he is in the softmax denominator). Other candidates sit at their mean logits; the new
latents are sampled (reparameterised, a few draws per step) and fitted by Adam, warm-started
from the previous fit. The event decoder's records of the same games (what the player did:
event kinds, shots, faceoffs, usage) enter through `extra_nll`
(`hockey_vae.models.latent_foldin_records`), weighted as in training.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from torch.distributions import Normal, kl_divergence

from hockey_vae.features import N_SPECIAL, Batch, Candidates, EncodedGames, iterate_batches
from hockey_vae.features.batches import NEG_INF

__all__ = ["SetRows", "FrozenRows", "FoldLatents", "frozen_rows", "score_rows", "fit_latents",
           "require_player_latent", "FOLD_SETS"]

FOLD_SETS: tuple[str, ...] = ("roster", "on_ice")


def require_player_latent(model: object) -> None:
    """TypeError unless `model` is a `player-latent` model (the only one with latents u_j)."""
    if getattr(model, "kind", None) != "player-latent":
        kind = getattr(model, "kind", type(model).__name__)
        raise TypeError(f"fold-in needs a 'player-latent' model (per-player latents u_j); "
                        f"got {kind!r}")


@dataclass
class SetRows:
    """One candidate set for N target events, everything the frozen network says about it.

    idx/valid (N, C): the candidate list as `Candidates.from_lists` builds it; mu/scale (N, C)
    the mean and sd of each candidate's logit under q(u); log_c (N, N_SPECIAL) the log of
    how many unseen players each token stands for; ext (N, X) the codes of the unseen
    players in the list (-1 pad), ext_col (N, X) their token's column, qmu (N, X) q(h).mu_p
    of that token's level; truth_col (N,) the truth's column (his token when unseen),
    truth_ext (N,) his slot in ext (-1: a player of the vocabulary); in_set (N,).
    """

    idx: Tensor
    valid: Tensor
    mu: Tensor
    scale: Tensor
    log_c: Tensor
    ext: Tensor
    ext_col: Tensor
    qmu: Tensor
    truth_col: Tensor
    truth_ext: Tensor
    in_set: Tensor

    def take(self, sel: Tensor) -> SetRows:
        """The rows `sel` (bool or index)."""
        return SetRows(**{k: v[sel] for k, v in vars(self).items()})


@dataclass
class FrozenRows:
    """Per target event of an EncodedGames (row-major batch order): `q` (N, d_u) the query,
    `sets` per candidate set, `flat_index` (N,), `game` (N,) game position in the encoded
    games, `truth_code` (N,) the acting player's code in `ids` (-1 when in the vocabulary),
    `ids` the raw ids of the unseen players, `level` (len(ids),) their prior level (the
    position of the token they first appear under)."""

    q: Tensor
    sets: dict[str, SetRows]
    flat_index: np.ndarray
    game: np.ndarray
    truth_code: Tensor
    ids: list[str]
    level: Tensor


@dataclass
class FoldLatents:
    """q(u) = N(m, diag exp(log_s)^2) per unseen player (rows of `FrozenRows.ids`)."""

    m: Tensor
    log_s: Tensor

    @classmethod
    def at_prior(cls, model: torch.nn.Module, level: Tensor) -> FoldLatents:
        """Every latent at its level's prior (the cold start)."""
        mu = model.prior_mu.detach().float()[level]
        log_sd = model.prior_log_sd.detach().float().clamp(-7.0, 3.0)[level]
        return cls(mu.clone(), log_sd.clone())


def _unseen_codes(enc: EncodedGames) -> tuple[list[str], pd.Index]:
    """Raw ids of every player unseen in training in the games' lists or acting."""
    if enc.roster_ids is None or enc.on_ice_ids is None:
        raise ValueError("fold-in needs raw ids in the encoded games: encode them with "
                         "SequenceEncoder.transform of this version")
    tok = (enc.rosters >= 1) & (enc.rosters < N_SPECIAL)
    on = (enc.on_ice >= 1) & (enc.on_ice < N_SPECIAL)
    act = enc.target & (enc.player < N_SPECIAL)
    ids = np.concatenate([enc.roster_ids[tok], enc.on_ice_ids[on], enc.player_id[act]])
    uniq = sorted({str(i) for i in ids if i is not None})
    return uniq, pd.Index(uniq)


def _slot_lists(enc: EncodedGames, batch: Batch, kind: str, index: pd.Index
                ) -> tuple[Tensor, Tensor]:
    """(vocabulary lists (N, W), unseen codes (N, W), -1 = none) of set `kind`, by the rule
    of `features.batches.candidate_set`: on-ice where the event has a list, else roster."""
    flat = batch.flat_index.numpy()
    rr = enc.roster_row[flat]
    raw = np.where(rr[:, None] >= 0, enc.roster_ids[np.maximum(rr, 0)], None)
    lists = batch.tgt_roster.cpu()
    if kind == "on_ice":
        on, on_raw = batch.tgt_on_ice.cpu(), enc.on_ice_ids[flat]
        width = max(lists.shape[1], on.shape[1])
        has = (on >= 0).any(1)
        pad = torch.full((len(flat), width), -1, dtype=torch.long)
        a, b = pad.clone(), pad.clone()
        a[:, :lists.shape[1]], b[:, :on.shape[1]] = lists, on
        lists = torch.where(has[:, None], b, a)
        ra = np.full((len(flat), width), None, dtype=object)
        rb = ra.copy()
        ra[:, :raw.shape[1]], rb[:, :on_raw.shape[1]] = raw, on_raw
        raw = np.where(has.numpy()[:, None], rb, ra)
    unseen = (lists >= 1) & (lists < N_SPECIAL)
    codes = index.get_indexer(raw.ravel()).reshape(raw.shape)
    codes = torch.where(unseen, torch.as_tensor(codes, dtype=torch.long), -1)
    return lists, codes


def _set_rows(model: torch.nn.Module, lists: Tensor, codes: Tensor, batch: Batch, mu: Tensor,
              scale: Tensor, q: Tensor, truth_code: Tensor, log_c: Tensor) -> SetRows:
    """SetRows of one batch and set from its lists and the full (N, V) logit moments (nine
    parameters: the per-batch tensors `frozen_rows` has already computed once for all sets)."""
    cands = Candidates.from_lists(lists)
    idx, valid = cands.index, cands.valid & ~cands.full[:, None]
    n_ext = max(int((codes >= 0).sum(1).max()) if len(codes) else 0, 1)
    order = codes.sort(1, descending=True)
    ext = order.values[:, :n_ext]
    tok = lists.gather(1, order.indices[:, :n_ext])
    ext_col = ((idx[:, None, :] == tok[:, :, None]) & valid[:, None, :]).to(torch.int8).argmax(-1)
    ext_col = torch.where(ext >= 0, ext_col, 0)
    level = model.positions[tok.clamp(min=0, max=N_SPECIAL - 1)]
    qmu = (q[:, None, :] * model.prior_mu.detach().float()[level]).sum(-1)
    y = batch.tgt_player
    truth_col, in_set = cands.locate(y)
    hit = (ext == truth_code[:, None]) & (truth_code[:, None] >= 0)
    truth_ext = torch.where(hit.any(1), hit.to(torch.int8).argmax(1), -1)
    return SetRows(idx, valid, mu.gather(1, idx), scale.gather(1, idx), log_c, ext, ext_col,
                   qmu, truth_col, truth_ext, in_set & ~cands.full)


@torch.no_grad()
def frozen_rows(model: torch.nn.Module, enc: EncodedGames, kinds: Sequence[str] = FOLD_SETS,
                batch_games: int = 8) -> FrozenRows:
    """Run the frozen network once over `enc` (CPU): the FrozenRows fold-in works on."""
    from hockey_vae.features import unseen_counts

    require_player_latent(model)
    bad = [k for k in kinds if k not in FOLD_SETS]
    if bad:
        raise ValueError(f"fold-in candidate set {bad[0]!r} is not one of {FOLD_SETS} (the "
                         "sets with a list of named players)")
    model.eval()
    ids, index = _unseen_codes(enc)
    mean, sd = model.latent()
    parts: dict[str, list[SetRows]] = {k: [] for k in kinds}
    qs, flats, truths = [], [], []
    for batch in iterate_batches(enc, batch_games):
        if batch.n_targets == 0:
            continue
        batch = batch.to("cpu")
        ctx = model.context(batch)
        q = model.query(ctx).float()
        mu = model.base_logits(batch, ctx).float() + q @ mean.float().T
        scale = ((q * q) @ (sd.float() ** 2).T).sqrt()
        flat = batch.flat_index.numpy()
        act = batch.tgt_player < N_SPECIAL
        code = index.get_indexer(enc.player_id[flat])
        truth = torch.where(act, torch.as_tensor(code, dtype=torch.long), -1)
        for k in kinds:
            lists, codes = _slot_lists(enc, batch, k, index)
            parts[k].append(_set_rows(model, lists, codes, batch, mu, scale, q, truth,
                                      unseen_counts(batch, k).log()))
        qs.append(q)
        flats.append(flat)
        truths.append(truth)
    flat_index = np.concatenate(flats) if flats else np.zeros(0, np.int64)
    sets = {k: _cat_rows(v) for k, v in parts.items()}
    level = _first_levels(model, sets, len(ids))
    return FrozenRows(torch.cat(qs) if qs else torch.zeros(0, model.cfg.d_u), sets, flat_index,
                      np.searchsorted(enc.offsets, flat_index, side="right") - 1,
                      torch.cat(truths) if truths else torch.zeros(0, dtype=torch.long),
                      ids, level)


def _cat_rows(parts: list[SetRows]) -> SetRows:
    """Concatenate SetRows of several batches, padding the column dims (C, X)."""
    fill = {"idx": 0, "valid": False, "mu": NEG_INF, "scale": 0.0, "ext": -1, "ext_col": 0,
            "qmu": 0.0}
    out = {}
    for key in vars(parts[0]):
        xs = [getattr(p, key) for p in parts]
        if key in fill:
            width = max(x.shape[1] for x in xs)
            xs = [torch.nn.functional.pad(x, (0, width - x.shape[1]), value=fill[key])
                  if x.dtype != torch.bool else
                  torch.cat([x, x.new_zeros((x.shape[0], width - x.shape[1]))], 1) for x in xs]
        out[key] = torch.cat(xs)
    return SetRows(**out)


def _first_levels(model: torch.nn.Module, sets: dict[str, SetRows], n: int) -> Tensor:
    """(n,) prior level per unseen player: his token's level at his first listing."""
    codes, rows, levels = [], [], []
    for r in sets.values():
        tok = r.idx.gather(1, r.ext_col).clamp(max=N_SPECIAL - 1)
        keep = (r.ext >= 0).numpy()
        codes.append(r.ext.numpy()[keep])
        rows.append(np.broadcast_to(np.arange(len(r.ext))[:, None], r.ext.shape)[keep])
        levels.append(model.positions[tok].cpu().numpy()[keep])
    level = np.full(n, int(model.prior_mu.shape[0]) - 1, dtype=np.int64)  # unknown position
    if codes:
        c, r, lv = (np.concatenate(x) for x in (codes, rows, levels))
        order = np.argsort(r, kind="stable")
        first_code, first = np.unique(c[order], return_index=True)
        level[first_code] = lv[order][first]
    return torch.as_tensor(level)


def _fold_logits(rows: SetRows, q: Tensor, m: Tensor, log_s: Tensor, active: Tensor
                 ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Moments of the fold-in entries: (token-column means and validity (N, C), extension
    means and sds (..., N, X), extension validity (N, X)); `m`, `log_s` (..., L, d_u)."""
    on = (rows.ext >= 0) & active[rows.ext.clamp(min=0)]
    is_tok = rows.valid & (rows.idx < N_SPECIAL)
    c = rows.log_c.gather(1, rows.idx.clamp(max=N_SPECIAL - 1)).exp()
    folded = torch.zeros_like(rows.mu).scatter_add_(1, rows.ext_col, on.float())
    rest = c - folded
    shift = torch.where(is_tok & (rest > 0), (rest.clamp(min=1e-9) / c).log(), 0.0)
    valid = rows.valid & ~(is_tok & (rest <= 0))
    code = rows.ext.clamp(min=0)
    log_c_ext = rows.log_c.gather(1, rows.idx.gather(1, rows.ext_col).clamp(max=N_SPECIAL - 1))
    mu_ext = (rows.mu.gather(1, rows.ext_col) - log_c_ext - rows.qmu
              + (q[:, None, :] * m[..., code, :]).sum(-1))
    sd_ext = ((q * q)[:, None, :] * (2 * log_s[..., code, :]).exp()).sum(-1).sqrt()
    return rows.mu + shift, valid, mu_ext, sd_ext, on


def _truth(rows: SetRows, on: Tensor, rest_share: Tensor) -> tuple[Tensor, Tensor]:
    """(column of the truth in [orig | ext] (N,), its share to subtract (N,))."""
    te = rows.truth_ext
    folded = (te >= 0) & on.gather(1, te.clamp(min=0)[:, None]).squeeze(1)
    col = torch.where(folded, rows.idx.shape[1] + te.clamp(min=0), rows.truth_col)
    return col, torch.where(folded, 0.0, rest_share)


@torch.no_grad()
def score_rows(rows: SetRows, q: Tensor, lat: FoldLatents, active: Tensor, k: int,
               generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(cold-start log p(truth), fold-in log p(truth), folded-in players in the list), each
    (N,), the first two from the same k draws (NEG_INF where the truth is not in the set);
    `active` (L,) marks folded-in players. Rows listing none are equal up to rounding."""
    n, c = rows.mu.shape
    eps = torch.randn((k, n, c), generator=generator)
    lp = torch.log_softmax(torch.where(rows.valid, rows.mu + rows.scale * eps, NEG_INF), -1)
    y_tok = rows.idx.gather(1, rows.truth_col[:, None]).squeeze(1) < N_SPECIAL
    count = rows.log_c.gather(1, rows.idx.gather(1, rows.truth_col[:, None]).clamp(
        max=N_SPECIAL - 1)).squeeze(1)
    cold = _mean_k(lp, rows.truth_col) - torch.where(y_tok, count, 0.0)
    mu_o, valid_o, mu_e, sd_e, on = _fold_logits(rows, q, lat.m, lat.log_s, active)
    eps_e = eps.gather(2, rows.ext_col.expand(k, *rows.ext_col.shape))
    draws = torch.cat([torch.where(valid_o, mu_o + rows.scale * eps, NEG_INF),
                       torch.where(on, mu_e + sd_e * eps_e, NEG_INF)], -1)
    lp = torch.log_softmax(draws, -1)
    rest = count.exp() - _folded_of_truth_token(rows, on)
    col, share = _truth(rows, on, torch.where(y_tok, rest.clamp(min=1.0).log(), 0.0))
    fold = _mean_k(lp, col) - share
    bad = ~rows.in_set
    return cold.masked_fill(bad, NEG_INF), fold.masked_fill(bad, NEG_INF), on.sum(1)


def _mean_k(lp: Tensor, col: Tensor) -> Tensor:
    """log mean_k p_k(col) from (k, N, C) log-probabilities."""
    got = lp.gather(2, col[None, :, None].expand(lp.shape[0], -1, 1)).squeeze(2)
    return torch.logsumexp(got, 0) - math.log(lp.shape[0])


def _folded_of_truth_token(rows: SetRows, on: Tensor) -> Tensor:
    """(N,) how many folded-in players share the truth's token column."""
    return ((rows.ext_col == rows.truth_col[:, None]) & on).sum(1).float()


def fit_latents(data: Sequence[tuple[SetRows, Tensor]], lat: FoldLatents, active: Tensor,
                prior: tuple[Tensor, Tensor], *, steps: int = 50, lr: float = 0.05,
                n_samples: int = 4, generator: torch.Generator | None = None,
                extra_nll: Callable[[Tensor], Tensor] | None = None) -> FoldLatents:
    """Maximise the ELBO of the events in `data` ([(rows, q)] per candidate set, weighted
    1 / len(data)) over the active players' q(u), from `lat`; prior (mean, sd) (L, d_u).

    `extra_nll(u)`: a further NLL of one draw u (L, d_u), inactive rows at the prior mean
    (the event decoder's records, `latent_foldin_records.decoder_nll`), averaged over draws.
    Nine parameters: the data, the state and the optimiser's knobs (keywords).
    """
    m = lat.m.clone().requires_grad_(True)
    log_s = lat.log_s.clone().requires_grad_(True)
    if steps <= 0 or not bool(active.any()):
        return FoldLatents(m.detach(), log_s.detach())
    used = []
    for rows, q in data:  # keep only events listing a folded-in player
        keep = rows.in_set & ((rows.ext >= 0) & active[rows.ext.clamp(min=0)]).any(1)
        used.append((rows.take(keep), q[keep]))
    opt = torch.optim.Adam([m, log_s], lr=lr)
    prior_dist = Normal(prior[0][active], prior[1][active])
    for _ in range(steps):
        opt.zero_grad()
        eps = torch.randn((n_samples, *m.shape), generator=generator)
        u = m + log_s.exp() * eps
        nll = m.new_zeros(())
        for rows, q in used:
            nll = nll + _set_nll(rows, q, u, active) / len(used)
        if extra_nll is not None:
            u_p = torch.where(active[:, None], u, prior[0])
            nll = nll + sum(extra_nll(x) for x in u_p) / n_samples
        kl = kl_divergence(Normal(m[active], log_s[active].exp()), prior_dist).sum()
        (nll + kl).backward()
        opt.step()
    return FoldLatents(m.detach(), log_s.detach().clamp(-7.0, 3.0))


def _set_nll(rows: SetRows, q: Tensor, u: Tensor, active: Tensor) -> Tensor:
    """Summed -log p(truth) over the rows, mean over the samples of u (S, L, d_u); other
    candidates at their mean logits, the folded-in players' logits from u (no extra sd)."""
    if rows.mu.shape[0] == 0:
        return u.new_zeros(())
    zero = torch.full_like(u, -30.0)  # sd of a sampled latent's logit: u carries it already
    mu_o, valid_o, mu_e, _, on = _fold_logits(rows, q, u, zero, active)
    orig = torch.where(valid_o, mu_o, NEG_INF).expand(u.shape[0], *mu_o.shape)
    lp = torch.log_softmax(torch.cat([orig, torch.where(on, mu_e, NEG_INF)], -1), -1)
    y_tok = rows.idx.gather(1, rows.truth_col[:, None]).squeeze(1) < N_SPECIAL
    count = rows.log_c.gather(1, rows.idx.gather(1, rows.truth_col[:, None]).clamp(
        max=N_SPECIAL - 1)).squeeze(1).exp()
    rest = (count - _folded_of_truth_token(rows, on)).clamp(min=1.0).log()
    col, share = _truth(rows, on, torch.where(y_tok, rest, 0.0))
    got = lp.gather(2, col[None, :, None].expand(lp.shape[0], -1, 1)).squeeze(2) - share
    return -got.mean(0).sum()

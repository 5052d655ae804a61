"""Online fold-in evaluation: score held-out games in date order, folding in unseen players.

The evaluated games are processed in blocks (one calendar day each, by `game_date`). Before
block b is scored, every player unseen in training who was listed (dressed, on the ice) or
acted in blocks < b has his own q(u) fitted on the events of those blocks
(`hockey_vae.models.latent_foldin`; with `decoder`, the event decoder's records of those
games too: `latent_foldin_records`), every network weight frozen; players not yet seen keep
their position's cold-start token. Each event is scored twice from the same k draws, cold
start and fold-in, so their difference is paired (exactly 0 where nothing was folded in).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae.features import as_tables
from hockey_vae.models.latent_foldin import (
    FOLD_SETS,
    FoldLatents,
    FrozenRows,
    fit_latents,
    frozen_rows,
    require_player_latent,
    score_rows,
)
from hockey_vae.reporting.paired import cluster_bootstrap

__all__ = ["FoldInConfig", "FoldInResult", "evaluate_foldin", "foldin_summary", "fold_in_blocks"]

log = logging.getLogger(__name__)


@dataclass
class FoldInConfig:
    """Knobs of the online fold-in (defaults: a few dozen Adam steps per block)."""

    steps: int = 40  # Adam steps per refit (warm-started from the previous block's fit)
    lr: float = 0.05  # Adam step size on the latents' mean and log sd
    fit_samples: int = 4  # reparameterised draws of u per step
    n_samples: int | None = None  # k draws when scoring (None: the model's eval_samples)
    candidate_sets: tuple[str, ...] = FOLD_SETS
    batch_games: int = 8
    decoder: bool = True  # also the event decoder's records of the earlier games (the ELBO)


@dataclass
class FoldInResult:
    """`events`: one row per scored event (game_id, event_idx, player_id, known, block,
    prior_blocks = earlier blocks in which the acting unseen player appeared (-1 for
    players of the vocabulary), loglik_cold_C / loglik_fold_C / in_set_C / n_folded_C (how
    many folded-in players the list held) per set C);
    `latents`: per unseen player, his final q(u) (id, level, blocks seen, mean_i, sd_i)."""

    events: pd.DataFrame
    latents: pd.DataFrame
    n_blocks: int
    n_samples: int


def _blocks(tables: Any, games: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Games sorted by (date, id) and each game's block (calendar day index)."""
    g = tables.games.set_index("game_id")
    missing = [x for x in games if x not in g.index]
    if missing:
        raise ValueError(f"games table has no row for game_id {missing[0]!r} "
                         f"({len(missing)} games missing): fold-in orders games by game_date")
    dates = pd.to_datetime(g.loc[list(games), "game_date"]).dt.normalize()
    if dates.isna().any():
        raise ValueError(f"games table: game_date is null for game_id "
                         f"{dates[dates.isna()].index[0]!r}")
    order = dates.reset_index().sort_values(["game_date", "game_id"], kind="stable")
    day = order["game_date"].rank(method="dense").to_numpy(dtype=np.int64) - 1
    return order["game_id"].astype(str).tolist(), day


def evaluate_foldin(run: Any, tables: Any, games: Sequence[str],
                    config: FoldInConfig | None = None, *, warmup: Sequence[str] = (),
                    seed: int = 0) -> FoldInResult:
    """Cold start vs online fold-in on `games` of a trained `player-latent` run (CPU).

    `warmup`: games (say, the validation games) placed in the same day blocks and used
    for fitting the latents but not scored, so players seen there start `games` folded in.
    """
    cfg = config or FoldInConfig()
    model = run.model
    require_player_latent(model)
    model.to("cpu").eval()
    t = as_tables(tables)
    both = set(warmup) & set(games)
    if both:
        raise ValueError(f"game_id {sorted(both)[0]!r} is both a warm-up and a scored game")
    ordered, day = _blocks(t, [*warmup, *games])
    enc = run.encoder.transform(t, ordered)
    fr = frozen_rows(model, enc, cfg.candidate_sets, cfg.batch_games)
    k = model.samples_used(cfg.n_samples)
    ev_block = day[fr.game]
    scored = np.isin(np.asarray(enc.game_ids, dtype=object)[fr.game], list(games))
    n_blocks = int(day.max()) + 1 if len(day) else 0
    appear = _appearances(fr, ev_block, n_blocks)  # (n_blocks, L) bool
    gen = torch.Generator().manual_seed(seed)
    cols: dict[str, np.ndarray] = {f"{p}_{c}": np.full(len(ev_block), np.nan)
                                   for c in cfg.candidate_sets
                                   for p in ("loglik_cold", "loglik_fold", "n_folded")}
    prior_blocks = np.zeros(len(fr.ids), dtype=np.int64)
    ev_prior = np.full(len(ev_block), -1, dtype=np.int64)
    lat = FoldLatents.at_prior(model, fr.level)  # the value when there is no block
    for b, lat, seen in fold_in_blocks(run, t, ordered, day, fr, cfg, gen):
        if b > 0:
            prior_blocks += appear[b - 1]
        now = (ev_block == b) & scored
        if not now.any():
            continue
        _score_block(fr, now, lat, seen, k, gen, cols)
        code = fr.truth_code[torch.as_tensor(now)].numpy()
        ev_prior[now] = np.where(code >= 0, prior_blocks[np.maximum(code, 0)], -1)
        log.info("fold-in block %d/%d: %d players folded in", b + 1, n_blocks, int(seen.sum()))
    events = _event_frame(enc, fr, ev_block, ev_prior, cols, cfg.candidate_sets)
    events = events[scored].reset_index(drop=True)
    latents = _latent_frame(fr, lat, appear.sum(0))
    return FoldInResult(events, latents, n_blocks, k)


def fold_in_blocks(run: Any, t: Any, ordered: list[str], day: np.ndarray, fr: FrozenRows,
                   cfg: FoldInConfig, gen: torch.Generator, *, final: bool = False
                   ) -> Iterator[tuple[int, FoldLatents, torch.Tensor]]:
    """The online fit, shared by evaluation and embedding: yields (b, q(u), folded-in mask)
    before each block b, q(u) fitted on blocks < b; with `final` also (n_blocks, ...) after
    the last block (fitted on every block). `gen` is shared with the caller's own draws.

    `ordered`/`day`: the encoded games in date order and each one's block (`_blocks`); eight
    parameters: the run, its data and the fit's state.
    """
    model = run.model
    ev_block = day[fr.game]
    n_blocks = int(day.max()) + 1 if len(day) else 0
    appear = _appearances(fr, ev_block, n_blocks)
    lat = FoldLatents.at_prior(model, fr.level)
    prior = (lat.m.clone(), lat.log_s.exp())
    seen = torch.zeros(len(fr.ids), dtype=torch.bool)
    records: list[dict] = []
    for b in range(n_blocks + int(final)):
        if b > 0:
            seen |= torch.as_tensor(appear[b - 1])
            if cfg.decoder and appear[b - 1].any():  # else its records would be empty
                records.append(_records(run, t, ordered, day, b - 1, fr))
            if seen.any():  # refit every block once anyone is folded in (warm start)
                past = torch.as_tensor(ev_block < b)
                data = [(fr.sets[c].take(past), fr.q[past]) for c in cfg.candidate_sets]
                lat = fit_latents(data, lat, seen, prior, steps=cfg.steps, lr=cfg.lr,
                                  n_samples=cfg.fit_samples, generator=gen,
                                  extra_nll=_decoder_term(model, records, fr.level))
        yield b, lat, seen.clone()


def _score_block(fr: Any, now: np.ndarray, lat: FoldLatents, seen: torch.Tensor, k: int,
                 gen: torch.Generator, cols: dict[str, np.ndarray]) -> None:
    """Score the events `now` cold and folded in (same draws) into `cols`, per set."""
    sel = torch.as_tensor(now)
    for c in fr.sets:
        cold, fold, n_on = score_rows(fr.sets[c].take(sel), fr.q[sel], lat, seen, k, gen)
        cols[f"loglik_cold_{c}"][now] = cold.double().numpy()
        cols[f"loglik_fold_{c}"][now] = fold.double().numpy()
        cols[f"n_folded_{c}"][now] = n_on.numpy()


def _records(run: Any, t: Any, ordered: list[str], day: np.ndarray, b: int, fr: Any
             ) -> dict:
    """The event decoder's records of block b's games that involve an unseen player."""
    from hockey_vae.models.latent_foldin_records import foldin_records

    games = [g for g, d in zip(ordered, day, strict=True) if d == b]
    cfg = run.model.cfg
    return foldin_records(t, games, run.encoder.vocab_, pd.Index(fr.ids), cfg.dressed_span,
                          cfg.decoder_terms)


def _decoder_term(model: Any, records: list[dict], level: torch.Tensor) -> Any:
    """extra_nll for `fit_latents`: decoder_weight x the records' NLL (None without any)."""
    if not any(records):
        return None
    from hockey_vae.models.latent_foldin_records import decoder_nll

    w = float(model.cfg.decoder_weight)
    return lambda u: w * decoder_nll(model, records, u, level)


def _appearances(fr: Any, ev_block: np.ndarray, n_blocks: int) -> np.ndarray:
    """(n_blocks, L) bool: unseen player l listed in some set, or acting, in block b."""
    out = np.zeros((n_blocks, len(fr.ids)), dtype=bool)
    for rows in fr.sets.values():
        ext = rows.ext.numpy()
        blk = np.broadcast_to(ev_block[:, None], ext.shape)
        keep = ext >= 0
        out[blk[keep], ext[keep]] = True
    code = fr.truth_code.numpy()
    out[ev_block[code >= 0], code[code >= 0]] = True
    return out


def _event_frame(enc: Any, fr: Any, ev_block: np.ndarray, ev_prior: np.ndarray,
                 cols: dict[str, np.ndarray], sets: Sequence[str]) -> pd.DataFrame:
    """The per-event frame of `FoldInResult` (log-likelihoods NaN where not in the set)."""
    flat = fr.flat_index
    frame = pd.DataFrame({
        "game_id": np.asarray(enc.game_ids, dtype=object)[fr.game].astype(str),
        "event_idx": enc.event_idx[flat].astype(np.int64),
        "player_id": enc.player_id[flat].astype(str), "known": enc.known[flat],
        "block": ev_block, "prior_blocks": ev_prior})
    for c in sets:
        ok = fr.sets[c].in_set.numpy()
        frame[f"in_set_{c}"] = ok
        frame[f"n_folded_{c}"] = np.nan_to_num(cols[f"n_folded_{c}"], nan=0).astype(np.int64)
        for p in ("cold", "fold"):
            frame[f"loglik_{p}_{c}"] = np.where(ok, cols[f"loglik_{p}_{c}"], np.nan)
    return frame


def _latent_frame(fr: Any, lat: FoldLatents, blocks: np.ndarray) -> pd.DataFrame:
    """Per unseen player: id, prior level, blocks seen, posterior mean and sd columns."""
    m, s = lat.m.numpy(), lat.log_s.exp().numpy()
    out = pd.DataFrame({"player_id": fr.ids, "level": fr.level.numpy(), "blocks": blocks})
    for i in range(m.shape[1]):
        out[f"mean_{i}"] = m[:, i]
    for i in range(s.shape[1]):
        out[f"sd_{i}"] = s[:, i]
    return out


def foldin_summary(events: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0
                   ) -> dict[str, dict[str, Any]]:
    """Per candidate set and event group, the mean log-likelihood cold and fold-in and their
    paired difference with a game-bootstrap interval, with the numbers of events and players.

    Groups: unseen_first (the acting unseen player's first block: he has no latent yet, but
    others folded in beside him in the list move his share), unseen_later (after at least one
    earlier block: the goal), unseen, known (players of the vocabulary), all, and
    untouched (lists holding no folded-in player: the difference must be 0, a check).
    """
    known = events["known"].to_numpy(dtype=bool)
    first = events["prior_blocks"].to_numpy() == 0
    out: dict[str, dict[str, Any]] = {}
    for c in (x[len("in_set_"):] for x in events.columns if x.startswith("in_set_")):
        out[c] = {}
        groups = {"unseen_first": ~known & first, "unseen_later": ~known & ~first,
                  "unseen": ~known, "known": known, "all": np.ones_like(known),
                  "untouched": events[f"n_folded_{c}"].to_numpy() == 0}
        for name, g in groups.items():
            sel = g & events[f"in_set_{c}"].to_numpy()
            e = events[sel]
            diff = (e[f"loglik_fold_{c}"] - e[f"loglik_cold_{c}"]).to_numpy()
            mean, lo, hi = cluster_bootstrap(diff, e["game_id"].to_numpy(), n_boot=n_boot,
                                             seed=seed)
            out[c][name] = {"cold": float(e[f"loglik_cold_{c}"].mean()) if len(e) else None,
                            "fold": float(e[f"loglik_fold_{c}"].mean()) if len(e) else None,
                            "diff": mean, "lo": lo, "hi": hi, "n_events": int(len(e)),
                            "n_players": int(e["player_id"].nunique()),
                            "max_abs_diff": float(np.abs(diff).max()) if len(e) else 0.0}
    return out

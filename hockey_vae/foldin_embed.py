"""Embeddings of players unseen in training, folded in game by game (`player-latent`).

Without fold-in a player outside the training vocabulary is embedded through his position's
cold-start token, so his embedding is the position prior. Here the given games are taken in
date order (one block per calendar day, as `hockey_vae.foldin_eval`) and each unseen player
gets his own q(u) = N(m, s^2) by the same online fit (`foldin_eval.fold_in_blocks`: frozen
network, identification likelihood plus the event decoder's records): per event, from the
games of the days before the event's (online, so an event never sees its own or later games;
`latent_source` "fold_in"), or the position prior before his first day ("prior"); per
player, the fit on every given game. Players of the vocabulary keep their trained q(u_j)
("trained").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae.features import as_tables
from hockey_vae.foldin_eval import (
    FoldInConfig,
    _appearances,
    _blocks,
    fold_in_blocks,
)
from hockey_vae.models.latent_foldin import frozen_rows, require_player_latent

__all__ = ["FoldInEmbedding", "fold_in_embeddings", "LATENT_SOURCES"]

LATENT_SOURCES: tuple[str, ...] = ("trained", "fold_in", "prior")


@dataclass
class FoldInEmbedding:
    """`events`: per target event, game_id, event_idx, player_id, known, latent_source,
    n_fit_events and n_fit_games (the unseen actor's own events and days before this
    event's day), then emb_i / emb_var_i (his online q(u); rows "fold_in" only, else NaN);
    `players`: per unseen player, player_id, latent_source, n_fit_events, n_fit_games,
    level (prior level), emb_i, emb_sd_i of the fit on every given game; `trajectory`: per
    unseen player and day he appeared, his q(u) after that day (n_fit_games = days so far),
    how his embedding sharpens game by game."""

    events: pd.DataFrame
    players: pd.DataFrame
    trajectory: pd.DataFrame
    n_blocks: int


def _game_order(t: Any, game_ids: Sequence[str] | None) -> list[str]:
    """The games to embed: `game_ids`, or every game with events."""
    if game_ids is not None:
        return [str(g) for g in game_ids]
    return pd.unique(t.events["game_id"].astype(str)).tolist()


def fold_in_embeddings(run: Any, tables: Any, game_ids: Sequence[str] | None = None,
                       config: FoldInConfig | None = None, *, seed: int = 0) -> FoldInEmbedding:
    """Online and final fold-in latents of the unseen players in `game_ids` (CPU)."""
    cfg = config or FoldInConfig()
    model = run.model
    require_player_latent(model)
    model.to("cpu").eval()
    t = as_tables(tables)
    ordered, day = _blocks(t, _game_order(t, game_ids))
    enc = run.encoder.transform(t, ordered)
    fr = frozen_rows(model, enc, cfg.candidate_sets, cfg.batch_games)
    ev_block = day[fr.game]
    n_blocks = int(day.max()) + 1 if len(day) else 0
    code = fr.truth_code.numpy()
    acts = np.zeros((n_blocks + 1, len(fr.ids)), dtype=np.int64)
    np.add.at(acts, (ev_block[code >= 0] + 1, code[code >= 0]), 1)
    acts = acts.cumsum(0)  # row b: acting events in blocks < b
    games = np.zeros((n_blocks + 1, len(fr.ids)), dtype=np.int64)
    appear = _appearances(fr, ev_block, n_blocks)
    games[1:] = appear.cumsum(0)  # row b: days in blocks < b
    d = int(model.cfg.d_u)
    m = np.full((len(code), d), np.nan, dtype=np.float32)
    s = np.full((len(code), d), np.nan, dtype=np.float32)
    source = np.where(code >= 0, "prior", "trained").astype(object)
    gen = torch.Generator().manual_seed(seed)
    final, steps = None, []
    with torch.enable_grad():  # the fit needs autograd even when called under no_grad
        for b, lat, seen in fold_in_blocks(run, t, ordered, day, fr, cfg, gen, final=True):
            final = (lat, seen)
            if b > 0:
                steps.append(_trajectory_rows(fr, lat, np.flatnonzero(appear[b - 1]), b,
                                              acts[b], games[b]))
            rows = np.flatnonzero((ev_block == b) & (code >= 0))
            rows = rows[seen.numpy()[code[rows]]]
            m[rows] = lat.m.numpy()[code[rows]]
            s[rows] = lat.log_s.exp().numpy()[code[rows]]
            source[rows] = "fold_in"
    c = np.maximum(code, 0)
    events = pd.DataFrame({
        "game_id": np.asarray(enc.game_ids, dtype=object)[fr.game].astype(str),
        "event_idx": enc.event_idx[fr.flat_index].astype(np.int64),
        "player_id": enc.player_id[fr.flat_index].astype(str),
        "known": code < 0, "latent_source": source,
        "n_fit_events": np.where(code >= 0, acts[ev_block, c], -1),
        "n_fit_games": np.where(code >= 0, games[ev_block, c], -1)})
    events[[f"emb_{i}" for i in range(d)]] = m
    events[[f"emb_var_{i}" for i in range(d)]] = s ** 2
    traj = (pd.concat(steps, ignore_index=True) if steps
            else _trajectory_rows(fr, final[0], np.zeros(0, np.int64), 0, acts[0], games[0]))
    return FoldInEmbedding(events, _player_frame(fr, final, acts[-1], games[-1], d), traj,
                           n_blocks)


def _trajectory_rows(fr: Any, lat: Any, who: np.ndarray, b: int, n_events: np.ndarray,
                     n_games: np.ndarray) -> pd.DataFrame:
    """Rows of `trajectory` for the players `who` fitted before block b."""
    out = pd.DataFrame({"player_id": [fr.ids[i] for i in who], "block": b,
                        "n_fit_games": n_games[who], "n_fit_events": n_events[who],
                        "level": fr.level.numpy()[who]})
    d = lat.m.shape[1]
    out[[f"emb_{i}" for i in range(d)]] = lat.m.numpy()[who]
    out[[f"emb_sd_{i}" for i in range(d)]] = lat.log_s.exp().numpy()[who]
    return out


def _player_frame(fr: Any, final: Any, n_events: np.ndarray, n_games: np.ndarray,
                  d: int) -> pd.DataFrame:
    """Per unseen player: his q(u) fitted on every given game (the prior if never seen)."""
    lat, seen = final if final is not None else (None, torch.zeros(0, dtype=torch.bool))
    out = pd.DataFrame({"player_id": pd.Series(fr.ids, dtype="string"),
                        "latent_source": np.where(seen.numpy(), "fold_in", "prior"),
                        "n_fit_events": n_events, "n_fit_games": n_games,
                        "level": fr.level.numpy()})
    mean = lat.m.numpy() if lat is not None else np.zeros((0, d), np.float32)
    sd = lat.log_s.exp().numpy() if lat is not None else np.zeros((0, d), np.float32)
    out[[f"emb_{i}" for i in range(d)]] = mean.astype(np.float32)
    out[[f"emb_sd_{i}" for i in range(d)]] = sd.astype(np.float32)
    return out

"""Who plays like X? Nearest players by per-player embedding.

The per-player table is `embed.embed_players`' (any model that `embeds`: the CVAE, or a
player-latent model whose table adds sd columns). Only the mean columns `emb_<i>` are
compared; every other column (`emb_var_*`, `emb_sd_*`, ids, counts) is ignored, so the width
of the embedding is read from the table, never assumed. Distance: cosine distance
(1 - cosine similarity, in [0, 2]) between the players' mean embeddings after each unit is
standardised over the players compared, so that a unit with a large spread does not drown
out the others and a unit that barely varies does not add noise.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.io import as_frame
from hockey_vae.schema import embedding_columns

__all__ = ["similar_players", "find_player", "player_embeddings"]

_SHOWN = ("player_id", "player_name", "team", "position", "n_events")


def find_player(players: pd.DataFrame, player: str | int) -> int:
    """Row position of `player` (an id, or a name matched case-insensitively) in `players`.

    ValueError for an unknown player, listing the closest names (difflib), and for a name
    that several ids share, listing them so the caller can pass an id instead.
    """
    text = str(player).strip()
    ids = players["player_id"].astype(str).to_numpy()
    hit = np.flatnonzero(ids == text)
    if len(hit) == 0 and re.fullmatch(r"\d+\.0", text):  # a float id from a CSV column
        hit = np.flatnonzero(ids == text[:-2])
    if len(hit):
        return int(hit[0])
    names = players["player_name"].astype("string").fillna("").str.casefold().to_numpy()
    hit = np.flatnonzero(names == text.casefold())
    if len(hit) == 1:
        return int(hit[0])
    if len(hit) > 1:
        options = ", ".join(f"{ids[i]} ({players['team'].iloc[i]})" for i in hit)
        raise ValueError(f"{len(hit)} players are named {text!r}: pass one id of {options}")
    close = difflib.get_close_matches(text.casefold(), sorted(set(names) - {""}), n=5,
                                      cutoff=0.6)
    shown = sorted({players["player_name"].iloc[int(np.flatnonzero(names == c)[0])]
                    for c in close})
    hint = f"; close matches: {', '.join(shown)}" if shown else ""
    raise ValueError(f"no player with id or name {text!r} among {len(players)} players{hint}")


def similar_players(players: pd.DataFrame | Any, player: str | int, k: int = 10, *,
                    min_events: int = 5) -> pd.DataFrame:
    """The `k` players nearest to `player` by embedding, nearest first.

    `players` is a per-player embedding table (`embed_players`). Candidates are the other
    players with at least `min_events` events (sparse players' means are noisy); the query
    player is found among all. Columns: rank, player_id, player_name, team, position,
    n_events, distance (cosine distance on standardised mean embeddings, 0 = same direction).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    table = as_frame(players, "players").reset_index(drop=True)
    cols = embedding_columns(table)
    query = find_player(table, player)
    keep = (table["n_events"].to_numpy() >= min_events) if "n_events" in table else \
        np.ones(len(table), bool)
    keep[query] = True
    pool = table[keep].reset_index(drop=True)
    q = int(np.flatnonzero(table.index[keep] == query)[0])
    X = pool[cols].to_numpy(np.float64)
    sd = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0)
    norms = np.linalg.norm(Z, axis=1)
    cos = Z @ Z[q] / np.maximum(norms * norms[q], 1e-12)
    dist = 1.0 - cos
    dist[q] = np.inf
    order = np.argsort(dist, kind="stable")[: min(k, len(pool) - 1)]
    shown = [c for c in _SHOWN if c in pool.columns]
    out = pool.iloc[order][shown].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["distance"] = dist[order]
    out.attrs["query"] = {c: pool[c].iloc[q] for c in shown}
    return out


def player_embeddings(model_or_run: Any, tables: Any, *,
                      device: str | None = None) -> pd.DataFrame:
    """Per-player embedding table of `tables` under a run (folder, Run or fitted embedder)."""
    from hockey_vae.embed import embed_events, embed_players
    from hockey_vae.features import as_tables

    run = getattr(model_or_run, "run_", model_or_run)
    t = as_tables(tables)
    return embed_players(embed_events(run, t, device=device), t.rosters)

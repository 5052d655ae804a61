"""In-game state plus who is on the ice: per event, home-minus-away mean latent of the players
on the ice at that event (not an average over the events so far) and of the dressed lineups.

The columns are named `team_emb_diff_<k>` so `InGameWinModel(use_embeddings=True)` uses them
(and their time-scaled copies): k < d are the on-ice means, k >= d the dressed-lineup means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hockey_vae.downstream.features import require_columns
from hockey_vae.downstream.player_tables import check_player_table, mean_columns

__all__ = ["MAX_ON_ICE", "on_ice_indices", "add_on_ice_latents"]

MAX_ON_ICE = 7  # six skaters (extra attacker) and a goalie


def on_ice_indices(lists: pd.Series, index: pd.Index) -> np.ndarray:
    """(n, MAX_ON_ICE) positions of each row's on-ice ids in `index` (-1: none / unknown)."""
    out = np.full((len(lists), MAX_ON_ICE), -1, dtype=np.int64)
    for row, ids in enumerate(lists.to_numpy()):
        if ids is None or (isinstance(ids, float) and np.isnan(ids)):
            continue
        found = index.get_indexer([str(p) for p in ids[:MAX_ON_ICE]])
        out[row, : len(found)] = found
    return out


def _pooled(idx: np.ndarray, emb: np.ndarray) -> np.ndarray:
    """Mean embedding of the valid indices per row (zeros when none is known)."""
    valid = idx >= 0
    gathered = emb[np.where(valid, idx, 0)] * valid[..., None]
    count = valid.sum(1, keepdims=True)
    return np.where(count > 0, gathered.sum(1) / np.maximum(count, 1), 0.0)


def add_on_ice_latents(states: pd.DataFrame, events: pd.DataFrame, rosters: pd.DataFrame,
                       games: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """`states` (rows of `game_states`) plus team_emb_diff_<k> columns, home minus away.

    On-ice: the event's on_ice_for / on_ice_against, put on the home / away side by the
    event's is_home; events without on-ice lists (stoppages, period ends) carry the last
    known lists of the game forward. Lineups: every dressed player of each team.
    """
    require_columns(events, ("game_id", "event_idx", "is_home", "on_ice_for", "on_ice_against"),
                    "events")
    table = check_player_table(table)
    cols = mean_columns(table)
    index = pd.Index(table.index.astype(str))
    emb = table[cols].to_numpy(np.float32)
    key = states[["game_id", "event_idx"]].astype({"game_id": str})
    ev = events[["game_id", "event_idx", "is_home", "on_ice_for", "on_ice_against"]].copy()
    ev["game_id"] = ev["game_id"].astype(str)
    home_known = ev["is_home"].astype("boolean")
    has = home_known.notna() & ev["on_ice_for"].notna()
    ev["home_ice"] = ev["on_ice_for"].where(home_known.fillna(False), ev["on_ice_against"])
    ev["away_ice"] = ev["on_ice_against"].where(home_known.fillna(False), ev["on_ice_for"])
    ev.loc[~has, ["home_ice", "away_ice"]] = None
    ev[["home_ice", "away_ice"]] = ev.groupby("game_id")[["home_ice", "away_ice"]].ffill()
    ev = key.merge(ev, on=["game_id", "event_idx"], how="left")
    diff = (_pooled(on_ice_indices(ev["home_ice"], index), emb)
            - _pooled(on_ice_indices(ev["away_ice"], index), emb))
    lineup = _lineup_diff(key["game_id"], rosters, games, table, cols)
    added = {f"team_emb_diff_{k}": diff[:, k].astype(np.float32) for k in range(len(cols))}
    added.update({f"team_emb_diff_{len(cols) + k}": lineup[:, k] for k in range(len(cols))})
    return pd.concat([states.reset_index(drop=True), pd.DataFrame(added)], axis=1)


def _lineup_diff(game_ids: pd.Series, rosters: pd.DataFrame, games: pd.DataFrame,
                 table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """(n, d) home-minus-away mean latent of the dressed players of each row's game."""
    ro = rosters[["game_id", "team", "player_id"]].astype(str)
    g = games[["game_id", "home_team"]].astype(str)
    ro = ro.merge(g, on="game_id", how="inner")
    vec = table[cols].reindex(ro["player_id"].to_numpy())
    sign = np.where(ro["team"] == ro["home_team"], 1.0, -1.0)
    known = vec.notna().all(axis=1).to_numpy()
    frame = pd.DataFrame(vec.to_numpy() * sign[:, None], columns=cols)
    frame["game_id"], frame["side"] = ro["game_id"].to_numpy(), sign
    frame = frame[known]
    means = frame.groupby(["game_id", "side"])[cols].mean()
    home = means.xs(1.0, level="side").reindex(game_ids.to_numpy()).fillna(0.0)
    away = means.xs(-1.0, level="side").reindex(game_ids.to_numpy()).fillna(0.0)
    return (home.to_numpy() + away.to_numpy()).astype(np.float32)  # away rows carry the sign

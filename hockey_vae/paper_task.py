"""The published paper's 150-way label as a table transform, so the normal pipeline trains on it.

Liu, Schulte et al. (NeurIPS 2020) did not predict the player's identity: their label is one
of 150 "slots", home/away x 5 positions x 15 ranks within the team, players ranked by
points. `paper_task_tables` rewrites every player id of the canonical tables (acting player,
secondary player, on-ice lists, rosters) into its slot id, for example `H-C-01` (the home
team's top-scoring centre), so `fit`/`evaluate`/`run_benchmark` run on it unchanged and the
`all` candidate set is the 150-way label.

Rules (each stated in the report):
- positions: the game roster's position, mapped by `POSITION_MAP` (C, LW, RW, D, G; `F` -> C,
  `L`/`R` -> LW/RW); a missing or unmapped position takes the player's most frequent mapped
  position in any roster of the data, else `DEFAULT_POSITION`.
- points: goals (acting player of a `goal` event) + the assist the canonical table keeps
  (`player2_id` of a `goal` event, the first assist; hockey_scraper's second assist `p3` is
  not in the canonical table), counted on the TRAINING games only, per (team, player). The
  published code ranked on full-season totals that included its test games, a leak this
  transform avoids.
- ranks: within (team, position) among the players on that team's training rosters at that
  position, by training points, then training games dressed, then player id; rank r gets slot
  min(r, N_SLOTS) (players beyond slot 15 share slot 15). A player not on that team's
  training rosters at that position (unseen, traded in) gets slot 15.
- a player missing from the game's roster: acting players get (their team's side, their
  most frequent position, slot 15); secondary and on-ice players missing from the roster are
  dropped (null / left out of the list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.features.tables import Tables, as_tables

__all__ = ["paper_task_tables", "paper_slots", "N_SLOTS", "PAPER_POSITIONS", "POSITION_MAP",
           "N_LABELS", "PUBLISHED"]

N_SLOTS = 15
PAPER_POSITIONS: tuple[str, ...] = ("C", "LW", "RW", "D", "G")
N_LABELS = 2 * len(PAPER_POSITIONS) * N_SLOTS  # 150
POSITION_MAP = {"C": "C", "LW": "LW", "RW": "RW", "D": "D", "G": "G", "F": "C", "L": "LW",
                "R": "RW"}
DEFAULT_POSITION = "C"
# The published table (Liu, Schulte et al. 2020, Table 1): accuracy and mean log-likelihood.
PUBLISHED = {"lstm": {"top1": 0.1241, "loglik": -3.131},
             "lstm_vae": {"top1": 0.48, "loglik": -2.228}}


def _positions(rosters: pd.DataFrame) -> pd.Series:
    """Each roster row's paper position (see the module docstring's fallback rule)."""
    pos = rosters["position"].map(POSITION_MAP)
    known = rosters.assign(_p=pos).dropna(subset=["_p"])
    modal = known.groupby("player_id")["_p"].agg(lambda s: s.value_counts().index[0])
    pos = pos.fillna(rosters["player_id"].map(modal))
    return pos.fillna(DEFAULT_POSITION)


def _training_points(events: pd.DataFrame, train: set[str]) -> pd.Series:
    """Points (goals + first assists) per (team, player id) in the training games."""
    goals = events[(events["event_type"] == "goal") & events["game_id"].isin(train)]
    scorers = goals[["team", "player_id"]].dropna()
    assists = goals[["team", "player2_id"]].dropna().rename(columns={"player2_id": "player_id"})
    both = pd.concat([scorers, assists], ignore_index=True)
    return both.groupby(["team", "player_id"]).size().rename("points")


def paper_slots(tables: Any, train_game_ids: Sequence[str]) -> pd.DataFrame:
    """One row per roster row: game_id, team, player_id, side (H/A), position, points, rank
    and `label` (the slot id); ranks from the training games only."""
    t = as_tables(tables)
    train = set(map(str, train_game_ids))
    if not train:
        raise ValueError("paper_slots: train_game_ids is empty; ranks need training games")
    ro = t.rosters[["game_id", "team", "player_id"]].dropna(subset=["player_id"]).copy()
    ro["position"] = _positions(t.rosters.loc[ro.index])
    home = t.games.set_index("game_id")["home_team"]
    ro["side"] = np.where(ro["game_id"].map(home).to_numpy() == ro["team"].to_numpy(), "H", "A")
    tr = ro[ro["game_id"].isin(train)]
    ranked = tr.groupby(["team", "position", "player_id"]).size().rename("games").reset_index()
    points = _training_points(t.events, train)
    ranked = ranked.join(points, on=["team", "player_id"]).fillna({"points": 0})
    ranked = ranked.sort_values(["team", "position", "points", "games", "player_id"],
                                ascending=[True, True, False, False, True], kind="stable")
    ranked["rank"] = ranked.groupby(["team", "position"]).cumcount() + 1
    ro = ro.merge(ranked[["team", "position", "player_id", "points", "rank"]],
                  on=["team", "position", "player_id"], how="left")
    ro["points"] = ro["points"].fillna(0).astype(int)
    ro["rank"] = ro["rank"].fillna(N_SLOTS).astype(int)
    slot = np.minimum(ro["rank"].to_numpy(), N_SLOTS)
    ro["label"] = [f"{s}-{p}-{k:02d}" for s, p, k in zip(ro["side"], ro["position"], slot,
                                                          strict=True)]
    return ro


def _map_lists(values: np.ndarray, games: np.ndarray, lookup: dict) -> list[Any]:
    """Each on-ice list with its ids replaced through `lookup` ((game, id) -> label); ids not
    found are left out, duplicates collapse (two players sharing slot 15), None stays None."""
    out: list[Any] = []
    for g, lst in zip(games, values, strict=True):
        if lst is None or isinstance(lst, float):
            out.append(None)
            continue
        mapped = [lookup.get((g, p)) for p in lst]
        out.append(list(dict.fromkeys(m for m in mapped if m is not None)))
    return out


def paper_task_tables(tables: Any, train_game_ids: Sequence[str]) -> Tables:
    """`tables` with every player id replaced by its paper slot (see the module docstring),
    rosters rewritten consistently (one row per distinct slot of a team in a game)."""
    t = as_tables(tables)
    slots = paper_slots(t, train_game_ids)
    lookup = dict(zip(zip(slots["game_id"], slots["player_id"], strict=True), slots["label"],
                      strict=True))
    ev = t.events.copy()
    games = ev["game_id"].to_numpy(dtype=object)
    pid = ev["player_id"].to_numpy(dtype=object)
    label = np.array([lookup.get((g, p)) for g, p in zip(games, pid, strict=True)],
                     dtype=object)
    missing = pd.notna(pid) & pd.isna(label) & ev["team"].notna().to_numpy()
    if missing.any():  # acting player not on the game's roster: his side, position, slot 15
        modal = slots.groupby("player_id")["position"].agg(lambda s: s.value_counts().index[0])
        side = np.where(ev["is_home"].fillna(False).to_numpy(dtype=bool), "H", "A")
        for k in np.flatnonzero(missing):
            label[k] = f"{side[k]}-{modal.get(pid[k], DEFAULT_POSITION)}-{N_SLOTS:02d}"
    ev["player_id"] = label
    ev["player_name"] = label
    p2 = ev["player2_id"].to_numpy(dtype=object)
    p2_label = [lookup.get((g, p)) for g, p in zip(games, p2, strict=True)]
    ev["player2_id"] = p2_label
    ev["player2_name"] = p2_label
    for col in ("on_ice_for", "on_ice_against"):
        if col in ev.columns:
            ev[col] = _map_lists(ev[col].to_numpy(dtype=object), games, lookup)
    ro = slots.assign(player_id=slots["label"], player_name=slots["label"])
    ro = ro[["game_id", "team", "player_id", "player_name", "position"]]
    ro = ro.drop_duplicates(["game_id", "team", "player_id"]).reset_index(drop=True)
    return Tables(ev, t.games.copy(), ro, None)

"""Canonical tables -> the per-record arrays the player-latent model decodes.

One record set per likelihood term of `hockey_vae.models.player_latent`:

- `types`: the acting player's event kind given the context known before it (previous
  event's type and location, period, clock, score, manpower, home).
- `choice`: which of the acting team's on-ice skaters acted (shooter, blocker, hitter,
  giver, taker, offender, assister), the simulator's and the NHL's selection step.
- `shots`: every shot attempt from the shooter's view: distance, angle, manpower, the
  defending goalie, and the outcome (blocked, missed, saved, goal).
- `faceoffs`: winner and loser.
- `usage`: per player and game of his team: dressed or scratched, and how many of the game's
  team events he was on ice for (ice time; for goalies, whether they started).

Players are indexed by `LatentEvents.player_ids`; positions index `POSITION_LEVELS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.io import as_frame as _frame
from hockey_vae.schema import EVENT_TYPES, POSITIONS

__all__ = ["LatentEvents", "build_latent_events", "KINDS", "CHOICE_KINDS", "POSITION_LEVELS",
           "OUTCOMES", "N_CONTEXT", "N_SHOT_FEATURES"]

KINDS: tuple[str, ...] = ("shot_attempt", "blocked_shot", "hit", "giveaway", "takeaway",
                          "penalty")
CHOICE_KINDS: tuple[str, ...] = ("shot_attempt", "block", "hit", "giveaway", "takeaway",
                                 "penalty", "assist")
POSITION_LEVELS: tuple[str, ...] = (*POSITIONS, "?")  # "?" = position unknown
OUTCOMES: tuple[str, ...] = ("blocked", "missed", "saved", "goal")
_KIND_OF = {"shot": 0, "missed_shot": 0, "goal": 0, "blocked_shot": 1, "hit": 2,
            "giveaway": 3, "takeaway": 4, "penalty": 5}
_CHOICE_OF = {"shot": 0, "missed_shot": 0, "goal": 0, "blocked_shot": 1, "hit": 2,
              "giveaway": 3, "takeaway": 4, "penalty": 5}
_OUTCOME_OF = {"blocked_shot": 0, "missed_shot": 1, "shot": 2, "goal": 3}
_ET = {name: i for i, name in enumerate(EVENT_TYPES)}
_GOAL_X = 89.0
_MAX_CAND = 6  # five skaters plus an extra attacker
N_CONTEXT = len(EVENT_TYPES) + 2 + 3 + 4 + 1 + 1 + 2 + 1
N_SHOT_FEATURES = 8


@dataclass
class LatentEvents:
    """Arrays per likelihood term (numpy; int64 player indices, float32 features).

    types:    actor (n,), kind (n,) in KINDS, context (n, N_CONTEXT)
    choice:   actor (n,), kind (n,) in CHOICE_KINDS, candidates (n, 6) player index or -1
    shots:    shooter (n,), goalie (n,) (-1 = empty net), features (n, N_SHOT_FEATURES),
              outcome (n,) in OUTCOMES, loc (n, 2) = (log distance ft, angle deg / 30),
              in_zone (n,) bool (attempt from inside the offensive zone)
    faceoffs: winner (n,), loser (n,), winner_home (n,) in {+1, -1}
    usage:    player (n,), dressed (n,) bool, on_ice (n,) team events on ice, exposure (n,)
              team events in the game; one record per game of the player's team
              (see `dressed_span`)
    """

    player_ids: np.ndarray  # (n_players,) object (str)
    position: np.ndarray  # (n_players,) int64 index into POSITION_LEVELS
    types: dict[str, np.ndarray] = field(default_factory=dict)
    choice: dict[str, np.ndarray] = field(default_factory=dict)
    shots: dict[str, np.ndarray] = field(default_factory=dict)
    faceoffs: dict[str, np.ndarray] = field(default_factory=dict)
    usage: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_players(self) -> int:
        return len(self.player_ids)

    def terms(self) -> dict[str, dict[str, np.ndarray]]:
        """The record sets by term name, in a fixed order."""
        return {"types": self.types, "choice": self.choice, "shots": self.shots,
                "faceoffs": self.faceoffs, "usage": self.usage}

    def event_counts(self) -> np.ndarray:
        """(n_players,) records a player appears in as actor, shooter, goalie or faceoff taker."""
        idx = [self.types["actor"], self.shots["shooter"], self.shots["goalie"],
               self.faceoffs["winner"], self.faceoffs["loser"]]
        flat = np.concatenate([i[i >= 0] for i in idx])
        return np.bincount(flat, minlength=self.n_players)


def _require(df: pd.DataFrame, cols: list[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")


def _vocab(ev: pd.DataFrame, ro: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Player ids (rosters first, then any acting player) and each one's modal position."""
    ids = pd.unique(pd.concat([ro["player_id"], ev["player_id"], ev["player2_id"]]).dropna())
    ids = np.sort(ids.astype(str)).astype(object)
    pos_of = (ro.dropna(subset=["player_id", "position"]).groupby("player_id")["position"]
              .agg(lambda s: s.value_counts().index[0]))
    level = {p: i for i, p in enumerate(POSITION_LEVELS)}
    pos = pd.Series(ids).map(pos_of).map(level).fillna(len(POSITIONS)).to_numpy(np.int64)
    return ids, pos


def _index(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Player id -> vocabulary index, -1 for null or unknown ids."""
    out = index.get_indexer(values.astype(object).where(values.notna(), None))
    return out.astype(np.int64)


def _context(ev: pd.DataFrame) -> np.ndarray:
    """(n, N_CONTEXT) features known before each event, from the acting team's view."""
    same_game = ev["game_id"].eq(ev["game_id"].shift(1)).to_numpy()
    prev_type = ev["event_type"].shift(1).map(_ET).to_numpy()
    prev_type = np.where(same_game & ~pd.isna(prev_type), prev_type, -1)
    n = len(ev)
    onehot = np.zeros((n, len(EVENT_TYPES)), np.float32)
    ok = prev_type >= 0
    onehot[np.flatnonzero(ok), prev_type[ok].astype(np.int64)] = 1.0
    prev_team = ev["team"].shift(1).to_numpy(object)
    team = ev["team"].to_numpy(object)
    has_prev_team = same_game & ~pd.isna(prev_team)
    same = has_prev_team & (prev_team == team)
    other = has_prev_team & ~same
    flip = np.where(other, -1.0, 1.0)
    px = ev["x"].shift(1).to_numpy(np.float64) * flip / 100.0
    py = ev["y"].shift(1).to_numpy(np.float64) * flip / 42.5
    has_loc = same_game & np.isfinite(px) & np.isfinite(py)  # NHL: a few x without y
    period = ev["period"].fillna(1).to_numpy(np.int64)
    per = np.zeros((n, 4), np.float32)
    per[np.arange(n), np.clip(period, 1, 4) - 1] = 1.0
    gf = ev["goals_for"].fillna(0).to_numpy(np.float64)
    ga = ev["goals_against"].fillna(0).to_numpy(np.float64)
    sf = ev["skaters_for"].fillna(5).to_numpy(np.float64)
    sa = ev["skaters_against"].fillna(5).to_numpy(np.float64)
    cols = [
        onehot, same[:, None], other[:, None],
        np.where(has_loc, px, 0.0)[:, None], np.where(has_loc, py, 0.0)[:, None],
        has_loc[:, None], per,
        (ev["period_seconds"].fillna(0).to_numpy(np.float64) / 1200.0)[:, None],
        (np.clip(gf - ga, -3, 3) / 3.0)[:, None],
        (np.clip(sf - sa, -2, 2) / 2.0)[:, None], (sf / 6.0)[:, None],
        ev["is_home"].fillna(False).to_numpy(np.float64)[:, None],
    ]
    return np.concatenate([np.asarray(c, np.float32) for c in cols], axis=1)


def _on_ice(ev: pd.DataFrame, col: str, index: pd.Index, is_goalie: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(n, 6) skater indices (-1 padded) and (n,) goalie index (-1 none) per event row."""
    lists = ev[col].reset_index(drop=True)
    flat = lists.explode().dropna()
    idx = _index(flat, index)
    row = flat.index.to_numpy()
    keep = idx >= 0
    row, idx = row[keep], idx[keep]
    goalie = np.full(len(ev), -1, np.int64)
    g = is_goalie[idx]
    goalie[row[g]] = idx[g]
    row, idx = row[~g], idx[~g]
    slot = pd.Series(row).groupby(row).cumcount().to_numpy()
    fits = slot < _MAX_CAND
    skaters = np.full((len(ev), _MAX_CAND), -1, np.int64)
    skaters[row[fits], slot[fits]] = idx[fits]
    return skaters, goalie


def _choices(ev: pd.DataFrame, p1: np.ndarray, p2: np.ndarray, sk_for: np.ndarray,
             sk_against: np.ndarray) -> dict[str, np.ndarray]:
    """Who-acted records: actor, kind and the on-ice skaters he was chosen from."""
    et = ev["event_type"].to_numpy(object)
    kind = pd.Series(et).map(_CHOICE_OF).fillna(-1).to_numpy(np.int64)
    parts = [(p1, kind, sk_for)]
    blocked = et == "blocked_shot"  # the shooter (player 2) was chosen on the other team
    parts.append((np.where(blocked, p2, -1), np.zeros(len(ev), np.int64), sk_against))
    goal = et == "goal"  # the assister: on-ice teammates other than the scorer
    mates = np.where(sk_for == p1[:, None], -1, sk_for)
    parts.append((np.where(goal, p2, -1), np.full(len(ev), 6, np.int64), mates))
    actor = np.concatenate([a for a, _, _ in parts])
    kinds = np.concatenate([k for _, k, _ in parts])
    cand = np.concatenate([c for _, _, c in parts])
    ok = (actor >= 0) & (kinds >= 0) & (cand == actor[:, None]).any(axis=1)
    ok &= (cand >= 0).sum(axis=1) >= 2  # a choice among one is no evidence
    return {"actor": actor[ok], "kind": kinds[ok], "candidates": cand[ok]}


def _shots(ev: pd.DataFrame, p1: np.ndarray, p2: np.ndarray, g_for: np.ndarray,
           g_against: np.ndarray) -> dict[str, np.ndarray]:
    """Shot attempts from the shooter's view: features, location, outcome, goalie."""
    et = ev["event_type"].to_numpy(object)
    outcome = pd.Series(et).map(_OUTCOME_OF).fillna(-1).to_numpy(np.int64)
    blocked = outcome == 0
    shooter = np.where(blocked, p2, p1)
    goalie = np.where(blocked, g_for, g_against)
    flip = np.where(blocked, -1.0, 1.0)
    x = ev["x"].to_numpy(np.float64) * flip
    y = ev["y"].to_numpy(np.float64) * flip
    sf = ev["skaters_for"].fillna(5).to_numpy(np.float64)
    sa = ev["skaters_against"].fillna(5).to_numpy(np.float64)
    sf, sa = np.where(blocked, sa, sf), np.where(blocked, sf, sa)
    ok = (outcome >= 0) & (shooter >= 0) & np.isfinite(x) & np.isfinite(y)
    dist = np.hypot(_GOAL_X - x, y)
    angle = np.degrees(np.arctan2(y, _GOAL_X - x))
    feats = np.stack([
        dist / 30.0, np.abs(angle) / 45.0, (x > 25.0).astype(float),
        np.clip(sf - sa, -2, 2) / 2.0, sf / 6.0, (goalie < 0).astype(float),
        (ev["period"].fillna(1).to_numpy(np.int64) >= 4).astype(float),
        np.log1p(dist) / 4.0,
    ], axis=1)
    loc = np.stack([np.log(np.maximum(dist, 1.0)), angle / 30.0], axis=1)
    return {"shooter": shooter[ok], "goalie": goalie[ok],
            "features": feats[ok].astype(np.float32), "outcome": outcome[ok],
            "loc": loc[ok].astype(np.float32), "in_zone": x[ok] > 25.0}


def _team_games(ro: pd.DataFrame, games_order: pd.Index, span: str) -> pd.DataFrame:
    """(game_id, player_id, dressed) for the games of each player's modal team.

    span "team": every game of that team (a league without trades: the synthetic one);
    "player": only those from his first to his last dressed game (in `games_order`), so a
    player traded, called up or sent down mid-season is not counted as scratched outside it.
    """
    if span not in ("team", "player"):
        raise ValueError(f"dressed_span must be 'team' or 'player', got {span!r}")
    r = ro[["game_id", "team", "player_id"]].dropna().drop_duplicates(["game_id", "player_id"])
    r = r.assign(k=games_order.get_indexer(r["game_id"]))
    team = r.groupby("player_id")["team"].agg(lambda s: s.value_counts().index[0])
    span_k = r.groupby("player_id")["k"].agg(["min", "max"]).join(team)
    tg = r[["game_id", "team", "k"]].drop_duplicates(["game_id", "team"])
    cand = span_k.reset_index().merge(tg, on="team")
    if span == "player":
        cand = cand[(cand["k"] >= cand["min"]) & (cand["k"] <= cand["max"])]
    dressed = pd.MultiIndex.from_frame(r[["game_id", "player_id"]])
    key = pd.MultiIndex.from_frame(cand[["game_id", "player_id"]])
    return cand[["game_id", "player_id"]].assign(dressed=key.isin(dressed))


def _usage(ev: pd.DataFrame, ro: pd.DataFrame, index: pd.Index, span: str
           ) -> dict[str, np.ndarray]:
    """Per player and team game: dressed, team events on ice, the game's team events."""
    team_ev = ev[ev["team"].notna()]
    exposure = team_ev.groupby("game_id").size()
    lists = pd.concat([team_ev[["game_id", "on_ice_for"]].rename(columns={"on_ice_for": "p"}),
                       team_ev[["game_id", "on_ice_against"]].rename(
                           columns={"on_ice_against": "p"})])
    on = lists.explode("p").dropna().groupby(["game_id", "p"]).size()
    tg = _team_games(ro[ro["game_id"].isin(exposure.index)], pd.Index(ev["game_id"].unique()),
                     span)
    key = pd.MultiIndex.from_frame(tg[["game_id", "player_id"]])
    on_ice = on.reindex(key).fillna(0).to_numpy(np.float32)
    return {"player": _index(tg["player_id"], index),
            "dressed": tg["dressed"].to_numpy(bool),
            "on_ice": np.where(tg["dressed"].to_numpy(bool), on_ice, 0.0).astype(np.float32),
            "exposure": exposure.reindex(tg["game_id"]).to_numpy(np.float32)}


def build_latent_events(events: Any, rosters: Any, game_ids: list[str] | None = None, *,
                        dressed_span: str = "team") -> LatentEvents:
    """Records for every term from the canonical events and rosters of `game_ids` (all games).

    `dressed_span` says which games a player could have dressed for (see `_team_games`):
    "team" for a league without trades, "player" for the NHL. Raises ValueError naming a
    missing column; players are every rostered or acting player.
    """
    ev = _frame(events, "events")
    ro = _frame(rosters, "rosters")
    _require(ev, ["game_id", "event_idx", "event_type", "team", "is_home", "player_id",
                  "player2_id", "x", "y", "period", "period_seconds", "goals_for",
                  "goals_against", "skaters_for", "skaters_against", "on_ice_for",
                  "on_ice_against"], "events")
    _require(ro, ["game_id", "player_id", "position"], "rosters")
    if game_ids is not None:
        keep = set(game_ids)
        ev, ro = ev[ev["game_id"].isin(keep)], ro[ro["game_id"].isin(keep)]
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    ids, position = _vocab(ev, ro)
    index = pd.Index(ids)
    p1, p2 = _index(ev["player_id"], index), _index(ev["player2_id"], index)
    is_goalie = position == POSITIONS.index("G")
    sk_for, g_for = _on_ice(ev, "on_ice_for", index, is_goalie)
    sk_against, g_against = _on_ice(ev, "on_ice_against", index, is_goalie)
    kind = ev["event_type"].map(_KIND_OF).fillna(-1).to_numpy(np.int64)
    t = (kind >= 0) & (p1 >= 0)
    et = ev["event_type"].to_numpy(object)
    fo = (et == "faceoff") & (p1 >= 0) & (p2 >= 0)
    return LatentEvents(
        player_ids=ids, position=position,
        types={"actor": p1[t], "kind": kind[t], "context": _context(ev)[t]},
        choice=_choices(ev, p1, p2, sk_for, sk_against),
        shots=_shots(ev, p1, p2, g_for, g_against),
        faceoffs={"winner": p1[fo], "loser": p2[fo],
                  "winner_home": np.where(ev["is_home"].fillna(False).to_numpy(bool)[fo],
                                          1.0, -1.0).astype(np.float32)},
        usage=_usage(ev, ro, index, dressed_span),
    )

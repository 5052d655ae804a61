"""Canonical events -> per-game feature arrays, with every feature flag in one place.

The inputs for event t are the features of events 0..t-1 (including their acting players)
and event t's own features *except its player*: type, location, team, clock, score and
manpower. Descriptions, secondary players and anything after t are never used. Events without
an acting player are context only; shootout attempts are dropped.

Everything learned from data (player and team vocabularies, feature scaling) is fit on the
training games only, and stored with the feature flags as plain containers, so a checkpoint
holds the whole encoder and a model can read its input widths from it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.core.config import checked_fields
from hockey_vae.features.roster_features import (
    N_ROSTER_FEATURES,
    explode,
    roster_features,
)
from hockey_vae.features.tables import as_tables, drop_shootouts
from hockey_vae.features.vocab import N_SPECIAL, SPECIAL_TOKENS, PlayerVocab, unknown_token
from hockey_vae.schema import EVENT_TYPES, POSITIONS

__all__ = ["NUM_FEATURES", "MAX_ON_ICE", "FeatureConfig", "EncodedGames", "SequenceEncoder"]

log = logging.getLogger(__name__)

# Numeric per-event features, in column order (standardised with train-only statistics).
NUM_FEATURES: tuple[str, ...] = (
    "x", "y", "abs_y", "goal_distance", "xy_missing",
    "period_frac", "game_frac", "log_dt",
    "score_diff", "skaters_for", "skaters_against", "manpower_missing",
    "is_home", "period_1", "period_2", "period_3", "period_ot", "same_team_as_prev",
)
MAX_ON_ICE = 7  # skaters + goalie; longer lists (data errors) are truncated

_EVENT_INDEX = {name: i for i, name in enumerate(EVENT_TYPES)}
_GOAL_X_FT = 89.0


@dataclass
class FeatureConfig:
    """What the encoder writes; every model reads its inputs from these flags.

    `history=None` means the model's default (True, False for `lstm-nohist`); a fitted
    encoder always holds a bool.
    """

    min_player_events: int = field(default=1, metadata={"min": 1})  # fewer training events
    # -> the player's cold-start token
    history: bool | None = None  # earlier events' acting players and the history columns
    on_ice_history: bool = False  # variant: with history, earlier events' on-ice lists too
    lineup: bool = False  # variant: who is on the ice at event t (current context)

    def __post_init__(self) -> None:
        checked_fields(FeatureConfig, dataclasses.asdict(self), "features config")


@dataclass
class EncodedGames:
    """Per-event arrays for a set of games, concatenated; game g spans offsets[g]:offsets[g+1].

    Shapes (E = events, R = roster rows, W = longest roster): etype, team, player, roster_row
    (E,) int64; num (E, len(NUM_FEATURES)) float32; target, known (E,) bool; on_ice
    (E, MAX_ON_ICE) int64 padded with -1; rosters (R, W) int64 padded with -1;
    roster_features (E, W, N_ROSTER_FEATURES) float32 aligned with the acting team's roster.
    """

    game_ids: list[str]
    offsets: np.ndarray
    event_idx: np.ndarray
    etype: np.ndarray
    team: np.ndarray
    num: np.ndarray
    player: np.ndarray
    target: np.ndarray
    known: np.ndarray
    player_id: np.ndarray  # object, raw ids (None where no acting player)
    player_name: np.ndarray
    team_name: np.ndarray
    roster_row: np.ndarray
    on_ice: np.ndarray
    rosters: np.ndarray
    roster_features: np.ndarray
    # raw player ids of the same slots (object, None on padding), for fold-in of unseen
    # players (`hockey_vae.models.latent_foldin`): rosters (R, W), on_ice (E, MAX_ON_ICE)
    roster_ids: np.ndarray | None = None
    on_ice_ids: np.ndarray | None = None

    @property
    def n_games(self) -> int:
        return len(self.game_ids)

    @property
    def n_targets(self) -> int:
        return int(self.target.sum())

    def lengths(self) -> np.ndarray:
        """(n_games,) events per game."""
        return np.diff(self.offsets)


def _mode(values: pd.Series) -> pd.Series:
    return values.groupby(level=0).agg(lambda s: s.value_counts().index[0])


class SequenceEncoder:
    """Fit vocabularies and feature scaling on training games; encode any games with them.

    Parameters (the fields of `FeatureConfig`)
    ----------
    min_player_events : players with fewer training events fall back to the unknown tokens.
    history : write the per-candidate history columns (None counts as True here; `fit` in
        `hockey_vae.train` resolves it from the model first).
    on_ice_history : with history, add history columns from *earlier* events' on-ice lists
        (a variant, reported separately).
    lineup : add per-candidate columns from event t's own on-ice list (the `lineup` variant:
        who is on the ice is known before the event, like the manpower).
    """

    def __init__(self, min_player_events: int = 1, *, history: bool | None = None,
                 on_ice_history: bool = False, lineup: bool = False):
        self.min_player_events = min_player_events
        self.history = history
        self.on_ice_history = on_ice_history
        self.lineup = lineup

    @classmethod
    def from_config(cls, features: FeatureConfig) -> SequenceEncoder:
        """An unfitted encoder with the flags of `features`."""
        return cls(**dataclasses.asdict(features))

    @property
    def features(self) -> FeatureConfig:
        """The flags as a FeatureConfig (history resolved to a bool)."""
        return FeatureConfig(self.min_player_events, self.history is not False,
                             self.on_ice_history, self.lineup)

    @property
    def n_num(self) -> int:
        """Numeric features per event."""
        return len(NUM_FEATURES)

    @property
    def n_roster_features(self) -> int:
        """Per-candidate features per roster slot."""
        return N_ROSTER_FEATURES

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, tables: Any, game_ids: Sequence[str]) -> SequenceEncoder:
        """Learn player/team vocabularies and feature means/stds from `game_ids` only."""
        t = as_tables(tables)
        ids = set(game_ids)
        ev = drop_shootouts(t.events[t.events["game_id"].isin(ids)], t.games)
        if ev.empty:
            raise ValueError("no training events: the training split is empty")
        acting = ev[ev["player_id"].notna() & ev["team"].notna()]
        counts = acting["player_id"].value_counts()
        counts = counts[counts >= self.min_player_events]
        players = sorted(counts.index.tolist())
        ro = t.rosters[t.rosters["game_id"].isin(ids)]
        pos = _mode(ro.dropna(subset=["position"]).set_index("player_id")["position"]) \
            if len(ro) else pd.Series(dtype=object)
        team = _mode(acting.set_index("player_id")["team"])
        name = acting.dropna(subset=["player_name"]).groupby("player_id")["player_name"].first()
        self.vocab_ = PlayerVocab(
            ids=[*SPECIAL_TOKENS, *players],
            names=[*SPECIAL_TOKENS, *(str(name.get(p, p)) for p in players)],
            positions=["", "", *POSITIONS, *(str(pos.get(p, "")) for p in players)],
            teams=["" for _ in SPECIAL_TOKENS] + [str(team.get(p, "")) for p in players],
            counts=[0] * N_SPECIAL + [int(counts[p]) for p in players],
        )
        self.teams_ = ["<none>", *sorted(ev["team"].dropna().unique().tolist())]
        raw = _raw_features(ev)
        self.mean_ = raw.mean(axis=0).astype(np.float32)
        std = raw.std(axis=0).astype(np.float32)
        self.std_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        log.info("vocabulary: %d players from %d training games, %d teams",
                 len(players), len(ids), len(self.teams_) - 1)
        return self

    def state(self) -> dict[str, Any]:
        """Plain containers (lists, numbers) for a weights-only checkpoint."""
        return {**dataclasses.asdict(self.features), "vocab": self.vocab_.state(),
                "teams": self.teams_, "mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SequenceEncoder:
        """Inverse of `state` (checkpoints older than the `history` flag count as history)."""
        enc = cls(min_player_events=int(state["min_player_events"]),
                  history=bool(state.get("history", True)),
                  on_ice_history=bool(state.get("on_ice_history", False)),
                  lineup=bool(state.get("lineup", False)))
        enc.vocab_ = PlayerVocab.from_state(state["vocab"])
        enc.teams_ = list(state["teams"])
        enc.mean_ = np.asarray(state["mean"], dtype=np.float32)
        enc.std_ = np.asarray(state["std"], dtype=np.float32)
        return enc

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocab_"):
            raise RuntimeError("SequenceEncoder is not fitted: call fit(tables, train_game_ids)")

    # -- encoding --------------------------------------------------------------------------
    def transform(self, tables: Any, game_ids: Sequence[str] | None = None) -> EncodedGames:
        """Encode the games `game_ids` (all games when None) in the given order."""
        self._check_fitted()
        t = as_tables(tables)
        ev = t.events
        if game_ids is not None:
            order = {g: i for i, g in enumerate(game_ids)}
            ev = ev[ev["game_id"].isin(order)]
            ev = ev.assign(_o=ev["game_id"].map(order)).sort_values(
                ["_o", "event_idx"], kind="stable").drop(columns="_o")
        ev = drop_shootouts(ev, t.games).reset_index(drop=True)
        games = ev["game_id"].to_numpy()
        change = np.flatnonzero(games[1:] != games[:-1]) + 1 if len(ev) else np.array([], int)
        offsets = np.concatenate([[0], change, [len(ev)]]).astype(np.int64)
        gids = [str(games[i]) for i in offsets[:-1]] if len(ev) else []
        ro = t.rosters[t.rosters["game_id"].isin(set(gids))]
        to_vocab = self._vocab_lookup(ro, games)
        pid = ev["player_id"].to_numpy(dtype=object)
        target = pd.notna(pid) & ev["team"].notna().to_numpy()
        player = to_vocab(pid, np.arange(len(ev)))
        teams = ev["team"].to_numpy(dtype=object)
        roster_row, rosters, roster_raw = self._rosters(ro, games, teams)
        feats = self.features
        per_slot = roster_features(ev, offsets, roster_row, roster_raw, target,
                                   history=bool(feats.history),
                                   on_ice_history=feats.on_ice_history, lineup=feats.lineup)
        on_ice = np.full((len(ev), MAX_ON_ICE), -1, dtype=np.int64)
        on_ice_ids = np.full((len(ev), MAX_ON_ICE), None, dtype=object)
        if "on_ice_for" in ev.columns:
            rows, ids = explode(ev["on_ice_for"].to_numpy(dtype=object))
            slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place in its list
            head = slot < MAX_ON_ICE
            on_ice[rows[head], slot[head]] = to_vocab(ids[head], rows[head])
            on_ice_ids[rows[head], slot[head]] = ids[head]
        num = (_raw_features(ev) - self.mean_) / self.std_
        return EncodedGames(
            game_ids=gids, offsets=offsets,
            event_idx=ev["event_idx"].to_numpy(dtype=np.int32),
            etype=ev["event_type"].map(_EVENT_INDEX).fillna(0).to_numpy(dtype=np.int64),
            team=np.maximum(pd.Index(self.teams_).get_indexer(teams), 0).astype(np.int64),
            num=num.astype(np.float32), player=player, target=target,
            known=target & (player >= N_SPECIAL), player_id=pid,
            player_name=ev["player_name"].to_numpy(dtype=object), team_name=teams,
            roster_row=roster_row, on_ice=on_ice, rosters=rosters, roster_features=per_slot,
            roster_ids=_padded_ids(roster_raw, rosters.shape), on_ice_ids=on_ice_ids,
        )

    def _vocab_lookup(self, ro: pd.DataFrame, games: np.ndarray) -> Any:
        """A function (raw ids, their event rows) -> vocabulary indices (vectorised
        `vocab.index`): players unseen in training get their position's token in that game."""
        pos_lookup = {}
        if len(ro):
            keys = zip(ro["game_id"], ro["player_id"], strict=True)
            pos_lookup = dict(zip(keys, ro["position"], strict=True))
        vocab_ids = pd.Index(self.vocab_.ids)

        def to_vocab(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
            idx = vocab_ids.get_indexer(ids)
            present = pd.notna(ids)
            idx[~present] = 0
            for k in np.flatnonzero(present & (idx < 0)):
                idx[k] = unknown_token(pos_lookup.get((games[rows[k]], ids[k])))
            return idx.astype(np.int64)

        return to_vocab

    def _rosters(self, ro: pd.DataFrame, games: np.ndarray,
                 teams: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
        """(roster row of each event (E,), rosters (R, W) as vocabulary indices padded with
        -1, the same rosters as raw ids): one row per (game, team), players sorted by id."""
        vocab = self.vocab_
        roster_key: dict[tuple[str, str], int] = {}
        roster_lists: list[list[int]] = []
        roster_raw: list[list[str]] = []
        if len(ro):
            for (g, tm), grp in ro.groupby(["game_id", "team"], sort=True):
                roster_key[(g, tm)] = len(roster_lists)
                pairs = sorted({p: vocab.index(p, pp) for p, pp in
                                zip(grp["player_id"], grp["position"], strict=False)}.items())
                roster_raw.append([p for p, _ in pairs])
                roster_lists.append([i for _, i in pairs])
        width = max((len(r) for r in roster_lists), default=1)
        rosters = np.full((max(len(roster_lists), 1), width), -1, dtype=np.int64)
        for r, lst in enumerate(roster_lists):
            rosters[r, :len(lst)] = lst
        roster_row = np.full(len(games), -1, dtype=np.int64)
        if roster_key:
            roster_row = pd.MultiIndex.from_tuples(list(roster_key)).get_indexer(
                pd.MultiIndex.from_arrays([games, teams])).astype(np.int64)
        return roster_row, rosters, roster_raw


def _padded_ids(lists: list[list[str]], shape: tuple[int, ...]) -> np.ndarray:
    """(R, W) object array of raw ids, None on padding, aligned with the vocabulary rosters."""
    out = np.full(shape, None, dtype=object)
    for r, lst in enumerate(lists):
        out[r, :len(lst)] = lst
    return out


def _raw_features(ev: pd.DataFrame) -> np.ndarray:
    """(E, len(NUM_FEATURES)) unscaled features; `ev` sorted by game and event_idx."""
    x = ev["x"].to_numpy(dtype=np.float64, na_value=np.nan)
    y = ev["y"].to_numpy(dtype=np.float64, na_value=np.nan)
    xy_missing = np.isnan(x) | np.isnan(y)
    x0, y0 = np.where(xy_missing, 0.0, x), np.where(xy_missing, 0.0, y)
    dist = np.where(xy_missing, 0.0, np.hypot(_GOAL_X_FT - x0, y0))
    period = ev["period"].to_numpy(dtype=np.float64, na_value=1.0)
    psec = ev["period_seconds"].to_numpy(dtype=np.float64, na_value=0.0)
    gsec = ev["game_seconds"].to_numpy(dtype=np.float64, na_value=0.0)
    game = ev["game_id"].to_numpy()
    first = np.ones(len(ev), dtype=bool)
    first[1:] = game[1:] != game[:-1]
    dt = np.diff(gsec, prepend=0.0)
    dt = np.where(first, 0.0, np.clip(dt, 0.0, 600.0))
    gf = ev["goals_for"].to_numpy(dtype=np.float64, na_value=0.0)
    ga = ev["goals_against"].to_numpy(dtype=np.float64, na_value=0.0)
    sf = ev["skaters_for"].to_numpy(dtype=np.float64, na_value=np.nan)
    sa = ev["skaters_against"].to_numpy(dtype=np.float64, na_value=np.nan)
    mp_missing = np.isnan(sf) | np.isnan(sa)
    home = ev["is_home"].astype("float64").to_numpy(na_value=0.5)
    team = ev["team"].to_numpy(dtype=object)
    prev_team = np.empty_like(team)
    prev_team[1:] = team[:-1]
    prev_team[first] = None
    both = pd.notna(team) & pd.notna(prev_team)
    same = np.where(both, (team == prev_team).astype(float), 0.5)
    cols = [
        x0, y0, np.abs(y0), dist, xy_missing.astype(float),
        psec / 1200.0, gsec / 3600.0, np.log1p(dt),
        np.clip(gf - ga, -3, 3), np.where(mp_missing, 5.0, sf), np.where(mp_missing, 5.0, sa),
        mp_missing.astype(float),
        home, (period == 1).astype(float), (period == 2).astype(float),
        (period == 3).astype(float), (period >= 4).astype(float), same,
    ]
    return np.stack(cols, axis=1).astype(np.float32)

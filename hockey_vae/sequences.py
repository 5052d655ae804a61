"""Canonical events -> per-game feature arrays, the player vocabulary and date-based splits.

The inputs for event t are the features of events 0..t-1 (including their acting players)
and event t's own features *except its player*: type, location, team, clock, score and
manpower. Descriptions, secondary players and anything after t are never used. Events without
an acting player are context only; shootout attempts are dropped.

Everything learned from data (player and team vocabularies, feature scaling) is fit on the
training games only, and stored as plain lists so a checkpoint can hold it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.schema import EVENT_TYPES, POSITIONS

__all__ = [
    "NUM_FEATURES",
    "SPECIAL_TOKENS",
    "N_SPECIAL",
    "MAX_ON_ICE",
    "N_RECENCY",
    "HISTORY_COLUMNS",
    "LINEUP_COLUMNS",
    "Tables",
    "as_tables",
    "split_games",
    "PlayerVocab",
    "EncodedGames",
    "SequenceEncoder",
    "unknown_token",
    "CANDIDATE_SETS",
    "Batch",
    "collate",
    "candidate_mask",
    "candidate_lists",
    "training_candidates",
    "unseen_counts",
]

log = logging.getLogger(__name__)

# Numeric per-event features, in column order (standardised with train-only statistics).
NUM_FEATURES: tuple[str, ...] = (
    "x", "y", "abs_y", "goal_distance", "xy_missing",
    "period_frac", "game_frac", "log_dt",
    "score_diff", "skaters_for", "skaters_against", "manpower_missing",
    "is_home", "period_1", "period_2", "period_3", "period_ot", "same_team_as_prev",
)

# Vocabulary indices below N_SPECIAL are not players. 0: the event has no acting player
# (history input only, never a target). 1: unknown player of unknown position. Then one
# unknown-player token per position: the cold-start back-off for players unseen in training.
SPECIAL_TOKENS: tuple[str, ...] = ("<none>", "<unk>", *(f"<unk:{p}>" for p in POSITIONS))
N_SPECIAL = len(SPECIAL_TOKENS)
MAX_ON_ICE = 7  # skaters + goalie; longer lists (data errors) are truncated

_EVENT_INDEX = {name: i for i, name in enumerate(EVENT_TYPES)}
_GOAL_X_FT = 89.0


@dataclass
class Tables:
    """The canonical tables a model needs, as pandas DataFrames (events sorted by game)."""

    events: pd.DataFrame
    games: pd.DataFrame
    rosters: pd.DataFrame
    players: pd.DataFrame | None = None


def _frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pa.Table):
        return table.to_pandas()
    raise TypeError(f"expected a pyarrow Table or pandas DataFrame, got {type(table).__name__}")


def as_tables(tables: Any) -> Tables:
    """Tables from an `Ingested`, a `Tables`, or a dict with events/games/rosters(/players)."""
    if isinstance(tables, Tables):
        return tables
    get = tables.get if isinstance(tables, dict) else lambda k, d=None: getattr(tables, k, d)
    events, games, rosters = get("events"), get("games"), get("rosters")
    if events is None or games is None:
        raise ValueError("tables need at least 'events' and 'games'")
    players = get("players", None)
    ev = _frame(events)
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    ro = _frame(rosters) if rosters is not None else pd.DataFrame(
        columns=["game_id", "team", "player_id", "player_name", "position"])
    return Tables(ev, _frame(games), ro, None if players is None else _frame(players))


def split_games(
    games: pd.DataFrame | pa.Table,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    *,
    within_last_season: bool = False,
) -> dict[str, list[str]]:
    """Split game ids into train/val/test by date (ties broken by game id); never by event.

    With `within_last_season`, every season before the last goes to train and `fractions`
    cut the last season's games (the NHL protocol: 2017-18 plus the first 80% of 2018-19).
    Deterministic: the same games always give the same split.
    """
    g = _frame(games)
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    g = g.assign(_date=pd.to_datetime(g["game_date"])).sort_values(["_date", "game_id"])
    early: list[str] = []
    if within_last_season:
        last = g["season"].max()
        early = g.loc[g["season"] != last, "game_id"].tolist()
        g = g[g["season"] == last]
    ids = g["game_id"].tolist()
    n_train = int(round(fractions[0] * len(ids)))
    n_train_val = int(round((fractions[0] + fractions[1]) * len(ids)))
    return {
        "train": early + ids[:n_train],
        "val": ids[n_train:n_train_val],
        "test": ids[n_train_val:],
    }


@dataclass
class PlayerVocab:
    """Players seen acting in the training games; index = position in `ids`.

    The first N_SPECIAL entries are SPECIAL_TOKENS. `counts` are training event counts
    (0 for the special tokens), `positions`/`teams` the most frequent in training.
    """

    ids: list[str]
    names: list[str]
    positions: list[str]
    teams: list[str]
    counts: list[int]
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {pid: i for i, pid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, player_id: str | None, position: str | None = None) -> int:
        """Vocabulary index of a player; unknown players back off to their position token."""
        if player_id is None or player_id != player_id:  # None or NaN
            return 0
        found = self._index.get(player_id)
        if found is not None:
            return found
        return unknown_token(position)

    def position_index(self) -> np.ndarray:
        """(n_vocab,) int64: index into POSITIONS, len(POSITIONS) when unknown."""
        pos = {p: i for i, p in enumerate(POSITIONS)}
        out = [pos.get(p, len(POSITIONS)) for p in self.positions]
        for i, tok in enumerate(SPECIAL_TOKENS[2:], start=2):
            out[i] = pos[tok[5:-1]]
        return np.asarray(out, dtype=np.int64)

    def state(self) -> dict[str, list]:
        """Plain lists for a checkpoint."""
        return {"ids": self.ids, "names": self.names, "positions": self.positions,
                "teams": self.teams, "counts": self.counts}

    @classmethod
    def from_state(cls, state: dict[str, list]) -> PlayerVocab:
        return cls(**{k: list(v) for k, v in state.items()})


def unknown_token(position: str | None) -> int:
    """The cold-start token for an unseen player with `position` (or unknown position)."""
    if position in POSITIONS:
        return 2 + POSITIONS.index(position)
    return 1


@dataclass
class EncodedGames:
    """Per-event arrays for a set of games, concatenated; game g spans offsets[g]:offsets[g+1].

    Shapes (E = events, R = roster rows): etype, team, player, roster_row (E,) int64;
    num (E, len(NUM_FEATURES)) float32; target, known (E,) bool; on_ice (E, MAX_ON_ICE)
    int64 padded with -1; rosters (R, max roster) int64 padded with -1.
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
    recency: np.ndarray  # (E, W, N_RECENCY) history features of the acting team's roster

    @property
    def n_games(self) -> int:
        return len(self.game_ids)

    @property
    def n_targets(self) -> int:
        return int(self.target.sum())

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


N_RECENCY = 9  # per-candidate features, see _recency_features
HISTORY_COLUMNS = tuple(range(7))  # read earlier events (player history)
LINEUP_COLUMNS = (7, 8)  # read event t's own on-ice list (current context)


def _recency_features(ev: pd.DataFrame, offsets: np.ndarray, roster_row: np.ndarray,
                      roster_raw: list[list[str]], width: int, target: np.ndarray,
                      on_ice_history: bool = False, lineup: bool = False) -> np.ndarray:
    """(E, width, N_RECENCY) float32: for each target event and each player of the acting
    team's roster (in roster order), what the game so far says about that player.

    Only events *before* t count: a player appears in an earlier event as its acting or
    secondary player. Features: log1p(seconds since last appearance), never appeared yet,
    log1p(appearances so far), log1p(events since last appearance), last appearance in the
    same period. Never-seen players get zeros except the flag. With `on_ice_history`, two
    more: on the ice at the latest earlier event that lists on-ice players, and
    log1p(seconds since last listed on the ice) (zeros otherwise). This reads earlier
    events' on-ice lists, so it is reported as a separate variant. With `lineup`, two
    more: on the acting team's on-ice list of event t itself, and event t has such a list.
    The lineup is known before the event happens (shift charts), like the manpower count,
    so it is context, not history; it never says which of the skaters acts.
    """
    n = len(ev)
    out = np.zeros((n, width, N_RECENCY), np.float32)
    rows = np.flatnonzero(target & (roster_row >= 0))
    if len(rows) == 0:
        return out
    gsec = ev["game_seconds"].to_numpy(dtype=np.float64, na_value=0.0)
    period = ev["period"].to_numpy(dtype=np.float64, na_value=1.0)
    game = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    # integer codes for the roster players; any other id gets -1
    lengths = np.array([len(r) for r in roster_raw], dtype=np.int64)
    flat = np.concatenate([np.asarray(r, dtype=object) for r in roster_raw]) \
        if lengths.sum() else np.zeros(0, dtype=object)
    index = pd.Index(pd.unique(flat))
    slot_codes = np.full((len(roster_raw), width), -1, dtype=np.int64)
    slot_codes[np.repeat(np.arange(len(roster_raw)), lengths),
               np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = \
        index.get_indexer(flat)
    # one query per (target event, roster slot)
    qi = np.repeat(rows, width)
    qc = slot_codes[roster_row[rows]].ravel()
    qs = np.tile(np.arange(width), len(rows))
    keep = qc >= 0
    qi, qc, qs = qi[keep], qc[keep], qs[keep]
    n_codes = len(index)

    def column(name: str) -> np.ndarray:
        return ev[name].to_numpy(dtype=object) if name in ev.columns \
            else np.full(n, None, dtype=object)

    acting = np.arange(n)
    appear_pos = np.concatenate([acting, acting])
    appear_code = index.get_indexer(np.concatenate([column("player_id"), column("player2_id")]))
    last, count = _last_before(appear_pos, appear_code, game, qi, qc, n_codes)
    ok = last >= 0
    j = np.where(ok, last, 0)
    f = out[qi, qs]  # (Q, N_RECENCY) copy, written back below
    f[:, 0] = np.where(ok, np.log1p(np.maximum(gsec[qi] - gsec[j], 0.0)), 0.0)
    f[:, 1] = ~ok
    f[:, 2] = np.where(ok, np.log1p(count), 0.0)
    f[:, 3] = np.where(ok, np.log1p(qi - j), 0.0)
    f[:, 4] = ok & (period[j] == period[qi])
    if on_ice_history or lineup:
        pos_for, ids_for = _explode(column("on_ice_for"))
        code_for = index.get_indexer(ids_for)
    if on_ice_history:
        pos_against, ids_against = _explode(column("on_ice_against"))
        pos = np.concatenate([pos_for, pos_against])
        code = np.concatenate([code_for, index.get_indexer(ids_against)])
        k, _ = _last_before(pos, code, game, qi, qc, n_codes)
        has_list = np.zeros(n, bool)
        has_list[pos] = True
        latest = np.maximum.accumulate(np.where(has_list, np.arange(n), -1))
        before = np.concatenate([[-1], latest[:-1]])[qi]  # latest listed event < t
        before = np.where(before >= offsets[game[qi]], before, -1)  # in the same game
        kk = np.where(k >= 0, k, 0)
        f[:, 5] = (k >= 0) & (k == before)
        f[:, 6] = np.where(k >= 0, np.log1p(np.maximum(gsec[qi] - gsec[kk], 0.0)), 0.0)
    if lineup:
        now_listed = np.zeros(n, bool)
        now_listed[pos_for] = True
        listed = code_for >= 0
        pairs = np.unique(pos_for[listed] * n_codes + code_for[listed])
        query = qi * n_codes + qc
        at = np.minimum(np.searchsorted(pairs, query), max(len(pairs) - 1, 0))
        f[:, 7] = (pairs[at] == query) if len(pairs) else False
        f[:, 8] = now_listed[qi]
    out[qi, qs] = f
    return out


def _last_before(pos: np.ndarray, code: np.ndarray, game: np.ndarray, qi: np.ndarray,
                 qc: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query (event qi, player code qc): the latest event before qi, in the same
    game, in which the player appears (-1 if none), and in how many such events it does.

    Appearances are (event position, player code) pairs, code -1 ignored. One sort and two
    binary searches replace a per-game scan over events.
    """
    n = len(game)
    ok = code >= 0
    keys = np.unique((game[pos[ok]] * n_codes + code[ok]) * n + pos[ok])  # dedupes per event
    base = (game[qi] * n_codes + qc) * n
    lo = np.searchsorted(keys, base)
    hi = np.searchsorted(keys, base + qi)  # appearances strictly before qi
    count = hi - lo
    last = np.where(count > 0, keys[np.maximum(hi - 1, 0)] - base, -1) if len(keys) \
        else np.full(len(qi), -1)
    return last, count


def _explode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, id) pairs of a column of id lists; None, NaN and empty rows give none."""
    lengths = np.fromiter((0 if v is None or isinstance(v, float) else len(v) for v in values),
                          dtype=np.int64, count=len(values))
    if not lengths.any():
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    flat = np.concatenate([np.asarray(v, dtype=object) for v in values[lengths > 0]])
    return np.repeat(np.arange(len(values)), lengths), flat


def _mode(values: pd.Series) -> pd.Series:
    return values.groupby(level=0).agg(lambda s: s.value_counts().index[0])


def _drop_shootouts(events: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    keep = events["event_type"] != "shootout_attempt"
    if "decided_in" in games.columns:
        so_games = set(games.loc[games["decided_in"] == "shootout", "game_id"])
        if so_games:
            last = events.groupby("game_id")["period"].transform("max")
            keep &= ~(events["game_id"].isin(so_games) & (events["period"] >= 5)
                      & (events["period"] == last))
    return events[keep]


class SequenceEncoder:
    """Fit vocabularies and feature scaling on training games; encode any games with them.

    Parameters
    ----------
    min_player_events : players with fewer training events fall back to the unknown tokens.
    on_ice_history : add history features from *earlier* events' on-ice lists (a variant,
        reported separately; the default uses only earlier acting/secondary players).
    lineup : add per-candidate features from event t's own on-ice list (the `lineup`
        variant: who is on the ice is known before the event, like the manpower).
    """

    def __init__(self, min_player_events: int = 1, on_ice_history: bool = False,
                 lineup: bool = False):
        self.min_player_events = min_player_events
        self.on_ice_history = on_ice_history
        self.lineup = lineup

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, tables: Any, game_ids: Sequence[str]) -> SequenceEncoder:
        """Learn player/team vocabularies and feature means/stds from `game_ids` only."""
        t = as_tables(tables)
        ids = set(game_ids)
        ev = _drop_shootouts(t.events[t.events["game_id"].isin(ids)], t.games)
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
        raw = self._raw_features(ev)
        self.mean_ = raw.mean(axis=0).astype(np.float32)
        std = raw.std(axis=0).astype(np.float32)
        self.std_ = np.where(std > 1e-6, std, 1.0).astype(np.float32)
        log.info("vocabulary: %d players from %d training games, %d teams",
                 len(players), len(ids), len(self.teams_) - 1)
        return self

    def state(self) -> dict[str, Any]:
        """Plain containers (lists, numbers) for a weights-only checkpoint."""
        return {"min_player_events": self.min_player_events,
                "on_ice_history": self.on_ice_history, "lineup": self.lineup,
                "vocab": self.vocab_.state(),
                "teams": self.teams_, "mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SequenceEncoder:
        enc = cls(min_player_events=int(state["min_player_events"]),
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

    # -- features --------------------------------------------------------------------------
    @staticmethod
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
        ev = _drop_shootouts(ev, t.games).reset_index(drop=True)
        games = ev["game_id"].to_numpy()
        change = np.flatnonzero(games[1:] != games[:-1]) + 1 if len(ev) else np.array([], int)
        offsets = np.concatenate([[0], change, [len(ev)]]).astype(np.int64)
        gids = [str(games[i]) for i in offsets[:-1]] if len(ev) else []
        vocab = self.vocab_

        ro = t.rosters[t.rosters["game_id"].isin(set(gids))]
        pos_lookup = {}
        if len(ro):
            keys = zip(ro["game_id"], ro["player_id"], strict=True)
            pos_lookup = dict(zip(keys, ro["position"], strict=True))
        pid = ev["player_id"].to_numpy(dtype=object)
        has_team = ev["team"].notna().to_numpy()
        target = pd.notna(pid) & has_team
        vocab_ids = pd.Index(vocab.ids)

        def to_vocab(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
            """Vocabulary indices of raw ids met in events `rows` (vectorised vocab.index)."""
            idx = vocab_ids.get_indexer(ids)
            present = pd.notna(ids)
            idx[~present] = 0
            for k in np.flatnonzero(present & (idx < 0)):  # unseen players: position token
                idx[k] = unknown_token(pos_lookup.get((games[rows[k]], ids[k])))
            return idx.astype(np.int64)

        player = to_vocab(pid, np.arange(len(ev)))
        known = target & (player >= N_SPECIAL)

        # roster rows: one per (game, team), players mapped to vocabulary (or unknown tokens);
        # raw ids are kept in the same order for the per-candidate history features
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
        teams = ev["team"].to_numpy(dtype=object)
        roster_row = np.full(len(ev), -1, dtype=np.int64)
        if roster_key:
            roster_row = pd.MultiIndex.from_tuples(list(roster_key)).get_indexer(
                pd.MultiIndex.from_arrays([games, teams])).astype(np.int64)
        recency = _recency_features(ev, offsets, roster_row, roster_raw, width, target,
                                    self.on_ice_history, self.lineup)

        on_ice = np.full((len(ev), MAX_ON_ICE), -1, dtype=np.int64)
        if "on_ice_for" in ev.columns:
            rows, ids = _explode(ev["on_ice_for"].to_numpy(dtype=object))
            first = np.searchsorted(rows, rows)  # where each row's list starts
            slot = np.arange(len(rows)) - first
            head = slot < MAX_ON_ICE
            on_ice[rows[head], slot[head]] = to_vocab(ids[head], rows[head])

        raw = self._raw_features(ev)
        num = (raw - self.mean_) / self.std_
        etype = ev["event_type"].map(_EVENT_INDEX).fillna(0).to_numpy(dtype=np.int64)
        team = np.maximum(pd.Index(self.teams_).get_indexer(teams), 0).astype(np.int64)
        return EncodedGames(
            game_ids=gids, offsets=offsets,
            event_idx=ev["event_idx"].to_numpy(dtype=np.int32),
            etype=etype, team=team, num=num.astype(np.float32), player=player,
            target=target, known=known, player_id=pid,
            player_name=ev["player_name"].to_numpy(dtype=object), team_name=teams,
            roster_row=roster_row, on_ice=on_ice, rosters=rosters, recency=recency,
        )


# -- batches -------------------------------------------------------------------------------
CANDIDATE_SETS: tuple[str, ...] = ("all", "roster", "on_ice")


@dataclass
class Batch:
    """A padded batch of games plus the flat list of its prediction targets.

    Sequence tensors are (B, T[, F]); target tensors are (N,) or (N, k) where N = number of
    target events, in row-major order of `target`. `flat_index` maps each target back to
    its row in the EncodedGames it came from.
    """

    etype: Any
    team: Any
    num: Any
    player: Any
    valid: Any
    target: Any
    tgt_player: Any
    tgt_etype: Any
    tgt_known: Any
    tgt_roster: Any  # (N, W) vocabulary indices of the acting team's roster, -1 padded
    tgt_on_ice: Any  # (N, MAX_ON_ICE), -1 padded
    tgt_recency: Any  # (N, W, N_RECENCY) history features aligned with tgt_roster
    flat_index: Any

    def to(self, device: Any) -> Batch:
        return Batch(**{k: v.to(device, non_blocking=True) for k, v in self.__dict__.items()})

    @property
    def n_targets(self) -> int:
        return int(self.tgt_player.shape[0])


def collate(enc: EncodedGames, games: Sequence[int]) -> Batch:
    """Pad the games with positions `games` in `enc` into one Batch (CPU tensors)."""
    import torch

    games = list(games)
    lens = enc.lengths()[games]
    B, T = len(games), int(lens.max()) if len(games) else 0
    F = enc.num.shape[1]
    etype = np.zeros((B, T), np.int64)
    team = np.zeros((B, T), np.int64)
    num = np.zeros((B, T, F), np.float32)
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
        tgt_recency=t(np.ascontiguousarray(enc.recency[flat])),
        flat_index=t(flat),
    )


def candidate_mask(batch: Batch, kind: str, n_vocab: int) -> Any:
    """(N, n_vocab) bool: the candidates for each target event under candidate set `kind`.

    `all`: every vocabulary player; `roster`: the acting team's dressed roster for the
    game; `on_ice`: the acting team's players on the ice (roster when the source has none).
    A position's cold-start token is a candidate only when the list holds a player unseen in
    training at that position (it then stands for all of them, see `unseen_counts`); under
    `all` the roster decides (every token when there is no roster). Index 0 (no player)
    never is. A roster or on-ice list that is
    missing falls back to the next wider set.
    """
    import torch

    if kind not in CANDIDATE_SETS:
        raise ValueError(f"candidate set {kind!r} is not one of {CANDIDATE_SETS}")
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


def candidate_lists(batch: Batch, kind: str) -> tuple[Any, Any, Any]:
    """The `roster` / `on_ice` candidate sets of `candidate_mask` as short lists.

    Returns idx (N, C) long, valid (N, C) bool and full (N,) bool: row n's candidates are
    the distinct entries idx[n][valid[n]] (never index 0); rows with `full` have no list at
    all and fall back to every player, as in the mask. Scoring a few dozen listed players
    instead of the whole vocabulary is what makes evaluation cheap.
    """
    import torch
    import torch.nn.functional as F

    if kind not in ("roster", "on_ice"):
        raise ValueError(f"candidate lists exist for 'roster' and 'on_ice', not {kind!r}")
    lists = batch.tgt_roster
    if kind == "on_ice":
        on = batch.tgt_on_ice
        width = max(lists.shape[1], on.shape[1])
        has = (on >= 0).any(1, keepdim=True)
        lists = torch.where(has, F.pad(on, (0, width - on.shape[1]), value=-1),
                            F.pad(lists, (0, width - lists.shape[1]), value=-1))
    idx = lists.sort(1).values
    valid = idx >= 1
    valid[:, 1:] &= idx[:, 1:] != idx[:, :-1]  # several unseen players share one token
    return idx.clamp(min=0), valid, ~valid.any(1)


def training_candidates(batch: Batch, names: Sequence[str], n_vocab: int) -> dict[str, Any]:
    """The candidate sets of a training loss: the (N, n_vocab) mask for `all`, the short
    lists of `candidate_lists` for `roster` and `on_ice` (same sets, much less work)."""
    return {c: candidate_mask(batch, c, n_vocab) if c == "all" else candidate_lists(batch, c)
            for c in names}


def unseen_counts(batch: Batch, kind: str) -> Any:
    """(N, N_SPECIAL) float: how many players of the candidate list each cold-start token
    stands for (at least 1), so a token's probability is split evenly among them.

    Under `all` the roster's counts are used; where the list is missing every count is 1.
    """
    import torch

    if kind not in CANDIDATE_SETS:
        raise ValueError(f"candidate set {kind!r} is not one of {CANDIDATE_SETS}")
    tokens = torch.arange(N_SPECIAL, device=batch.tgt_player.device)

    def count(lists: Any) -> Any:
        return (lists[:, :, None] == tokens).sum(1).float()  # (N, N_SPECIAL)

    counts = count(batch.tgt_roster)
    if kind == "on_ice":
        has = (batch.tgt_on_ice >= 0).any(1, keepdim=True)
        counts = torch.where(has, count(batch.tgt_on_ice), counts)
    return counts.clamp(min=1.0)

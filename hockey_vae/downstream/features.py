"""Feature tables for the downstream models, built from the canonical events (schema.EVENTS).

Three units: one row per unblocked shot attempt (`shot_features`), one row per event as a
game state seen from the home team (`game_states`), one row per game (`game_labels`).
Coordinates are the canonical ones: feet from centre ice, acting team attacking toward +x,
so the attacked net sits at (NET_X_FT, 0) for every shot.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.io import as_frame

__all__ = [
    "UNBLOCKED_SHOTS",
    "NET_X_FT",
    "BLUE_LINE_X_FT",
    "REBOUND_SECONDS",
    "RUSH_SECONDS",
    "REGULATION_SECONDS",
    "SHOT_INPUT_COLUMNS",
    "STATE_INPUT_COLUMNS",
    "as_frame",
    "require_columns",
    "goalie_ids",
    "shot_features",
    "game_states",
    "game_labels",
    "time_bucket",
]

UNBLOCKED_SHOTS = ("shot", "missed_shot", "goal")
SHOT_ATTEMPTS = (*UNBLOCKED_SHOTS, "blocked_shot")
NET_X_FT = 89.0  # goal line: 11 ft from the 100 ft end boards
BLUE_LINE_X_FT = 25.0  # offensive zone starts at x > 25 ft in the acting team's frame
REBOUND_SECONDS = 3.0  # a shot within 3 s of the same team's previous attempt is a rebound
RUSH_SECONDS = 4.0  # a shot within 4 s of an event outside the offensive zone is a rush
REGULATION_SECONDS = 3600.0
SCORE_CLIP = 3  # score states beyond +-3 goals behave alike
GOALIE_SEEN_SHARE = 0.5  # on-ice lists name a goalie on at least this share of a game's shots

SHOT_INPUT_COLUMNS = (
    "game_id", "event_idx", "period", "period_seconds", "game_seconds", "event_type",
    "team", "is_home", "player_id", "x", "y", "goals_for", "goals_against",
    "skaters_for", "skaters_against", "detail",
)  # fmt: skip
STATE_INPUT_COLUMNS = (
    "game_id", "event_idx", "period", "game_seconds", "event_type", "is_home",
    "goals_for", "goals_against", "skaters_for", "skaters_against",
)  # fmt: skip


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ValueError naming every column of `columns` that `frame` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}")


def goalie_ids(rosters: pd.DataFrame | pa.Table | None) -> dict[str, set[str]]:
    """Goalie player ids per game from a roster table with positions ({} when unknown)."""
    if rosters is None:
        return {}
    rosters = as_frame(rosters, "rosters")
    require_columns(rosters, ("game_id", "player_id", "position"), "rosters")
    goalies = rosters.loc[rosters["position"] == "G", ["game_id", "player_id"]]
    return {g: set(ids) for g, ids in goalies.groupby("game_id")["player_id"]}


def _goalie_on_ice(
    game_ids: np.ndarray, on_ice: pd.Series | None, goalies: dict[str, set[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """(empty_net, goalie_id) per row: 1.0/0.0/NaN and the goalie on ice or None.

    Knowable only when the game's goalies are known from positions and the game's on-ice
    lists do name goalies: a game where fewer than half the rows show a goalie on ice
    (e.g. PWHL lists only the skaters, and only at goals) is unknown throughout, because
    there a missing goalie says "not recorded", and reading it as an empty net would leak
    the label. Never guessed.
    """
    n = len(game_ids)
    empty = np.full(n, np.nan)
    goalie = np.full(n, None, dtype=object)
    if on_ice is None or not goalies:
        return empty, goalie
    for i, (game, ids) in enumerate(zip(game_ids, on_ice.to_numpy(), strict=True)):
        keepers = goalies.get(game)
        if keepers is None or ids is None or len(ids) == 0:
            continue
        present = [p for p in ids if p in keepers]
        empty[i] = 0.0 if present else 1.0
        goalie[i] = present[0] if present else None
    seen = pd.Series(empty == 0.0).groupby(game_ids).transform("mean").to_numpy()
    unreliable = seen < GOALIE_SEEN_SHARE
    empty[unreliable] = np.nan
    goalie[unreliable] = None
    return empty, goalie


def _previous_event(events: pd.DataFrame) -> pd.DataFrame:
    """For every event, the previous event of the same game and period (NaN when none)."""
    cols = ["game_id", "period", "game_seconds", "event_type", "team", "x", "y"]
    prev = events[cols].shift(1)
    same = (prev["game_id"] == events["game_id"]) & (prev["period"] == events["period"])
    prev = prev.where(same)
    return prev


def shot_features(
    events: pd.DataFrame | pa.Table, rosters: pd.DataFrame | pa.Table | None = None
) -> pd.DataFrame:
    """One row per unblocked shot attempt (shot, missed_shot, goal) with its features.

    Blocked shots are left out: canonical `blocked_shot` rows carry the blocker and the
    block location, not the shooter and the shot location.

    Columns: game_id, event_idx, team, is_home, player_id (shooter), goalie_id (goalie on
    ice for the defending team, when positions are known), goal (label, 0/1), distance (ft)
    and angle (degrees, 0 = straight on, >90 = from behind the net) to the attacked net,
    log_distance, shot_type, seconds_since_prev, distance_from_prev, speed_from_prev (ft/s),
    prev_event_type, prev_same_team, is_rebound (the same team attempted a shot within
    REBOUND_SECONDS), is_rush (previous event outside the offensive zone within
    RUSH_SECONDS), skaters_for, skaters_against, strength ("5v5",
    "5v4", ...), is_5v5, score_diff (shooting team's view, clipped to +-3), period,
    period_seconds, game_seconds, empty_net_against, empty_net_for (1/0, NaN when unknown).

    Raises ValueError naming missing input columns. A game without shots contributes no rows.
    """
    events = as_frame(events, "events")
    require_columns(events, SHOT_INPUT_COLUMNS, "events")
    events = events.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    prev = _previous_event(events)
    is_shot = events["event_type"].isin(UNBLOCKED_SHOTS).to_numpy()
    ev = events.loc[is_shot].reset_index(drop=True)
    pv = prev.loc[is_shot].reset_index(drop=True)
    out = _shot_location(ev)
    _add_previous_event(out, ev, pv)
    _add_situation(out, ev)
    _add_goalies(out, ev, rosters)
    return out


def _shot_location(ev: pd.DataFrame) -> pd.DataFrame:
    """Ids, label, and where the shot came from: distance and angle to the attacked net."""
    x = ev["x"].astype(float).to_numpy()
    y = ev["y"].astype(float).to_numpy()
    out = pd.DataFrame(
        {
            "game_id": ev["game_id"].astype(str).to_numpy(),
            "event_idx": ev["event_idx"].astype(np.int32).to_numpy(),
            "team": ev["team"].to_numpy(),
            "is_home": ev["is_home"].to_numpy(),
            "player_id": ev["player_id"].to_numpy(),
            "goal": (ev["event_type"] == "goal").astype(np.int8).to_numpy(),
        }
    )
    out["distance"] = np.hypot(NET_X_FT - x, y)
    out["log_distance"] = np.log1p(out["distance"])
    out["angle"] = np.degrees(np.arctan2(np.abs(y), NET_X_FT - x))
    out["x"], out["y"] = x, y
    shot_type = ev["detail"].astype("string").str.strip().str.lower()
    out["shot_type"] = shot_type.fillna("unknown").replace("", "unknown").to_numpy(dtype=object)
    return out


def _add_previous_event(out: pd.DataFrame, ev: pd.DataFrame, pv: pd.DataFrame) -> None:
    """The previous event in the shooter's frame (the opponent's is rotated 180 degrees):
    time and distance since it, rebound, rush, its type and team."""
    x, y = out["x"].to_numpy(), out["y"].to_numpy()
    same_team = (pv["team"] == ev["team"]).to_numpy()
    other_team = (pv["team"].notna() & (pv["team"] != ev["team"])).to_numpy()
    sign = np.where(same_team, 1.0, np.where(other_team, -1.0, np.nan))
    px = pv["x"].astype(float).to_numpy() * sign
    py = pv["y"].astype(float).to_numpy() * sign
    dt = ev["game_seconds"].astype(float).to_numpy() - pv["game_seconds"].astype(float).to_numpy()
    out["seconds_since_prev"] = dt
    out["distance_from_prev"] = np.hypot(x - px, y - py)
    prev_type = pv["event_type"]
    own_attempt = (prev_type.isin(UNBLOCKED_SHOTS).to_numpy() & same_team) | (
        (prev_type == "blocked_shot").to_numpy() & other_team  # blocker acts for the opponent
    )
    out["is_rebound"] = (own_attempt & (dt <= REBOUND_SECONDS)).astype(np.int8)
    out["is_rush"] = ((px <= BLUE_LINE_X_FT) & (dt <= RUSH_SECONDS)).astype(np.int8)
    out["speed_from_prev"] = out["distance_from_prev"] / np.maximum(dt, 1.0)  # ft/s
    out["prev_same_team"] = same_team.astype(np.int8)
    out["prev_event_type"] = prev_type.fillna("none").to_numpy(dtype=object)


def _add_situation(out: pd.DataFrame, ev: pd.DataFrame) -> None:
    """Manpower, strength label, clipped score difference and the clock."""
    sf = ev["skaters_for"].astype("Float64")
    sa = ev["skaters_against"].astype("Float64")
    out["skaters_for"] = sf.astype(float).to_numpy()
    out["skaters_against"] = sa.astype(float).to_numpy()
    strength = sf.astype("Int64").astype("string") + "v" + sa.astype("Int64").astype("string")
    out["strength"] = strength.fillna("unknown").to_numpy(dtype=object)
    diff = ev["goals_for"].astype(float) - ev["goals_against"].astype(float)
    out["score_diff"] = diff.clip(-SCORE_CLIP, SCORE_CLIP).to_numpy()
    out["period"] = ev["period"].astype(float).to_numpy()
    out["period_seconds"] = ev["period_seconds"].astype(float).to_numpy()
    out["game_seconds"] = ev["game_seconds"].astype(float).to_numpy()


def _add_goalies(out: pd.DataFrame, ev: pd.DataFrame,
                 rosters: pd.DataFrame | pa.Table | None) -> None:
    """The goalie faced, empty nets on either side, and the 5v5 flag that needs them."""
    goalies = goalie_ids(rosters)
    games = out["game_id"].to_numpy()
    out["empty_net_against"], out["goalie_id"] = _goalie_on_ice(
        games, ev.get("on_ice_against", None), goalies)
    out["empty_net_for"], _ = _goalie_on_ice(games, ev.get("on_ice_for", None), goalies)
    out["is_5v5"] = (
        (out["skaters_for"] == 5)
        & (out["skaters_against"] == 5)
        & (out["empty_net_against"] != 1)
        & (out["empty_net_for"] != 1)
    ).astype(np.int8)


def game_labels(games: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """One row per decided game: game_id, game_date, season, home_team, away_team, home_win.

    Overtime and shootout games count for their final winner. Games without a winner are
    dropped.
    """
    games = as_frame(games, "games")
    require_columns(games, ("game_id", "home_team", "away_team", "winner"), "games")
    decided = games.loc[games["winner"].isin(("home", "away"))].copy()
    decided["home_win"] = (decided["winner"] == "home").astype(np.int8)
    keep = ["game_id", "home_team", "away_team", "home_win"]
    keep += [c for c in ("game_date", "season", "decided_in") if c in decided]
    return decided[keep].reset_index(drop=True)


def game_states(events: pd.DataFrame | pa.Table, games: pd.DataFrame | pa.Table) -> pd.DataFrame:
    """One row per event of a decided game: the state just after the event, home view.

    Columns: game_id, event_idx, period, game_seconds, time_remaining (regulation seconds
    left, 0 in overtime), is_overtime, score_diff (home minus away goals after the event),
    manpower_diff (home minus away skaters, 0 when unknown), home_win (label).
    Shootout attempts are dropped. Raises ValueError naming missing input columns.
    """
    events = as_frame(events, "events")
    require_columns(events, STATE_INPUT_COLUMNS, "events")
    labels = game_labels(games)[["game_id", "home_win"]]
    ev = events.loc[events["event_type"] != "shootout_attempt"]
    ev = ev.merge(labels, on="game_id", how="inner")
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)

    home_known = ev["is_home"].astype("boolean")
    home = home_known.fillna(False).astype(bool)
    gf, ga = ev["goals_for"].astype("Float64"), ev["goals_against"].astype("Float64")
    home_goals = gf.where(home, ga).mask(home_known.isna())
    away_goals = ga.where(home, gf).mask(home_known.isna())
    is_goal = ev["event_type"] == "goal"
    home_goals = home_goals + (is_goal & home).astype(float)
    away_goals = away_goals + (is_goal & ~home & home_known.notna()).astype(float)
    sf, sa = ev["skaters_for"].astype("Float64"), ev["skaters_against"].astype("Float64")
    man = (sf - sa).where(home, sa - sf).mask(home_known.isna())
    grouped = pd.DataFrame(
        {"game_id": ev["game_id"], "hg": home_goals, "ag": away_goals, "man": man}
    ).groupby("game_id")
    filled = grouped[["hg", "ag", "man"]].ffill()

    seconds = ev["game_seconds"].astype(float)
    period = ev["period"].astype(float)
    out = pd.DataFrame(
        {
            "game_id": ev["game_id"].astype(str),
            "event_idx": ev["event_idx"].astype(np.int32),
            "period": period,
            "game_seconds": seconds,
            "time_remaining": (REGULATION_SECONDS - seconds).clip(lower=0.0),
            "is_overtime": (period > 3).astype(np.int8),
            "score_diff": (filled["hg"].fillna(0) - filled["ag"].fillna(0)).astype(float),
            "manpower_diff": filled["man"].fillna(0).astype(float),
            "home_win": ev["home_win"].astype(np.int8),
        }
    )
    return out


def time_bucket(states: pd.DataFrame) -> pd.Series:
    """Game-time bucket per state: period_1, period_2, period_3, overtime.

    The last five regulation minutes are a subset of period_3; select them with
    `states.time_remaining <= 300` and `is_overtime == 0`.
    """
    period = states["period"].astype(float)
    bucket = np.where(period >= 4, "overtime", "period_" + period.clip(1, 3).astype(int).astype(str))
    return pd.Series(bucket, index=states.index, name="bucket")

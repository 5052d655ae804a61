"""The canonical tables as pandas DataFrames, and tables from an events DataFrame alone.

`Ingested.to_pandas()` (what `load_tables` returns) gives `Frames`; every model entry point
accepts it. `tables_from_events` lets an estimator take one events DataFrame (scikit-learn's
X) and fills in the game table (and, if not given, the rosters) from the events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from hockey_vae.io import as_frame

__all__ = ["Frames", "tables_from_events"]

log = logging.getLogger(__name__)


@dataclass
class Frames:
    """Canonical events, games and rosters (and a simulated league's players) in pandas."""

    events: pd.DataFrame
    games: pd.DataFrame
    rosters: pd.DataFrame
    players: pd.DataFrame | None = None


def _games_from_events(ev: pd.DataFrame) -> pd.DataFrame:
    """One row per game: ids, date, home and away teams; results null (events do not say)."""
    first = ev.groupby("game_id", sort=True)[["league", "season", "game_date"]].first()
    home = ev["is_home"].astype("boolean")
    home_team = pd.concat([ev.loc[home == True, ["game_id", "team"]],  # noqa: E712
                           ev.loc[home == False, ["game_id", "opponent"]]  # noqa: E712
                           .rename(columns={"opponent": "team"})])
    away_team = pd.concat([ev.loc[home == False, ["game_id", "team"]],  # noqa: E712
                           ev.loc[home == True, ["game_id", "opponent"]]  # noqa: E712
                           .rename(columns={"opponent": "team"})])
    out = first.assign(
        home_team=home_team.dropna().groupby("game_id")["team"].first(),
        away_team=away_team.dropna().groupby("game_id")["team"].first(),
        home_goals=pd.NA, away_goals=pd.NA, winner=None, decided_in=None).reset_index()
    return out.astype({"home_goals": "Int16", "away_goals": "Int16"})


def _rosters_from_events(ev: pd.DataFrame) -> pd.DataFrame:
    """Every acting player of each game with their team; position null."""
    acting = ev.dropna(subset=["player_id"])
    out = acting.groupby(["game_id", "team", "player_id"], sort=True, dropna=False)[
        "player_name"].first().reset_index()
    return out.assign(position=None)


def tables_from_events(events: pd.DataFrame | pa.Table, games: pd.DataFrame | None = None,
                       rosters: pd.DataFrame | None = None) -> Frames:
    """Frames from a canonical events table, with `games` and `rosters` derived when None.

    Derived games carry ids, league, season, date and the home and away teams (from
    `is_home`, `team`, `opponent`); final scores are null. Derived rosters hold only the
    players who act in each game (position null), so a "roster" candidate set built from them
    knows who acted: pass the real rosters when scoring on roster candidates.
    """
    ev = as_frame(events, "events")
    missing = [c for c in ("game_id", "event_idx", "event_type") if c not in ev.columns]
    if missing:
        raise ValueError(f"events DataFrame is missing column(s) {missing}; it must follow "
                         "hockey_vae.schema.EVENTS")
    if games is None:
        games = _games_from_events(ev)
    if rosters is None:
        log.info("no rosters given: using each game's acting players as its roster")
        rosters = _rosters_from_events(ev)
    ids = set(ev["game_id"].unique())  # only the games X holds, whatever the tables given
    games, rosters = as_frame(games, "games"), as_frame(rosters, "rosters")
    return Frames(ev, games[games["game_id"].isin(ids)].reset_index(drop=True),
                  rosters[rosters["game_id"].isin(ids)].reset_index(drop=True))

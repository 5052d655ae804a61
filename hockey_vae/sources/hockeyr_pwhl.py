"""fastRhockey's PWHL play-by-play (`load_pwhl_pbp`, one file per season) -> canonical tables.

Read through the `hockeyr` format. Events: shot, goal, faceoff and penalty (and hit or
blocked_shot where a file has them). A shot flagged `goal` is followed by its goal row; only
the goal is kept. Faceoff rows name the home player (`player_id`) and `home_win`: the winner
acts, so when the visitor wins and `player_two_id` is empty the acting player is null.
Coordinates (`x_coord`, `y_coord`, feet, arena orientation) are turned per (game, period,
team) so the team attacks toward +x, the direction taken from where its shots are. The score
is accumulated from goal rows. Team ids become the PWHL's codes (`normalise.PWHL_TEAM_IDS`),
game ids "PWHL-<id>" as from the HockeyTech JSON reader, so the two join.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hockey_vae import schema
from hockey_vae.sources.base import Ingested, Problem
from hockey_vae.sources.hockeyr import clean_xy, frame_to_table, require
from hockey_vae.sources.normalise import PWHL_TEAM_IDS

__all__ = ["read_frame", "PWHL_TYPES"]

PWHL_TYPES = {"shot": "shot", "goal": "goal", "faceoff": "faceoff", "penalty": "penalty",
              "hit": "hit", "blocked_shot": "blocked_shot"}
_POSITIONS = {"C": "C", "LW": "LW", "RW": "RW", "LD": "D", "RD": "D", "D": "D", "G": "G",
              "F": None}


def _team(ids: pd.Series) -> pd.Series:
    num = pd.to_numeric(ids, errors="coerce")
    return num.map(lambda v: PWHL_TEAM_IDS.get(int(v), str(int(v))) if pd.notna(v) else None)


def _name(df: pd.DataFrame, prefix: str) -> pd.Series:
    first, last = df.get(f"{prefix}_name_first"), df.get(f"{prefix}_name_last")
    if first is None or last is None:
        return pd.Series(None, df.index, dtype=object)
    full = (first.fillna("") + " " + last.fillna("")).str.strip()
    return full.where(full != "", None)


def _ids(values: pd.Series | None, index: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series(None, index, dtype=object)
    num = pd.to_numeric(values, errors="coerce").astype("Int64")
    return num.astype("string").astype(object).where(num.notna(), None)


def read_frame(path: Path, raw: pd.DataFrame) -> Ingested:
    """Canonical tables of one fastRhockey PWHL play-by-play table."""
    require(path, raw, ("game_id", "event", "period_of_game", "home_team_id", "away_team_id"))
    problems: list[Problem] = []
    df = raw.assign(_row=np.arange(len(raw)))
    df = df[~((df["event"] == "shot") & (df.get("goal") == True))]  # noqa: E712  goal row follows
    period = pd.to_numeric(df["period_of_game"], errors="coerce")
    shootout = period.isna() | (period >= 5)
    kind = df["event"].map(PWHL_TYPES)
    for label, count in df.loc[kind.isna() & ~shootout, "event"].value_counts().items():
        problems.append(Problem(str(path), f"unknown event {label!r}: {count} row(s) dropped",
                                field="event", rows=int(count)))
    n_so, so_games = int(shootout.sum()), df.loc[shootout, "game_id"].nunique()
    so = df[shootout]  # shootout goals: +1 home, -1 away, summed per game
    so_margin = ((so["event"] == "goal") * np.where(pd.to_numeric(so.get("team_id"), errors=
                 "coerce") == pd.to_numeric(so["home_team_id"], errors="coerce"), 1, -1)
                 ).groupby("PWHL-" + so["game_id"].astype("int64").astype(str)).sum()
    df = df[kind.notna() & ~shootout].assign(event_type=kind, period=period)
    df = df.sort_values(["game_id", "period", "_row"], kind="stable").reset_index(drop=True)
    home, away = _team(df["home_team_id"]), _team(df["away_team_id"])
    team = _team(df.get("team_id", df.get("player_team_id")))
    face = (df["event_type"] == "faceoff").to_numpy()
    home_won = pd.to_numeric(df.get("home_win"), errors="coerce").eq(1).to_numpy()
    team = team.where(~face, np.where(home_won, home, away))
    is_home = (team == home).where(team.notna())
    p1, n1 = _ids(df.get("player_id"), df.index), _name(df, "player")
    p2, n2 = _ids(df.get("player_two_id"), df.index), _name(df, "player_two")
    g_id = _ids(df.get("goalie_id"), df.index)
    shot = df["event_type"].isin(["shot"]).to_numpy()
    out = pd.DataFrame({
        "game_id": "PWHL-" + df["game_id"].astype("int64").astype(str), "league": "PWHL",
        "season": _season(df), "game_date": pd.to_datetime(df.get("game_date"),
                                                           format="mixed", errors="coerce"),
        "period": df["period"], "event_type": df["event_type"], "source_event_type": df["event"],
        "period_seconds": df["time_of_period"].map(_clock) if "time_of_period" in df else None,
        "game_seconds": pd.to_numeric(df.get("sec_from_start"), errors="coerce"),
        "team": team, "opponent": np.where(is_home == True, away, home),  # noqa: E712
        "is_home": is_home,
        "player_id": np.where(face & ~home_won, p2, p1),
        "player_name": np.where(face & ~home_won, n2, n1),
        "player2_id": np.where(face & ~home_won, p1, np.where(shot, g_id, p2)),
        "player2_name": np.where(face & ~home_won, n1, np.where(shot, None, n2)),
        "detail": df.get("event_type_detail", df.get("shot_quality")),
    })
    out.loc[team.isna().to_numpy(), "opponent"] = None
    _orient(out, df)
    _score(out)
    out["event_idx"] = out.groupby("game_id", sort=False).cumcount()
    games = _games(out, df, so_margin)
    rosters = _rosters(out, df)
    return Ingested(events=frame_to_table(out, schema.EVENTS),
                    games=frame_to_table(games, schema.GAMES),
                    rosters=frame_to_table(rosters, schema.ROSTERS), problems=problems,
                    shootout_rows=n_so, shootout_games=so_games)


def _clock(text: object) -> float:
    try:
        m, s = str(text).split(":")
        return int(m) * 60.0 + int(s)
    except ValueError:
        return np.nan


def _season(df: pd.DataFrame) -> pd.Series | None:
    """fastRhockey's `game_season` 2024 is the 2023-24 season: "20232024"."""
    if "game_season" not in df:
        return None
    end = pd.to_numeric(df["game_season"], errors="coerce").astype("Int64")
    return ((end - 1).astype("string") + end.astype("string")).astype(object)


def _orient(out: pd.DataFrame, df: pd.DataFrame) -> None:
    """x, y in feet turned so each (game, period, team) attacks toward +x (from its shots)."""
    x = pd.to_numeric(df.get("x_coord"), errors="coerce")
    y = pd.to_numeric(df.get("y_coord"), errors="coerce")
    shots = out["event_type"].isin(["shot", "goal"])
    key = [out["game_id"], out["period"], out["team"]]
    side = x.where(shots).groupby(key).transform("mean")
    sign = np.sign(side).replace(0, np.nan)
    out["x"], out["y"] = x * sign, y * sign
    clean_xy(out)


def _score(out: pd.DataFrame) -> None:
    """Goals for and against before each event, from the goal rows."""
    goal = out["event_type"] == "goal"
    home_goal = (goal & (out["is_home"] == True)).astype(int)  # noqa: E712
    away_goal = (goal & (out["is_home"] == False)).astype(int)  # noqa: E712
    g = out["game_id"]
    hb = home_goal.groupby(g).cumsum() - home_goal
    ab = away_goal.groupby(g).cumsum() - away_goal
    h = out["is_home"] == True  # noqa: E712
    out["goals_for"] = np.where(h, hb, ab)
    out["goals_against"] = np.where(h, ab, hb)
    out.loc[out["is_home"].isna(), ["goals_for", "goals_against"]] = np.nan


def _games(out: pd.DataFrame, df: pd.DataFrame, so_margin: pd.Series) -> pd.DataFrame:
    """Teams, goals counted from goal rows (a shootout adds one to its winner), outcome."""
    frame = out.assign(home_team=_team(df["home_team_id"]).to_numpy(),
                       away_team=_team(df["away_team_id"]).to_numpy(),
                       hg=((out["event_type"] == "goal") & (out["is_home"] == True)),  # noqa: E712
                       ag=((out["event_type"] == "goal") & (out["is_home"] == False)))  # noqa: E712
    games = frame.groupby("game_id", sort=True).agg(
        league=("league", "first"), season=("season", "first"), game_date=("game_date", "first"),
        home_team=("home_team", "first"), away_team=("away_team", "first"),
        home_goals=("hg", "sum"), away_goals=("ag", "sum"), periods=("period", "max"))
    margin = so_margin.reindex(games.index).fillna(0)
    tied = games.home_goals == games.away_goals
    games.loc[tied & (margin > 0), "home_goals"] += 1
    games.loc[tied & (margin < 0), "away_goals"] += 1
    games["winner"] = np.select([games.home_goals > games.away_goals,
                                 games.home_goals < games.away_goals], ["home", "away"], None)
    games["decided_in"] = np.select(
        [games.index.isin(so_margin.index) & games.winner.notna(),
         games.winner.notna() & (games.periods >= 4), games.winner.notna()],
        ["shootout", "overtime", "regulation"], None)
    return games.reset_index()


def _rosters(out: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Acting players per game and team, position from `player_position` where valid."""
    pos = df.get("player_position", pd.Series(None, df.index)).map(_POSITIONS)
    rows = out.assign(position=np.where(out["player_id"] == _ids(df.get("player_id"), df.index),
                                        pos, None))
    rows = rows.dropna(subset=["player_id", "team"])
    return rows.sort_values("position", na_position="last").drop_duplicates(
        ["game_id", "player_id"])[["game_id", "team", "player_id", "player_name", "position"]
                                  ].sort_values(["game_id", "team", "player_id"])

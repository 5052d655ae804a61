"""PWHL: helpers shared by the reader and the canonical tables built from one game.

Split from `pwhl` to keep each module short: pixels to feet, ids and names, periods, and
the events/games/rosters tables of one parsed game.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.sources.base import Problem

__all__ = ["LEAGUE", "pixels_to_feet", "player_id_of", "player_name_of", "period_number", "team_id", "as_list",
           "events_table", "games_table", "rosters_table"]

LEAGUE = "PWHL"
_POSITIONS = {"C": "C", "LW": "LW", "RW": "RW", "LD": "D", "RD": "D", "D": "D", "G": "G",
              "F": None}
_PIXELS = (600.0, 300.0)
_SHOTS = ("shot", "goal", "blocked_shot")


def pixels_to_feet(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HockeyTech image pixels (0-600, 0-300, y down) -> feet from centre (y up)."""
    fx = np.asarray(x, dtype=float) * (2 * schema.RINK_HALF_LENGTH_FT / _PIXELS[0])
    fy = np.asarray(y, dtype=float) * (2 * schema.RINK_HALF_WIDTH_FT / _PIXELS[1])
    return fx - schema.RINK_HALF_LENGTH_FT, schema.RINK_HALF_WIDTH_FT - fy


def player_id_of(player: dict | None) -> str | None:
    if not isinstance(player, dict):
        return None
    return team_id(player.get("id"))


def player_name_of(player: dict | None) -> str | None:
    if not isinstance(player, dict):
        return None
    name = " ".join(str(player.get(k) or "") for k in ("firstName", "lastName")).strip()
    return name or None


def period_number(value: object) -> int | None:
    """Period number from HockeyTech's period object: "1".."3", "4" or "OT1" = 4, ..."""
    pid = str((value or {}).get("id") if isinstance(value, dict) else value or "").upper()
    if pid.isdigit():
        return int(pid)
    match = re.fullmatch(r"OT(\d+)", pid)
    return 3 + int(match.group(1)) if match else None


def _obj(values: pd.Series) -> list:
    """A column as a Python list with None (not NaN) for missing values."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            for v in values.tolist()]


def _season(day: date | None) -> str | None:
    if day is None:
        return None
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}{start + 1}"


def team_id(value: object) -> str | None:
    """A team or player id as text; None when missing, zero or not a number or string."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        return None
    return None if str(value).strip() in ("", "0") else str(value)


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def _directions(df: pd.DataFrame, fx: np.ndarray, home_id: str, away_id: str) -> np.ndarray:
    """+1/-1 per row: the attacking direction per (period, team) from the team's shots (a
    blocked shot's shooter is the blocker's opponent); else the opposite of the other
    team's; NaN when neither shot in that period."""
    shooter = np.where(df["event_type"] == "blocked_shot",
                       df["team_id"].map({home_id: away_id, away_id: home_id}), df["team_id"])
    shots = df["source_event_type"].isin(_SHOTS).to_numpy() & ~np.isnan(fx)
    med = pd.Series(fx[shots]).groupby([df["period"].to_numpy()[shots], shooter[shots]]).median()
    sign = np.sign(med[med != 0])
    direction = []
    for period, team in zip(df["period"], df["team_id"], strict=True):
        other = {home_id: away_id, away_id: home_id}.get(team)
        if (period, team) in sign.index:
            direction.append(sign[(period, team)])
        elif (period, other) in sign.index:
            direction.append(-sign[(period, other)])
        else:
            direction.append(np.nan)
    return np.asarray(direction, dtype=float)


def events_table(rows: list[dict], path: Path, h: dict, problems: list[Problem]) -> pa.Table:
    """Rows -> canonical events: pixels to feet, rotated per (period, team)."""
    if not rows:
        return schema.empty_table(schema.EVENTS)
    game_id, day, abbr, home_id, away_id = (h[k] for k in ("game_id", "day", "abbr", "home_id",
                                                          "away_id"))
    df = pd.DataFrame(rows)
    given = np.array([x is not None or y is not None for x, y in df["raw_xy"]])
    unreadable = given & (df["px"].isna() | df["py"].isna()).to_numpy()
    if unreadable.any():
        problems.append(Problem(str(path), f"{int(unreadable.sum())} non-numeric or missing "
                                           "coordinate(s) set to null",
                                row=int(df.loc[unreadable, "raw_row"].iloc[0]), field="xLocation"))
        df.loc[unreadable, ["px", "py"]] = np.nan
    bad = (df["px"] < 0) | (df["px"] > _PIXELS[0]) | (df["py"] < 0) | (df["py"] > _PIXELS[1])
    if bad.any():
        problems.append(Problem(str(path), f"{int(bad.sum())} coordinate(s) outside the "
                                           "600x300 rink image set to null",
                                row=int(df.loc[bad, "raw_row"].iloc[0]), field="xLocation"))
        df.loc[bad, ["px", "py"]] = np.nan
    fx, fy = pixels_to_feet(df["px"].to_numpy(), df["py"].to_numpy())
    direction = _directions(df, fx, home_id, away_id)
    n = len(df)
    team_name = df["team_id"].map(abbr)
    opp_name = df["team_id"].map({home_id: abbr[away_id], away_id: abbr[home_id]})
    table = pa.table({
        "game_id": pa.array([game_id] * n, pa.string()),
        "league": pa.array([LEAGUE] * n, pa.string()),
        "season": pa.array([_season(day)] * n, pa.string()),
        "game_date": pa.array([day] * n, pa.date32()),
        "event_idx": pa.array(np.arange(n, dtype=np.int32)),
        "period": pa.array(df["period"].to_numpy(), pa.int8()),
        "period_seconds": pa.array(df["period_seconds"].to_numpy(), pa.float32()),
        "game_seconds": pa.array(((df["period"] - 1) * 1200.0 + df["period_seconds"]).to_numpy(),
                                 pa.float32()),
        "event_type": pa.array(_obj(df["event_type"]), pa.string()),
        "source_event_type": pa.array(_obj(df["source_event_type"]), pa.string()),
        "team": pa.array(_obj(team_name), pa.string()),
        "opponent": pa.array(_obj(opp_name), pa.string()),
        "is_home": pa.array(_obj(df["is_home"]), pa.bool_()),
        "player_id": pa.array(_obj(df["player_id"]), pa.string()),
        "player_name": pa.array(_obj(df["player_name"]), pa.string()),
        "player2_id": pa.array(_obj(df["player2_id"]), pa.string()),
        "player2_name": pa.array(_obj(df["player2_name"]), pa.string()),
        "x": pa.array(fx * direction, pa.float32(), from_pandas=True),
        "y": pa.array(fy * direction, pa.float32(), from_pandas=True),
        "goals_for": pa.array(_obj(df["goals_for"]), pa.int16()),
        "goals_against": pa.array(_obj(df["goals_against"]), pa.int16()),
        "skaters_for": pa.nulls(n, pa.int8()),  # HockeyTech events carry no manpower
        "skaters_against": pa.nulls(n, pa.int8()),
        "detail": pa.array(_obj(df["detail"]), pa.string()),
        "on_ice_for": pa.array(_obj(df["on_ice_for"]), pa.list_(pa.string())),
        "on_ice_against": pa.array(_obj(df["on_ice_against"]), pa.list_(pa.string())),
    })
    return table.cast(schema.EVENTS)


def _goals(path: Path, team: dict, problems: list[Problem]) -> int | None:
    """A team's official goals from the summary; null (with a Problem) when unusable."""
    stats = team.get("stats")
    value = stats.get("goals") if isinstance(stats, dict) else None
    if value is None:
        return None
    try:
        goals = int(str(value))
        if 0 <= goals < 100:
            return goals
    except ValueError:
        pass
    problems.append(Problem(str(path), f"unusable final goals {value!r}: left null",
                            field="summary_raw.stats.goals"))
    return None


def games_table(path: Path, h: dict, problems: list[Problem]) -> pa.Table:
    """Official final score (the summary's `goals` include the shootout bonus)."""
    summary, game_id, day, abbr = h["summary"], h["game_id"], h["day"], h["abbr"]
    home_id, away_id = h["home_id"], h["away_id"]
    details = summary["details"]
    home_goals = _goals(path, summary["homeTeam"], problems)
    away_goals = _goals(path, summary["visitingTeam"], problems)
    final = str(details.get("final")) == "1" or str(details.get("status", "")).startswith("Final")
    winner = decided = None
    if final and home_goals is not None and away_goals is not None and home_goals != away_goals:
        winner = "home" if home_goals > away_goals else "away"
        periods = [period_number(p.get("info")) or 0 for p in as_list(summary.get("periods"))
                   if isinstance(p, dict)]
        if summary.get("hasShootout"):
            decided = "shootout"
        elif periods and max(periods) >= 4:
            decided = "overtime"
        else:
            decided = "regulation"
    return pa.table({
        "game_id": [game_id], "league": [LEAGUE], "season": [_season(day)],
        "game_date": pa.array([day], pa.date32()),
        "home_team": [abbr[home_id]], "away_team": [abbr[away_id]],
        "home_goals": pa.array([home_goals], pa.int16()),
        "away_goals": pa.array([away_goals], pa.int16()),
        "winner": pa.array([winner], pa.string()),
        "decided_in": pa.array([decided], pa.string()),
    }).cast(schema.GAMES)


def rosters_table(path: Path, h: dict, problems: list[Problem]) -> pa.Table:
    """Dressed skaters and goalies of both teams, from the game summary."""
    rows = []
    summary, game_id, abbr = h["summary"], h["game_id"], h["abbr"]
    for side, team_id in (("homeTeam", h["home_id"]), ("visitingTeam", h["away_id"])):
        team = summary[side]
        name = abbr[team_id]
        for key in ("skaters", "goalies"):
            if team.get(key) is not None and not isinstance(team[key], list):
                problems.append(Problem(str(path), f"{key} is a {type(team[key]).__name__}, "
                                                   "not a list: left out of the roster",
                                        field=f"summary_raw.{side}.{key}"))
        for entry in as_list(team.get("skaters")) + as_list(team.get("goalies")):
            info = entry.get("info") if isinstance(entry, dict) else None
            pid = player_id_of(info)
            if pid is None:
                continue
            rows.append({"game_id": game_id, "team": name, "player_id": pid,
                         "player_name": player_name_of(info),
                         "position": _POSITIONS.get(str(info.get("position") or "").upper())})
    rows = list({(r["team"], r["player_id"]): r for r in rows}.values())
    if not rows:
        return schema.empty_table(schema.ROSTERS)
    table = pa.Table.from_pylist(rows, schema=schema.ROSTERS)
    return table.sort_by([("team", "ascending"), ("player_id", "ascending")])

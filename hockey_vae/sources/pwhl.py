"""PWHL games in HockeyTech's raw JSON (one object per game: pbp_raw, summary_raw, gc_raw).

Coordinates are rink-image pixels (600 x 300 for a 200 x 85 ft rink); they become feet from
centre ice, rotated per (game, period, team) so the acting team attacks toward +x, decided
from where the team shoots. Events carry no score, so it is accumulated from goal events.
A shot flagged `isGoal` is followed by its goal event; only the goal is kept (with the
shot type). Shootout attempts are dropped; the game table takes the official final score
from the summary (a shootout adds one goal to the winner).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike, read_text
from hockey_vae.sources.base import Ingested, ParseError, Problem, read_many

__all__ = ["read", "EVENT_MAP", "pixels_to_feet"]

log = logging.getLogger(__name__)

LEAGUE = "PWHL"
EVENT_MAP: dict[str, str] = {
    "faceoff": "faceoff",
    "shot": "shot",
    "blocked_shot": "blocked_shot",
    "goal": "goal",
    "hit": "hit",
    "penalty": "penalty",
    "goalie_change": "goalie_change",
    "penaltyshot": "penalty_shot",
    "shootout": "shootout_attempt",  # dropped from events
}
_POSITIONS = {"C": "C", "LW": "LW", "RW": "RW", "LD": "D", "RD": "D", "D": "D", "G": "G",
              "F": None}
_PIXELS = (600.0, 300.0)
_SHOTS = ("shot", "goal", "blocked_shot")


def pixels_to_feet(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HockeyTech image pixels (0-600, 0-300, y down) -> feet from centre (y up)."""
    fx = np.asarray(x, dtype=float) * (2 * schema.RINK_HALF_LENGTH_FT / _PIXELS[0])
    fy = np.asarray(y, dtype=float) * (2 * schema.RINK_HALF_WIDTH_FT / _PIXELS[1])
    return fx - schema.RINK_HALF_LENGTH_FT, schema.RINK_HALF_WIDTH_FT - fy


def _pid(player: dict | None) -> str | None:
    if not isinstance(player, dict) or player.get("id") in (None, 0, "0", ""):
        return None
    return str(player["id"])


def _pname(player: dict | None) -> str | None:
    if not isinstance(player, dict):
        return None
    name = " ".join(str(player.get(k) or "") for k in ("firstName", "lastName")).strip()
    return name or None


def _seconds(text: object, path: Path, row: int) -> float:
    match = re.fullmatch(r"\s*(\d+):(\d{1,2})\s*", str(text))
    if not match:
        raise ParseError(path, f"bad time {text!r} (expected m:ss)", row=row, field="time")
    return int(match.group(1)) * 60.0 + int(match.group(2))


def _period(value: object) -> int | None:
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


def _team_id(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return None if value in (None, "") else str(value)


def _acting(kind: str, d: dict, home_id: str, away_id: str) -> tuple:
    """(team id, player, player2, detail) of one raw event."""
    if kind == "faceoff":
        home_won = str(d.get("homeWin")) == "1"
        win, lose = ("homePlayer", "visitingPlayer") if home_won else ("visitingPlayer",
                                                                        "homePlayer")
        return (home_id if home_won else away_id), d.get(win), d.get(lose), None
    if kind == "shot":
        return _team_id(d.get("shooterTeamId")), d.get("shooter"), d.get("goalie"), d.get(
            "shotType")
    if kind == "blocked_shot":
        shooter = _team_id(d.get("shooterTeamId"))
        team = {home_id: away_id, away_id: home_id}.get(shooter or "")
        return team, d.get("blocker"), d.get("shooter"), d.get("shotType")
    if kind == "hit":
        return _team_id(d.get("teamId")), d.get("player"), d.get("onPlayer"), None
    if kind == "goal":
        assists = d.get("assists") or []
        return _team_id(d.get("team")), d.get("scoredBy"), (assists[0] if assists else None), None
    if kind == "penalty":
        minutes = d.get("minutes")
        detail = " ".join(str(v) for v in (d.get("description"), f"({minutes} min)" if minutes
                                           else None) if v) or None
        return _team_id(d.get("againstTeam")), d.get("takenBy"), None, detail
    if kind == "goalie_change":
        return _team_id(d.get("team_id")), d.get("goalieComingIn"), d.get("goalieGoingOut"), None
    if kind == "penaltyshot":
        return (_team_id(d.get("shooter_team")), d.get("shooter"), d.get("goalie"),
                "goal" if d.get("isGoal") else "no goal")
    return None, None, None, None


def _read_one(path: Path, strict: bool = False) -> Ingested:
    text = read_text(path)
    if not text.strip():
        raise ParseError(path, "empty file")
    try:
        game = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(path, f"malformed JSON: {err.msg} at line {err.lineno} column "
                               f"{err.colno}") from err
    if not isinstance(game, dict):
        raise ParseError(path, "expected a JSON object")
    for key in ("pbp_raw", "summary_raw"):
        if key not in game:
            raise ParseError(path, f"missing required field {key!r}", field=key)
    summary = game["summary_raw"]
    details = summary.get("details") or {}
    try:
        home_info = summary["homeTeam"]["info"]
        away_info = summary["visitingTeam"]["info"]
        raw_id = details["id"]
    except (KeyError, TypeError) as err:
        raise ParseError(path, f"summary_raw lacks {err}", field="summary_raw") from err
    game_id = f"{LEAGUE}-{raw_id}"
    home_id, away_id = str(home_info["id"]), str(away_info["id"])
    abbr = {home_id: home_info.get("abbreviation") or home_id,
            away_id: away_info.get("abbreviation") or away_id}
    iso = str(details.get("GameDateISO8601") or "")[:10]
    try:
        day = date.fromisoformat(iso) if iso else None
    except ValueError:
        day = None

    rows, problems, skipped_kinds = [], [], {}
    score = {home_id: 0, away_id: 0}
    pbp = game["pbp_raw"]
    if not isinstance(pbp, list):
        raise ParseError(path, "pbp_raw is not a list", field="pbp_raw")
    shot_type_of_goal = None
    for i, item in enumerate(pbp):
        kind = item.get("event") if isinstance(item, dict) else None
        d = item.get("details") if isinstance(item, dict) else None
        if kind not in EVENT_MAP or not isinstance(d, dict):
            skipped_kinds.setdefault(str(kind), []).append(i)
            continue
        if kind == "shootout":
            continue
        if kind == "shot" and d.get("isGoal"):
            shot_type_of_goal = d.get("shotType")  # its goal event follows
            continue
        team, player, player2, detail = _acting(kind, d, home_id, away_id)
        if kind == "goal":
            detail, shot_type_of_goal = shot_type_of_goal, None
        if team not in (home_id, away_id):
            team = None
        period = _period(d.get("period"))
        if period is None or period < 1:
            raise ParseError(path, f"bad period {d.get('period')!r}", row=i, field="period")
        secs = _seconds(d.get("time"), path, i)
        x, y = d.get("xLocation"), d.get("yLocation")
        on_for = on_against = None
        if kind == "goal":
            on_for = [p for p in map(_pid, d.get("plus_players") or []) if p]
            on_against = [p for p in map(_pid, d.get("minus_players") or []) if p]
        home = None if team is None else team == home_id
        rows.append({
            "raw_row": i, "period": period, "period_seconds": secs, "event_type": EVENT_MAP[kind],
            "source_event_type": kind, "team_id": team, "is_home": home,
            "player_id": _pid(player), "player_name": _pname(player),
            "player2_id": _pid(player2), "player2_name": _pname(player2),
            "px": np.nan if x is None else float(x), "py": np.nan if y is None else float(y),
            "goals_for": None if team is None else score[team],
            "goals_against": None if team is None else score[away_id if home else home_id],
            "detail": None if detail is None else str(detail),
            "on_ice_for": on_for, "on_ice_against": on_against,
        })
        if kind == "goal" and team is not None:
            score[team] += 1
    for kind, where in skipped_kinds.items():
        problems.append(Problem(str(path), f"unknown event type {kind!r}: {len(where)} row(s) "
                                           "skipped", row=where[0], field="event",
                                rows=len(where)))
    events = _events_table(rows, path, game_id, day, abbr, home_id, away_id, problems)
    if strict and problems:
        p = problems[0]
        raise ParseError(path, p.message, row=p.row, field=p.field)
    games = _games_table(summary, game_id, day, abbr, home_id, away_id)
    rosters = _rosters_table(summary, game_id, abbr)
    return Ingested(events=events, games=games, rosters=rosters, problems=problems)


def _events_table(rows: list[dict], path: Path, game_id: str, day: date | None,
                  abbr: dict, home_id: str, away_id: str, problems: list[Problem]) -> pa.Table:
    if not rows:
        return schema.empty_table(schema.EVENTS)
    df = pd.DataFrame(rows)
    bad = (df["px"] < 0) | (df["px"] > _PIXELS[0]) | (df["py"] < 0) | (df["py"] > _PIXELS[1])
    if bad.any():
        problems.append(Problem(str(path), f"{int(bad.sum())} coordinate(s) outside the "
                                           "600x300 rink image set to null",
                                row=int(df.loc[bad, "raw_row"].iloc[0]), field="xLocation"))
        df.loc[bad, ["px", "py"]] = np.nan
    fx, fy = pixels_to_feet(df["px"].to_numpy(), df["py"].to_numpy())
    # attacking direction per (period, team) from the team's shots; a blocked shot's
    # shooter is the blocker's opponent
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
    direction = np.asarray(direction, dtype=float)
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


def _games_table(summary: dict, game_id: str, day: date | None, abbr: dict, home_id: str,
                 away_id: str) -> pa.Table:
    """Official final score (the summary's `goals` include the shootout bonus)."""
    details = summary.get("details") or {}
    home_goals = (summary["homeTeam"].get("stats") or {}).get("goals")
    away_goals = (summary["visitingTeam"].get("stats") or {}).get("goals")
    final = str(details.get("final")) == "1" or str(details.get("status", "")).startswith("Final")
    winner = decided = None
    if final and home_goals is not None and away_goals is not None and home_goals != away_goals:
        winner = "home" if int(home_goals) > int(away_goals) else "away"
        periods = [_period(p.get("info")) or 0 for p in summary.get("periods") or []]
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


def _rosters_table(summary: dict, game_id: str, abbr: dict) -> pa.Table:
    """Dressed skaters and goalies of both teams, from the game summary."""
    rows = []
    for side in ("homeTeam", "visitingTeam"):
        team = summary[side]
        name = abbr[str(team["info"]["id"])]
        for entry in (team.get("skaters") or []) + (team.get("goalies") or []):
            info = entry.get("info") or {}
            pid = _pid(info)
            if pid is None:
                continue
            rows.append({"game_id": game_id, "team": name, "player_id": pid,
                         "player_name": _pname(info),
                         "position": _POSITIONS.get(str(info.get("position") or "").upper())})
    if not rows:
        return schema.empty_table(schema.ROSTERS)
    table = pa.Table.from_pylist(rows, schema=schema.ROSTERS)
    return table.sort_by([("team", "ascending"), ("player_id", "ascending")])


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read HockeyTech raw game JSON files (files, directories or globs; .gz transparent)."""
    return read_many(paths, functools.partial(_read_one, strict=strict), suffixes=(".json",), strict=strict, progress=progress,
                     desc="pwhl")

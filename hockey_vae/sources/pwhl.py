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
from hockey_vae.io import PathLike
from hockey_vae.sources.base import (
    READ_ERRORS,
    Ingested,
    ParseError,
    Problem,
    as_parse_error,
    decode,
    read_bytes,
    read_many,
)

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
    if not isinstance(player, dict):
        return None
    return _team_id(player.get("id"))


def _pname(player: dict | None) -> str | None:
    if not isinstance(player, dict):
        return None
    name = " ".join(str(player.get(k) or "") for k in ("firstName", "lastName")).strip()
    return name or None


def _seconds(text: object) -> float:
    match = re.fullmatch(r"\s*(\d+):(\d{1,2})\s*", str(text))
    if not match or int(match.group(2)) >= 60:
        raise _BadRow("time", f"bad time {text!r} (expected m:ss)")
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
    """A team or player id as text; None when missing, zero or not a number or string."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, (int, str)) or isinstance(value, bool):
        return None
    return None if str(value).strip() in ("", "0") else str(value)


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
        assists = d.get("assists")
        first = (assists[0] if assists else None) if isinstance(assists, list) else assists
        return _team_id(d.get("team")), d.get("scoredBy"), first, None
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


class _BadRow(Exception):
    """One raw event that cannot be used; `field` names the culprit."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def _dict(value: object, path: Path, where: str) -> dict:
    if not isinstance(value, dict):
        raise ParseError(path, f"{where} is a {type(value).__name__}, expected an object",
                         field=where)
    return value


def _load(path: Path) -> dict:
    text = decode(path, read_bytes(path))
    if not text.strip():
        raise ParseError(path, "empty file")
    try:
        game = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise as_parse_error(path, err) from err
    if not isinstance(game, dict):
        raise ParseError(path, "expected a JSON object")
    for key in ("pbp_raw", "summary_raw"):
        if key not in game:
            raise ParseError(path, f"missing required field {key!r}", field=key)
    if not isinstance(game["pbp_raw"], list):
        raise ParseError(path, "pbp_raw is not a list", field="pbp_raw")
    return game


def _header(path: Path, summary: object) -> dict:
    """Game id, team ids and names and date from `summary_raw` (ParseError when unusable)."""
    summary = _dict(summary, path, "summary_raw")
    details = _dict(summary.get("details"), path, "summary_raw.details")
    info = {side: _dict(_dict(summary.get(side), path, f"summary_raw.{side}").get("info"),
                        path, f"summary_raw.{side}.info") for side in ("homeTeam", "visitingTeam")}
    raw_id = details.get("id")
    if not isinstance(raw_id, (int, str)) or not str(raw_id).isdigit():
        raise ParseError(path, f"odd game id {raw_id!r}: expected a positive integer",
                         field="summary_raw.details.id")
    home_id, away_id = (_team_id(info[s].get("id")) for s in ("homeTeam", "visitingTeam"))
    if home_id is None or away_id is None or home_id == away_id:
        raise ParseError(path, "team ids missing or equal", field="summary_raw.homeTeam.info")
    abbr = {home_id: str(info["homeTeam"].get("abbreviation") or home_id),
            away_id: str(info["visitingTeam"].get("abbreviation") or away_id)}
    iso = str(details.get("GameDateISO8601") or "")[:10]
    try:
        day = date.fromisoformat(iso) if iso else None
    except ValueError:
        day = None
    return {"game_id": f"{LEAGUE}-{raw_id}", "home_id": home_id, "away_id": away_id,
            "abbr": abbr, "day": day, "summary": summary}


def _coordinate(d: dict, key: str) -> float:
    """A pixel coordinate as float; NaN when missing; _BadRow-free (non-numbers -> NaN)."""
    value = d.get(key)
    if value is None or isinstance(value, bool):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _row(i: int, kind: str, d: dict, h: dict, score: dict, shot_type: object,
         notes: list[tuple[str, str]]) -> dict:
    """One canonical-ish row (pixels, team id) from a raw event; _BadRow when unusable."""
    home_id, away_id = h["home_id"], h["away_id"]
    team, player, player2, detail = _acting(kind, d, home_id, away_id)
    if kind == "goal":
        detail = shot_type
    if team not in (home_id, away_id):
        team = None
    period = _period(d.get("period"))
    if period is None or not 1 <= period <= 20:
        raise _BadRow("period", f"bad period {d.get('period')!r}")
    secs = _seconds(d.get("time"))
    on_for = on_against = None
    if kind == "goal":
        on_for = [p for p in map(_pid, _list(d.get("plus_players"))) if p]
        on_against = [p for p in map(_pid, _list(d.get("minus_players"))) if p]
    for who, value in (("player", player), ("player2", player2)):
        if value is not None and not isinstance(value, dict):
            notes.append((who, f"{who} {str(value)[:40]!r} is not an object with an id: "
                               "left null"))
    home = None if team is None else team == home_id
    return {
        "raw_row": i, "period": period, "period_seconds": secs, "event_type": EVENT_MAP[kind],
        "source_event_type": kind, "team_id": team, "is_home": home,
        "player_id": _pid(player), "player_name": _pname(player),
        "player2_id": _pid(player2), "player2_name": _pname(player2),
        "px": _coordinate(d, "xLocation"), "py": _coordinate(d, "yLocation"),
        "raw_xy": (d.get("xLocation"), d.get("yLocation")),
        "goals_for": None if team is None else score[team],
        "goals_against": None if team is None else score[away_id if home else home_id],
        "detail": None if detail is None else str(detail),
        "on_ice_for": on_for, "on_ice_against": on_against,
    }


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _read_one(path: Path, strict: bool = False) -> Ingested:
    game = _load(path)
    h = _header(path, game["summary_raw"])
    rows, problems, skipped_kinds = [], [], {}
    score = {h["home_id"]: 0, h["away_id"]: 0}
    shot_type_of_goal, shootout_rows = None, 0
    for i, item in enumerate(game["pbp_raw"]):
        kind = item.get("event") if isinstance(item, dict) else None
        d = item.get("details") if isinstance(item, dict) else None
        if not isinstance(kind, str) or kind not in EVENT_MAP or not isinstance(d, dict):
            skipped_kinds.setdefault(str(kind), []).append(i)
            continue
        if kind == "shootout":
            shootout_rows += 1
            continue
        if kind == "shot" and d.get("isGoal"):
            shot_type_of_goal = d.get("shotType")  # its goal event follows
            continue
        notes: list[tuple[str, str]] = []
        try:
            row = _row(i, kind, d, h, score, shot_type_of_goal, notes)
        except (_BadRow, *READ_ERRORS) as err:
            field_name = getattr(err, "field", "details")
            message = str(err) if isinstance(err, _BadRow) else (
                f"unreadable event ({type(err).__name__}: {err})")
            if strict:
                raise ParseError(path, message, row=i, field=field_name) from None
            if kind == "goal" and _team_id(d.get("team")) in score:  # the score still counts it
                score[_team_id(d.get("team"))] += 1
                message += " (the goal still counts in the score)"
            problems.append(Problem(str(path), f"{message}: row skipped", i, field_name, rows=1))
            continue
        for field_name, message in notes:
            if strict:
                raise ParseError(path, message, row=i, field=field_name)
            problems.append(Problem(str(path), message, i, field_name))
        if kind == "goal":
            shot_type_of_goal = None
            if row["team_id"] is not None:
                score[row["team_id"]] += 1
        rows.append(row)
    for kind, where in skipped_kinds.items():
        problems.append(Problem(str(path), f"unknown event type {kind!r}: {len(where)} row(s) "
                                           "skipped", row=where[0], field="event",
                                rows=len(where)))
    events = _events_table(rows, path, h, problems)
    if strict and problems:
        p = problems[0]
        raise ParseError(path, p.message, row=p.row, field=p.field)
    games = _games_table(path, h, problems)
    rosters = _rosters_table(path, h, problems)
    return Ingested(events=events, games=games, rosters=rosters, problems=problems,
                    shootout_rows=shootout_rows, shootout_games=int(shootout_rows > 0))


def _events_table(rows: list[dict], path: Path, h: dict, problems: list[Problem]) -> pa.Table:
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


def _games_table(path: Path, h: dict, problems: list[Problem]) -> pa.Table:
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
        periods = [_period(p.get("info")) or 0 for p in _list(summary.get("periods"))
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


def _rosters_table(path: Path, h: dict, problems: list[Problem]) -> pa.Table:
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
        for entry in _list(team.get("skaters")) + _list(team.get("goalies")):
            info = entry.get("info") if isinstance(entry, dict) else None
            pid = _pid(info)
            if pid is None:
                continue
            rows.append({"game_id": game_id, "team": name, "player_id": pid,
                         "player_name": _pname(info),
                         "position": _POSITIONS.get(str(info.get("position") or "").upper())})
    rows = list({(r["team"], r["player_id"]): r for r in rows}.values())
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
    return read_many(paths, functools.partial(_read_one, strict=strict), suffixes=(".json",),
                     strict=strict, progress=progress, desc="pwhl")

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
from hockey_vae.sources.pwhl_tables import (
    LEAGUE,
    as_list,
    events_table,
    games_table,
    period_number,
    pixels_to_feet,
    player_id_of,
    player_name_of,
    rosters_table,
    team_id,
)

__all__ = ["read", "EVENT_MAP", "pixels_to_feet"]

log = logging.getLogger(__name__)

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
def _seconds(text: object) -> float:
    match = re.fullmatch(r"\s*(\d+):(\d{1,2})\s*", str(text))
    if not match or int(match.group(2)) >= 60:
        raise _BadRow("time", f"bad time {text!r} (expected m:ss)")
    return int(match.group(1)) * 60.0 + int(match.group(2))


def _acting(kind: str, d: dict, home_id: str, away_id: str) -> tuple:
    """(team id, player, player2, detail) of one raw event."""
    if kind == "faceoff":
        home_won = str(d.get("homeWin")) == "1"
        win, lose = ("homePlayer", "visitingPlayer") if home_won else ("visitingPlayer",
                                                                        "homePlayer")
        return (home_id if home_won else away_id), d.get(win), d.get(lose), None
    if kind == "shot":
        return team_id(d.get("shooterTeamId")), d.get("shooter"), d.get("goalie"), d.get(
            "shotType")
    if kind == "blocked_shot":
        shooter = team_id(d.get("shooterTeamId"))
        team = {home_id: away_id, away_id: home_id}.get(shooter or "")
        return team, d.get("blocker"), d.get("shooter"), d.get("shotType")
    if kind == "hit":
        return team_id(d.get("teamId")), d.get("player"), d.get("onPlayer"), None
    if kind == "goal":
        assists = d.get("assists")
        first = (assists[0] if assists else None) if isinstance(assists, list) else assists
        return team_id(d.get("team")), d.get("scoredBy"), first, None
    if kind == "penalty":
        minutes = d.get("minutes")
        detail = " ".join(str(v) for v in (d.get("description"), f"({minutes} min)" if minutes
                                           else None) if v) or None
        return team_id(d.get("againstTeam")), d.get("takenBy"), None, detail
    if kind == "goalie_change":
        return team_id(d.get("team_id")), d.get("goalieComingIn"), d.get("goalieGoingOut"), None
    if kind == "penaltyshot":
        return (team_id(d.get("shooter_team")), d.get("shooter"), d.get("goalie"),
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
    home_id, away_id = (team_id(info[s].get("id")) for s in ("homeTeam", "visitingTeam"))
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
    period = period_number(d.get("period"))
    if period is None or not 1 <= period <= 20:
        raise _BadRow("period", f"bad period {d.get('period')!r}")
    secs = _seconds(d.get("time"))
    on_for = on_against = None
    if kind == "goal":
        on_for = [p for p in map(player_id_of, as_list(d.get("plus_players"))) if p]
        on_against = [p for p in map(player_id_of, as_list(d.get("minus_players"))) if p]
    for who, value in (("player", player), ("player2", player2)):
        if value is not None and not isinstance(value, dict):
            notes.append((who, f"{who} {str(value)[:40]!r} is not an object with an id: "
                               "left null"))
    home = None if team is None else team == home_id
    return {
        "raw_row": i, "period": period, "period_seconds": secs, "event_type": EVENT_MAP[kind],
        "source_event_type": kind, "team_id": team, "is_home": home,
        "player_id": player_id_of(player), "player_name": player_name_of(player),
        "player2_id": player_id_of(player2), "player2_name": player_name_of(player2),
        "px": _coordinate(d, "xLocation"), "py": _coordinate(d, "yLocation"),
        "raw_xy": (d.get("xLocation"), d.get("yLocation")),
        "goals_for": None if team is None else score[team],
        "goals_against": None if team is None else score[away_id if home else home_id],
        "detail": None if detail is None else str(detail),
        "on_ice_for": on_for, "on_ice_against": on_against,
    }


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
            if kind == "goal" and team_id(d.get("team")) in score:  # the score still counts it
                score[team_id(d.get("team"))] += 1
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
    events = events_table(rows, path, h, problems)
    if strict and problems:
        p = problems[0]
        raise ParseError(path, p.message, row=p.row, field=p.field)
    games = games_table(path, h, problems)
    rosters = rosters_table(path, h, problems)
    return Ingested(events=events, games=games, rosters=rosters, problems=problems,
                    shootout_rows=shootout_rows, shootout_games=int(shootout_rows > 0))


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read HockeyTech raw game JSON files (files, directories or globs; .gz transparent)."""
    return read_many(paths, functools.partial(_read_one, strict=strict), suffixes=(".json",),
                     strict=strict, progress=progress, desc="pwhl")

"""Stathletes Big Data Cup CSV (women's and junior hockey) -> canonical tables.

Two published layouts, told apart by the header:
- 2022: `game_date, season_year, team_name, opp_team_name, venue, period, clock_seconds,
  situation_type, goals_for, goals_against, player_name, event, event_successful, x_coord,
  y_coord, event_type, player_name_2, x_coord_2, y_coord_2, event_detail_1..3`
  (one row per event from the acting team's view; `situation_type` "5 on 4" = acting team first).
- 2021: `game_date, Home Team, Away Team, Period, Clock, Home Team Skaters, Away Team Skaters,
  Home Team Goals, Away Team Goals, Team, Player, Event, X Coordinate, Y Coordinate,
  Detail 1..4, Player 2, X Coordinate 2, Y Coordinate 2` (`Clock` is "mm:ss").

Choices, documented because the files do not say:
- the clock is time *remaining*; regulation periods are 20 minutes, an overtime period
  lasts the largest remaining time seen in it rounded up to a whole minute (at least 5).
- coordinates are already from the acting team's view (x in 0-200 toward the attacked net,
  y in 0-85): canonical x = x - 100, y = y - 42.5.
- the files carry names, not ids: `player_id` is "TEAM:NAME", the name namespaced by its
  team (the acting team, or the opponent for the faceoff loser, the penalty drawer and the
  defender targeted by a zone entry).
- `game_id` is "BDC-YYYYMMDD-<away>-at-<home>" with team names reduced to [A-Za-z0-9_].
- a Shot whose destination is "Missed" or "Blocked" becomes `missed_shot` (the shooter
  acts; `blocked_shot` is reserved for the blocker) with the destination in `detail`.
- score columns are taken as the score when the event happened (before a goal counts);
  the final score counts Goal events. No positions or on-ice players: those stay null.
Bad rows (unknown event, malformed clock, out-of-range coordinates, ...) are skipped with a
Problem naming file, line (1 = header) and column, or raise ParseError under `strict`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike, read_text
from hockey_vae.sources.base import Ingested, ParseError, Problem, read_many

__all__ = ["read", "read_file", "detect_layout", "EVENT_MAP", "LAYOUTS", "LEAGUE"]

LEAGUE = "BDC"

# Raw Big Data Cup event -> canonical type (Shot is refined by its destination).
EVENT_MAP: dict[str, str] = {
    "Play": "pass",
    "Incomplete Play": "failed_pass",
    "Shot": "shot",
    "Goal": "goal",
    "Takeaway": "takeaway",
    "Puck Recovery": "puck_recovery",
    "Dump In/Out": "dump",
    "Zone Entry": "zone_entry",
    "Faceoff Win": "faceoff",
    "Penalty Taken": "penalty",
}
# Events whose second player belongs to the opponent.
_PLAYER2_OPPONENT = {"Faceoff Win", "Penalty Taken", "Zone Entry"}

# Required columns per layout (other published columns are optional).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "2022": ("game_date", "team_name", "opp_team_name", "venue", "period", "clock_seconds",
             "player_name", "event", "x_coord", "y_coord"),
    "2021": ("game_date", "Home Team", "Away Team", "Period", "Clock", "Team", "Player",
             "Event", "X Coordinate", "Y Coordinate"),
}

_REGULATION_SECONDS = 1200.0
_MIN_OT_SECONDS = 300.0
_SITUATION = re.compile(r"^\s*(\d)\s*(?:on|v|vs|x)\s*(\d)\s*$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d")  # US order only: never guess D/M


def read(
    paths: PathLike | Iterable[PathLike], *, strict: bool = False, progress: bool = True
) -> Ingested:
    """Read Big Data Cup CSV files (files, directories or globs; .gz transparent)."""
    return read_many(paths, partial(read_file, strict=strict), suffixes=(".csv",),
                     strict=strict, progress=progress, desc="Big Data Cup")


def detect_layout(header: Iterable[str]) -> str:
    """'2022' or '2021' from a CSV header; raises ValueError when it is neither."""
    names = {h.strip() for h in header}
    if "clock_seconds" in names or "team_name" in names:
        return "2022"
    if "Clock" in names or "Home Team" in names:
        return "2021"
    raise ValueError(
        "header matches no Big Data Cup layout: expected the 2022 columns "
        f"{list(LAYOUTS['2022'])} or the 2021 columns {list(LAYOUTS['2021'])}"
    )


@dataclass
class _Row:
    """One event in layout-independent form, before per-game post-processing."""

    line: int
    date: dt.date
    home: str
    away: str
    team: str
    is_home: bool
    period: int
    remaining: float
    event: str
    player: str | None
    player2: str | None
    x: float | None
    y: float | None
    goals_for: int | None
    goals_against: int | None
    skaters_for: int | None
    skaters_against: int | None
    detail: list[str] = field(default_factory=list)
    destination: str | None = None


class _BadRow(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def read_file(path: PathLike, *, strict: bool = False) -> Ingested:
    """Parse one Big Data Cup CSV file (any number of games) into canonical tables."""
    path = Path(path)
    text = read_text(path, encoding="utf-8-sig")
    if not text.strip():
        raise ParseError(path, "empty file")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    try:
        layout = detect_layout(header)
    except ValueError as err:
        raise ParseError(path, str(err), row=1) from err
    missing = [c for c in LAYOUTS[layout] if c not in header]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing} of the {layout} layout",
                         row=1, field=missing[0])
    convert = _row_2022 if layout == "2022" else _row_2021
    rows: list[_Row] = []
    problems: list[Problem] = []
    for raw in reader:
        line = reader.line_num
        try:
            rows.append(convert(raw, line, problems, path, strict))
        except _BadRow as err:
            if strict:
                raise ParseError(path, str(err), row=line, field=err.field) from None
            problems.append(Problem(str(path), str(err), row=line, field=err.field, rows=1))
    if not rows and not problems:
        raise ParseError(path, "no data rows (header only)")
    return _tables(rows, problems)


# -- field parsers ------------------------------------------------------------------------
def _text(raw: dict, column: str) -> str | None:
    value = raw.get(column)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def _required(raw: dict, column: str) -> str:
    value = _text(raw, column)
    if value is None:
        raise _BadRow(column, f"missing value in column {column!r}")
    return value


def _int(raw: dict, column: str, required: bool = False) -> int | None:
    value = _required(raw, column) if required else _text(raw, column)
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError):
        raise _BadRow(column, f"not a number: {value!r}") from None


def _date(raw: dict, column: str) -> dt.date:
    value = _required(raw, column)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.split(" ")[0], fmt).date()
        except ValueError:
            continue
    raise _BadRow(column, f"unreadable date {value!r} (expected YYYY-MM-DD or M/D/YYYY)")


def _remaining(value: str, column: str) -> float:
    """Seconds remaining from 'mm:ss' or a number of seconds, within one period."""
    try:
        if ":" in value:
            minutes, seconds = value.split(":")
            if not (minutes.strip().isdigit() and 0 <= float(seconds) < 60):
                raise ValueError
            total = int(minutes) * 60 + float(seconds)
        else:
            total = float(value)
    except ValueError:
        raise _BadRow(column, f"malformed clock {value!r} (expected mm:ss remaining)") from None
    if not 0 <= total <= _REGULATION_SECONDS:
        raise _BadRow(column, f"clock {value!r} outside 0-20:00 remaining")
    return total


def _coords(raw: dict, xcol: str, ycol: str, line: int, problems: list[Problem],
            path: Path, strict: bool) -> tuple[float | None, float | None]:
    """Canonical (x, y) in feet from centre; out-of-range or missing values -> null + Problem."""
    xs, ys = _text(raw, xcol), _text(raw, ycol)
    try:
        x = float(xs) if xs is not None else None
        y = float(ys) if ys is not None else None
    except ValueError:
        x = y = math.nan
    message = None
    if x is None or y is None:
        message = "missing coordinates: x, y left null"
    elif math.isnan(x) or math.isnan(y):
        message = f"non-numeric coordinates ({xs!r}, {ys!r}): x, y left null"
    elif not (0 <= x <= 200 and 0 <= y <= 85):
        message = f"coordinates ({xs}, {ys}) outside 0-200 x 0-85: x, y left null"
    if message is None:
        return x - 100.0, y - 42.5  # type: ignore[operator]
    if strict:
        raise ParseError(path, message, row=line, field=xcol)
    problems.append(Problem(str(path), message, row=line, field=xcol))
    return None, None


def _event(raw: dict, column: str) -> str:
    value = _required(raw, column)
    if value not in EVENT_MAP:
        raise _BadRow(column, f"unknown event {value!r} (known: {sorted(EVENT_MAP)})")
    return value


# -- layouts ------------------------------------------------------------------------------
def _row_2022(raw: dict, line: int, problems: list[Problem], path: Path, strict: bool) -> _Row:
    team, opponent = _required(raw, "team_name"), _required(raw, "opp_team_name")
    venue = _required(raw, "venue").lower()
    if venue not in ("home", "away"):
        raise _BadRow("venue", f"venue must be 'home' or 'away', got {venue!r}")
    is_home = venue == "home"
    situation = _SITUATION.match(_text(raw, "situation_type") or "")
    event = _event(raw, "event")
    row = _Row(
        line=line, date=_date(raw, "game_date"), home=team if is_home else opponent,
        away=opponent if is_home else team, team=team, is_home=is_home,
        period=_period(raw, "period"), remaining=_remaining(_required(raw, "clock_seconds"),
                                                            "clock_seconds"),
        event=event, player=_text(raw, "player_name"), player2=_text(raw, "player_name_2"),
        x=None, y=None, goals_for=_int(raw, "goals_for"), goals_against=_int(raw, "goals_against"),
        skaters_for=int(situation.group(1)) if situation else None,
        skaters_against=int(situation.group(2)) if situation else None,
    )
    row.x, row.y = _coords(raw, "x_coord", "y_coord", line, problems, path, strict)
    kind, successful = _text(raw, "event_type"), _text(raw, "event_successful")
    if event in ("Shot", "Goal"):
        row.destination = _text(raw, "event_detail_1")
    if event == "Dump In/Out" and successful:
        row.detail.append("retained" if successful.lower() in ("t", "true", "1") else "lost")
    elif kind:
        row.detail.append(kind)
    return row


def _row_2021(raw: dict, line: int, problems: list[Problem], path: Path, strict: bool) -> _Row:
    home, away, team = (_required(raw, c) for c in ("Home Team", "Away Team", "Team"))
    if team not in (home, away):
        raise _BadRow("Team", f"team {team!r} is neither home {home!r} nor away {away!r}")
    is_home = team == home
    home_goals, away_goals = _int(raw, "Home Team Goals"), _int(raw, "Away Team Goals")
    home_sk, away_sk = _int(raw, "Home Team Skaters"), _int(raw, "Away Team Skaters")
    event = _event(raw, "Event")
    row = _Row(
        line=line, date=_date(raw, "game_date"), home=home, away=away, team=team,
        is_home=is_home, period=_period(raw, "Period"),
        remaining=_remaining(_required(raw, "Clock"), "Clock"), event=event,
        player=_text(raw, "Player"), player2=_text(raw, "Player 2"), x=None, y=None,
        goals_for=home_goals if is_home else away_goals,
        goals_against=away_goals if is_home else home_goals,
        skaters_for=home_sk if is_home else away_sk,
        skaters_against=away_sk if is_home else home_sk,
    )
    row.x, row.y = _coords(raw, "X Coordinate", "Y Coordinate", line, problems, path, strict)
    detail1 = _text(raw, "Detail 1")
    if event in ("Shot", "Goal"):
        row.destination = _text(raw, "Detail 2")
    if detail1:
        row.detail.append(detail1.lower() if event == "Dump In/Out" else detail1)
    return row


def _period(raw: dict, column: str) -> int:
    period = _int(raw, column, required=True)
    if period is None or not 1 <= period <= 9:
        raise _BadRow(column, f"period {raw.get(column)!r} outside 1-9")
    return period


# -- tables -------------------------------------------------------------------------------
def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def _game_id(row: _Row) -> str:
    return f"{LEAGUE}-{row.date:%Y%m%d}-{_slug(row.away)}-at-{_slug(row.home)}"


def _season(date: dt.date) -> str:
    start = date.year if date.month >= 7 else date.year - 1
    return f"{start}{start + 1}"


def _event_type(row: _Row) -> str:
    kind = EVENT_MAP[row.event]
    if row.event == "Shot" and row.destination:
        destination = row.destination.lower()
        if destination in ("missed", "blocked"):
            return "missed_shot"
    return kind


def _ot_lengths(rows: list[_Row]) -> dict[int, float]:
    """Length in seconds of each overtime period, from the largest remaining time seen."""
    longest: dict[int, float] = {}
    for r in rows:
        if r.period > 3:
            longest[r.period] = max(longest.get(r.period, 0.0), r.remaining)
    return {p: max(_MIN_OT_SECONDS, math.ceil(s / 60.0) * 60.0) for p, s in longest.items()}


def _tables(rows: list[_Row], problems: list[Problem]) -> Ingested:
    games: dict[str, list[_Row]] = {}
    for r in rows:
        games.setdefault(_game_id(r), []).append(r)
    events, game_rows, rosters = [], [], {}
    for game_id in sorted(games):
        game = games[game_id]
        ot = _ot_lengths(game)
        for idx, r in enumerate(game):
            events.append(_event_row(game_id, idx, r, ot))
            for pid, name, team in _players(r):
                rosters[(game_id, team, pid)] = name
        game_rows.append(_game_row(game_id, game))
    roster_rows = [
        {"game_id": g, "team": t, "player_id": p, "player_name": n, "position": None}
        for (g, t, p), n in sorted(rosters.items())
    ]
    return Ingested(
        events=pa.Table.from_pylist(events, schema=schema.EVENTS),
        games=pa.Table.from_pylist(game_rows, schema=schema.GAMES),
        rosters=pa.Table.from_pylist(roster_rows, schema=schema.ROSTERS),
        problems=problems, files_read=1,
    )


def _opponent(r: _Row) -> str:
    return r.away if r.is_home else r.home


def _players(r: _Row) -> list[tuple[str, str, str]]:
    """(player_id, name, team) for the acting and the second player of a row."""
    out = []
    if r.player:
        out.append((f"{r.team}:{r.player}", r.player, r.team))
    if r.player2:
        team2 = _opponent(r) if r.event in _PLAYER2_OPPONENT else r.team
        out.append((f"{team2}:{r.player2}", r.player2, team2))
    return out


def _event_row(game_id: str, idx: int, r: _Row, ot: dict[int, float]) -> dict:
    length = ot.get(r.period, _REGULATION_SECONDS)
    elapsed = max(0.0, length - r.remaining)
    players = _players(r)
    first = players[0] if r.player else None
    second = players[-1] if r.player2 else None
    detail = list(r.detail) + ([r.destination.lower()] if r.destination else [])
    return {
        "game_id": game_id, "league": LEAGUE, "season": _season(r.date), "game_date": r.date,
        "event_idx": idx, "period": r.period, "period_seconds": elapsed,
        "game_seconds": (r.period - 1) * _REGULATION_SECONDS + elapsed,
        "event_type": _event_type(r), "source_event_type": r.event, "team": r.team,
        "opponent": _opponent(r), "is_home": r.is_home,
        "player_id": first[0] if first else None, "player_name": r.player,
        "player2_id": second[0] if second else None, "player2_name": r.player2,
        "x": r.x, "y": r.y, "goals_for": r.goals_for, "goals_against": r.goals_against,
        "skaters_for": r.skaters_for, "skaters_against": r.skaters_against,
        "detail": "; ".join(detail) or None,
    }


def _game_row(game_id: str, game: list[_Row]) -> dict:
    first = game[0]
    goals = [r for r in game if r.event == "Goal"]
    home_goals = sum(r.is_home for r in goals)
    away_goals = len(goals) - home_goals
    winner = decided = None
    if home_goals != away_goals:
        winner = "home" if home_goals > away_goals else "away"
        decided = "overtime" if any(r.period > 3 for r in goals) else "regulation"
    return {
        "game_id": game_id, "league": LEAGUE, "season": _season(first.date),
        "game_date": first.date, "home_team": first.home, "away_team": first.away,
        "home_goals": home_goals, "away_goals": away_goals, "winner": winner,
        "decided_in": decided,
    }

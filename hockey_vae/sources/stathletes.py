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
- `game_date` may be ISO, month-first or day-first; the order is settled per file from its
  values (a first field above 12: day-first; a second above 12: month-first; else
  `season_year`, then the order of the events). A file that stays ambiguous is skipped with
  a Problem saying so: a date is never guessed.
- goals: a `Goal` event, or, in files with no Goal event at all (the 2022 women's release),
  a `Shot` with `event_successful` true. The final score counts these; the score columns
  (the score when the event happened, before a goal counts) are checked against them and a
  game where they disagree is reported. A row whose score runs backwards (written from the
  other team's view) has its score nulled and is reported.
- no positions or on-ice players: those stay null.
Bad rows (unknown event, malformed clock or date, a CSV field over 128 KiB, ...) are skipped
with a Problem naming file, line (1 = header) and column; bad cells (coordinates, scores)
are nulled with a Problem; under `strict` the first problem raises ParseError.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike
from hockey_vae.sources.base import Ingested, ParseError, Problem, decode, read_bytes, read_many
from hockey_vae.sources.stathletes_rows import (
    EVENT_MAP,
    LAYOUTS,
    BadRow,
    Row,
    date_convention,
    date_reader,
    row_2021,
    row_2022,
)

__all__ = ["read", "read_file", "detect_layout", "EVENT_MAP", "LAYOUTS", "LEAGUE"]

log = logging.getLogger(__name__)

LEAGUE = "BDC"

# Events whose second player belongs to the opponent.
_PLAYER2_OPPONENT = {"Faceoff Win", "Penalty Taken", "Zone Entry"}
_REGULATION_SECONDS = 1200.0
_MIN_OT_SECONDS = 300.0


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


class _File:
    """Problems of one file; under `strict` the first one raises."""

    def __init__(self, path: Path, strict: bool):
        self.path, self.strict, self.problems = path, strict, []

    def add(self, line: int | None, field: str | None, message: str, rows: int = 0) -> None:
        if self.strict:
            raise ParseError(self.path, message, row=line, field=field)
        self.problems.append(Problem(str(self.path), message, line, field, rows=rows))


def _records(path: Path, text: str, f: _File) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (line, {column: text}) per data row; unreadable CSV rows are skipped."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as err:
        raise ParseError(path, f"malformed CSV header: {err}", row=1) from err
    records = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            f.add(reader.line_num, None, f"unreadable CSV row ({err}): skipped", rows=1)
            continue
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            f.add(reader.line_num, None, f"{len(cells)} fields but the header has "
                                         f"{len(header)}: skipped", rows=1)
            continue
        records.append((reader.line_num, dict(zip(header, cells, strict=False))))
    return header, records


def read_file(path: PathLike, *, strict: bool = False) -> Ingested:
    """Parse one Big Data Cup CSV file (any number of games) into canonical tables."""
    path = Path(path)
    text = decode(path, read_bytes(path), "utf-8-sig")
    if not text.strip():
        raise ParseError(path, "empty file")
    f = _File(path, strict)
    header, records = _records(path, text, f)
    try:
        layout = detect_layout(header)
    except ValueError as err:
        raise ParseError(path, str(err), row=1) from err
    missing = [c for c in LAYOUTS[layout] if c not in header]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing} of the {layout} layout",
                         row=1, field=missing[0])
    if not records and not f.problems:
        raise ParseError(path, "no data rows (header only)")
    day_first, how = date_convention([(r.get("game_date") or "", r.get("season_year"))
                                      for _, r in records])
    if day_first is None:
        raise ParseError(path, f"cannot settle the date order: {how}; write dates as "
                               "YYYY-MM-DD", field="game_date")
    log.debug("%s: dates %s-first (%s)", path, "day" if day_first else "month", how)
    convert = row_2022 if layout == "2022" else row_2021
    rows: list[Row] = []
    for line, raw in records:
        def note(field: str, message: str, line: int = line) -> None:
            f.add(line, field, message)
        try:
            rows.append(convert(raw, line, date_reader(day_first), note))
        except BadRow as err:
            f.add(line, err.field, str(err), rows=1)
    return _tables(rows, f)


# -- goals and scores ---------------------------------------------------------------------
def _mark_goals(rows: list[Row]) -> None:
    """A goal is a Goal event; in a file with none, a successful Shot (2022 release)."""
    has_goal_events = any(r.event == "Goal" for r in rows)
    for r in rows:
        r.goal = r.event == "Goal" or (not has_goal_events and r.event == "Shot"
                                       and r.successful)


def _home_view(r: Row) -> tuple[int, int] | None:
    if r.goals_for is None or r.goals_against is None:
        return None
    return (r.goals_for, r.goals_against) if r.is_home else (r.goals_against, r.goals_for)


def _check_scores(game_id: str, game: list[Row], f: _File) -> tuple[int, int]:
    """Null scores that run backwards, compare the score columns with the goals read, and
    return the final (home, away) from the goals."""
    last: tuple[int, int] | None = None
    backwards: list[Row] = []
    home = away = 0
    disagree = None
    for r in game:
        seen = _home_view(r)
        swapped = (away, home) != (home, away) and seen == (away, home)
        if seen is not None and seen != (home, away) and (swapped or last is not None and (
                seen[0] < last[0] or seen[1] < last[1])):
            backwards.append(r)
            r.goals_for = r.goals_against = None
        elif seen is not None:
            last = seen
            if disagree is None and seen != (home, away):
                disagree = (r.line, seen, (home, away))
        if r.goal:
            home, away = home + r.is_home, away + (not r.is_home)
    if backwards:
        first = backwards[0]
        f.add(first.line, "goals_for", f"game {game_id}: {len(backwards)} row(s) whose score runs "
              f"backwards (e.g. {first.event!r}, written from the other team's view?): score "
              "set to null")
    if disagree is not None:
        line, seen, counted = disagree
        f.add(line, "goals_for", f"game {game_id}: the score columns say {seen[0]}-{seen[1]} "
              f"(home-away) where the goals read so far give {counted[0]}-{counted[1]}; the "
              f"final score {home}-{away} counts the goals")
    return home, away


# -- tables -------------------------------------------------------------------------------
def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def _game_id(row: Row) -> str:
    return f"{LEAGUE}-{row.date:%Y%m%d}-{_slug(row.away)}-at-{_slug(row.home)}"


def _season(date: dt.date) -> str:
    start = date.year if date.month >= 7 else date.year - 1
    return f"{start}{start + 1}"


def _event_type(row: Row) -> str:
    if row.goal:
        return "goal"
    kind = EVENT_MAP[row.event]
    if row.event == "Shot" and row.destination:
        destination = row.destination.lower()
        if destination in ("missed", "blocked"):
            return "missed_shot"
    return kind


def _ot_lengths(rows: list[Row]) -> dict[int, float]:
    """Length in seconds of each overtime period, from the largest remaining time seen."""
    longest: dict[int, float] = {}
    for r in rows:
        if r.period > 3:
            longest[r.period] = max(longest.get(r.period, 0.0), r.remaining)
    return {p: max(_MIN_OT_SECONDS, math.ceil(s / 60.0) * 60.0) for p, s in longest.items()}


def _tables(rows: list[Row], f: _File) -> Ingested:
    _mark_goals(rows)
    games: dict[str, list[Row]] = {}
    for r in rows:
        games.setdefault(_game_id(r), []).append(r)
    events, game_rows, rosters = [], [], {}
    for game_id in sorted(games):
        game = games[game_id]
        final = _check_scores(game_id, game, f)
        ot = _ot_lengths(game)
        for idx, r in enumerate(game):
            events.append(_event_row(game_id, idx, r, ot))
            for pid, name, team in _players(r):
                rosters[(game_id, team, pid)] = name
        game_rows.append(_game_row(game_id, game, final))
    roster_rows = [
        {"game_id": g, "team": t, "player_id": p, "player_name": n, "position": None}
        for (g, t, p), n in sorted(rosters.items())
    ]
    return Ingested(
        events=pa.Table.from_pylist(events, schema=schema.EVENTS),
        games=pa.Table.from_pylist(game_rows, schema=schema.GAMES),
        rosters=pa.Table.from_pylist(roster_rows, schema=schema.ROSTERS),
        problems=f.problems, files_read=1,
    )


def _opponent(r: Row) -> str:
    return r.away if r.is_home else r.home


def _players(r: Row) -> list[tuple[str, str, str]]:
    """(player_id, name, team) for the acting and the second player of a row."""
    out = []
    if r.player:
        out.append((f"{r.team}:{r.player}", r.player, r.team))
    if r.player2:
        team2 = _opponent(r) if r.event in _PLAYER2_OPPONENT else r.team
        out.append((f"{team2}:{r.player2}", r.player2, team2))
    return out


def _event_row(game_id: str, idx: int, r: Row, ot: dict[int, float]) -> dict:
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


def _game_row(game_id: str, game: list[Row], final: tuple[int, int]) -> dict:
    """One game: teams, final score from the goals, winner, and whether overtime decided it."""
    first = game[0]
    home_goals, away_goals = final
    regulation = [r for r in game if r.goal and r.period <= 3]
    tied_after_regulation = sum(r.is_home for r in regulation) * 2 == len(regulation)
    winner = decided = None
    if home_goals != away_goals:
        winner = "home" if home_goals > away_goals else "away"
        decided = "overtime" if tied_after_regulation else "regulation"
    return {
        "game_id": game_id, "league": LEAGUE, "season": _season(first.date),
        "game_date": first.date, "home_team": first.home, "away_team": first.away,
        "home_goals": home_goals, "away_goals": away_goals, "winner": winner,
        "decided_in": decided,
    }

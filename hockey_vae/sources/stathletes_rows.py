"""Big Data Cup rows: field parsers, the two layouts and the file's date convention.

Split from `stathletes` (which builds the tables) to keep each module short. A row that
cannot be used raises `BadRow` (the row is skipped with a Problem); a value that can be
left null is reported through `note` and the row is kept.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Row", "BadRow", "EVENT_MAP", "LAYOUTS", "DateReader", "date_convention",
           "row_2022", "row_2021"]

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

# Required columns per layout (other published columns are optional).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "2022": ("game_date", "team_name", "opp_team_name", "venue", "period", "clock_seconds",
             "player_name", "event", "x_coord", "y_coord"),
    "2021": ("game_date", "Home Team", "Away Team", "Period", "Clock", "Team", "Player",
             "Event", "X Coordinate", "Y Coordinate"),
}

_REGULATION_SECONDS = 1200.0
_SITUATION = re.compile(r"^\s*(\d)\s*(?:on|v|vs|x)\s*(\d)\s*$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_YES = ("t", "true", "1", "y", "yes")

Note = Callable[[str, str], None]  # (field, message): a value left null, row kept
DateReader = Callable[[str], dt.date]


@dataclass
class Row:
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
    successful: bool = False
    goal: bool = False  # set per file: a Goal event, or a successful Shot where no Goal exists
    detail: list[str] = field(default_factory=list)
    destination: str | None = None


class BadRow(Exception):
    """A row that cannot be used; `field` names the culprit column."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


# -- field parsers ------------------------------------------------------------------------
def _text(raw: dict, column: str) -> str | None:
    value = raw.get(column)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def _required(raw: dict, column: str) -> str:
    value = _text(raw, column)
    if value is None:
        raise BadRow(column, f"missing value in column {column!r}")
    return value


def _int(raw: dict, column: str, note: Note | None = None, limit: int = 999) -> int | None:
    """An integer cell in 0..limit; anything else raises BadRow, or with `note` is nulled
    and noted."""
    value = _text(raw, column) if note is not None else _required(raw, column)
    if value is None:
        return None
    try:
        number = float(value)
        if number != int(number) or not 0 <= number <= limit:
            raise ValueError
        return int(number)
    except (ValueError, OverflowError):
        if note is None:
            raise BadRow(column, f"not a whole number in 0-{limit}: {value!r}") from None
        note(column, f"not a whole number in 0-{limit}: {value!r}: left null")
        return None


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
        raise BadRow(column, f"malformed clock {value!r} (expected mm:ss remaining)") from None
    if not 0 <= total <= _REGULATION_SECONDS:
        raise BadRow(column, f"clock {value!r} outside 0-20:00 remaining")
    return total


def _coords(raw: dict, xcol: str, ycol: str, note: Note) -> tuple[float | None, float | None]:
    """Canonical (x, y) in feet from centre; out-of-range or missing values -> null + note."""
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
    note(xcol, message)
    return None, None


def _event(raw: dict, column: str) -> str:
    value = _required(raw, column)
    if value not in EVENT_MAP:
        raise BadRow(column, f"unknown event {value!r} (known: {sorted(EVENT_MAP)})")
    return value


def _period(raw: dict, column: str) -> int:
    try:
        period = _int(raw, column)
    except BadRow:
        period = None
    if period is None or not 1 <= period <= 9:
        raise BadRow(column, f"period {raw.get(column)!r} outside 1-9")
    return period


# -- dates --------------------------------------------------------------------------------
def _parts(value: str) -> tuple[str, int, int, int] | None:
    """('iso' | 'slashed', a, b, year) of a date text, or None when it is neither."""
    text = value.strip().split(" ")[0].split("T")[0]
    if match := _ISO.match(text):
        return "iso", int(match.group(2)), int(match.group(3)), int(match.group(1))
    if match := _SLASHED.match(text):
        year = int(match.group(3))
        return "slashed", int(match.group(1)), int(match.group(2)), year + (
            2000 if year < 100 else 0)
    return None


def _make(kind: str, a: int, b: int, year: int, day_first: bool) -> dt.date:
    if kind == "iso" or not day_first:
        return dt.date(year, a, b)
    return dt.date(year, b, a)


def _season_start(day: dt.date) -> int:
    return day.year if day.month >= 7 else day.year - 1


def _fits(values: list[tuple[str, str | None]], day_first: bool) -> tuple[bool, bool]:
    """(every date valid and its season matches season_year, dates never go back in file
    order) under one convention."""
    seasons_ok, last, ordered = True, None, True
    for text, season_year in values:
        parts = _parts(text)
        if parts is None:
            continue
        try:
            day = _make(*parts, day_first)
        except ValueError:
            return False, False
        if season_year and season_year.isdigit():
            seasons_ok &= int(season_year) in (_season_start(day), _season_start(day) + 1)
        ordered &= last is None or day >= last
        last = day
    return seasons_ok, ordered


def date_convention(values: list[tuple[str, str | None]]) -> tuple[bool | None, str]:
    """Settle a file's date order from its (game_date, season_year) values, in file order.

    Returns (day_first, how). A first field above 12 means day-first, a second field above
    12 month-first; otherwise `season_year`, then the order of the events, decide. `day_first`
    is None when nothing decides (or both are seen); `how` then says why.
    """
    slashed = [p for p in (_parts(t) for t, _ in values) if p and p[0] == "slashed"]
    day_first = any(a > 12 for _, a, _, _ in slashed)
    month_first = any(b > 12 for _, _, b, _ in slashed)
    if day_first and month_first:
        return None, "dates are day-first on some rows and month-first on others"
    if day_first or month_first:
        return day_first, "a field above 12"
    if all(a == b for _, a, b, _ in slashed):
        return False, "no date where the order matters"
    fits = {order: _fits(values, order) for order in (True, False)}
    for test, how in ((0, "season_year"), (1, "the order of the events")):
        good = [order for order, result in fits.items() if result[test]]
        if len(good) == 1:
            return good[0], how
    example = next(f"{a}/{b}/{y}" for _, a, b, y in slashed if a != b)
    return None, (f"'{example}' may be day-first or month-first, no day is above 12, and "
                  "neither season_year nor the order of the events decides")


def date_reader(day_first: bool) -> DateReader:
    """A parser for one file's dates under its settled convention (BadRow when unreadable)."""
    def read(value: str) -> dt.date:
        parts = _parts(value)
        try:
            if parts is None:
                raise ValueError
            return _make(*parts, day_first)
        except ValueError:
            order = "D/M/YYYY" if day_first else "M/D/YYYY"
            raise BadRow("game_date", f"unreadable date {value!r} (this file: YYYY-MM-DD "
                                      f"or {order})") from None
    return read


# -- layouts ------------------------------------------------------------------------------
def row_2022(raw: dict, line: int, date: DateReader, note: Note) -> Row:
    """One row of the 2022 layout (acting team's view)."""
    team, opponent = _required(raw, "team_name"), _required(raw, "opp_team_name")
    venue = _required(raw, "venue").lower()
    if venue not in ("home", "away"):
        raise BadRow("venue", f"venue must be 'home' or 'away', got {venue!r}")
    is_home = venue == "home"
    situation = _SITUATION.match(_text(raw, "situation_type") or "")
    event = _event(raw, "event")
    successful = (_text(raw, "event_successful") or "").lower()
    row = Row(
        line=line, date=date(_required(raw, "game_date")), home=team if is_home else opponent,
        away=opponent if is_home else team, team=team, is_home=is_home,
        period=_period(raw, "period"), remaining=_remaining(_required(raw, "clock_seconds"),
                                                            "clock_seconds"),
        event=event, player=_text(raw, "player_name"), player2=_text(raw, "player_name_2"),
        x=None, y=None, goals_for=_int(raw, "goals_for", note),
        goals_against=_int(raw, "goals_against", note),
        skaters_for=int(situation.group(1)) if situation else None,
        skaters_against=int(situation.group(2)) if situation else None,
        successful=successful in _YES,
    )
    row.x, row.y = _coords(raw, "x_coord", "y_coord", note)
    kind = _text(raw, "event_type")
    if event in ("Shot", "Goal"):
        row.destination = _text(raw, "event_detail_1")
    if event == "Dump In/Out" and successful:
        row.detail.append("retained" if row.successful else "lost")
    elif kind:
        row.detail.append(kind)
    return row


def row_2021(raw: dict, line: int, date: DateReader, note: Note) -> Row:
    """One row of the 2021 layout (home/away columns)."""
    home, away, team = (_required(raw, c) for c in ("Home Team", "Away Team", "Team"))
    if team not in (home, away):
        raise BadRow("Team", f"team {team!r} is neither home {home!r} nor away {away!r}")
    is_home = team == home
    home_goals, away_goals = (_int(raw, c, note) for c in ("Home Team Goals", "Away Team Goals"))
    home_sk, away_sk = (_int(raw, c, note, limit=9)
                        for c in ("Home Team Skaters", "Away Team Skaters"))
    event = _event(raw, "Event")
    row = Row(
        line=line, date=date(_required(raw, "game_date")), home=home, away=away, team=team,
        is_home=is_home, period=_period(raw, "Period"),
        remaining=_remaining(_required(raw, "Clock"), "Clock"), event=event,
        player=_text(raw, "Player"), player2=_text(raw, "Player 2"), x=None, y=None,
        goals_for=home_goals if is_home else away_goals,
        goals_against=away_goals if is_home else home_goals,
        skaters_for=home_sk if is_home else away_sk,
        skaters_against=away_sk if is_home else home_sk,
    )
    row.x, row.y = _coords(raw, "X Coordinate", "Y Coordinate", note)
    detail1 = _text(raw, "Detail 1")
    if event in ("Shot", "Goal"):
        row.destination = _text(raw, "Detail 2")
    if detail1:
        row.detail.append(detail1.lower() if event == "Dump In/Out" else detail1)
    return row

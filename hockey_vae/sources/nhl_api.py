"""NHL API play-by-play JSON (api-web.nhle.com `gamecenter/{id}/play-by-play`) -> canonical tables.

One JSON file per game (`.json` or `.json.gz`), as written by `hockey-vae fetch nhl`.
Mapping choices, checked on the 2024-25 opener in ../shared/data/nhl_api_sample:
- order: `sortOrder` (`eventId` is not ordered); shootout plays (periodType "SO") are
  dropped from events but the final score (which counts the shootout winner) is kept.
- acting player by role id: shooter, scorer, hitter, faceoff winner, blocker, penalised
  player, `playerId` for giveaways/takeaways; player2 is the goalie in net, first assist,
  hittee, faceoff loser, blocked shooter or penalty drawer.
- acting team: the acting player's team from `rosterSpots`, else `eventOwnerTeamId`. For
  blocked shots `eventOwnerTeamId` is the *shooting* team (33 of 35 in the sample; the
  other two are teammate blocks), so the acting team is the blocker's (opponent of the
  owner when the blocker is unknown).
- coordinates: feet from centre; `homeTeamDefendingSide` "right" means the home net is at
  +x, so home events are rotated by 180 degrees (x, y -> -x, -y) to attack toward +x.
- `situationCode` digits = away goalie in net, away skaters, home skaters, home goalie in
  net; skaters_for/against are the acting team's and its opponent's skater digits (6 when
  a goalie is pulled). Team-less plays (stoppages, period marks) keep score and manpower
  null: "for" has no meaning without an acting team.
- on-ice players are not in the play-by-play: `on_ice_for` / `on_ice_against` stay null
  unless a shift chart (`shifts_{gameId}.json[.gz]` beside the file) gives them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths
from hockey_vae.sources.base import (
    READ_ERRORS,
    Ingested,
    ParseError,
    Problem,
    as_parse_error,
    load_json,
    read_many,
)
from hockey_vae.sources.nhl_api_fields import (
    OUTCOMES,
    POSITIONS,
    ROLES,
    TYPE_MAP,
    id_key,
    name_of,
    obj,
    skaters_of,
)
from hockey_vae.sources.nhl_shifts import OnIce, clock_seconds

__all__ = ["read", "read_game", "OnIce", "TYPE_MAP", "LEAGUE"]

log = logging.getLogger(__name__)

LEAGUE = "NHL"

_FINAL_STATES = {"OFF", "FINAL"}
_NOT_PBP = ("schedule_", "shifts_")  # companion files written by `hockey-vae fetch nhl`
_PERIOD_SECONDS = 1200  # regulation period; game_seconds = (period - 1) * 1200 + elapsed
_GAME_ID = re.compile(r"\d{10}")  # season (4), game type (2), number (4)


def read(
    paths: PathLike | Iterable[PathLike], *, strict: bool = False, progress: bool = True
) -> Ingested:
    """Read NHL API play-by-play JSON files (files, directories or globs; .gz transparent).

    Files named `schedule_*` and `shifts_*` (written by `hockey-vae fetch nhl`) are not
    play-by-play: they are skipped, and a `shifts_{gameId}.json[.gz]` beside a game's file
    fills the on-ice lists. Under `strict`, the first bad file or row raises ParseError;
    otherwise bad rows are skipped and bad files reported in `Ingested.problems` (a row
    there is the 0-based index of the play in the file's `plays` list).
    """
    files = [f for f in expand_paths(paths, (".json",)) if not f.name.startswith(_NOT_PBP)]
    return read_many(
        files,
        partial(read_game, strict=strict),
        suffixes=(".json",),
        strict=strict,
        progress=progress,
        desc="NHL API",
    )


def read_game(path: PathLike, *, strict: bool = False,
              shifts: PathLike | None = None) -> Ingested:
    """Parse one play-by-play JSON file into canonical tables (one game).

    `shifts`: the game's shift chart (default: `shifts_{gameId}.json[.gz]` beside `path`,
    if any), used to fill `on_ice_for` / `on_ice_against`.
    """
    path = Path(path)
    doc = load_json(path)
    if not isinstance(doc, dict) or "plays" not in doc or "id" not in doc:
        raise ParseError(path, "not an NHL API play-by-play document (no 'id' or 'plays')")
    game_id = str(doc["id"]) if isinstance(doc["id"], (int, str)) else ""
    if not _GAME_ID.fullmatch(game_id) or game_id[4:6] not in ("01", "02", "03", "04"):
        raise ParseError(path, f"odd game id {doc['id']!r}: expected 10 digits, season then "
                               "game type 01-04 (e.g. 2023020001)", field="id")
    if shifts is None:
        candidates = [path.parent / f"shifts_{game_id}.json{gz}" for gz in ("", ".gz")]
        shifts = next((c for c in candidates if c.is_file()), None)
    problems: list[Problem] = []
    on_ice = None
    if shifts is not None:
        try:
            on_ice = OnIce.from_file(shifts)
        except (ParseError, *READ_ERRORS) as err:  # keep the play-by-play, report the chart
            err = as_parse_error(shifts, err)
            if strict:
                raise err from None
            problems.append(Problem(err.file, f"{err.message}; the play-by-play {path.name} is "
                                              "kept without on-ice players", err.row, err.field))
    game = _Game(path, doc, strict, on_ice)
    game.problems[:0] = problems
    return game.parse()


class _Game:
    """The state of parsing one game file (kept in one place to keep functions short)."""

    def __init__(self, path: Path, doc: dict, strict: bool, on_ice: OnIce | None = None):
        self.path, self.doc, self.strict = path, doc, strict
        self.on_ice = on_ice or None
        self.problems: list[Problem] = []
        self.shootout_rows = 0
        self.game_id = f"{LEAGUE}-{doc['id']}"
        season = doc.get("season")
        self.season = str(season) if isinstance(season, (int, str)) else None
        self.date = self._date(doc.get("gameDate"))
        try:
            home, away = doc["homeTeam"], doc["awayTeam"]
            self.home_id, self.away_id = id_key(home["id"]), id_key(away["id"])
            self.abbrev = {self.home_id: str(home["abbrev"]), self.away_id: str(away["abbrev"])}
        except (KeyError, TypeError) as err:
            raise ParseError(path, "missing team id or abbrev", field="homeTeam/awayTeam") from err
        if self.home_id is None or self.away_id is None or self.home_id == self.away_id:
            raise ParseError(path, "team ids missing or equal", field="homeTeam/awayTeam")
        spots = doc.get("rosterSpots") or []
        if not isinstance(spots, list):
            self._note(None, "rosterSpots", "'rosterSpots' is not a list: roster left empty")
            spots = []
        self.spots = {id_key(s.get("playerId")): s for s in spots
                      if isinstance(s, dict) and id_key(s.get("playerId")) is not None}

    def _date(self, value: Any) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            self._note(None, "gameDate", f"unreadable gameDate {value!r}: left null")
            return None

    def _note(self, row: int | None, field: str, message: str) -> None:
        """Record a problem that nulls a value (no row dropped); raise under strict."""
        if self.strict:
            raise ParseError(self.path, message, row=row, field=field)
        self.problems.append(Problem(str(self.path), message, row=row, field=field))

    # -- problems -------------------------------------------------------------------------
    def _bad_row(self, row: int, field: str, message: str, skipped: bool = True) -> None:
        """Record a bad play (`row` = index in `plays`); raise instead under strict."""
        if self.strict:
            raise ParseError(self.path, message, row=row, field=field)
        self.problems.append(Problem(str(self.path), message, row=row, field=field,
                                     rows=int(skipped)))

    # -- tables ---------------------------------------------------------------------------
    def parse(self) -> Ingested:
        plays = self.doc["plays"]
        if not isinstance(plays, list):
            raise ParseError(self.path, "'plays' is not a list", field="plays")
        rows: list[dict] = []
        score = {self.home_id: 0, self.away_id: 0}
        for i in self._order(plays):
            try:
                row = self._event(i, plays[i], score)
            except (ParseError, *READ_ERRORS) as err:
                if isinstance(err, ParseError):
                    raise
                self._bad_row(i, "play", f"unreadable play ({type(err).__name__}: {err})")
                continue
            if row is not None:
                row["event_idx"] = len(rows)
                rows.append(row)
        events = pa.Table.from_pylist(rows, schema=schema.EVENTS)
        out = Ingested(events=events, games=self._games(score, plays),
                       rosters=self._rosters(), problems=self.problems, files_read=1,
                       shootout_rows=self.shootout_rows,
                       shootout_games=int(self.shootout_rows > 0))
        return out

    def _order(self, plays: list) -> list[int]:
        """Play indices by sortOrder (ties keep file order); bad plays dropped, repeats noted."""
        keyed, seen = [], {}
        for i, play in enumerate(plays):
            order = play.get("sortOrder") if isinstance(play, dict) else None
            if not isinstance(play, dict):
                self._bad_row(i, "plays", f"play is a {type(play).__name__}, not an object")
            elif not isinstance(order, (int, float)) or isinstance(order, bool):
                self._bad_row(i, "sortOrder", f"missing or non-numeric sortOrder {order!r}")
            else:
                if order in seen:
                    self._note(i, "sortOrder", f"sortOrder {order} repeats play {seen[order]}: "
                                               "the two are kept in file order")
                seen.setdefault(order, i)
                keyed.append((order, i))
        return [i for _, i in sorted(keyed)]

    def _event(self, i: int, play: dict, score: dict[int, int]) -> dict | None:
        key = play.get("typeDescKey")
        descriptor = play.get("periodDescriptor")
        if not isinstance(descriptor, dict):
            self._bad_row(i, "periodDescriptor", f"periodDescriptor {descriptor!r} is not an "
                                                 "object")
            return None
        if descriptor.get("periodType") == "SO" or key == "shootout-complete":
            self.shootout_rows += 1
            return None
        kind = TYPE_MAP.get(key) if isinstance(key, str) else None
        if kind is None:
            self._bad_row(i, "typeDescKey", f"unknown event type {key!r} (known: {sorted(TYPE_MAP)})")
            return None
        try:
            period = int(descriptor["number"])
            seconds = clock_seconds(play["timeInPeriod"])
            if not 1 <= period <= 20:
                raise ValueError(f"period {period}")
        except (KeyError, TypeError, ValueError, OverflowError):
            self._bad_row(i, "timeInPeriod", f"bad period or clock in play {play.get('eventId')}")
            return None
        details = play.get("details") or {}
        if not isinstance(details, dict):
            self._bad_row(i, "details", f"details is a {type(details).__name__}, not an object")
            return None
        player_key, player2_key = ROLES.get(kind, (None, None))
        player, player2 = (self._player(i, details, k) for k in (player_key, player2_key))
        team = self._team(kind, player, details)
        row = {
            "game_id": self.game_id, "league": LEAGUE, "season": self.season,
            "game_date": self.date, "period": period, "period_seconds": seconds,
            "game_seconds": (period - 1) * _PERIOD_SECONDS + seconds,
            "event_type": kind, "source_event_type": key,
            "player_id": None if player is None else str(player),
            "player_name": name_of(self.spots.get(player, {})),
            "player2_id": None if player2 is None else str(player2),
            "player2_name": name_of(self.spots.get(player2, {})),
            "detail": self._detail(kind, details),
        }
        if team is not None:
            self._team_view(row, i, play, details, team, score)
        if kind == "goal" and team is not None:
            score[team] += 1
        return row

    def _player(self, i: int, details: dict, key: str | None) -> int | str | None:
        """The id under `key` in a play's details; a value that is no id is noted, nulled."""
        value = details.get(key) if key else None
        if value is not None and id_key(value) is None:
            self._note(i, key or "details", f"{key} {value!r} is not an id: left null")
        return id_key(value)

    def _team(self, kind: str, player: Any, details: dict) -> int | None:
        """Acting team id: the acting player's team, else from eventOwnerTeamId."""
        spot = self.spots.get(player)
        if spot is not None and spot.get("teamId") in self.abbrev:
            return spot["teamId"]
        owner = id_key(details.get("eventOwnerTeamId"))
        if owner not in self.abbrev:
            return None
        if kind == "blocked_shot":  # the owner is the shooting team
            return self.home_id if owner == self.away_id else self.away_id
        return owner

    def _team_view(self, row: dict, i: int, play: dict, details: dict, team: int,
                   score: dict[int, int]) -> None:
        home = team == self.home_id
        opponent = self.away_id if home else self.home_id
        row.update(team=self.abbrev[team], opponent=self.abbrev[opponent], is_home=home,
                   goals_for=score[team], goals_against=score[opponent])
        if self.on_ice is not None:
            args = (row["period"], row["period_seconds"])
            faceoff = row["event_type"] == "faceoff"
            row["on_ice_for"] = self.on_ice.at(*args, team, faceoff)
            row["on_ice_against"] = self.on_ice.at(*args, opponent, faceoff)
        skaters = skaters_of(play.get("situationCode"))
        if skaters is not None:
            away_sk, home_sk = skaters
            row["skaters_for"], row["skaters_against"] = (
                (home_sk, away_sk) if home else (away_sk, home_sk))
        x, y = details.get("xCoord"), details.get("yCoord")
        if x is None or y is None:
            return
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            self._bad_row(i, "xCoord", f"non-numeric coordinates ({x!r}, {y!r}): left null",
                          skipped=False)
            return
        if not (np.isfinite(x) and np.isfinite(y)):
            x = y = 1e9  # reported as outside the rink below
        side = play.get("homeTeamDefendingSide")
        if side not in ("left", "right"):
            self._bad_row(i, "homeTeamDefendingSide", f"unknown side {side!r}: x, y left null",
                          skipped=False)
            return
        if abs(x) > schema.RINK_HALF_LENGTH_FT or abs(y) > schema.RINK_HALF_WIDTH_FT:
            self._bad_row(i, "xCoord", f"coordinates ({x}, {y}) outside the rink: left null",
                          skipped=False)
            return
        # home defends the right (+x) net -> home attacks toward -x -> rotate home events
        flip = (side == "right") == home
        row["x"], row["y"] = (-float(x), -float(y)) if flip else (float(x), float(y))

    @staticmethod
    def _detail(kind: str, details: dict) -> str | None:
        if kind == "penalty":
            parts = [details.get("descKey"), details.get("typeCode")]
        elif kind == "stoppage":
            parts = [details.get("reason")]
        else:
            parts = [details.get("shotType"), details.get("reason")]
        text = "; ".join(str(p) for p in parts if p)
        return text or None

    def _games(self, score: dict[int, int], plays: list) -> pa.Table:
        doc = self.doc
        home_goals, away_goals = (self._final(doc[side], score[team]) for side, team in (
            ("homeTeam", self.home_id), ("awayTeam", self.away_id)))
        winner = decided = None
        if doc.get("gameState") in _FINAL_STATES and home_goals != away_goals:
            winner = "home" if home_goals > away_goals else "away"
            last = obj(doc.get("gameOutcome")).get("lastPeriodType")
            ordered = [p for p in plays if isinstance(p, dict)
                       and isinstance(p.get("sortOrder"), (int, float))]
            if last is None and ordered:
                last = obj(max(ordered, key=lambda p: p["sortOrder"]).get(
                    "periodDescriptor")).get("periodType")
            decided = OUTCOMES.get(last) if isinstance(last, str) else None
        if decided != "shootout" and (home_goals, away_goals) != (score[self.home_id],
                                                                  score[self.away_id]):
            self.problems.append(Problem(
                str(self.path), f"goal events give {score[self.home_id]}-{score[self.away_id]} "
                f"(home-away) but the final score is {home_goals}-{away_goals}", field="score"))
        row = {"game_id": self.game_id, "league": LEAGUE, "season": self.season,
               "game_date": self.date, "home_team": self.abbrev[self.home_id],
               "away_team": self.abbrev[self.away_id], "home_goals": home_goals,
               "away_goals": away_goals, "winner": winner, "decided_in": decided}
        return pa.Table.from_pylist([row], schema=schema.GAMES)

    def _final(self, team: dict, from_events: int) -> int:
        """A team's official final score, or the goal events' count when it is unusable."""
        value = team.get("score", from_events)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 100:
            return value
        self._note(None, "score", f"unusable final score {value!r}: the goal events' "
                                  f"{from_events} is used")
        return from_events

    def _rosters(self) -> pa.Table:
        rows = [
            {"game_id": self.game_id, "team": self.abbrev.get(id_key(spot.get("teamId"))),
             "player_id": str(pid), "player_name": name_of(spot),
             "position": POSITIONS.get(spot.get("positionCode"))
             if isinstance(spot.get("positionCode"), str) else None}
            for pid, spot in sorted(self.spots.items(), key=lambda kv: str(kv[0]))
        ]
        return pa.Table.from_pylist(rows, schema=schema.ROSTERS)

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
import json
import logging
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths, read_text
from hockey_vae.sources.base import Ingested, ParseError, Problem, read_many

__all__ = ["read", "read_game", "OnIce", "TYPE_MAP", "LEAGUE"]

log = logging.getLogger(__name__)

LEAGUE = "NHL"

# typeDescKey -> canonical event type. Shootout-only keys are handled separately.
TYPE_MAP: dict[str, str] = {
    "faceoff": "faceoff",
    "shot-on-goal": "shot",
    "missed-shot": "missed_shot",
    "blocked-shot": "blocked_shot",
    "goal": "goal",
    "hit": "hit",
    "giveaway": "giveaway",
    "takeaway": "takeaway",
    "penalty": "penalty",
    "delayed-penalty": "delayed_penalty",
    "failed-shot-attempt": "penalty_shot",  # a missed penalty shot outside the shootout
    "stoppage": "stoppage",
    "period-start": "period_start",
    "period-end": "period_end",
    "game-start": "game_start",
    "game-end": "game_end",
    "challenge": "challenge",
}

# Canonical type -> (acting role id, secondary role id) in `details`.
_ROLES: dict[str, tuple[str, str | None]] = {
    "faceoff": ("winningPlayerId", "losingPlayerId"),
    "shot": ("shootingPlayerId", "goalieInNetId"),
    "missed_shot": ("shootingPlayerId", "goalieInNetId"),
    "blocked_shot": ("blockingPlayerId", "shootingPlayerId"),
    "goal": ("scoringPlayerId", "assist1PlayerId"),
    "penalty_shot": ("shootingPlayerId", "goalieInNetId"),
    "hit": ("hittingPlayerId", "hitteePlayerId"),
    "giveaway": ("playerId", None),
    "takeaway": ("playerId", None),
    "penalty": ("committedByPlayerId", "drawnByPlayerId"),
}

_POSITIONS = {"C": "C", "L": "LW", "R": "RW", "D": "D", "G": "G", "LW": "LW", "RW": "RW"}
_OUTCOMES = {"REG": "regulation", "OT": "overtime", "SO": "shootout"}
_FINAL_STATES = {"OFF", "FINAL"}
_NOT_PBP = ("schedule_", "shifts_")  # companion files written by `hockey-vae fetch nhl`
_PERIOD_SECONDS = 1200  # regulation period; game_seconds = (period - 1) * 1200 + elapsed


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
    doc = _load_json(path)
    if not isinstance(doc, dict) or "plays" not in doc or "id" not in doc:
        raise ParseError(path, "not an NHL API play-by-play document (no 'id' or 'plays')")
    if shifts is None:
        candidates = [path.parent / f"shifts_{doc['id']}.json{gz}" for gz in ("", ".gz")]
        shifts = next((c for c in candidates if c.is_file()), None)
    on_ice = OnIce.from_file(shifts) if shifts is not None else None
    return _Game(path, doc, strict, on_ice).parse()


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise ParseError(path, f"malformed JSON: {err}") from err


class OnIce:
    """Who is on the ice at a moment, from NHL shift-chart records (typeCode 517 = shift).

    Accepts the API's `{"data": [...]}` or a bare list of records with `playerId`, `teamId`,
    `period`, `startTime`, `endTime` ("MM:SS" elapsed). A shift covers (start, end]; at a
    faceoff it covers [start, end), so the line that takes the draw is on the ice and the
    one that changed off is not.
    """

    def __init__(self, records: list[dict]):
        self._by_period: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        rows: dict[int, list[tuple[float, float, int, str]]] = {}
        for r in records:
            if r.get("typeCode", 517) != 517 or not r.get("startTime") or not r.get("endTime"):
                continue
            try:
                start, end = _clock(r["startTime"]), _clock(r["endTime"])
                period, team, player = int(r["period"]), int(r["teamId"]), str(r["playerId"])
            except (KeyError, TypeError, ValueError):
                continue
            if end > start:
                rows.setdefault(period, []).append((start, end, team, player))
        for period, shifts in rows.items():
            start, end, team, player = zip(*shifts, strict=True)
            self._by_period[period] = (np.array(start), np.array(end), np.array(team),
                                       np.array(player, dtype=object))

    @classmethod
    def from_file(cls, path: PathLike) -> OnIce:
        """Read a shift-chart JSON file (gzip transparent); ParseError if it is not one."""
        doc = _load_json(Path(path))
        records = doc.get("data") if isinstance(doc, dict) else doc
        if not isinstance(records, list):
            raise ParseError(path, "not a shift chart (expected a list or {'data': [...]})")
        return cls(records)

    def __bool__(self) -> bool:
        return bool(self._by_period)

    def at(self, period: int, seconds: float, team: int, faceoff: bool = False
           ) -> list[str] | None:
        """Sorted ids of `team`'s players on the ice, or None when the period has no shifts."""
        if period not in self._by_period:
            return None
        start, end, teams, players = self._by_period[period]
        if faceoff:
            on = (start <= seconds) & (seconds < end)
        else:
            on = (start < seconds) & (seconds <= end)
        return sorted(players[on & (teams == team)].tolist())


def _name(spot: dict) -> str | None:
    first = (spot.get("firstName") or {}).get("default")
    last = (spot.get("lastName") or {}).get("default")
    return " ".join(p for p in (first, last) if p) or None


def _clock(text: Any) -> float:
    minutes, seconds = str(text).split(":")
    return float(int(minutes) * 60 + int(seconds))


def _skaters(code: Any) -> tuple[int, int] | None:
    """(away skaters, home skaters) from a 4-digit situationCode, or None if malformed."""
    text = str(code) if code is not None else ""
    if len(text) != 4 or not text.isdigit():
        return None
    return int(text[1]), int(text[2])


class _Game:
    """The state of parsing one game file (kept in one place to keep functions short)."""

    def __init__(self, path: Path, doc: dict, strict: bool, on_ice: OnIce | None = None):
        self.path, self.doc, self.strict = path, doc, strict
        self.on_ice = on_ice or None
        self.problems: list[Problem] = []
        self.game_id = f"{LEAGUE}-{doc['id']}"
        self.season = str(doc["season"]) if doc.get("season") is not None else None
        self.date = dt.date.fromisoformat(doc["gameDate"]) if doc.get("gameDate") else None
        try:
            home, away = doc["homeTeam"], doc["awayTeam"]
            self.home_id, self.away_id = home["id"], away["id"]
            self.abbrev = {home["id"]: home["abbrev"], away["id"]: away["abbrev"]}
        except (KeyError, TypeError) as err:
            raise ParseError(path, "missing team id or abbrev", field="homeTeam/awayTeam") from err
        self.spots = {s["playerId"]: s for s in doc.get("rosterSpots") or [] if "playerId" in s}

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
        if not isinstance(plays, list) or not all(isinstance(p, dict) for p in plays):
            raise ParseError(self.path, "'plays' is not a list of objects", field="plays")
        try:
            order = sorted(range(len(plays)), key=lambda i: plays[i]["sortOrder"])
        except (KeyError, TypeError) as err:
            raise ParseError(self.path, "a play has no sortOrder", field="sortOrder") from err
        rows: list[dict] = []
        score = {self.home_id: 0, self.away_id: 0}
        for i in order:
            row = self._event(i, plays[i], score)
            if row is not None:
                row["event_idx"] = len(rows)
                rows.append(row)
        events = pa.Table.from_pylist(rows, schema=schema.EVENTS)
        out = Ingested(events=events, games=self._games(score, plays),
                       rosters=self._rosters(), problems=self.problems, files_read=1)
        return out

    def _event(self, i: int, play: dict, score: dict[int, int]) -> dict | None:
        key = play.get("typeDescKey")
        descriptor = play.get("periodDescriptor") or {}
        if descriptor.get("periodType") == "SO" or key == "shootout-complete":
            return None
        kind = TYPE_MAP.get(key)  # type: ignore[arg-type]
        if kind is None:
            self._bad_row(i, "typeDescKey", f"unknown event type {key!r} (known: {sorted(TYPE_MAP)})")
            return None
        try:
            period = int(descriptor["number"])
            seconds = _clock(play["timeInPeriod"])
        except (KeyError, TypeError, ValueError):
            self._bad_row(i, "timeInPeriod", f"bad period or clock in play {play.get('eventId')}")
            return None
        details = play.get("details") or {}
        player_key, player2_key = _ROLES.get(kind, (None, None))
        player = details.get(player_key) if player_key else None
        player2 = details.get(player2_key) if player2_key else None
        team = self._team(kind, player, details)
        row = {
            "game_id": self.game_id, "league": LEAGUE, "season": self.season,
            "game_date": self.date, "period": period, "period_seconds": seconds,
            "game_seconds": (period - 1) * _PERIOD_SECONDS + seconds,
            "event_type": kind, "source_event_type": key,
            "player_id": None if player is None else str(player),
            "player_name": _name(self.spots.get(player, {})),
            "player2_id": None if player2 is None else str(player2),
            "player2_name": _name(self.spots.get(player2, {})),
            "detail": self._detail(kind, details),
        }
        if team is not None:
            self._team_view(row, i, play, details, team, score)
        if kind == "goal" and team is not None:
            score[team] += 1
        return row

    def _team(self, kind: str, player: Any, details: dict) -> int | None:
        """Acting team id: the acting player's team, else from eventOwnerTeamId."""
        spot = self.spots.get(player)
        if spot is not None and spot.get("teamId") in self.abbrev:
            return spot["teamId"]
        owner = details.get("eventOwnerTeamId")
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
        skaters = _skaters(play.get("situationCode"))
        if skaters is not None:
            away_sk, home_sk = skaters
            row["skaters_for"], row["skaters_against"] = (
                (home_sk, away_sk) if home else (away_sk, home_sk))
        x, y = details.get("xCoord"), details.get("yCoord")
        if x is None or y is None:
            return
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
        home_goals = doc["homeTeam"].get("score", score[self.home_id])
        away_goals = doc["awayTeam"].get("score", score[self.away_id])
        winner = decided = None
        if doc.get("gameState") in _FINAL_STATES and home_goals != away_goals:
            winner = "home" if home_goals > away_goals else "away"
            last = (doc.get("gameOutcome") or {}).get("lastPeriodType")
            if last is None and plays:
                last = max(plays, key=lambda p: p.get("sortOrder", -1)).get(
                    "periodDescriptor", {}).get("periodType")
            decided = _OUTCOMES.get(last)
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

    def _rosters(self) -> pa.Table:
        rows = [
            {"game_id": self.game_id, "team": self.abbrev.get(spot.get("teamId")),
             "player_id": str(pid), "player_name": _name(spot),
             "position": _POSITIONS.get(spot.get("positionCode"))}
            for pid, spot in sorted(self.spots.items())
        ]
        return pa.Table.from_pylist(rows, schema=schema.ROSTERS)

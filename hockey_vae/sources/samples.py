"""One tiny valid game in each input format, written to a folder.

What each format looks like at its smallest, for the property tests and the bad-input
benchmark (which break these files in many ways and check that good siblings survive).
`write_sample(format, folder, index)` writes game number `index` (distinct ids per index).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

__all__ = ["FORMATS", "write_sample", "sample_text"]

FORMATS = ("hockey_scraper", "nhl_api", "pwhl", "stathletes", "tabular")

_SCRAPER_COLUMNS = (
    ["", "Date", "Period", "Event", "Seconds_Elapsed", "Strength", "Ev_Zone", "Type", "Ev_Team",
     "Away_Team", "Home_Team", "p1_name", "p1_ID", "p2_name", "p2_ID", "Away_Score",
     "Home_Score", "xC", "yC"]
    + [f"{s}Player{i}{x}" for s in ("away", "home") for i in range(1, 7) for x in ("", "_id")]
)


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _scraper() -> str:
    plays = [  # (period, event, seconds, team, p1, x, y, zone, (away, home) score)
        (1, "PSTR", 0, "", "", "", "", "", (0, 0)),
        (1, "FAC", 0, "TOR", 101, 0, 0, "Neu", (0, 0)),
        (1, "SHOT", 30, "TOR", 101, 80, 5, "Off", (0, 0)),
        (1, "MISS", 50, "MTL", 203, -75, 10, "Off", (0, 0)),
        (1, "GOAL", 70, "TOR", 103, 85, 2, "Off", (0, 0)),
        (1, "HIT", 90, "MTL", 201, 60, 40, "Def", (0, 1)),
        (1, "PEND", 1200, "", "", "", "", "", (0, 1)),
        (2, "SHOT", 10, "MTL", 203, 80, 0, "Off", (0, 1)),
        (3, "GEND", 1200, "", "", "", "", "", (0, 1)),
    ]
    rows = []
    for i, (period, event, secs, team, p1, x, y, zone, score) in enumerate(plays):
        row = {"": i, "Date": "2018-10-03", "Period": period, "Event": event,
               "Seconds_Elapsed": secs, "Strength": "5x5", "Ev_Zone": zone, "Ev_Team": team,
               "Away_Team": "MTL", "Home_Team": "TOR", "p1_ID": p1,
               "p1_name": f"P{p1}" if p1 else "", "Away_Score": score[0],
               "Home_Score": score[1], "xC": x, "yC": y}
        for side, base in (("away", 200), ("home", 100)):
            for k in range(1, 7):
                row[f"{side}Player{k}"] = f"P{base + k - 1}"
                row[f"{side}Player{k}_id"] = base + k - 1
        rows.append(row)
    return _csv(_SCRAPER_COLUMNS, rows)


def _nhl_api(game_id: int) -> str:
    def play(order: int, key: str, clock: str, **details) -> dict:
        return {"eventId": order, "sortOrder": order, "typeDescKey": key,
                "periodDescriptor": {"number": 1, "periodType": "REG"},
                "timeInPeriod": clock, "situationCode": "1551",
                "homeTeamDefendingSide": "left", "details": details}
    spots = [{"teamId": team, "playerId": pid, "firstName": {"default": "A"},
              "lastName": {"default": f"P{pid}"}, "positionCode": "C"}
             for team, pid in ((7, 11), (7, 12), (1, 21), (1, 22))]
    plays = [play(1, "period-start", "00:00"),
             play(2, "faceoff", "00:00", eventOwnerTeamId=7, winningPlayerId=11,
                  losingPlayerId=21, xCoord=0, yCoord=0),
             play(3, "shot-on-goal", "00:30", eventOwnerTeamId=1, shootingPlayerId=21,
                  xCoord=-70, yCoord=3),
             play(4, "goal", "01:00", eventOwnerTeamId=7, scoringPlayerId=12, xCoord=80,
                  yCoord=-2),
             play(5, "hit", "02:00", eventOwnerTeamId=1, hittingPlayerId=22,
                  hitteePlayerId=11, xCoord=10, yCoord=30)]
    return json.dumps({
        "id": game_id, "season": 20232024, "gameDate": "2023-10-10", "gameState": "OFF",
        "gameOutcome": {"lastPeriodType": "REG"},
        "homeTeam": {"id": 7, "abbrev": "BUF", "score": 1},
        "awayTeam": {"id": 1, "abbrev": "NJD", "score": 0},
        "rosterSpots": spots, "plays": plays})


def _pwhl(game_id: int) -> str:
    def player(pid: int) -> dict:
        return {"id": pid, "firstName": "A", "lastName": f"P{pid}", "position": "C"}
    period = {"id": "1"}
    events = [
        {"event": "faceoff", "details": {"homePlayer": player(31), "visitingPlayer": player(41),
                                         "homeWin": "1", "period": period, "time": "0:00",
                                         "xLocation": 300, "yLocation": 150}},
        {"event": "shot", "details": {"shooter": player(41), "shooterTeamId": "4",
                                      "period": period, "time": "0:30", "isGoal": False,
                                      "xLocation": 540, "yLocation": 120}},
        {"event": "goal", "details": {"team": {"id": 3}, "scoredBy": player(31), "assists": [],
                                      "period": period, "time": "1:10", "xLocation": 60,
                                      "yLocation": 150}},
        {"event": "hit", "details": {"teamId": "3", "player": player(32),
                                     "onPlayer": player(42), "period": period, "time": "2:00",
                                     "xLocation": 400, "yLocation": 20}},
    ]
    team = {3: ("MTL", 1, [31, 32]), 4: ("NY", 0, [41, 42])}
    summary = {"details": {"id": game_id, "GameDateISO8601": "2024-12-04T19:00:00-05:00",
                           "final": "1"}, "hasShootout": False,
               "periods": [{"info": {"id": str(n)}} for n in (1, 2, 3)]}
    for side, tid in (("homeTeam", 3), ("visitingTeam", 4)):
        abbr, goals, ids = team[tid]
        summary[side] = {"info": {"id": tid, "abbreviation": abbr}, "stats": {"goals": goals},
                         "skaters": [{"info": player(i)} for i in ids], "goalies": []}
    return json.dumps({"pbp_raw": events, "summary_raw": summary, "gc_raw": {}})


def _stathletes(day: int) -> str:
    columns = ["game_date", "Home Team", "Away Team", "Period", "Clock", "Home Team Skaters",
               "Away Team Skaters", "Home Team Goals", "Away Team Goals", "Team", "Player",
               "Event", "X Coordinate", "Y Coordinate", "Detail 1", "Detail 2", "Player 2"]
    date = f"2021-01-{day:02d}"
    plays = [  # (period, clock, team, player, event, x, y, detail2, home goals)
        (1, "20:00", "Erie", "Ann", "Faceoff Win", 100, 42, "", 0),
        (1, "19:30", "Flint", "Bea", "Shot", 180, 30, "On Net", 0),
        (2, "10:00", "Erie", "Cat", "Goal", 175, 44, "On Net", 0),
        (3, "05:00", "Flint", "Bea", "Puck Recovery", 20, 5, "", 1),
    ]
    rows = [{"game_date": date, "Home Team": "Erie", "Away Team": "Flint", "Period": p,
             "Clock": c, "Home Team Skaters": 5, "Away Team Skaters": 5, "Home Team Goals": hg,
             "Away Team Goals": 0, "Team": t, "Player": who, "Event": e, "X Coordinate": x,
             "Y Coordinate": y, "Detail 2": d2}
            for p, c, t, who, e, x, y, d2, hg in plays]
    return _csv(columns, rows)


def _tabular(game: str) -> str:
    columns = ["game_id", "league", "season", "game_date", "event_idx", "period",
               "period_seconds", "game_seconds", "event_type", "team", "opponent", "is_home",
               "player_id", "x", "y", "on_ice_for"]
    kinds = ("faceoff", "shot", "hit", "goal")
    rows = [{"game_id": game, "league": "TST", "season": "20202021", "game_date": "2020-10-01",
             "event_idx": i, "period": 1, "period_seconds": 10 * i, "game_seconds": 10 * i,
             "event_type": kinds[i], "team": "AAA" if i % 2 == 0 else "BBB",
             "opponent": "BBB" if i % 2 == 0 else "AAA", "is_home": str(i % 2 == 0).lower(),
             "player_id": f"p{i}", "x": 50 - i, "y": -3, "on_ice_for": f"[p{i};q]"}
            for i in range(4)]
    return _csv(columns, rows)


def sample_text(format: str, index: int = 0) -> tuple[str, str]:
    """(file name, text) of game `index` in `format`; ValueError for an unknown format."""
    if format == "hockey_scraper":
        return f"2018{20001 + index:06d}.csv", _scraper()
    if format == "nhl_api":
        return f"pbp_{2023020001 + index}.json", _nhl_api(2023020001 + index)
    if format == "pwhl":
        return f"{100 + index}.json", _pwhl(100 + index)
    if format == "stathletes":
        return f"game_{index}.csv", _stathletes(1 + index % 28)
    if format == "tabular":
        return f"events_{index}.csv", _tabular(f"T-{index}")
    raise ValueError(f"unknown format {format!r}; choose one of {list(FORMATS)}")


def write_sample(format: str, folder: str | Path, index: int = 0) -> Path:
    """Write game `index` in `format` into `folder`; return its path."""
    name, text = sample_text(format, index)
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

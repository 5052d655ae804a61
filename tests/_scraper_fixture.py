"""A tiny hand-built hockey_scraper game (raw CSV rows) shared by loader and ingest tests."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

__all__ = ["HEADER", "HOME", "AWAY", "row", "game_rows", "write_game"]

HEADER = (
    ",Game_Id,Date,Period,Event,Description,Time_Elapsed,Seconds_Elapsed,Strength,Ev_Zone,Type,"
    "Ev_Team,Home_Zone,Away_Team,Home_Team,p1_name,p1_ID,p2_name,p2_ID,p3_name,p3_ID,"
    + ",".join(f"awayPlayer{i},awayPlayer{i}_id" for i in range(1, 7)) + ","
    + ",".join(f"homePlayer{i},homePlayer{i}_id" for i in range(1, 7)) + ","
    "Away_Players,Home_Players,Away_Score,Home_Score,Away_Goalie,Away_Goalie_Id,Home_Goalie,"
    "Home_Goalie_Id,xC,yC,Home_Coach,Away_Coach"
).split(",")
HOME = [100 + i for i in range(6)]  # TOR; 105 is the goalie
AWAY = [200 + i for i in range(6)]  # MTL; 205 is the goalie


def row(period, event, secs, team="", p1="", p2="", x="", y="", zone="", strength="5x5",
         score=(0, 0), typ="", p3="") -> dict:
    """One raw row; score = (away, home) before the event; players by id (names derived)."""
    row = dict.fromkeys(HEADER, "")
    row.update({
        "Game_Id": 20001, "Date": "2018-10-03", "Period": period, "Event": event,
        "Seconds_Elapsed": secs, "Time_Elapsed": f"{int(secs) // 60}:{int(secs) % 60:02d}",
        "Strength": strength, "Ev_Zone": zone, "Type": typ, "Ev_Team": team,
        "Away_Team": "MTL", "Home_Team": "TOR", "Away_Score": score[0], "Home_Score": score[1],
        "xC": x, "yC": y, "Away_Players": 6, "Home_Players": 6,
    })
    for k, pid in (("p1", p1), ("p2", p2), ("p3", p3)):
        row[f"{k}_ID"] = f"{float(pid)}" if pid != "" else ""
        row[f"{k}_name"] = f"PLAYER {pid}" if pid != "" else ""
    for side, ids in (("away", AWAY), ("home", HOME)):
        for i, pid in enumerate(ids, start=1):
            row[f"{side}Player{i}"] = f"PLAYER {pid}"
            row[f"{side}Player{i}_id"] = pid
    return row


def game_rows(shootout: bool = False) -> list[dict]:
    """A small game: TOR attacks +x in period 1 (raw), MTL -x; ends 1-1 then a shootout."""
    rows = [
        row(1, "PSTR", 0),
        row(1, "FAC", 0, "TOR", 101, 201, 0, 0, "Neu"),
        row(1, "SHOT", 30, "TOR", 101, "", 80, 5, "Off", typ="WRIST SHOT"),
        # BLOCK: Ev_Team is the shooter's team (MTL); the blocker 102 is TOR; zone is TOR's
        row(1, "BLOCK", 40, "MTL", 102, 202, -70, 3, "Def", typ="SNAP SHOT"),
        row(1, "MISS", 50, "MTL", 203, "", -75, 10, "Off"),
        row(1, "HIT", 60, "MTL", 201, 103, 60, 40, "Def"),
        row(1, "GOAL", 70, "TOR", 103, 101, 85, 2, "Off", typ="SNAP SHOT", p3=104),
        row(1, "PENL", 80, "MTL", "", "", "", "", "", score=(0, 1), typ="Tripping(2 min)"),
        row(1, "STOP", 81, score=(0, 1), strength="0x0"),
        row(1, "GIVE", 90, "MTL", 202, "", -30, 0, "Neu", strength="5x4", score=(0, 1)),
        row(1, "PEND", 1200, score=(0, 1)),
        # period 2: ends switch; MTL has shots, TOR has none (fallback: opposite of MTL)
        row(2, "PSTR", 0, score=(0, 1)),
        row(2, "SHOT", 10, "MTL", 203, "", 80, 0, "Off", score=(0, 1)),
        row(2, "GOAL", 20, "MTL", 204, "", 82, 1, "Off", score=(0, 1)),
        row(2, "TAKE", 30, "TOR", 101, "", 40, 0, "Off", strength="4x5", score=(1, 1)),
        row(2, "GIVE", 35, "TOR", 103, "", 50, 0, "Def", strength="5x9", score=(1, 1)),
        row(2, "PEND", 1200, score=(1, 1)),
        row(3, "PEND", 1200, score=(1, 1)),
        row(4, "PEND", 300, score=(1, 1)),
    ]
    if shootout:
        rows += [
            row(5, "PSTR", 0, score=(1, 1)),
            row(5, "GOAL", 0, "MTL", 203, "", 75, 0, "Off", score=(1, 1)),
            row(5, "SHOT", 0, "TOR", 101, "", -75, 0, "Off", score=(2, 1)),
            row(5, "SOC", 0, score=(2, 1)),
        ]
    rows.append(row(5 if shootout else 4, "GEND", 0, score=(2, 1) if shootout else (1, 1)))
    return rows


def write_game(path: Path, rows: list[dict], header: list[str] = HEADER) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, row in enumerate(rows):
            writer.writerow([i if h == "" else row.get(h, "") for h in header])
    return path



"""NHL shift charts (api.nhle.com `shiftcharts`): who is on the ice at a moment.

Companion of `nhl_api`: a `shifts_{gameId}.json[.gz]` beside a play-by-play file fills its
on-ice lists; a shift chart that cannot be read is reported there and the game is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hockey_vae.io import PathLike
from hockey_vae.sources.base import ParseError, load_json

__all__ = ["OnIce", "clock_seconds"]


def clock_seconds(text: Any) -> float:
    """Seconds from "MM:SS"; ValueError for anything else (negative or seconds >= 60)."""
    minutes, seconds = str(text).split(":")
    if not (minutes.isdigit() and seconds.isdigit() and int(seconds) < 60):
        raise ValueError(f"bad clock {text!r}")
    return float(int(minutes) * 60 + int(seconds))



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
            if not isinstance(r, dict):
                continue
            if r.get("typeCode", 517) != 517 or not r.get("startTime") or not r.get("endTime"):
                continue
            try:
                start, end = clock_seconds(r["startTime"]), clock_seconds(r["endTime"])
                period, team, player = int(r["period"]), int(r["teamId"]), str(r["playerId"])
            except (KeyError, TypeError, ValueError, AttributeError):
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
        doc = load_json(Path(path))
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

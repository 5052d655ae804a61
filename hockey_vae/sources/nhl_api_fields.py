"""NHL API play-by-play: the event vocabulary, player roles and small field helpers.

Split from `nhl_api` to keep each module short.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TYPE_MAP", "ROLES", "POSITIONS", "OUTCOMES", "name_of", "obj", "id_key",
           "skaters_of"]

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
ROLES: dict[str, tuple[str, str | None]] = {
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

POSITIONS = {"C": "C", "L": "LW", "R": "RW", "D": "D", "G": "G", "LW": "LW", "RW": "RW"}
OUTCOMES = {"REG": "regulation", "OT": "overtime", "SO": "shootout"}

def name_of(spot: dict) -> str | None:
    first, last = (obj(spot.get(k)).get("default") for k in ("firstName", "lastName"))
    return " ".join(str(p) for p in (first, last) if p) or None


def obj(value: Any) -> dict:
    """`value` if it is a JSON object, else an empty one (missing optional structure)."""
    return value if isinstance(value, dict) else {}


def id_key(value: Any) -> int | str | None:
    """A player or team id usable as a dict key (ints and strings); None otherwise."""
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def skaters_of(code: Any) -> tuple[int, int] | None:
    """(away skaters, home skaters) from a 4-digit situationCode, or None if malformed."""
    text = str(code) if code is not None else ""
    if len(text) != 4 or not text.isdigit():
        return None
    return int(text[1]), int(text[2])

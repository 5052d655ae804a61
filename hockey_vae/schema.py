"""The canonical tables every source maps into (see DESIGN.md), and their validation.

Vocabularies are tuples: an id is the position in the tuple, so they must only ever grow
at the end.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "embedding_columns",
    "EVENT_TYPES",
    "POSITIONS",
    "OUTCOMES",
    "EVENTS",
    "GAMES",
    "ROSTERS",
    "SchemaError",
    "validate_events",
    "validate_games",
    "validate_rosters",
    "empty_table",
    "RINK_HALF_LENGTH_FT",
    "RINK_HALF_WIDTH_FT",
]

# Canonical event vocabulary. Sources map their raw labels onto these names.
EVENT_TYPES: tuple[str, ...] = (
    "faceoff",
    "shot",  # shot on goal that did not score
    "missed_shot",
    "blocked_shot",  # acting player is the blocker, acting team the blocking team
    "goal",
    "hit",
    "giveaway",
    "takeaway",
    "penalty",
    "delayed_penalty",
    "penalty_shot",
    "pass",
    "failed_pass",
    "puck_recovery",
    "dump",
    "zone_entry",
    "stoppage",
    "period_start",
    "period_end",
    "game_start",
    "game_end",
    "goalie_change",
    "challenge",
    "shootout_attempt",
)

# Canonical positions (roster tables). Sources map L/R/LD/RD/... onto these.
POSITIONS: tuple[str, ...] = ("C", "LW", "RW", "D", "G")

# How a game was decided.
OUTCOMES: tuple[str, ...] = ("regulation", "overtime", "shootout")

# Rink geometry in feet (NHL/PWHL: 200 x 85 ft).
RINK_HALF_LENGTH_FT = 100.0
RINK_HALF_WIDTH_FT = 42.5

EVENTS = pa.schema(
    [
        pa.field("game_id", pa.string(), nullable=False),
        pa.field("league", pa.string()),
        pa.field("season", pa.string()),
        pa.field("game_date", pa.date32()),
        pa.field("event_idx", pa.int32(), nullable=False),  # 0-based, strictly increasing
        pa.field("period", pa.int8()),  # 1-3 regulation, 4+ overtime
        pa.field("period_seconds", pa.float32()),  # elapsed in the period
        pa.field("game_seconds", pa.float32()),  # elapsed in the game
        pa.field("event_type", pa.string(), nullable=False),  # one of EVENT_TYPES
        pa.field("source_event_type", pa.string()),  # the raw label
        pa.field("team", pa.string()),  # acting team
        pa.field("opponent", pa.string()),
        pa.field("is_home", pa.bool_()),  # acting team is home
        pa.field("player_id", pa.string()),  # acting player; null for team/game events
        pa.field("player_name", pa.string()),
        pa.field("player2_id", pa.string()),  # secondary player (faceoff loser, hittee, ...)
        pa.field("player2_name", pa.string()),
        pa.field("x", pa.float32()),  # feet from centre ice, acting team attacks toward +x
        pa.field("y", pa.float32()),
        pa.field("goals_for", pa.int16()),  # score before the event, acting team's view
        pa.field("goals_against", pa.int16()),
        pa.field("skaters_for", pa.int8()),  # manpower, null when unknown
        pa.field("skaters_against", pa.int8()),
        pa.field("detail", pa.string()),  # shot type, penalty type, ...
        pa.field("on_ice_for", pa.list_(pa.string())),  # player ids on ice, acting team
        pa.field("on_ice_against", pa.list_(pa.string())),  # player ids on ice, opponent
    ]
)

GAMES = pa.schema(
    [
        pa.field("game_id", pa.string(), nullable=False),
        pa.field("league", pa.string()),
        pa.field("season", pa.string()),
        pa.field("game_date", pa.date32()),
        pa.field("home_team", pa.string()),
        pa.field("away_team", pa.string()),
        pa.field("home_goals", pa.int16()),  # final score; a shootout adds one to the winner
        pa.field("away_goals", pa.int16()),
        pa.field("winner", pa.string()),  # "home" / "away" / null (unfinished or unknown)
        pa.field("decided_in", pa.string()),  # one of OUTCOMES, or null
    ]
)

ROSTERS = pa.schema(
    [
        pa.field("game_id", pa.string(), nullable=False),
        pa.field("team", pa.string()),
        pa.field("player_id", pa.string(), nullable=False),
        pa.field("player_name", pa.string()),
        pa.field("position", pa.string()),  # one of POSITIONS, or null
    ]
)


class SchemaError(ValueError):
    """A table does not conform to a canonical schema; the message names the column."""


def empty_table(schema: pa.Schema) -> pa.Table:
    """A zero-row table with `schema`, for sources that find nothing of one kind."""
    return schema.empty_table()


def _check_fields(table: pa.Table, schema: pa.Schema, name: str) -> None:
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise SchemaError(f"{name} table is missing column(s) {missing}")
    for field in schema:
        actual = table.schema.field(field.name).type
        if actual != field.type:
            raise SchemaError(
                f"{name} column {field.name!r} has type {actual}, expected {field.type}"
            )
        if not field.nullable and table.column(field.name).null_count:
            raise SchemaError(
                f"{name} column {field.name!r} has {table.column(field.name).null_count} nulls"
            )


def _check_in(table: pa.Table, column: str, allowed: tuple[str, ...], name: str) -> None:
    values = table.column(column)
    bad = pc.unique(pc.filter(values, pc.invert(pc.is_in(values, pa.array(allowed)))))
    bad = [v for v in bad.to_pylist() if v is not None]
    if bad:
        raise SchemaError(
            f"{name} column {column!r} has value(s) {sorted(bad)[:10]} outside {list(allowed)}"
        )


def validate_events(table: pa.Table) -> pa.Table:
    """Check `table` against EVENTS (types, vocabulary, order, ranges); return it unchanged.

    Raises SchemaError naming the column and the offending values or game.
    """
    _check_fields(table, EVENTS, "events")
    _check_in(table, "event_type", EVENT_TYPES, "events")
    if table.num_rows == 0:
        return table
    game = table.column("game_id").to_numpy(zero_copy_only=False)
    idx = table.column("event_idx").to_numpy(zero_copy_only=False)
    same_game = game[1:] == game[:-1]
    bad = same_game & (idx[1:] <= idx[:-1])
    if bad.any():
        row = int(bad.argmax()) + 1
        raise SchemaError(
            f"events column 'event_idx' is not strictly increasing in game {game[row]!r} "
            f"at row {row}"
        )
    # each game must be one contiguous block
    starts = game[1:][~same_game]
    if len(set(starts.tolist()) | {game[0]}) != len(starts) + 1:
        raise SchemaError("events column 'game_id': rows of a game are not contiguous")
    for column, limit in (("x", RINK_HALF_LENGTH_FT), ("y", RINK_HALF_WIDTH_FT)):
        values = pc.abs(table.column(column))
        over = pc.sum(pc.greater(values, limit + 1.0)).as_py() or 0
        if over:
            worst = pc.max(values).as_py()
            raise SchemaError(
                f"events column {column!r} has {over} value(s) beyond +-{limit} ft (max {worst})"
            )
    period_min = pc.min(table.column("period")).as_py()
    if period_min is not None and period_min < 1:
        raise SchemaError(f"events column 'period' has value {period_min} < 1")
    return table


def validate_games(table: pa.Table) -> pa.Table:
    """Check `table` against GAMES; return it unchanged."""
    _check_fields(table, GAMES, "games")
    _check_in(table, "winner", ("home", "away"), "games")
    _check_in(table, "decided_in", OUTCOMES, "games")
    ids = table.column("game_id")
    if pc.count_distinct(ids).as_py() != table.num_rows:
        counts = pc.value_counts(ids).to_pylist()
        dup = [c["values"] for c in counts if c["counts"] > 1]
        raise SchemaError(f"games column 'game_id' has duplicates: {dup[:10]}")
    return table


def validate_rosters(table: pa.Table) -> pa.Table:
    """Check `table` against ROSTERS; return it unchanged."""
    _check_fields(table, ROSTERS, "rosters")
    _check_in(table, "position", POSITIONS, "rosters")
    return table


def embedding_columns(frame: Any, prefix: str = "emb_") -> list[str]:
    """An embedding table's mean columns `<prefix>0, <prefix>1, ...` in index order (not the
    `emb_var_*` / `emb_sd_*` spreads); ValueError when there are none."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    found = sorted((int(m.group(1)), c) for c in frame.columns if (m := pattern.match(str(c))))
    if not found:
        raise ValueError(f"embedding table has no columns named {prefix}0, {prefix}1, ... "
                         "(pass the output of embed_events / embed_players or `hockey-vae "
                         "embed`)")
    return [c for _, c in found]

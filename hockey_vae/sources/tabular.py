"""Canonical tables a user already has (CSV or Parquet in our schema) -> validated Ingested.

Files are classified by name: `games*` -> games, `rosters*` -> rosters, anything else ->
events; a directory is searched for such files (e.g. a folder written by `ingest`).
Columns are cast to the canonical types; a missing required column or a value that cannot
be cast raises ParseError naming the file and the column. Optional columns may be absent
(they become null). Without a games file, a minimal games table (ids, teams, date) is
derived from the events; without a rosters file, rosters are the acting players per team.
In CSV, list columns (`on_ice_for`, `on_ice_against`) are ids separated by `;` (or `|`),
optionally in brackets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths, open_binary
from hockey_vae.sources.base import Ingested, ParseError, Problem

__all__ = ["read", "REQUIRED"]

log = logging.getLogger(__name__)

# Columns without which a table is unusable.
REQUIRED: dict[str, tuple[str, ...]] = {
    "events": ("game_id", "event_idx", "event_type"),
    "games": ("game_id",),
    "rosters": ("game_id", "player_id"),
}
_SCHEMAS = {"events": schema.EVENTS, "games": schema.GAMES, "rosters": schema.ROSTERS}
_SUFFIXES = (".parquet", ".csv")


def _kind(path: Path) -> str:
    name = path.name.lower()
    for kind in ("games", "rosters"):
        if name.startswith(kind):
            return kind
    return "events"


def _parse_list(values: pa.Array) -> pa.Array:
    """CSV text like `[1;2;3]` or `1|2|3` -> list<string> (empty text -> null)."""
    out = []
    for text in values.to_pylist():
        if text is None or not str(text).strip():
            out.append(None)
            continue
        body = str(text).strip().strip("[]")
        items = [i.strip().strip("'\"") for i in re.split(r"[;|,]", body)]
        out.append([i for i in items if i])
    return pa.array(out, pa.list_(pa.string()))


def _read_raw(path: Path) -> pa.Table:
    if path.name.lower().removesuffix(".gz").endswith(".parquet"):
        try:
            return pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as err:
            raise ParseError(path, f"unreadable Parquet: {err}") from err
    with open_binary(path) as fh:
        data = fh.read()
    if not data.strip():
        raise ParseError(path, "empty file")
    try:
        # every column as text first, so a bad value is reported by column below
        header = pacsv.read_csv(pa.BufferReader(data.split(b"\n", 1)[0] + b"\n")).column_names
        return pacsv.read_csv(
            pa.BufferReader(data),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True),
        )
    except pa.ArrowInvalid as err:
        raise ParseError(path, f"malformed CSV: {err}") from err


def _cast(table: pa.Table, kind: str, path: Path) -> pa.Table:
    """Select and cast `table`'s columns to the canonical schema of `kind`."""
    target = _SCHEMAS[kind]
    missing = [c for c in REQUIRED[kind] if c not in table.column_names]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing} for a {kind} table",
                         field=missing[0])
    extra = [c for c in table.column_names if c not in target.names]
    if extra:
        log.info("%s: ignoring column(s) %s", path, extra[:10])
    columns = []
    for field in target:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        col = table.column(field.name).combine_chunks()
        if col.type == field.type:
            columns.append(col)
            continue
        try:
            if pa.types.is_list(field.type) and pa.types.is_string(col.type):
                col = _parse_list(col)
            elif pa.types.is_string(col.type) and pa.types.is_boolean(field.type):
                lowered = pc.utf8_lower(pc.utf8_trim_whitespace(col))
                col = pc.if_else(pc.is_in(lowered, pa.array(["true", "1", "t", "yes"])), True,
                                 pc.if_else(pc.is_in(lowered, pa.array(["false", "0", "f", "no"])),
                                            False, pa.scalar(None, pa.bool_())))
            elif pa.types.is_string(col.type) and (pa.types.is_integer(field.type)
                                                   or pa.types.is_floating(field.type)):
                col = pc.cast(pc.cast(col, pa.float64()), field.type)
            columns.append(pc.cast(col, field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as err:
            raise ParseError(path, f"cannot read values as {field.type}: {err}",
                             field=field.name) from err
    out = pa.Table.from_arrays(columns, schema=target)
    for name in REQUIRED[kind]:
        nulls = out.column(name).null_count
        if nulls:
            first = int(np.flatnonzero(out.column(name).is_null().to_numpy(
                zero_copy_only=False))[0])
            raise ParseError(path, f"{nulls} empty value(s) in required column", row=first,
                             field=name)
    return out


def _clean_events(table: pa.Table, path: Path, strict: bool) -> tuple[pa.Table, list[Problem]]:
    """Drop rows with an unknown event type; null out coordinates beyond the rink."""
    problems = []
    known = pc.is_in(table.column("event_type"), pa.array(schema.EVENT_TYPES)).to_numpy(
        zero_copy_only=False)
    if not known.all():
        bad = sorted(set(pc.filter(table.column("event_type"), pa.array(~known)).to_pylist()))
        row = int(np.flatnonzero(~known)[0])
        message = f"unknown event type(s) {bad[:5]}: {int((~known).sum())} row(s) skipped"
        if strict:
            raise ParseError(path, message, row=row, field="event_type")
        problems.append(Problem(str(path), message, row, "event_type", rows=int((~known).sum())))
        table = table.filter(pa.array(known))
    for column, limit in (("x", schema.RINK_HALF_LENGTH_FT), ("y", schema.RINK_HALF_WIDTH_FT)):
        values = table.column(column).to_numpy(zero_copy_only=False).astype(float)
        over = np.abs(np.nan_to_num(values)) > limit + 1.0
        if over.any():
            message = f"{int(over.sum())} value(s) beyond +-{limit} ft set to null"
            if strict:
                raise ParseError(path, message, row=int(np.flatnonzero(over)[0]), field=column)
            problems.append(Problem(str(path), message, int(np.flatnonzero(over)[0]), column))
            both = pa.array(np.where(over, np.nan, values), pa.float32(), from_pandas=True)
            table = table.set_column(table.schema.get_field_index(column), column, both)
    return table, problems


def _games_from_events(events: pa.Table) -> pa.Table:
    """Minimal games table (ids, league, season, date, teams) when no games file is given."""
    if events.num_rows == 0:
        return schema.empty_table(schema.GAMES)
    first = events.group_by("game_id", use_threads=False).aggregate(
        [("league", "first"), ("season", "first"), ("game_date", "first")])
    sides = events.filter(pc.is_valid(events.column("is_home"))).group_by(
        ["game_id", "is_home"], use_threads=False).aggregate([("team", "first")])
    home = {g: t for g, h, t in zip(*(sides.column(c).to_pylist()
                                      for c in ("game_id", "is_home", "team_first")),
                                    strict=True) if h}
    away = {g: t for g, h, t in zip(*(sides.column(c).to_pylist()
                                      for c in ("game_id", "is_home", "team_first")),
                                    strict=True) if not h}
    ids = first.column("game_id").to_pylist()
    n = len(ids)
    return pa.table({
        "game_id": pa.array(ids, pa.string()),
        "league": first.column("league_first"),
        "season": first.column("season_first"),
        "game_date": first.column("game_date_first"),
        "home_team": pa.array([home.get(g) for g in ids], pa.string()),
        "away_team": pa.array([away.get(g) for g in ids], pa.string()),
        "home_goals": pa.nulls(n, pa.int16()),
        "away_goals": pa.nulls(n, pa.int16()),
        "winner": pa.nulls(n, pa.string()),
        "decided_in": pa.nulls(n, pa.string()),
    }, schema=schema.GAMES).sort_by("game_id")


def _rosters_from_events(events: pa.Table) -> pa.Table:
    """Acting players per game and team (positions unknown) when no rosters file is given."""
    acted = events.filter(pc.and_(pc.is_valid(events.column("player_id")),
                                  pc.is_valid(events.column("team"))))
    grouped = acted.group_by(["game_id", "team", "player_id"], use_threads=False).aggregate(
        [("player_name", "first")])
    n = grouped.num_rows
    return pa.table({
        "game_id": grouped.column("game_id"), "team": grouped.column("team"),
        "player_id": grouped.column("player_id"),
        "player_name": grouped.column("player_name_first"),
        "position": pa.nulls(n, pa.string()),
    }, schema=schema.ROSTERS).sort_by(
        [("game_id", "ascending"), ("team", "ascending"), ("player_id", "ascending")])


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read canonical events (and optional games/rosters) from CSV or Parquet files.

    Under `strict` the first problem raises ParseError; otherwise bad files and rows are
    skipped and listed in `Ingested.problems`. A game whose events appear in two files is
    kept from the first file only. `progress` is accepted for a uniform reader signature.
    """
    files = [p for p in expand_paths(paths, _SUFFIXES)
             if p.name.lower().removesuffix(".gz").endswith(_SUFFIXES)]
    parts: dict[str, list[pa.Table]] = {"events": [], "games": [], "rosters": []}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    read_ok = skipped = 0
    for path in files:
        kind = _kind(path)
        try:
            table = _cast(_read_raw(path), kind, path)
            if table.num_rows == 0:
                raise ParseError(path, "no rows (header only)", row=0)
            if kind == "events":
                table, found = _clean_events(table, path, strict)
                problems += found
                ids = pc.unique(table.column("game_id")).to_pylist()
                dup = [g for g in ids if g in seen]
                if dup:
                    message = f"duplicate game(s) {dup[:5]} already read from {seen[dup[0]]}"
                    if strict:
                        raise ParseError(path, message, field="game_id")
                    keep = pc.invert(pc.is_in(table.column("game_id"), pa.array(dup)))
                    dropped = table.num_rows - (pc.sum(keep).as_py() or 0)
                    problems.append(Problem(str(path), message + f": {dropped} row(s) skipped",
                                            field="game_id", rows=dropped))
                    table = table.filter(keep)
                seen.update({g: str(path) for g in ids if g not in seen})
        except ParseError as err:
            if strict:
                raise
            problems.append(err.to_problem())
            log.warning("skipped %s", err)
            skipped += 1
            continue
        parts[kind].append(table)
        read_ok += 1
    events = (pa.concat_tables(parts["events"]) if parts["events"]
              else schema.empty_table(schema.EVENTS))
    events = events.sort_by([("game_id", "ascending"), ("event_idx", "ascending")])
    games = (pa.concat_tables(parts["games"]).sort_by("game_id") if parts["games"]
             else _games_from_events(events))
    rosters = (pa.concat_tables(parts["rosters"]) if parts["rosters"]
               else _rosters_from_events(events))
    out = Ingested(events=events, games=games, rosters=rosters, problems=problems,
                   files_read=read_ok, files_skipped=skipped)
    try:
        out.validate()
    except schema.SchemaError as err:
        raise ParseError(", ".join(str(f) for f in files[:3]) + (" ..." if len(files) > 3
                                                                 else ""), str(err)) from err
    return out

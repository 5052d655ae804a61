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
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths
from hockey_vae.sources.base import (
    READ_ERRORS,
    Ingested,
    ParseError,
    Problem,
    as_parse_error,
    decode,
    read_bytes,
)
from hockey_vae.sources.normalise import with_extra_columns
from hockey_vae.sources.tabular_cells import cast_column

__all__ = ["read", "REQUIRED"]

log = logging.getLogger(__name__)

# Columns without which a table is unusable.
REQUIRED: dict[str, tuple[str, ...]] = {
    "events": ("game_id", "event_idx", "event_type"),
    "games": ("game_id",),
    "rosters": ("game_id", "player_id"),
}
# canonical columns plus those `normalise` adds, so a folder written by ingest keeps them
_SCHEMAS = {"events": schema.EVENTS, "games": with_extra_columns(schema.GAMES, "games"),
            "rosters": with_extra_columns(schema.ROSTERS, "rosters")}
_SUFFIXES = (".parquet", ".csv")


def _kind(path: Path) -> str:
    name = path.name.lower()
    for kind in ("games", "rosters"):
        if name.startswith(kind):
            return kind
    return "events"


def _read_raw(path: Path) -> tuple[pa.Table, list[Problem]]:
    """The file as a table (CSV: every column as text) and rows skipped for their width."""
    if path.name.lower().removesuffix(".gz").endswith(".parquet"):
        try:
            return pq.read_table(pa.BufferReader(read_bytes(path))), []
        except (pa.ArrowException, OSError) as err:
            raise ParseError(path, f"unreadable Parquet: {err}") from err
    data = read_bytes(path)
    if not data.strip():
        raise ParseError(path, "empty file")
    decode(path, data)  # names the line of a non-UTF-8 byte
    skipped: list[int] = []

    def skip(row: pacsv.InvalidRow) -> str:
        skipped.append(row.number if row.number is not None else -1)
        return "skip"

    try:
        header = pacsv.read_csv(pa.BufferReader(data.split(b"\n", 1)[0] + b"\n")).column_names
        table = pacsv.read_csv(
            pa.BufferReader(data),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True),
        )
    except pa.ArrowInvalid as err:
        raise ParseError(path, f"malformed CSV: {err}") from err
    problems = []
    for name in table.column_names:
        spans = pc.fill_null(pc.match_substring(table.column(name), "\n"), False)
        if pc.any(spans).as_py():
            first = int(np.flatnonzero(spans.to_numpy(zero_copy_only=False))[0])
            problems.append(Problem(str(path), f"{pc.sum(spans).as_py()} value(s) span lines "
                                               "(an unclosed quote?)", first, name))
    if skipped:
        problems.append(Problem(str(path), f"{len(skipped)} row(s) with the wrong number of "
                                           "fields skipped", min(skipped) - 2, rows=len(skipped)))
    return table, problems


def _cast(table: pa.Table, kind: str, path: Path) -> tuple[pa.Table, list[Problem]]:
    """Select and cast `table`'s columns to the canonical schema of `kind`.

    A value that cannot be read is nulled with a Problem; a row left without a required
    value is dropped with a Problem. A missing required column is a ParseError.
    """
    target = _SCHEMAS[kind]
    missing = [c for c in REQUIRED[kind] if c not in table.column_names]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing} for a {kind} table",
                         field=missing[0])
    extra = [c for c in table.column_names if c not in target.names]
    if extra:
        log.info("%s: ignoring column(s) %s", path, extra[:10])
    columns, problems = [], []
    for field in target:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        raw = table.column(field.name).combine_chunks()
        col, bad = cast_column(raw, field.type)
        if bad.any():
            examples = sorted({str(v) for v in raw.filter(pa.array(bad)).to_pylist()})[:3]
            problems.append(Problem(str(path), f"{int(bad.sum())} value(s) that cannot be read "
                                               f"as {field.type} {examples}: set to null",
                                    int(np.flatnonzero(bad)[0]), field.name))
        columns.append(col)
    out = pa.Table.from_arrays(columns, schema=target)
    return _drop_rows(out, path, problems, {
        name: (out.column(name).is_null().to_numpy(zero_copy_only=False),
               "an empty or unreadable required value") for name in REQUIRED[kind]}), problems


def _drop_rows(table: pa.Table, path: Path, problems: list[Problem],
               masks: dict[str, tuple[np.ndarray, str]]) -> pa.Table:
    """Drop the rows flagged in `masks` (field -> (bool per row, why)), a Problem per field."""
    drop = np.zeros(table.num_rows, bool)
    for name, (mask, why) in masks.items():
        new = mask & ~drop
        if new.any():
            problems.append(Problem(str(path), f"{why}: {int(new.sum())} row(s) skipped",
                                    int(np.flatnonzero(new)[0]), name, rows=int(new.sum())))
        drop |= mask
    return table.filter(pa.array(~drop)) if drop.any() else table


def _clean_events(table: pa.Table, path: Path) -> tuple[pa.Table, list[Problem]]:
    """Drop rows with an unknown event type, a period below 1 or a repeated
    (game_id, event_idx); null out coordinates beyond the rink."""
    problems: list[Problem] = []
    types = table.column("event_type")
    known = pc.is_in(types, pa.array(schema.EVENT_TYPES)).to_numpy(zero_copy_only=False)
    unknown = sorted({str(t) for t in pc.filter(types, pa.array(~known)).to_pylist()})
    period = table.column("period").to_numpy(zero_copy_only=False).astype(float)
    keys = pd.Series(list(zip(table.column("game_id").to_pylist(),
                              table.column("event_idx").to_pylist(), strict=True)))
    table = _drop_rows(table, path, problems, {
        "event_type": (~known, f"unknown event type(s) {unknown[:5]}"),
        "period": (period < 1, "a period below 1"),  # null periods are allowed (unknown)
        "event_idx": (keys.duplicated().to_numpy(), "an event_idx repeated within its game "
                                                    "(the first is kept)"),
    })
    for column, limit in (("x", schema.RINK_HALF_LENGTH_FT), ("y", schema.RINK_HALF_WIDTH_FT)):
        values = table.column(column).to_numpy(zero_copy_only=False).astype(float)
        over = np.abs(np.nan_to_num(values)) > limit + 1.0
        if over.any():
            problems.append(Problem(str(path), f"{int(over.sum())} value(s) beyond +-{limit} ft "
                                               "set to null", int(np.flatnonzero(over)[0]),
                                    column))
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


def _vocabulary(table: pa.Table, path: Path, problems: list[Problem],
                allowed: dict[str, tuple[str, ...]]) -> pa.Table:
    """Null values outside a column's vocabulary, with a Problem per column."""
    for column, values in allowed.items():
        col = table.column(column)
        bad = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, pa.array(values))))
        bad = bad.to_numpy(zero_copy_only=False)
        if bad.any():
            found = sorted({str(v) for v in pc.filter(col, pa.array(bad)).to_pylist()})[:5]
            problems.append(Problem(str(path), f"{int(bad.sum())} value(s) {found} outside "
                                               f"{list(values)}: set to null",
                                    int(np.flatnonzero(bad)[0]), column))
            fixed = pc.if_else(pa.array(bad), pa.scalar(None, col.type), col)
            table = table.set_column(table.schema.get_field_index(column), column, fixed)
    return table


def _read_table(path: Path, seen: dict[str, str]) -> tuple[str, pa.Table, list[Problem]]:
    """One file as a clean canonical table of its kind; `seen` maps game ids (of this kind)
    to the file that gave them first, so a repeated game is skipped with a Problem."""
    kind = _kind(path)
    raw, problems = _read_raw(path)
    table, found = _cast(raw, kind, path)
    problems += found
    if raw.num_rows == 0:
        raise ParseError(path, "no rows (header only)", row=0)
    if kind == "events":
        table, found = _clean_events(table, path)
        problems += found
    elif kind == "games":
        table = _vocabulary(table, path, problems, {"winner": ("home", "away"),
                                                   "decided_in": schema.OUTCOMES})
    else:
        table = _vocabulary(table, path, problems, {"position": schema.POSITIONS})
    if kind != "rosters":
        ids = table.column("game_id").to_pylist()
        earlier = np.array([g in seen for g in ids], bool)
        repeated = (pd.Series(ids).duplicated().to_numpy() if kind == "games"
                    else np.zeros(len(ids), bool))
        dups = sorted({g for g in ids if g in seen})
        where = seen.get(dups[0], "") if dups else ""
        table = _drop_rows(table, path, problems, {
            "game_id": (earlier, f"duplicate game(s) {dups[:5]} already read from {where}")})
        table = _drop_rows(table, path, problems, {
            "game_id": (repeated[~earlier], "a game listed twice (the first is kept)")})
        seen.update({g: str(path) for g in ids if g not in seen})
    return kind, table, problems


def _reconcile(parts: dict[str, list[tuple[Path, pa.Table]]], problems: list[Problem]
               ) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Events, games and rosters that agree: games (and rosters) without events are
    dropped, games missing from a given games file are derived from the events."""
    events = (pa.concat_tables([t for _, t in parts["events"]]) if parts["events"]
              else schema.empty_table(schema.EVENTS))
    events = events.sort_by([("game_id", "ascending"), ("event_idx", "ascending")])
    event_games = pc.unique(events.column("game_id"))
    derived = _games_from_events(events)
    if not parts["games"]:
        games = derived
    else:
        kept = []
        for path, table in parts["games"]:
            empty = pc.invert(pc.is_in(table.column("game_id"), event_games))
            for g in table.filter(empty).column("game_id").to_pylist():
                problems.append(Problem(str(path), f"game {g} has no events: dropped",
                                        field="game_id"))
            kept.append(table.filter(pc.invert(empty)))
        games = pa.concat_tables(kept)
        missing = pc.invert(pc.is_in(derived.column("game_id"), games.column("game_id")))
        for g in derived.filter(missing).column("game_id").to_pylist():
            problems.append(Problem(str(parts["games"][0][0]), f"game {g} has events but no "
                                    "row in the games file(s): teams and date taken from its "
                                    "events, result unknown", field="game_id"))
        games = pa.concat_tables([games, derived.filter(missing)],  # derived: no extras
                                 promote_options="default").sort_by("game_id")
    if not parts["rosters"]:
        return events, games, _rosters_from_events(events)
    kept = []
    for path, table in parts["rosters"]:
        orphan = pc.invert(pc.is_in(table.column("game_id"), games.column("game_id")))
        count = pc.sum(orphan).as_py() or 0
        if count:
            first = int(np.flatnonzero(orphan.to_numpy(zero_copy_only=False))[0])
            problems.append(Problem(str(path), f"{count} roster row(s) of games without events "
                                               "skipped", first, "game_id", rows=count))
        kept.append(table.filter(pc.invert(orphan)))
    return events, games, pa.concat_tables(kept)


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read canonical events (and optional games/rosters) from CSV or Parquet files.

    Under `strict` the first problem raises ParseError; otherwise bad files, rows and cells
    are skipped (or nulled) and listed in `Ingested.problems`. A game whose events appear in
    two files is kept from the first file only. `progress` is accepted for a uniform reader
    signature.
    """
    files = [p for p in expand_paths(paths, _SUFFIXES)
             if p.name.lower().removesuffix(".gz").endswith(_SUFFIXES)]
    parts: dict[str, list[tuple[Path, pa.Table]]] = {"events": [], "games": [], "rosters": []}
    problems: list[Problem] = []
    seen: dict[str, dict[str, str]] = {"events": {}, "games": {}, "rosters": {}}
    read_ok = skipped = 0
    for path in files:
        try:
            try:
                kind, table, found = _read_table(path, seen[_kind(path)])
            except READ_ERRORS as err:
                raise as_parse_error(path, err) from err
            if strict and found:
                raise ParseError(path, found[0].message, row=found[0].row, field=found[0].field)
        except ParseError as err:
            if strict:
                raise
            problems.append(err.to_problem())
            log.warning("skipped %s", err)
            skipped += 1
            continue
        problems += found
        parts[kind].append((path, table))
        read_ok += 1
    before = len(problems)
    events, games, rosters = _reconcile(parts, problems)
    if strict and len(problems) > before:
        p = problems[before]
        raise ParseError(p.file, p.message, row=p.row, field=p.field)
    out = Ingested(events=events, games=games, rosters=rosters, problems=problems,
                   files_read=read_ok, files_skipped=skipped)
    try:
        out.validate()
    except schema.SchemaError as err:  # a bug if reached: every check above is per file
        raise ParseError(", ".join(str(f) for f in files[:3]) + (" ..." if len(files) > 3
                                                                 else ""), str(err)) from err
    from hockey_vae.sources.normalise import normalise  # ids that join across sources

    return normalise(out)

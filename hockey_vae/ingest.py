"""Ingest orchestration: any supported format -> validated canonical Parquet tables.

`ingest(format, paths, out_dir)` reads with the format's reader, validates every table
and only then writes `events.parquet`, `games.parquet`, `rosters.parquet` atomically, so a
failed run never replaces earlier outputs. `load_tables(dir)` reads such a folder back
(every later stage starts there) and `describe` summarises one.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from hockey_vae import schema
from hockey_vae.io import PathLike, read_table_set
from hockey_vae.names import INGEST_FORMATS
from hockey_vae.sources.base import Ingested, write_tables

__all__ = ["FORMATS", "get_reader", "ingest", "load_tables", "describe", "PLAYER_EVENTS"]

log = logging.getLogger(__name__)

# Format name -> module (imported lazily, by name) exposing `read(paths, *, strict, progress,
# **kwargs) -> Ingested`. A new source is one line here.
FORMATS: dict[str, str] = INGEST_FORMATS  # a new source is one line in hockey_vae.names

# Event types that always have an acting player when the source is complete.
PLAYER_EVENTS: tuple[str, ...] = (
    "faceoff", "shot", "missed_shot", "blocked_shot", "goal", "hit", "giveaway", "takeaway",
    "penalty", "pass", "failed_pass", "puck_recovery", "dump", "zone_entry",
)

_TABLES = {"events": schema.EVENTS, "games": schema.GAMES, "rosters": schema.ROSTERS}


def get_reader(format: str) -> Callable[..., Ingested]:
    """The `read` function of a registered format; ValueError naming the known formats."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {sorted(FORMATS)}")
    return importlib.import_module(FORMATS[format]).read


def ingest(
    format: str,
    paths: PathLike | Iterable[PathLike],
    out_dir: PathLike,
    *,
    strict: bool = False,
    progress: bool = True,
    **kwargs,
) -> Ingested:
    """Read `paths` in `format`, validate, write the canonical tables into `out_dir`.

    Extra keyword arguments go to the reader (e.g. `positions=` for hockey_scraper).
    Nothing in `out_dir` is replaced unless every table is valid; a run that reads no game
    at all raises ValueError and writes nothing.
    """
    reader = get_reader(format)
    accepted = inspect.signature(reader).parameters
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise ValueError(f"format {format!r} does not take option(s) {unknown}")
    result = reader(paths, strict=strict, progress=progress, **kwargs)
    if result.games.num_rows == 0 and result.events.num_rows == 0:
        reasons = "; ".join(str(p) for p in result.problems[:5]) or "no input rows"
        raise ValueError(f"nothing ingested from {format} input ({reasons})")
    write_tables(result, out_dir)
    log.info("wrote %d events of %d games to %s", result.events.num_rows,
             result.games.num_rows, out_dir)
    if result.shootout_rows:
        log.info("dropped %d shootout row(s) in %d game(s) by design (not part of sequences)",
                 result.shootout_rows, result.shootout_games)
    return result


def load_tables(directory: PathLike) -> Ingested:
    """Read a folder written by `ingest` (or `simulate`) back as one table set, validated.

    Returns an `Ingested` whose .events, .games, .rosters (and, for a simulated league,
    .players) are pyarrow Tables; `.to_pandas()` gives the same as pandas DataFrames.

    Raises FileNotFoundError naming the folder and the missing file, and
    `io.TableSetError` when its files are not one complete set of one run.
    """
    from hockey_vae.sources.normalise import normalise, with_extra_columns

    wanted = {name: with_extra_columns(sch, name) for name, sch in _TABLES.items()}
    found = read_table_set(directory, {**wanted, "players": None})
    tables = found.tables
    out = Ingested(events=tables["events"], games=tables["games"], rosters=tables["rosters"],
                   players=tables.get("players"))
    return normalise(out).validate()  # folders written before normalising come back alike


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def describe(data: PathLike | Ingested) -> dict:
    """Counts and data problems of a canonical folder or Ingested (JSON-serialisable)."""
    ingested = data if isinstance(data, Ingested) else load_tables(data)
    events, games, rosters = ingested.events, ingested.games, ingested.rosters
    n = events.num_rows
    types = pc.value_counts(events.column("event_type")).to_pylist()
    type_counts = {t["values"]: t["counts"] for t in sorted(types, key=lambda t: -t["counts"])}
    player_event = pc.is_in(events.column("event_type"), pa.array(PLAYER_EVENTS))
    n_player_events = pc.sum(player_event).as_py() or 0
    null_player = pc.sum(pc.and_(player_event, pc.is_null(events.column("player_id")))).as_py()
    null_xy_player = pc.sum(pc.and_(player_event, pc.is_null(events.column("x")))).as_py()
    has_team = pc.is_valid(events.column("team"))
    n_team = pc.sum(has_team).as_py() or 0
    unknown_manpower = pc.sum(pc.and_(has_team, pc.is_null(events.column("skaters_for")))).as_py()
    no_on_ice = pc.sum(pc.and_(has_team, pc.is_null(events.column("on_ice_for")))).as_py()
    players = pc.unique(pc.drop_null(pa.concat_arrays([
        events.column("player_id").combine_chunks(),
        rosters.column("player_id").combine_chunks().cast(pa.string()),
    ])))
    event_games = pc.unique(events.column("game_id"))
    games_without_events = pc.sum(pc.invert(pc.is_in(games.column("game_id"), event_games)))
    outcomes = pc.value_counts(games.column("decided_in")).to_pylist()
    out = {
        "games": games.num_rows,
        "events": n,
        "players": len(players),
        "acting_players": pc.count_distinct(events.column("player_id")).as_py(),
        "seasons": sorted(s for s in pc.unique(games.column("season")).to_pylist() if s),
        "leagues": sorted(s for s in pc.unique(games.column("league")).to_pylist() if s),
        "event_types": type_counts,
        "decided_in": {o["values"] or "unknown": o["counts"] for o in outcomes},
        "roster_rows": rosters.num_rows,
        "problems": {
            "player_events_without_player": int(null_player or 0),
            "player_events_without_player_share": _share(null_player or 0, n_player_events),
            "player_events_without_coordinates": int(null_xy_player or 0),
            "player_events_without_coordinates_share": _share(null_xy_player or 0,
                                                               n_player_events),
            "events_without_team": n - n_team,
            "unknown_manpower_share": _share(unknown_manpower or 0, n_team),
            "team_events_without_on_ice": int(no_on_ice or 0),
            "roster_players_without_position": int(rosters.column("position").null_count),
            "games_without_events": int(games_without_events.as_py() or 0),
            "games_without_result": int(games.column("winner").null_count),
        },
    }
    if ingested.problems:
        out["read_problems"] = [str(p) for p in ingested.problems[:20]]
    return out

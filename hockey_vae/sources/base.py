"""What every source returns, and the shared loop that reads many files.

A source module exposes `read(paths, *, strict=False, progress=True) -> Ingested`; it
implements a private per-file parser and hands it to `read_many`, which expands paths,
shows a progress bar, collects per-file problems (or raises under `strict`), refuses
duplicate games and returns tables in a deterministic order.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths, open_binary, write_table_set
from hockey_vae.progress import bar_disable

__all__ = ["Ingested", "Problem", "ParseError", "read_many", "concat_ingested", "write_tables",
           "READ_ERRORS", "as_parse_error", "read_bytes", "decode", "load_json", "check_part"]

# Everything a parser may raise on input it cannot read (bad gzip, encoding, JSON or CSV
# shape, wrong types). `read_many` turns these into a ParseError naming the file; any other
# exception is a bug in the package and propagates.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, zlib.error, ValueError, LookupError, TypeError, AttributeError,
    csv.Error, pa.ArrowException, RecursionError, OverflowError, ArithmeticError,
)

log = logging.getLogger(__name__)


class ParseError(ValueError):
    """A source file cannot be read; the message names the file and the row or field."""

    def __init__(self, file: PathLike, message: str, row: int | None = None,
                 field: str | None = None):
        self.file, self.row, self.field, self.message = str(file), row, field, message
        where = self.file
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")

    def to_problem(self) -> Problem:
        """The fatal Problem that records this file as skipped."""
        return Problem(self.file, self.message, self.row, self.field, fatal=True)


@dataclass(frozen=True)
class Problem:
    """One thing that went wrong or was skipped while reading; `rows` counts rows affected."""

    file: str
    message: str
    row: int | None = None
    field: str | None = None
    rows: int = 0
    fatal: bool = False  # the whole file was skipped

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        where += f", field {self.field!r}" if self.field is not None else ""
        return f"{where}: {self.message}"


@dataclass
class Ingested:
    """Canonical tables from one or more files, plus the problems met on the way."""

    events: pa.Table = field(default_factory=lambda: schema.empty_table(schema.EVENTS))
    games: pa.Table = field(default_factory=lambda: schema.empty_table(schema.GAMES))
    rosters: pa.Table = field(default_factory=lambda: schema.empty_table(schema.ROSTERS))
    players: pa.Table | None = None  # only the synthetic league knows true styles
    problems: list[Problem] = field(default_factory=list)
    files_read: int = 0
    files_skipped: int = 0
    shootout_rows: int = 0  # rows dropped by design: shootouts are not part of sequences
    shootout_games: int = 0

    def validate(self) -> Ingested:
        """Validate every table against its schema; return self."""
        schema.validate_events(self.events)
        schema.validate_games(self.games)
        schema.validate_rosters(self.rosters)
        return self

    def to_pandas(self) -> Any:
        """The tables as pandas DataFrames (`hockey_vae.frames.Frames`: .events, .games,
        .rosters, .players), which every model entry point also accepts."""
        from hockey_vae.frames import Frames

        return Frames(self.events.to_pandas(), self.games.to_pandas(), self.rosters.to_pandas(),
                      None if self.players is None else self.players.to_pandas())

    def summary(self) -> dict:
        """Counts an analyst wants after an ingest (JSON-serialisable)."""
        skipped_rows = sum(p.rows for p in self.problems)
        return {
            "files_read": self.files_read,
            "files_skipped": self.files_skipped,
            "games": self.games.num_rows,
            "events": self.events.num_rows,
            "rosters": self.rosters.num_rows,
            "problems": len(self.problems),
            "rows_skipped": skipped_rows,
            "shootout_rows_dropped": self.shootout_rows,
            "shootout_games": self.shootout_games,
        }


def concat_ingested(parts: Iterable[Ingested]) -> Ingested:
    """One Ingested from many, sorted by game_id (events also by event_idx)."""
    parts = list(parts)
    out = Ingested()
    if parts:
        events = pa.concat_tables([p.events for p in parts])
        games = pa.concat_tables([p.games for p in parts])
        rosters = pa.concat_tables([p.rosters for p in parts])
        out.events = events.sort_by([("game_id", "ascending"), ("event_idx", "ascending")])
        out.games = games.sort_by([("game_id", "ascending")])
        out.rosters = rosters.sort_by(
            [("game_id", "ascending"), ("team", "ascending"), ("player_id", "ascending")]
        )
        players = [p.players for p in parts if p.players is not None]
        out.players = pa.concat_tables(players) if players else None
    for p in parts:
        out.problems.extend(p.problems)
        out.files_read += p.files_read
        out.files_skipped += p.files_skipped
        out.shootout_rows += p.shootout_rows
        out.shootout_games += p.shootout_games
    return out


def as_parse_error(path: PathLike, err: BaseException) -> ParseError:
    """`err`, raised while reading `path`, as a ParseError with a plain-words reason."""
    if isinstance(err, ParseError):
        return err
    name = type(err).__name__
    if isinstance(err, UnicodeDecodeError):
        return ParseError(path, f"not UTF-8 text: byte 0x{err.object[err.start]:02x} at byte "
                                f"offset {err.start}", field="encoding")
    if isinstance(err, (EOFError, zlib.error, gzip.BadGzipFile)):
        return ParseError(path, f"truncated or corrupt compressed file ({name}: {err})",
                          field="gzip")
    if isinstance(err, json.JSONDecodeError):
        return ParseError(path, f"malformed JSON: {err.msg} at line {err.lineno} column "
                                f"{err.colno}")
    if isinstance(err, csv.Error):
        return ParseError(path, f"malformed CSV: {err}")
    if isinstance(err, schema.SchemaError):
        return ParseError(path, f"invalid after reading: {err}")
    if isinstance(err, (AttributeError, TypeError, LookupError)):
        return ParseError(path, f"unexpected structure: a value has the wrong type or is "
                                f"missing ({name}: {err})")
    return ParseError(path, f"{name}: {err}")


def read_bytes(path: PathLike) -> bytes:
    """All bytes of `path` (gzip transparent); ParseError for a truncated or corrupt file."""
    try:
        with open_binary(path) as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise ParseError(path, f"cannot open: {err.strerror or err}") from err
        raise as_parse_error(path, err) from err


def decode(path: PathLike, data: bytes, encoding: str = "utf-8") -> str:
    """`data` as text; ParseError naming the line and byte of the first undecodable byte."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ParseError(path, f"not {encoding.upper()} text: byte 0x{data[err.start]:02x} "
                               f"at line {line} (byte offset {err.start}); save the file as "
                               "UTF-8", row=line, field="encoding") from err


def load_json(path: PathLike) -> Any:
    """The JSON document in `path` (gzip transparent); ParseError naming what is wrong."""
    try:
        return json.loads(decode(path, read_bytes(path)))
    except json.JSONDecodeError as err:
        raise as_parse_error(path, err) from err
    except RecursionError as err:
        raise ParseError(path, "malformed JSON: nested too deeply") from err


def check_part(path: PathLike, part: Ingested, strict: bool) -> Ingested:
    """Validate one file's tables and drop its games without events, with a Problem.

    A SchemaError becomes a ParseError naming the file; under `strict`, the file's first
    problem (from the parser or from here) raises.
    """
    try:
        part.validate()
    except schema.SchemaError as err:
        raise ParseError(path, f"invalid after reading: {err}") from err
    event_games = pc.unique(part.events.column("game_id"))
    empty = pc.invert(pc.is_in(part.games.column("game_id"), event_games))
    for game_id in part.games.filter(empty).column("game_id").to_pylist():
        part.problems.append(Problem(str(path), f"game {game_id} has no events: dropped",
                                     field="game_id"))
    if pc.any(empty).as_py():
        part.games = part.games.filter(pc.invert(empty))
        keep = pc.is_in(part.rosters.column("game_id"), part.games.column("game_id"))
        part.rosters = part.rosters.filter(keep)
    if strict and part.problems:
        first = part.problems[0]
        raise ParseError(first.file, first.message, row=first.row, field=first.field)
    return part


def read_many(
    paths: PathLike | Iterable[PathLike],
    read_one: Callable[[Path], Ingested],
    *,
    suffixes: tuple[str, ...],
    strict: bool = False,
    progress: bool = True,
    desc: str = "reading",
) -> Ingested:
    """Apply `read_one` to every file in `paths`; collect results and per-file problems.

    A file whose parser raises ParseError or any of READ_ERRORS is skipped with a Problem
    naming it (ParseError under `strict`). Each file's tables are validated on their own
    (`check_part`), so one bad file never refuses the others. A game id seen in an earlier
    file is a problem too (the later file is skipped). Under `strict` the first problem of
    any kind raises.
    """
    files = expand_paths(paths, suffixes)
    parts: list[Ingested] = []
    seen_games: dict[str, str] = {}
    skipped: list[Problem] = []
    for path in tqdm(files, desc=desc, unit="file", disable=bar_disable(progress and len(files) >= 2)):
        try:
            try:
                part = check_part(path, read_one(path), strict)
            except READ_ERRORS as err:
                raise as_parse_error(path, err) from err
            duplicates = [g for g in part.games.column("game_id").to_pylist()
                          if g in seen_games]
            if duplicates:
                raise ParseError(path, f"duplicate game(s) {duplicates[:5]} already read "
                                       f"from {seen_games[duplicates[0]]}", field="game_id")
        except ParseError as err:
            if strict:
                raise
            skipped.append(err.to_problem())
            log.warning("skipped %s", err)
            continue
        for g in part.games.column("game_id").to_pylist():
            seen_games[g] = str(path)
        part.files_read = max(part.files_read, 1)
        parts.append(part)
    out = concat_ingested(parts)
    out.problems.extend(skipped)
    out.files_skipped += len(skipped)
    from hockey_vae.sources.normalise import normalise  # ids that join across sources

    return normalise(out)


def write_tables(ingested: Ingested, out_dir: PathLike, *, kind: str | None = None
                 ) -> dict[str, Path]:
    """Write events/games/rosters (and players) Parquet files into `out_dir` as one set.

    Every table is validated before anything is written, and `io.write_table_set` leaves
    the previous set intact on failure and removes its tables that this set lacks. `kind`
    (recorded with the set) defaults to "simulate" when there are players, else "ingest".
    """
    import dataclasses

    from hockey_vae.sources.normalise import normalise

    ingested = normalise(dataclasses.replace(ingested))  # a copy: the caller's is unchanged
    ingested.validate()
    tables = {"events": ingested.events, "games": ingested.games, "rosters": ingested.rosters}
    if ingested.players is not None:
        tables["players"] = ingested.players
    kind = kind or ("simulate" if ingested.players is not None else "ingest")
    return write_table_set(tables, out_dir, kind)

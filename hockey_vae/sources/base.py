"""What every source returns, and the shared loop that reads many files.

A source module exposes `read(paths, *, strict=False, progress=True) -> Ingested`; it
implements a private per-file parser and hands it to `read_many`, which expands paths,
shows a progress bar, collects per-file problems (or raises under `strict`), refuses
duplicate games and returns tables in a deterministic order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from tqdm.auto import tqdm

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths, write_table_set

__all__ = ["Ingested", "Problem", "ParseError", "read_many", "concat_ingested", "write_tables"]

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

    def validate(self) -> Ingested:
        """Validate every table against its schema; return self."""
        schema.validate_events(self.events)
        schema.validate_games(self.games)
        schema.validate_rosters(self.rosters)
        return self

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
    return out


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

    A file whose parser raises ParseError (or ValueError/KeyError/UnicodeDecodeError) is
    skipped with a Problem naming it, unless `strict`, in which case the error propagates.
    A game id seen in an earlier file is a problem too (the later file is skipped).
    """
    files = expand_paths(paths, suffixes)
    parts: list[Ingested] = []
    seen_games: dict[str, str] = {}
    skipped: list[Problem] = []
    for path in tqdm(files, desc=desc, unit="file", disable=not progress or len(files) < 2):
        try:
            part = read_one(path)
        except ParseError as err:
            if strict:
                raise
            skipped.append(err.to_problem())
            log.warning("skipped %s", err)
            continue
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            if strict:
                raise ParseError(path, f"{type(err).__name__}: {err}") from err
            skipped.append(Problem(str(path), f"{type(err).__name__}: {err}", fatal=True))
            log.warning("skipped %s: %s", path, err)
            continue
        duplicates = [g for g in part.games.column("game_id").to_pylist() if g in seen_games]
        if duplicates:
            message = f"duplicate game(s) {duplicates[:5]} already read from {seen_games[duplicates[0]]}"
            if strict:
                raise ParseError(path, message, field="game_id")
            skipped.append(Problem(str(path), message, field="game_id", fatal=True))
            log.warning("skipped %s: %s", path, message)
            continue
        for g in part.games.column("game_id").to_pylist():
            seen_games[g] = str(path)
        part.files_read = max(part.files_read, 1)
        parts.append(part)
    out = concat_ingested(parts)
    out.problems.extend(skipped)
    out.files_skipped += len(skipped)
    return out


def write_tables(ingested: Ingested, out_dir: PathLike, *, kind: str | None = None
                 ) -> dict[str, Path]:
    """Write events/games/rosters (and players) Parquet files into `out_dir` as one set.

    Every table is validated before anything is written, and `io.write_table_set` leaves
    the previous set intact on failure and removes its tables that this set lacks. `kind`
    (recorded with the set) defaults to "simulate" when there are players, else "ingest".
    """
    ingested.validate()
    tables = {"events": ingested.events, "games": ingested.games, "rosters": ingested.rosters}
    if ingested.players is not None:
        tables["players"] = ingested.players
    kind = kind or ("simulate" if ingested.players is not None else "ingest")
    return write_table_set(tables, out_dir, kind)

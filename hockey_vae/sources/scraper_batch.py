"""hockey_scraper: many game files into one raw table, fast, with a careful fallback.

Per-file CSV parsing costs about a millisecond of fixed overhead per call, which for a
season of small files is most of the read. So the files' data rows are joined (one header
per group of files with identical headers) and parsed in one multi-threaded pyarrow call;
the unnamed row-index column that hockey_scraper writes proves each file's rows landed
where expected. A batch that does not parse cleanly (a cell that is not a number, a row of
the wrong width, no index column, rows that do not line up) is read again file by file
with `scraper_read.read_file`, which reports every bad cell and row by file/row/field, so
the bad-input behaviour is the per-file reader's.

Season files (many games in one file, with `Game_Id` and `Date` columns, no game id in
the file name) are read whole and split by game.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hockey_vae.sources.base import (
    READ_ERRORS,
    ParseError,
    Problem,
    as_parse_error,
    decode,
    read_bytes,
)
from hockey_vae.sources.scraper_read import (
    COLUMNS,
    REQUIRED,
    complete,
    game_id_of,
    has_game_id,
    read_file,
)
from hockey_vae.sources.scraper_tables import LEAGUE

__all__ = ["Piece", "Collector", "prepare", "parse_joined", "parse_batch", "split_season",
           "BATCH_BYTES"]

log = logging.getLogger(__name__)

BATCH_BYTES = 32 << 20  # join up to this many bytes of CSV per parse (bounds memory)
_SEASON = re.compile(r"(?<!\d)((?:19|20)\d\d)((?:19|20)\d\d)(?!\d)")


@dataclass
class Piece:
    """One file, checked and decompressed: the bytes still to parse and what we know."""

    path: Path
    gid: str | None  # None: a season file, games come from its Game_Id column
    header: bytes
    body: memoryview  # the data lines, no trailing newline
    rows: int  # data lines (an upper bound when lines hold quoted newlines)
    problems: list[Problem] = field(default_factory=list)


def prepare(path: Path) -> Piece:
    """Read and check one file (run in worker threads): ParseError for what skips it."""
    data = read_bytes(path)
    if not data.strip():
        raise ParseError(path, "empty file")
    decode(path, data)  # names the line of a non-UTF-8 byte (ASCII is checked fast)
    end = data.find(b"\n")
    end = len(data) if end < 0 else end
    head = data[:end]
    header = next(csv.reader(io.StringIO(head.decode().rstrip("\r"))), [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing}", row=0, field=missing[0])
    season = not has_game_id(path) and {"Game_Id", "Date"} <= set(header)
    gid = None if season else game_id_of(path)  # raises naming the file without an id
    problems = []
    if "Date" not in header:
        problems.append(Problem(str(path), "no 'Date' column: game dates left null", 0, "Date"))
    stop = len(data.rstrip(b"\r\n"))  # blank lines at the end are no rows
    body = memoryview(data)[min(end + 1, stop):stop]
    if not data[end + 1:stop].strip():
        raise ParseError(path, "header-only file: no events", row=0)
    return Piece(path, gid, head.rstrip(b"\r"), body, data.count(b"\n", end + 1, stop) + 1,
                 problems)


def _parse(data: bytes, present: list[str]) -> pa.Table | None:
    """Typed multi-threaded parse; None if any row or cell does not fit."""
    bad: list[int] = []

    def skip(row: pacsv.InvalidRow) -> str:
        bad.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=4 << 20),
            parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                include_columns=present, column_types={c: COLUMNS[c] for c in present},
                strings_can_be_null=True),
        )
    except pa.ArrowInvalid:
        return None
    return None if bad else table


def parse_joined(pieces: list[Piece]) -> tuple[pa.Table, np.ndarray, np.ndarray] | None:
    """(raw table of all pieces, each row's 0-based data row in its file, rows per piece)
    from one joined parse of files sharing a header; None when the batch must be read file
    by file."""
    header = next(csv.reader(io.StringIO(pieces[0].header.decode())))
    if "" not in header:
        return None  # nothing to prove the rows line up
    present = [c for c in COLUMNS if c in header]
    table = _parse(b"\n".join([pieces[0].header, *(p.body for p in pieces), b""]), present)
    counts = np.array([p.rows for p in pieces], dtype=np.int64)
    if table is None or table.num_rows != counts.sum():
        return None
    rows = np.arange(table.num_rows) - np.repeat(np.r_[0, np.cumsum(counts)[:-1]], counts)
    index = table.column("").to_numpy()
    if table.column("").null_count or not np.array_equal(index, rows):
        return None
    return complete(table, present), rows, counts


def parse_batch(pieces: list[Piece]) -> list[tuple[pa.Table, np.ndarray, list[Problem]]] | None:
    """`parse_joined` cut per piece: (raw table, 0-based data rows, problems) each."""
    joined = parse_joined(pieces)
    if joined is None:
        return None
    table, _, counts = joined
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    return [(table.slice(s, n), np.arange(n, dtype=np.int64), list(p.problems))
            for p, s, n in zip(pieces, starts.tolist(), counts.tolist(), strict=True)]


def read_piece(piece: Piece) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """One file through the careful per-file reader (bad cells and rows reported)."""
    table, rows, found = read_file(piece.path)
    if table.num_rows == 0:
        raise ParseError(piece.path, "header-only file: no events", row=0)
    return table, rows, found


def _season_of(path: Path, dates: pa.ChunkedArray, game_type: np.ndarray) -> np.ndarray:
    """Season start year per row: from an 8-digit season in the file name, else the date
    (games before August belong to the season that began the year before; so do playoff
    games in August-September, as in 2020)."""
    match = _SEASON.search(path.name)
    if match and int(match.group(2)) == int(match.group(1)) + 1:
        return np.full(len(dates), int(match.group(1)), dtype=np.float64)
    parsed = pc.strptime(dates, format="%Y-%m-%d", unit="s", error_is_null=True)
    year = pc.year(parsed).to_numpy(zero_copy_only=False).astype(np.float64)
    month = pc.month(parsed).to_numpy(zero_copy_only=False).astype(np.float64)
    earlier = (month < 8) | ((game_type == 3) & (month <= 9))
    return np.where(earlier, year - 1, year)


def split_season(piece: Piece, table: pa.Table, rows: np.ndarray
                 ) -> tuple[list[tuple[str, pa.Table, np.ndarray]], list[Problem]]:
    """A season file's rows as (game id, rows table, data rows) per game, in file order of
    first appearance; rows whose game cannot be told are skipped with a Problem."""
    text = table.column("Game_Id").combine_chunks()
    try:
        number = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:  # a cell that is not a number: that row's game is unknown
        number = pa.array([_to_float(v) for v in text.to_pylist()], pa.float64())
    number = number.to_numpy(zero_copy_only=False)
    number = np.where(np.isfinite(number) & (number == np.round(number)), number, np.nan)
    full = number >= 1e9  # already the 10-digit id
    game_type = np.where(full, number // 1e4 % 100, number // 1e4)
    season = _season_of(piece.path, table.column("Date"), game_type)
    ids = np.where(full, number, season * 1e6 + number)
    ok = np.isfinite(ids) & (ids >= 1917e6) & (ids < 2101e6) & np.isin(game_type, (1, 2, 3, 4))
    problems = []
    if not ok.all():
        problems.append(Problem(str(piece.path), f"{int((~ok).sum())} row(s) without a usable "
                                "Game_Id (5-digit, with a Date, or the 10-digit id) skipped",
                                int(rows[~ok][0]), "Game_Id", rows=int((~ok).sum())))
    keys, first, codes = np.unique(ids[ok], return_index=True, return_inverse=True)
    kept = np.flatnonzero(ok)
    out = []
    for k in np.argsort(first, kind="stable"):
        take = kept[codes == k]
        out.append((f"{LEAGUE}-{int(keys[k])}", table.take(pa.array(take)), rows[take]))
    return out, problems


def _to_float(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


class Collector:
    """Pieces in read order -> one raw table of all games (sorted by game id) with `_game`
    (0-based game code) and `_row` (the file's 0-based data row), plus what was skipped."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.tables: list[pa.Table] = []
        self.game_of: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.names: list[str] = []
        self.game_ids: list[str] = []
        self.seen: dict[str, str] = {}
        self.problems: list[Problem] = []  # whole files or games skipped
        self.cell_problems: list[Problem] = []  # cells nulled, rows skipped, no dates
        self.skipped = 0
        self.batch: list[Piece] = []
        self.batch_bytes = 0

    def skip(self, err: ParseError) -> None:
        """A file (or a season file's game) left out: raise under strict, else note it."""
        if self.strict:
            raise err
        self.problems.append(err.to_problem())
        log.warning("skipped %s", err)
        self.skipped += 1

    def found(self, found: list[Problem]) -> None:
        """Problems inside a kept file: the first raises under strict."""
        if self.strict and found:
            raise ParseError(found[0].file, found[0].message, found[0].row, found[0].field)
        self.cell_problems += found

    def add(self, item: Piece | ParseError) -> None:
        """One prepared file (or why it cannot be read)."""
        if isinstance(item, ParseError):
            self.skip(item)
        elif item.gid is None:
            self._season(item)
        elif item.gid in self.seen:
            self.skip(ParseError(item.path, f"duplicate game {item.gid} already read from "
                                            f"{self.seen[item.gid]}", field="game_id"))
        else:
            self.seen[item.gid] = str(item.path)
            if self.batch and self.batch[0].header != item.header:
                self.flush()
            self.batch.append(item)
            self.batch_bytes += len(item.body)
            if self.batch_bytes >= BATCH_BYTES:
                self.flush()

    def flush(self) -> None:
        """Parse the pending batch (file by file if it does not parse cleanly)."""
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        if not batch:
            return
        joined = parse_joined(batch)
        if joined is not None:  # the fast path: one table for the whole batch
            table, rows, counts = joined
            for piece in batch:
                self.found(piece.problems)
            codes = [self._new_game(p.gid, str(p.path)) for p in batch]
            self._add_rows(table, np.repeat(np.array(codes, np.int64), counts), rows)
            return
        for piece, result in zip(batch, [_careful(p) for p in batch], strict=True):
            if isinstance(result, ParseError):
                self.skip(result)
                continue
            table, rows, found = result
            self.found(found)
            self._add_game(piece.gid, str(piece.path), table, rows)

    def _season(self, piece: Piece) -> None:
        result = _careful(piece)
        if isinstance(result, ParseError):
            self.skip(result)
            return
        table, rows, found = result
        games, problems = split_season(piece, table, rows)
        self.found(found + problems)
        for gid, part, part_rows in games:
            if gid in self.seen:
                self.skip(ParseError(piece.path, f"duplicate game {gid} already read from "
                                                 f"{self.seen[gid]}", field="game_id"))
                continue
            self.seen[gid] = str(piece.path)
            self._add_game(gid, str(piece.path), part, part_rows)

    def _new_game(self, gid: str, name: str) -> int:
        self.names.append(name)
        self.game_ids.append(gid)
        return len(self.game_ids) - 1

    def _add_rows(self, table: pa.Table, game: np.ndarray, rows: np.ndarray) -> None:
        self.tables.append(table)
        self.game_of.append(game)
        self.rows.append(rows)

    def _add_game(self, gid: str, name: str, table: pa.Table, rows: np.ndarray) -> None:
        code = self._new_game(gid, name)
        self._add_rows(table, np.full(table.num_rows, code, np.int64), rows)

    def finish(self) -> pa.Table | None:
        """All games as one raw table sorted by game id (names, game_ids sorted alike)."""
        self.flush()
        if not self.tables:
            return None
        raw = pa.concat_tables(self.tables)  # a chunk per batch (or per careful file)
        if len(self.tables) > 64:
            raw = raw.combine_chunks()
        game, rows = np.concatenate(self.game_of), np.concatenate(self.rows)
        order = np.argsort(np.array(self.game_ids, dtype=object), kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        game = rank[game]
        if (np.diff(game) < 0).any():  # deterministic output: games sorted by id
            perm = np.argsort(game, kind="stable")
            raw, game, rows = raw.take(pa.array(perm)), game[perm], rows[perm]
        self.game_ids = [self.game_ids[i] for i in order]
        self.names = [self.names[i] for i in order]
        return raw.append_column("_game", pa.array(game)).append_column("_row", pa.array(rows))


def _careful(piece: Piece) -> tuple[pa.Table, np.ndarray, list[Problem]] | ParseError:
    try:
        return read_piece(piece)
    except ParseError as err:
        return err
    except READ_ERRORS as err:
        return as_parse_error(piece.path, err)

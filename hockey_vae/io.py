"""File helpers shared by every stage: path expansion, transparent gzip, atomic writes, table sets.

Atomic writes (temp file in the same folder, then `os.replace`) mean a failed run never
leaves a half-written file in place of an earlier good one.

A table set is the Parquet tables of one folder (events, games, rosters and, for a
simulated league, players) written together by one run. `write_table_set` stages every
file under a temporary name first and renames them into place only once all are written,
so a failed write leaves the previous set intact; then it removes the table files of an
earlier set that the new one lacks (a simulate folder's players.parquet after an ingest).
Each file carries the set's record in its Parquet key-value metadata (`hockey_vae.table_set`:
set id, kind of run, table names and row counts), so `read_table_set` can tell a complete
set from a mixed or partial one without an extra file in the folder.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import io
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:  # pandas loads only where a frame is made (ingest never does)
    import pandas as pd

__all__ = [
    "expand_paths", "open_binary", "read_text", "atomic_path", "write_parquet",
    "TABLE_NAMES", "TableSet", "TableSetError", "write_table_set", "read_table_set", "as_frame",
    "FRAME_SUFFIXES", "write_frame", "read_frame"]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike

TABLE_NAMES: tuple[str, ...] = ("events", "games", "rosters", "players")  # a set's file names
SET_KEY = b"hockey_vae.table_set"  # Parquet key-value metadata key of the set record


def expand_paths(
    paths: PathLike | Iterable[PathLike], suffixes: tuple[str, ...] = ()
) -> list[Path]:
    """Files named by `paths` (files, directories searched recursively, or globs), sorted.

    Directories keep only files whose name ends in one of `suffixes` (with or without `.gz`).
    Raises FileNotFoundError naming any path that matches nothing.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for entry in paths:
        text = os.fspath(entry)
        if any(ch in text for ch in "*?["):
            matches = [Path(m) for m in glob.glob(text, recursive=True) if Path(m).is_file()]
            if not matches:
                raise FileNotFoundError(f"no file matches {text!r}")
            found.extend(matches)
        elif Path(text).is_dir():
            for child in Path(text).rglob("*"):
                name = child.name.removesuffix(".gz")
                if child.is_file() and (not suffixes or name.endswith(suffixes)):
                    found.append(child)
        elif Path(text).is_file():
            found.append(Path(text))
        else:
            raise FileNotFoundError(f"no such file or directory: {text!r}")
    return sorted(set(found))


def open_binary(path: PathLike) -> io.BufferedIOBase:
    """Open `path` for reading bytes, decompressing `.gz` transparently."""
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_text(path: PathLike, encoding: str = "utf-8") -> str:
    """The whole text of `path` (gzip transparent)."""
    with open_binary(path) as fh:
        return fh.read().decode(encoding)


@contextlib.contextmanager
def atomic_path(target: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success rename it onto `target`.

    On an exception the temporary file is removed and `target` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _publish(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _publish(tmp_path: Path, target: Path) -> None:
    """Rename a finished temporary file onto `target` with the usual permissions."""
    # mkstemp creates 0600 files; give the output the usual permissions (umask applies)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    os.replace(tmp_path, target)


def write_parquet(table: pa.Table, path: PathLike) -> Path:
    """Write `table` to `path` atomically (zstd-compressed Parquet); return the path."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(path)


class TableSetError(ValueError):
    """A folder's tables are not one complete set; the message names the folder and files."""


@dataclass
class TableSet:
    """The tables of one folder and the run that wrote them."""

    tables: dict[str, pa.Table]
    kind: str | None  # "ingest", "simulate", ...; None for a folder without a set record
    set_id: str | None = None


def write_table_set(tables: Mapping[str, pa.Table], out_dir: PathLike,
                    kind: str) -> dict[str, Path]:
    """Write `tables` (name -> table) into `out_dir` as one set; return name -> path.

    Every file is staged before any is renamed into place, so a failure while writing
    leaves the previous set untouched; table files of an earlier set that this one lacks
    are removed afterwards, so they can never be read with it.
    """
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"unknown table name(s) {unknown}; a set holds {list(TABLE_NAMES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"version": 1, "set": uuid.uuid4().hex, "kind": kind,
              "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "tables": {name: table.num_rows for name, table in tables.items()}}
    staged: dict[str, Path] = {}
    try:
        for name, table in tables.items():
            staged[name] = _stage(table, out_dir / f"{name}.parquet", record)
        for name, tmp in staged.items():
            _publish(tmp, out_dir / f"{name}.parquet")
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    for name in TABLE_NAMES:
        if name not in tables:
            (out_dir / f"{name}.parquet").unlink(missing_ok=True)
    return {name: out_dir / f"{name}.parquet" for name in tables}


def _stage(table: pa.Table, target: Path, record: dict) -> Path:
    """Write `table` with the set record to a temporary file beside `target`."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        metadata = dict(table.schema.metadata or {})
        metadata[SET_KEY] = json.dumps(record).encode()
        pq.write_table(table.replace_schema_metadata(metadata), tmp, compression="zstd")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def read_table_set(directory: PathLike, schemas: Mapping[str, pa.Schema | None],
                   required: Iterable[str] = ("events", "games", "rosters")) -> TableSet:
    """Read the table set of `directory`; `schemas` names the tables wanted (None: as stored).

    Raises FileNotFoundError naming a missing required file, and TableSetError when the
    files are not one complete set (one interrupted or mixed write, row counts that differ
    from the record, a file that is not Parquet). Files of an earlier set are never returned.
    A folder whose files carry no set record (written before sets were recorded) is read
    with a warning after cross-table checks.
    """
    directory = Path(directory)
    required = list(required)
    paths = {name: directory / f"{name}.parquet" for name in schemas}
    present = {name: path for name, path in paths.items() if path.is_file()}
    for name in required:
        if name not in present:
            raise FileNotFoundError(f"{directory}: missing {name}.parquet "
                                    "(run ingest or simulate first)")
    records = {name: _set_record(path) for name, path in present.items()}
    anchor = records[required[0]][0]
    if all(rec is None for rec, _ in records.values()):
        return _read_legacy(directory, present, schemas)
    if anchor is None:
        raise TableSetError(f"{directory}: {required[0]}.parquet has no set record but "
                            f"{_names(n for n, (r, _) in records.items() if r)} do; "
                            "tables of different runs, write the folder again")
    listed = anchor.get("tables") or {}
    problems = [f"{name}.parquet is not listed in the set" for name in required
                if name not in listed]
    for name, rows in listed.items():
        record, n_rows = records.get(name, (None, None))
        if name not in present:
            problems.append(f"{name}.parquet is missing")
        elif record is None or record.get("set") != anchor.get("set"):
            problems.append(f"{name}.parquet was written by another run ({_describe(record)})")
        elif n_rows != rows:
            problems.append(f"{name}.parquet has {n_rows} rows, the set records {rows}")
    if problems:
        raise TableSetError(f"{directory}: not one complete table set ({_describe(anchor)}): "
                            + "; ".join(problems) + "; write the folder again")
    for name in present:
        if name not in listed:  # only left by a write killed before its clean-up
            log.warning("%s: ignoring %s.parquet, left by another run (%s)", directory, name,
                        _describe(records[name][0]))
    tables = {name: _read(present[name], schemas[name]) for name in listed if name in present}
    return TableSet(tables, anchor.get("kind"), anchor.get("set"))


def _set_record(path: Path) -> tuple[dict | None, int]:
    """(set record or None, row count) from the Parquet footer of `path`."""
    try:
        meta = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as err:
        raise TableSetError(f"{path}: not a readable Parquet file ({err})") from None
    raw = (meta.metadata or {}).get(SET_KEY)
    if raw is None:
        return None, meta.num_rows
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        record = None
    if not isinstance(record, dict):
        raise TableSetError(f"{path}: unreadable table-set record {raw[:80]!r}")
    return record, meta.num_rows


def _read(path: Path, sch: pa.Schema | None) -> pa.Table:
    """Read one table (cast to `sch` when given) without the set record in its metadata."""
    try:
        table = pq.read_table(path, schema=sch)
    except (pa.ArrowException, OSError) as err:
        raise TableSetError(f"{path}: cannot read as Parquet ({err})") from None
    metadata = {k: v for k, v in (table.schema.metadata or {}).items() if k != SET_KEY}
    return table.replace_schema_metadata(metadata or None)


def _describe(record: dict | None) -> str:
    if not record:
        return "no set record"
    return f"{record.get('kind')} run written {record.get('written')}"


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"{n}.parquet" for n in names)


def _read_legacy(directory: Path, present: dict[str, Path],
                 schemas: Mapping[str, pa.Schema | None]) -> TableSet:
    """Read a folder without set records: refuse provably mixed tables, warn otherwise."""
    log.warning("%s: tables written without a set record (an older version); they are "
                "accepted after cross-table checks, write the folder again to record "
                "the set", directory)
    tables = {name: _read(path, schemas[name]) for name, path in present.items()}
    games = tables.get("games")
    for name in ("events", "rosters"):
        if games is None or name not in tables:
            continue
        ids = tables[name].column("game_id")
        unknown = pc.drop_null(pc.unique(pc.filter(ids, pc.invert(
            pc.is_in(ids, value_set=games.column("game_id").combine_chunks())))))
        if len(unknown):
            raise TableSetError(
                f"{directory}: {name}.parquet names {len(unknown)} game(s) missing from "
                f"games.parquet (e.g. {unknown[0].as_py()!r}): tables of different runs, "
                "write the folder again")
    players, rosters = tables.get("players"), tables.get("rosters")
    if players is not None and "player_id" not in players.column_names:
        log.warning("%s: ignoring players.parquet, it has no player_id column", directory)
        del tables["players"]
    elif players is not None and rosters is not None:
        known = players.column("player_id").combine_chunks()
        roster_ids = rosters.column("player_id").cast(known.type)
        if not pc.all(pc.is_in(roster_ids, value_set=known)).as_py() and rosters.num_rows:
            log.warning("%s: ignoring players.parquet, its players are not the rosters' "
                        "(left by another run)", directory)
            del tables["players"]
    return TableSet(tables, None)


def as_frame(table: pd.DataFrame | pa.Table, name: str = "table") -> pd.DataFrame:
    """`table` as a pandas DataFrame (a pyarrow Table converted); TypeError naming `name`."""
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pa.Table):
        return table.to_pandas()
    raise TypeError(f"{name} must be a pandas DataFrame or pyarrow Table, got "
                    f"{type(table).__name__}")


FRAME_SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")  # what write_frame writes


def _frame_suffix(path: PathLike) -> str:
    """The table format of `path` from its suffix; ValueError naming the path otherwise."""
    name = Path(path).name.lower()
    for suffix in sorted(FRAME_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise ValueError(f"{path}: unknown table file suffix; use one of {list(FRAME_SUFFIXES)}")


def write_frame(df: pd.DataFrame, path: PathLike) -> Path:
    """Write `df` atomically as Parquet or CSV (gzip for `.csv.gz`), chosen by `path`'s suffix."""
    suffix = _frame_suffix(path)
    if suffix == ".parquet":
        return write_parquet(pa.Table.from_pandas(df, preserve_index=False), path)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, compression="gzip" if suffix == ".csv.gz" else None)
    return Path(path)


def read_frame(path: PathLike) -> pd.DataFrame:
    """A table written by `write_frame` (Parquet or CSV, by suffix), ids kept as strings."""
    import pandas as pd  # here, not at the top: ingest never needs pandas

    suffix = _frame_suffix(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such file: {os.fspath(path)!r}")
    if suffix == ".parquet":
        return pd.read_parquet(path)
    string_cols = ("game_id", "player_id", "player_name", "team", "position")
    return pd.read_csv(path, dtype={c: "string" for c in string_cols})

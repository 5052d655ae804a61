"""hockey_scraper: reading one game's CSV file into a raw table, cell by cell if need be.

Split from `hockey_scraper` to keep each module short. The fast path reads typed columns
with pyarrow; a cell that is not a number sends the file down a text path where bad cells
become null with a Problem. Rows of the wrong width are skipped with a Problem.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from hockey_vae.sources.base import ParseError, Problem, decode, read_bytes
from hockey_vae.sources.scraper_tables import LEAGUE, ON_ICE, ON_ICE_NAMES

__all__ = ["COLUMNS", "REQUIRED", "complete", "game_id_of", "has_game_id", "read_file"]

_SIDES = ("home", "away")

# Columns we read, with their arrow types. Ids are float in the source (blanks).
COLUMNS: dict[str, pa.DataType] = {
    "": pa.int64(),  # the unnamed row index: a junk value there reveals merged rows
    "Game_Id": pa.string(),  # season files: the game of each row
    "Date": pa.string(),
    "Period": pa.int64(),
    "Event": pa.string(),
    "Seconds_Elapsed": pa.float64(),
    "Strength": pa.string(),
    "Ev_Zone": pa.string(),
    "Type": pa.string(),
    "Ev_Team": pa.string(),
    "Away_Team": pa.string(),
    "Home_Team": pa.string(),
    "p1_name": pa.string(),
    "p1_ID": pa.float64(),
    "p2_name": pa.string(),
    "p2_ID": pa.float64(),
    "p3_name": pa.string(),
    "p3_ID": pa.float64(),
    "Away_Score": pa.float64(),
    "Home_Score": pa.float64(),
    "xC": pa.float64(),
    "yC": pa.float64(),
    **{c: pa.float64() for s in _SIDES for c in ON_ICE[s]},
    **{c: pa.string() for s in _SIDES for c in ON_ICE_NAMES[s]},
}
REQUIRED = (
    "Period", "Event", "Seconds_Elapsed", "Strength", "Ev_Team", "Away_Team", "Home_Team",
    "p1_ID", "Away_Score", "Home_Score", "xC", "yC",
)
_GAME_ID = re.compile(r"(\d{10})")



def has_game_id(path: Path) -> bool:
    """Whether the file name holds a 10-digit NHL game id (one game per file)."""
    return _GAME_ID.search(path.name) is not None


def game_id_of(path: Path) -> str:
    """`NHL-<10-digit id>` from the file name; ParseError naming the file otherwise."""
    match = _GAME_ID.search(path.name)
    if not match:
        raise ParseError(path, "cannot take the 10-digit NHL game id from the file name",
                         field="file name")
    gid = match.group(1)
    if not 1917 <= int(gid[:4]) <= 2100 or gid[4:6] not in ("01", "02", "03", "04"):
        raise ParseError(path, f"odd game id {gid} in the file name: expected the season's "
                               "first year then game type 01-04 (e.g. 2018020001)",
                         field="file name")
    return f"{LEAGUE}-{gid}"


def _csv(data: bytes, present: list[str], typed: bool) -> tuple[pa.Table, list[int]]:
    """Parse with pyarrow: typed columns (fast path) or all text; rows of the wrong width
    are skipped and their 1-based line numbers returned."""
    skipped: list[int] = []

    def skip(row: pacsv.InvalidRow) -> str:
        skipped.append(row.number if row.number is not None else -1)
        return "skip"

    types = {c: (COLUMNS[c] if typed else pa.string()) for c in present}
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=skip),
        convert_options=pacsv.ConvertOptions(include_columns=present, column_types=types,
                                             strings_can_be_null=True),
    )
    return table, skipped


def _coerce(path: Path, table: pa.Table, rows: np.ndarray, problems: list[Problem]
            ) -> pa.Table:
    """Text columns -> their types; a value that is not a number becomes null + a Problem."""
    import pandas as pd  # only files with bad cells come here

    for name in table.column_names:
        typ = COLUMNS[name]
        if pa.types.is_string(typ):
            continue
        text = table.column(name).to_pandas()
        values = pd.to_numeric(text, errors="coerce")
        bad = text.notna().to_numpy() & values.isna().to_numpy()
        if bad.any():
            examples = sorted(set(text[bad].tolist()))[:3]
            problems.append(Problem(str(path), f"{int(bad.sum())} value(s) that are not numbers "
                                               f"{examples}: set to null", int(rows[bad][0]),
                                    name))
        if pa.types.is_integer(typ):
            values = values.where(values == values.round())
        column = pa.array(values.to_numpy(dtype=float), pa.float64(), from_pandas=True)
        table = table.set_column(table.schema.get_field_index(name), name, column.cast(typ))
    return table


def read_file(path: Path) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """One game's raw table (only the columns we use, missing optional ones as nulls), the
    0-based data row of each kept row, and the problems met (bad cells nulled, rows of the
    wrong width skipped)."""
    data = read_bytes(path)
    if not data.strip():
        raise ParseError(path, "empty file")
    text = decode(path, data)  # names the line of a non-UTF-8 byte
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing}", row=0, field=missing[0])
    present = [c for c in COLUMNS if c in header]
    problems: list[Problem] = []
    if "Date" not in header:
        problems.append(Problem(str(path), "no 'Date' column: game dates left null", 0, "Date"))
    try:
        try:
            table, skipped = _csv(data, present, typed=True)
            typed = True
        except pa.ArrowInvalid:  # a cell that is not a number: read as text, null it
            table, skipped = _csv(data, present, typed=False)
            typed = False
    except pa.ArrowInvalid as err:
        raise ParseError(path, f"malformed CSV: {err}") from err
    lost = {n - 2 for n in skipped}  # line 1 is the header; data rows are 0-based
    rows = np.array([i for i in range(table.num_rows + len(lost)) if i not in lost][
        :table.num_rows], dtype=np.int64)
    if skipped:
        problems.append(Problem(str(path), f"{len(skipped)} row(s) with the wrong number of "
                                           "fields skipped", min(lost), rows=len(skipped)))
    if not typed:
        table = _coerce(path, table, rows, problems)
    return complete(table, present), rows, problems


def complete(table: pa.Table, present: list[str]) -> pa.Table:
    """All of COLUMNS in order, the ones the file lacks as nulls."""
    n = table.num_rows
    for name, typ in COLUMNS.items():
        if name not in present:
            table = table.append_column(name, pa.nulls(n, typ))
    return table.select(list(COLUMNS))

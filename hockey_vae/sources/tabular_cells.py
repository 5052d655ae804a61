"""Cell-level casting for the `tabular` source: any column -> its canonical type.

A value that cannot be read as the column's type becomes null and is counted, so one bad
cell costs that cell (or, in a required column, that row), never the file. Split from
`tabular` to keep each module short.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_list", "cast_column"]

_TRUE = ("true", "1", "t", "yes")
_FALSE = ("false", "0", "f", "no")


def parse_list(values: pa.Array) -> pa.Array:
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


def _numbers(text: pa.Array, typ: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Text -> numbers of `typ`; bad = not a number, not whole (ints) or out of range."""
    raw = pd.Series(text.to_pylist(), dtype=object)
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    if pa.types.is_integer(typ):
        info = np.iinfo(typ.to_pandas_dtype())
        values = values.where((values == values.round()) & (values >= info.min)
                              & (values <= info.max))
    else:
        values = values.where(np.isfinite(values))
    bad = (raw.notna() & (raw.astype(str).str.strip() != "") & values.isna()).to_numpy()
    array = pa.array(values.to_numpy(), pa.float64(), from_pandas=True)
    return array.cast(typ, safe=False), bad


def _booleans(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    col = pc.if_else(pc.is_in(lowered, pa.array(_TRUE)), True,
                     pc.if_else(pc.is_in(lowered, pa.array(_FALSE)), False,
                                pa.scalar(None, pa.bool_())))
    given = pc.and_(pc.is_valid(lowered), pc.not_equal(lowered, ""))
    bad = pc.and_(pc.fill_null(given, False), pc.is_null(col))
    return col, bad.to_numpy(zero_copy_only=False)


def _dates(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    raw = pd.Series(text.to_pylist(), dtype=object)
    parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601")
    bad = (raw.notna() & (raw.astype(str).str.strip() != "") & parsed.isna()).to_numpy()
    days = [None if pd.isna(d) else d.date() for d in parsed]
    return pa.array(days, pa.date32()), bad


def _from_text(text: pa.Array, typ: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    if pa.types.is_list(typ):
        return parse_list(text), np.zeros(len(text), bool)
    if pa.types.is_boolean(typ):
        return _booleans(text)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        return _numbers(text, typ)
    if pa.types.is_date(typ):
        return _dates(text)
    return pc.cast(text, typ), np.zeros(len(text), bool)


def cast_column(col: pa.Array, typ: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """`col` as `typ`, and a mask of the values that could not be read (now null)."""
    n = len(col)
    if col.type == typ:
        return col, np.zeros(n, bool)
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        try:
            return pc.cast(col, typ), np.zeros(n, bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            pass
        try:
            col = pc.cast(col, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return pa.nulls(n, typ), np.asarray(col.is_valid(), dtype=bool)
    return _from_text(pc.cast(col, pa.string()), typ)

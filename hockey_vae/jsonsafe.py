"""JSON that is always valid: NaN and Infinity become null, and the output says where and why.

`json.dumps` writes `NaN`/`Infinity`, which strict JSON readers (browsers, jq, most other
languages) reject. Every JSON writer of the package goes through `dumps_json`/`write_json`:
a non-finite float becomes `null` and, when the top level is an object, a `"nulls"` entry
maps each replaced value's path (`models.cvae.roster.loglik`) to the reason (`NaN`,
`Infinity`, `-Infinity`), so a reader can tell "not a number" from "not measured".
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["NULLS_KEY", "json_safe", "dumps_json", "write_json"]

NULLS_KEY = "nulls"  # top-level key listing the values replaced by null


def _reason(x: float) -> str:
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _scalar(value: Any) -> Any:
    """Plain Python value of a numpy/torch scalar or array; anything else unchanged."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    tolist = getattr(value, "tolist", None)  # numpy scalars/arrays, torch tensors
    if callable(tolist) and hasattr(value, "dtype"):
        return tolist()
    return value


def _walk(value: Any, path: str, nulls: dict[str, str]) -> Any:
    value = _scalar(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        nulls[path or "."] = _reason(value)
        return None
    if isinstance(value, Mapping):
        return {str(k): _walk(v, f"{path}.{k}" if path else str(k), nulls)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v, f"{path}[{i}]", nulls) for i, v in enumerate(value)]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)  # dates, paths, enums: their text, as json.dumps(default=str) would


def json_safe(obj: Any) -> tuple[Any, dict[str, str]]:
    """(copy of `obj` with non-finite floats as None, {path: reason} of the replaced values).

    numpy/torch scalars and arrays become Python numbers/lists; other unknown objects
    become their `str`.
    """
    nulls: dict[str, str] = {}
    return _walk(obj, "", nulls), nulls


def dumps_json(obj: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of `obj`: non-finite floats as null, listed under `"nulls"`.

    The `"nulls"` entry is added only to a top-level object and only when something was
    replaced; a key `"nulls"` already in `obj` is an error (ValueError), never overwritten.
    """
    clean, nulls = json_safe(obj)
    if nulls and isinstance(clean, dict):
        if NULLS_KEY in clean:
            raise ValueError(f"cannot note replaced values: the object already has {NULLS_KEY!r}")
        clean[NULLS_KEY] = {path: f"{why} replaced by null" for path, why in nulls.items()}
    return json.dumps(clean, indent=indent, allow_nan=False)


def write_json(obj: Any, path: str | os.PathLike, *, indent: int | None = 2) -> Path:
    """Write `dumps_json(obj)` to `path` atomically (a failure leaves the old file); return it."""
    from hockey_vae.io import atomic_path  # pyarrow-heavy module: only when a file is written

    text = dumps_json(obj, indent=indent)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n")
    return Path(path)

"""`BaseConfig`: dataclass configs that round-trip through JSON (pythae-style)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from hockey_vae.jsonsafe import write_json

__all__ = ["BaseConfig", "checked_fields"]

C = TypeVar("C", bound="BaseConfig")


def checked_fields(cls: type, values: dict[str, Any], where: str) -> dict[str, Any]:
    """`values` checked against the fields of dataclass `cls`, ready for `cls(**...)` or
    `dataclasses.replace`; every error is a ValueError naming the key (`where` says which
    config) and what is allowed.

    Types follow the field annotations strictly: an int field refuses 2.9 (and "3") rather
    than truncating, a float field takes ints, a bool field only true/false, a tuple field a
    list of the right length and element type, a nested dataclass field a dict of its own
    keys. A field's metadata may add `choices` (allowed values, per element for tuples),
    `min`/`max` (inclusive bounds) and `check` (value -> error text or None).
    """
    if not isinstance(values, dict):
        raise ValueError(f"{where} must be a JSON object (a dict), got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown {where} key(s) {unknown}; allowed: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    clean = {}
    for key, value in values.items():
        name = f"{where} key {key!r}"
        value = _coerce(value, hints[key], name)
        _check_metadata(value, fields[key].metadata, name)
        clean[key] = value
    return clean


def _coerce(value: Any, hint: Any, name: str) -> Any:
    """`value` as type `hint`, or ValueError naming `name` and the expected type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _coerce(value, option, name)
            except ValueError as err:
                errors.append(str(err))
        raise ValueError(errors[0] if len(errors) == 1 else
                         f"{name} must be one of the types {options}, got {value!r}")
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0], name) for v in value)
        if args and len(value) != len(args):
            raise ValueError(f"{name} must be a list of {len(args)} values, got {list(value)}")
        return tuple(_coerce(v, a, name) for v, a in zip(value, args, strict=False)) \
            if args else tuple(value)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if isinstance(value, hint):
            return value
        return hint(**checked_fields(hint, value, name.replace(" key ", ".").replace("'", "")))
    return value


def _check_metadata(value: Any, meta: Any, name: str) -> None:
    """The `choices`, `min`/`max` and `check` rules of a field's metadata."""
    if value is None:
        return
    items = value if isinstance(value, tuple) else (value,)
    choices = meta.get("choices")
    if choices is not None:
        bad = [v for v in items if v not in choices]
        if bad:
            raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    lo, hi = meta.get("min"), meta.get("max")
    for v in items:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    for v in items:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                (lo is not None and v < lo) or (hi is not None and v > hi)):
            bounds = f">= {lo}" if hi is None else f"<= {hi}" if lo is None else f"in [{lo}, {hi}]"
            raise ValueError(f"{name} must be {bounds}, got {value!r}")
    check = meta.get("check")
    if check is not None and (problem := check(value)):
        raise ValueError(f"{name}: {problem}")


@dataclasses.dataclass
class BaseConfig:
    """Mixin for config dataclasses: `to_dict`, `from_dict`, `save_json`, `from_json_file`."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (tuples become lists in JSON)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any]) -> C:
        """Build from a dict; an unknown key raises ValueError naming it and the allowed keys
        (see `checked_fields` for the type checks)."""
        return cls(**checked_fields(cls, values, cls.__name__))

    def save_json(self, path: str | os.PathLike) -> Path:
        """Write the config as JSON atomically; return the path."""
        return write_json(self.to_dict(), path)

    @classmethod
    def from_json_file(cls: type[C], path: str | os.PathLike) -> C:
        """Read a config written by `save_json`; FileNotFoundError names a missing file."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {str(path)!r} not found")
        return cls.from_dict(json.loads(path.read_text()))

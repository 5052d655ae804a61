"""`BaseConfig`: dataclass configs that round-trip through JSON (pythae-style)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, TypeVar

from hockey_vae.io import atomic_path

__all__ = ["BaseConfig", "checked_fields"]

C = TypeVar("C", bound="BaseConfig")


def checked_fields(cls: type, values: dict[str, Any], where: str,
                   current: Any = None) -> dict[str, Any]:
    """`values` checked against the fields of dataclass `cls`, ready for `cls(**...)` or
    `dataclasses.replace`: an unknown key raises ValueError naming it (`where` says which
    config), a true/false field accepts only a bool, numbers take the type of the field's
    value (`current`'s when given, else the default) and JSON lists become tuples.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown {where} key(s) {unknown}; known: {sorted(fields)}")
    clean = {}
    for key, value in values.items():
        like = getattr(current, key) if current is not None else fields[key].default
        if isinstance(like, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{where} key {key!r} must be true/false, got {value!r}")
        elif isinstance(like, (int, float)):
            value = type(like)(value)
        elif isinstance(like, tuple) and isinstance(value, list):
            value = tuple(value)
        clean[key] = value
    return clean


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
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return Path(path)

    @classmethod
    def from_json_file(cls: type[C], path: str | os.PathLike) -> C:
        """Read a config written by `save_json`; FileNotFoundError names a missing file."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"config file {str(path)!r} not found")
        return cls.from_dict(json.loads(path.read_text()))

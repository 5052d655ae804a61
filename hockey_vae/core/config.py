"""`BaseConfig`: dataclass configs that round-trip through JSON (pythae-style)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, TypeVar

from hockey_vae.io import atomic_path

__all__ = ["BaseConfig"]

C = TypeVar("C", bound="BaseConfig")


@dataclasses.dataclass
class BaseConfig:
    """Mixin for config dataclasses: `to_dict`, `from_dict`, `save_json`, `from_json_file`."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (tuples become lists in JSON)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any]) -> C:
        """Build from a dict; an unknown key raises ValueError naming it and the allowed keys."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown {cls.__name__} keys {unknown}; allowed: {sorted(names)}")
        clean = {}
        for key, value in values.items():
            default = names[key].default
            clean[key] = tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
        return cls(**clean)

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

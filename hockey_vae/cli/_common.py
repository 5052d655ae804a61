"""Helpers shared by the model subcommands: reading data folders and JSON config files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hockey_vae.train import TrainConfig, train_config_from_dict

__all__ = ["load_data", "read_config", "train_config"]


def load_data(directory: str) -> Any:
    """Canonical tables of a folder written by `ingest` or `simulate`."""
    from hockey_vae.ingest import load_tables

    return load_tables(directory)


def read_config(path: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model overrides, train overrides) from a JSON file {"model": {...}, "train": {...}}.

    Any other top-level key is an error (ValueError naming it and the file).
    """
    if not path:
        return {}, {}
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: config must be a JSON object with 'model' and/or 'train'")
    bad = sorted(set(data) - {"model", "train"})
    if bad:
        raise ValueError(f"{path}: unknown top-level config key(s) {bad}; use 'model', 'train'")
    return dict(data.get("model", {})), dict(data.get("train", {}))


def train_config(train_over: dict[str, Any], **cli: Any) -> TrainConfig:
    """TrainConfig from file overrides, then command-line values that are not None."""
    cfg = train_config_from_dict(train_over)
    given = {k: v for k, v in cli.items() if v is not None}
    return dataclasses.replace(cfg, **given) if given else cfg

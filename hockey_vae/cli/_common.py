"""Helpers shared by the model subcommands: reading data folders and config files."""

from __future__ import annotations

from typing import Any

from hockey_vae.config import RunConfig, load_config

__all__ = ["load_data", "run_config", "CONFIG_HELP"]

CONFIG_HELP = ('JSON {"features": {...}, "model": {...}, "train": {...}} (optionally "base": '
               'FILE); unknown keys and bad values are refused before any data is read')


def load_data(directory: str) -> Any:
    """Canonical tables of a folder written by `ingest` or `simulate`."""
    from hockey_vae.ingest import load_tables

    return load_tables(directory)


def run_config(path: str | None, **train_flags: Any) -> RunConfig:
    """The checked config of file `path` (defaults when None) with the command-line train
    values that are not None on top."""
    return load_config(path).with_train(**train_flags)

"""Helpers shared by the model subcommands: reading data folders and config files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hockey_vae.config import RunConfig

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
    from hockey_vae.config import load_config  # imports torch: only when a command runs

    return load_config(path).with_train(**train_flags)

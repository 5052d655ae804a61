"""Helpers shared by the subcommands: data folders, config files and the common flags.

One convention for every subcommand: `--device` (auto by default: CUDA, then MPS, then CPU),
`--threads` (CPU threads torch may use), `--seed` and `--quiet` where a command trains or
evaluates, and `--out` a folder, or a file where the output is one file (each help says which).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hockey_vae.config import RunConfig

__all__ = ["load_data", "run_config", "CONFIG_HELP", "add_device", "add_threads", "add_seed",
           "add_quiet", "apply_quiet", "set_threads"]

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


def add_device(parser: argparse.ArgumentParser, default: str | None = "auto") -> None:
    """Add `--device` (auto by default everywhere)."""
    parser.add_argument("--device", default=default,
                        help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")


def add_threads(parser: argparse.ArgumentParser) -> None:
    """Add `--threads`: the CPU threads torch may use (default: torch's own choice)."""
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads for tensor maths (default: all cores)")


def add_seed(parser: argparse.ArgumentParser, help: str = "random seed (default 0)") -> None:
    """Add `--seed`."""
    parser.add_argument("--seed", type=int, default=None, help=help)


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """Add `--quiet`: no progress bars and only warnings in the log."""
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bars; log warnings and errors only")


def apply_quiet(quiet: bool) -> None:
    """`--quiet`: only warnings and errors reach the log."""
    if quiet:
        import logging

        logging.getLogger().setLevel(logging.WARNING)


def set_threads(threads: int | None) -> None:
    """Apply `--threads` (None leaves torch's default); ValueError below 1."""
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    import torch

    torch.set_num_threads(threads)

"""Reading and writing checkpoint files, with one clear error naming the file for every failure.

A checkpoint is a dict of tensors and plain containers saved with `torch.save` and read with
`torch.load(weights_only=True)`, so a file holding other pickled objects is refused without
running them. `save_checkpoint` stamps `format_version`; `read_checkpoint` turns a missing,
truncated, foreign or pickled file, a version it does not know, missing keys and NaN or
infinite weights into `CheckpointError` naming the file. Checkpoints written before the
version was stored have the version-1 layout and are read as version 1.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from hockey_vae.io import atomic_path

__all__ = [
    "FORMAT_VERSION",
    "CheckpointError",
    "MissingCheckpointError",
    "save_checkpoint",
    "read_checkpoint",
    "nonfinite_tensors",
]

FORMAT_VERSION = 1  # bump when the layout of the dict changes; readers refuse other versions
VERSION_KEY = "format_version"
REQUIRED = ("model_name", "model_config", "train_config", "encoder", "split", "model")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and the reason."""


class MissingCheckpointError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a FileNotFoundError)."""


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write `state` plus the format version to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        torch.save({**state, VERSION_KEY: FORMAT_VERSION}, tmp)
    return Path(path)


def _load_error(path: Path, err: BaseException) -> CheckpointError:
    """The CheckpointError for an exception raised by `torch.load` on `path`."""
    if isinstance(err, pickle.UnpicklingError) and zipfile.is_zipfile(path):
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        what = f" ({found.group(1)})" if found else ""
        return CheckpointError(
            f"{path}: refused: the file holds pickled Python objects{what}, not only tensors "
            "and plain containers; loading it could run code, so it is not read")
    if isinstance(err, EOFError) or path.stat().st_size == 0:
        return CheckpointError(f"{path}: the checkpoint file is empty (an interrupted write?)")
    if isinstance(err, RuntimeError) and "zip archive" in str(err):
        return CheckpointError(f"{path}: the checkpoint is truncated or corrupted "
                               "(not a complete torch zip archive)")
    return CheckpointError(f"{path}: not a readable torch checkpoint "
                           f"({type(err).__name__}: {str(err).splitlines()[0][:200]})")


def nonfinite_tensors(weights: dict[str, Any]) -> list[str]:
    """Names of the floating-point tensors in `weights` that hold a NaN or an infinity."""
    return [name for name, t in weights.items()
            if isinstance(t, torch.Tensor) and t.is_floating_point()
            and not bool(torch.isfinite(t).all())]


def read_checkpoint(path: str | os.PathLike, *, require_finite: bool = True) -> dict[str, Any]:
    """The checkpoint dict at `path`, checked; CheckpointError naming the file otherwise.

    Checks: the file exists and is a complete weights-only torch file, it is a dict with the
    keys every run checkpoint has, its format version is FORMAT_VERSION, and (with
    `require_finite`) no model weight is NaN or infinite.
    """
    path = Path(path)
    if not path.is_file():
        where = "" if path.parent.is_dir() else f" (no folder {path.parent})"
        raise MissingCheckpointError(f"{path}: no such checkpoint file{where}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, EOFError, RuntimeError, OSError, ValueError,
            zipfile.BadZipFile) as err:
        raise _load_error(path, err) from err
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: not a run checkpoint (a {type(state).__name__}, "
                              "expected a dict)")
    version = state.get(VERSION_KEY, 1)
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r}, but this hockey_vae reads version "
            f"{FORMAT_VERSION}; use the hockey_vae release that wrote it or retrain")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"{path}: not a run checkpoint: missing {missing}")
    if require_finite and isinstance(state["model"], dict):
        bad = nonfinite_tensors(state["model"])
        if bad:
            raise CheckpointError(
                f"{path}: {len(bad)} weight tensor(s) hold NaN or infinite values "
                f"(e.g. {bad[0]!r}): the run diverged; retrain it (e.g. with a lower lr)")
    return state

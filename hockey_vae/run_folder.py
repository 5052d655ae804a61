"""A run folder's life: refuse to train over another run, then write it in a safe order.

A run folder holds `config.json`, `checkpoint.pt`, `best.pt` and `metrics.csv`.
`prepare_run_folder` refuses a folder that holds a run unless the caller resumes it or
overwrites it. `RunWriter` writes nothing until the first epoch is done; its first save
removes the previous run's files (config.json first, so no stale config ever sits beside
new weights), then writes the checkpoints, the metrics and, last, `config.json`. A run
killed before its first save therefore leaves the old folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from hockey_vae.checkpoint import MissingCheckpointError, save_checkpoint
from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import write_json

__all__ = [
    "CONFIG",
    "CHECKPOINT",
    "BEST",
    "METRICS",
    "REFINED",
    "RUN_FILES",
    "RunFolderError",
    "prepare_run_folder",
    "clear_stale",
    "RunWriter",
]

log = logging.getLogger(__name__)
CHECKPOINT, BEST, CONFIG, METRICS = "checkpoint.pt", "best.pt", "config.json", "metrics.csv"
REFINED = "refined.pt"  # `hockey_vae.refine`'s checkpoint: an old run's must not survive
RUN_FILES = (CONFIG, CHECKPOINT, BEST, METRICS, REFINED)  # removal order: config.json first


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked (holds another run, differs on resume)."""


def _describe(folder: Path, found: list[str]) -> str:
    """'an lstm run (config.json, best.pt)' from the folder's config.json when readable."""
    model = None
    with contextlib.suppress(OSError, ValueError, AttributeError):  # only for the message
        model = json.loads((folder / CONFIG).read_text()).get("model_name")
    kind = f"a {model} run" if model else "a run"
    return f"{kind} ({', '.join(found)})"


def prepare_run_folder(folder: str | os.PathLike | None, *, resume: bool = False,
                       overwrite: bool = False) -> None:
    """Check that `folder` may receive a run; raise RunFolderError (or a missing-file error).

    - `resume`: the folder must hold `checkpoint.pt` to continue from;
    - neither flag: the folder must not hold another run's files;
    - `overwrite`: anything goes (the old files are removed at the first save).
    """
    if resume and overwrite:
        raise RunFolderError("resume and overwrite exclude each other: resume continues the "
                             "run in the folder, overwrite replaces it")
    if folder is None:
        if resume:
            raise RunFolderError("resume needs a run folder holding checkpoint.pt")
        return
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"{folder} is a file, not a run folder")
    if resume:
        if not (folder / CHECKPOINT).is_file():
            raise MissingCheckpointError(f"cannot resume: {folder / CHECKPOINT} does not exist")
        return
    found = [name for name in RUN_FILES if (folder / name).exists()]
    if found and not overwrite:
        raise RunFolderError(
            f"{folder} already holds {_describe(folder, found)}; continue it with --resume "
            "or replace it with --overwrite (resume=True / overwrite=True in Python)")


def clear_stale(folder: str | os.PathLike) -> list[str]:
    """Remove a previous run's files (and leftover temporary files) from `folder`; return them."""
    folder = Path(folder)
    removed = []
    for name in RUN_FILES:
        if (folder / name).exists():
            (folder / name).unlink()
            removed.append(name)
        for tmp in folder.glob(f".{name}.*.tmp"):  # left by a killed atomic write
            tmp.unlink()
    if removed:
        log.info("removed the previous run's %s from %s", ", ".join(removed), folder)
    return removed


class RunWriter:
    """Writes one run folder: config.json together with the first checkpoint, never before.

    `fresh=True` (a new run, not a resume) clears the previous run's files at the first save.
    """

    def __init__(self, folder: str | os.PathLike, config: dict[str, Any], *, fresh: bool):
        self.folder = Path(folder)
        self.config = config
        self.fresh = fresh
        self.saved = False

    def save(self, *, checkpoint: dict[str, Any] | None = None,
             best: dict[str, Any] | None = None, metrics: pd.DataFrame | None = None) -> None:
        """Write the given parts (best.pt, checkpoint.pt, metrics.csv), then config.json once."""
        first = not self.saved
        if first and self.fresh:
            clear_stale(self.folder)
        if best is not None:
            save_checkpoint(best, self.folder / BEST)
        if checkpoint is not None:
            save_checkpoint(checkpoint, self.folder / CHECKPOINT)
        if metrics is not None:
            with atomic_path(self.folder / METRICS) as tmp:
                metrics.to_csv(tmp, index=False)
        if first:
            write_json(self.config, self.folder / CONFIG)
            self.saved = True

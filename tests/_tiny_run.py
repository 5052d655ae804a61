"""Tiny data folders and model sizes for the run-folder, divergence and split tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
from _toy import toy_tables

from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables
from hockey_vae.train import TrainConfig

__all__ = ["SMALL", "CVAE_SMALL", "cfg", "write_toy_dir", "digests"]

SMALL = {"hidden": 8, "d_context": 8, "d_player": 4, "d_type": 4}
CVAE_SMALL = {"d_z": 2, "d_hidden": 8, "d_player_q": 4, "eval_samples": 4, "prior_samples": 2,
              "encoder": SMALL}


def cfg(**kw) -> TrainConfig:
    """A fast, seeded TrainConfig (overrides in `kw`)."""
    base = dict(epochs=1, batch_games=4, progress=False, val_samples=2, seed=3, patience=5)
    return TrainConfig(**{**base, **kw})


def write_toy_dir(out: Path, n_games: int = 10, seed: int = 8) -> Path:
    """A canonical tables folder of a toy league, as `ingest` writes it."""
    t = toy_tables(n_games=n_games, events_per_game=20, seed=seed)
    write_tables(Ingested(
        events=pa.Table.from_pandas(t.events, schema=EVENTS, preserve_index=False),
        games=pa.Table.from_pandas(t.games, schema=GAMES, preserve_index=False),
        rosters=pa.Table.from_pandas(t.rosters, schema=ROSTERS, preserve_index=False)), out)
    return out


def digests(folder: Path) -> dict[str, str]:
    """{file name: sha256} of every file in `folder`, to show nothing was rewritten."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}

"""The games of each training step: a seeded shuffle per epoch, optionally packed by length.

Games in a batch are padded to the longest, and the LSTM runs over the padding too, so
batches of games of similar length waste less. With `pack_by_length`, the shuffled games
are cut into windows of `PACK_WINDOW` batches, each window is sorted by game length and cut
into batches, and the batches are shuffled again: padding shrinks while every batch still
holds games drawn at random from the epoch (the usual bucketing iterator). Without it the
batches are consecutive slices of the shuffle, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from hockey_vae.train_config import TrainConfig

__all__ = ["PACK_WINDOW", "epoch_batches"]

PACK_WINDOW = 16  # batches per sorting window


def epoch_batches(cfg: TrainConfig, lengths: np.ndarray, epoch: int, rank: int = 0,
                  world: int = 1) -> list[list[int]]:
    """This rank's game batches (positions into the encoded games) for `epoch`; `cfg` a
    TrainConfig (batch_games, seed, pack_by_length), `lengths` (n_games,) events per game."""
    n, size = len(lengths), cfg.batch_games
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
    order = torch.randperm(n, generator=gen)
    if not cfg.pack_by_length:
        batches = [order[i:i + size].tolist() for i in range(0, n, size)]
    else:
        lens = torch.as_tensor(np.asarray(lengths), dtype=torch.long)
        batches = []
        for w in range(0, n, size * PACK_WINDOW):
            window = order[w:w + size * PACK_WINDOW]
            window = window[torch.sort(lens[window], stable=True).indices]
            batches += [window[i:i + size].tolist() for i in range(0, len(window), size)]
        batches = [batches[i] for i in torch.randperm(len(batches), generator=gen).tolist()]
    if world > 1:
        batches = batches[:len(batches) // world * world][rank::world]
    return batches

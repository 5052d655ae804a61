"""Training utilities shared by every model: one loop that calls a step function.

A step function takes (batch, step_index) and returns a dict of scalar metrics. `loss_step`
makes one for any model whose forward returns an object with `.loss` (the VAE);
`core.gan.gan_step` makes one for the GAN. Device selection and seeding live in
`hockey_vae.runtime` and are re-exported here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.progress import bar_disable
from hockey_vae.runtime import seed_everything, select_device

__all__ = ["History", "StepFn", "train_loop", "loss_step", "shuffled_batches", "select_device",
           "seed_everything"]

log = logging.getLogger(__name__)

StepFn = Callable[[Any, int], dict[str, float]]


class History:
    """Metric history: one row per logged step, e.g. {"step": 10, "loss": 1.2}."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def log(self, step: int, **metrics: float) -> None:
        """Record `metrics` at `step`."""
        self.rows.append({"step": step, **{k: float(v) for k, v in metrics.items()}})

    def last(self) -> dict[str, float]:
        """The most recent row ({} when empty)."""
        return dict(self.rows[-1]) if self.rows else {}

    def __len__(self) -> int:
        return len(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """Rows as a DataFrame with a `step` column."""
        return pd.DataFrame(self.rows)

    def save_json(self, path: str | os.PathLike) -> Path:
        """Write the rows as JSON atomically (a run folder's `metrics.json`)."""
        with atomic_path(path) as tmp:
            tmp.write_text(dumps_json(self.rows, indent=1) + "\n")
        return Path(path)


def shuffled_batches(data: Tensor, batch_size: int,
                     generator: torch.Generator | None = None) -> Iterator[Tensor]:
    """Endless minibatches of `data` (n, ...): reshuffled each epoch, last partial batch dropped
    unless the data is smaller than one batch."""
    n = data.shape[0]
    if n == 0:
        raise ValueError("data is empty")
    size = min(batch_size, n)
    while True:
        order = torch.randperm(n, generator=generator).to(data.device)
        for start in range(0, n - size + 1, size):
            yield data[order[start:start + size]]


def loss_step(model: nn.Module, optimizer: torch.optim.Optimizer,
              transform: Callable[[Tensor], Tensor] | None = None,
              clip_grad_norm: float | None = None) -> StepFn:
    """Step function: forward(batch, step=i) -> output with `.loss`; backward; optimizer step.

    `transform` is applied to each batch first (e.g. fresh dequantization noise).
    """

    def step(batch: Tensor, i: int) -> dict[str, float]:
        if transform is not None:
            batch = transform(batch)
        model.train()
        out = model(batch, step=i)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        if clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        optimizer.step()
        return out.metrics() if hasattr(out, "metrics") else {"loss": float(out.loss)}

    return step


def train_loop(step_fn: StepFn, batches: Iterable[Any], n_steps: int, *, log_every: int = 1,
        history: History | None = None, progress: bool = False, desc: str = "train",
        callback: Callable[[int, dict[str, float]], None] | None = None) -> History:
    """Run `n_steps` of `step_fn` over `batches`; return the metric history.

    `callback(step, metrics)` runs after every step (snapshots, early plots).
    Raises ValueError when `batches` runs out before `n_steps`.
    """
    history = history if history is not None else History()
    it = iter(batches)
    bar = tqdm(range(n_steps), desc=desc, disable=bar_disable(progress), leave=False)
    for i in bar:
        try:
            batch = next(it)
        except StopIteration:
            raise ValueError(f"batches ran out after {i} of n_steps={n_steps} steps") from None
        metrics = step_fn(batch, i)
        if (i + 1) % log_every == 0 or i == n_steps - 1:
            history.log(i, **metrics)
            bar.set_postfix({k: f"{v:.3g}" for k, v in metrics.items()}, refresh=False)
        if callback is not None:
            callback(i, metrics)
    log.debug("%s: %d steps, last %s", desc, n_steps, history.last())
    return history

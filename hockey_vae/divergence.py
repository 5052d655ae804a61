"""Stop a training run that diverges, before it overwrites a good checkpoint.

The training loop calls `check_batch` after each backward pass and `check_epoch` after
validation, before anything is saved, so a run that produces a NaN or infinite loss,
gradient, validation score or weight raises `TrainingDiverged` naming the epoch (and
batch) while `checkpoint.pt` and `best.pt` still hold the last good epoch.

Under DistributedDataParallel the gradients are all-reduced before the gradient norm is
taken, so a NaN on one rank makes every rank's norm NaN and all ranks stop at the same batch.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import torch

from hockey_vae.checkpoint import nonfinite_tensors

__all__ = ["TrainingDiverged", "check_batch", "check_epoch"]

log = logging.getLogger(__name__)

_HINT = ("nothing of this epoch was saved (the run folder keeps the last completed epoch, "
         "if any); lower the learning rate (train.lr) or grad_clip and train again")


class TrainingDiverged(ValueError):
    """A non-finite loss, gradient, validation score or weight: the run stopped."""


def _value(x: float | torch.Tensor) -> float:
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def check_batch(loss: float | torch.Tensor, grad_norm: float | torch.Tensor | None, *,
                epoch: int, batch: int, model: str = "model") -> None:
    """Raise TrainingDiverged if the batch's loss or total gradient norm is not finite."""
    value = _value(loss)
    if not math.isfinite(value):
        raise TrainingDiverged(f"{model} diverged at epoch {epoch}, batch {batch}: "
                               f"training loss is {value}; {_HINT}")
    if grad_norm is not None and not math.isfinite(norm := _value(grad_norm)):
        raise TrainingDiverged(f"{model} diverged at epoch {epoch}, batch {batch}: "
                               f"gradient norm is {norm} (loss {value:.4g}); {_HINT}")


def check_epoch(val_loglik: float, val_top1: float, weights: Mapping[str, torch.Tensor], *,
                epoch: int, model: str = "model") -> None:
    """Raise TrainingDiverged if the epoch's weights or validation log-likelihood are not finite.

    A NaN log-likelihood with a NaN top-1 means there was nothing to score (no validation
    event by a player seen in training): logged as a warning, since the loop then keeps the
    latest epoch as best. A non-finite log-likelihood with a finite top-1 means the model's
    scores are NaN or -inf on events that exist, which is divergence.
    """
    bad = nonfinite_tensors(dict(weights))
    if bad:
        raise TrainingDiverged(f"{model} diverged at epoch {epoch} (end of epoch): "
                               f"{len(bad)} weight tensor(s) hold NaN or infinite values "
                               f"(e.g. {bad[0]!r}); {_HINT}")
    if not math.isfinite(val_loglik) and math.isfinite(val_top1):
        raise TrainingDiverged(f"{model} diverged at epoch {epoch} (validation): validation "
                               f"log-likelihood is {val_loglik}; {_HINT}")
    if math.isnan(val_loglik):
        log.warning("%s epoch %d: the validation games hold no event by a player seen in "
                    "training, so there is no early stopping and best.pt is the latest epoch",
                    model, epoch)

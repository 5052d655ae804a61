"""Device selection, seeding, RNG state and mixed precision shared by every training loop."""

from __future__ import annotations

import contextlib
import os
import random
import re
from typing import Any

import numpy as np
import torch

__all__ = ["check_device", "select_device", "seed_everything", "rng_state", "set_rng_state",
           "autocast"]

_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(device: str) -> str:
    """`device` if it names a device (auto | cpu | cuda | cuda:N | mps), else ValueError;
    availability is checked only when training starts (`select_device`)."""
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, got {device!r}")
    return device


def select_device(device: str | torch.device | None = "auto") -> torch.device:
    """The device to run on: `auto` picks cuda, then mps, then cpu; anything else is forced.

    Raises ValueError for a name that is not a device, or when a forced accelerator is not
    available, naming it.
    """
    if isinstance(device, str):
        check_device(device)
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} requested but CUDA is not available")
    if chosen.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={str(device)!r} requested but MPS is not available")
    return chosen


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a torch Generator seeded alike."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    return torch.Generator().manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """Torch, NumPy and Python RNG states as tensors and plain containers (what a
    `weights_only` checkpoint can hold)."""
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {"key": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` returned."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on `device` when `bf16` (CUDA by default; CPU in tests and where it pays),
    else a no-op context."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)

"""Multi-process training under `torchrun`: process group, reductions, rank-0-only output.

Every helper is a no-op in a single process, so the training loop calls them
unconditionally. Launched by `torchrun --nproc_per_node N` (or any launcher that sets
WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), `setup` starts the process group
(nccl on GPU, gloo on CPU) and pins each process to its own GPU; `teardown` ends it.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["setup", "teardown", "rank", "world_size", "is_main", "barrier", "all_reduce_sums",
           "gather_objects", "shard"]

_STARTED_HERE = False  # whether `setup` created the group (then `teardown` destroys it)


def setup(device: torch.device) -> tuple[torch.device, int, int]:
    """(device, rank, world size). Under a launcher (WORLD_SIZE > 1) starts the process
    group and, on CUDA, uses and pins GPU LOCAL_RANK (`torch.cuda.set_device`)."""
    global _STARTED_HERE
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        _STARTED_HERE = True
    return device, rank(), world_size()


def teardown() -> None:
    """End the process group if `setup` started it (after a last barrier)."""
    global _STARTED_HERE
    if _STARTED_HERE and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    _STARTED_HERE = False


def rank() -> int:
    """This process's rank: the group's, else the launcher's RANK (so it holds after the
    group has ended, e.g. when the CLI prints), else 0."""
    return dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """Number of processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """Whether this process writes files and prints (rank 0)."""
    return rank() == 0


def barrier() -> None:
    """Wait for every process (nothing to wait for in a single process)."""
    if dist.is_initialized():
        dist.barrier()


def all_reduce_sums(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Sum each value over processes (keys must be the same on every rank)."""
    if not dist.is_initialized() or not values:
        return dict(values)
    keys = sorted(values)
    total = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return dict(zip(keys, total.tolist(), strict=True))


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's `obj` (picklable), in rank order; [obj] in a single process."""
    if not dist.is_initialized():
        return [obj]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def shard(items: list, this_rank: int | None = None, world: int | None = None) -> list:
    """This rank's share of `items` (every world-th item from its rank)."""
    this_rank = rank() if this_rank is None else this_rank
    world = world_size() if world is None else world
    return items[this_rank::world]

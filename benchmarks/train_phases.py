"""Where a training step's time goes, and training throughput per batch size and packing.

Used by `benchmarks/train_speed.py` (imported from this folder). `phase_profile` times
each phase of the training step the loop runs (`hockey_vae.train._train_epoch`): batching
(collate, cold-start simulation, candidate lists), the encoder's LSTM, the rest of the
encoder, each head module, the loss (softmax over candidates, KL, everything in forward
outside a module), backward, and clipping + AdamW, as wall time per step (CPU ops are
synchronous; on CUDA each phase boundary synchronises). `sweep` times one pass over the
same games per (games per batch, length packing) setting.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import torch

from hockey_vae.features import (
    collate,
    flush_denormals,
    simulate_unseen,
    training_candidates,
)
from hockey_vae.train import TrainConfig
from hockey_vae.train_batches import epoch_batches

_TIMED_METHODS = ("decoder_nll", "kl_per_player", "latent")  # heads called as methods


class _Clock:
    """Wall time per phase; nested module timers subtract from their parent."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.total: dict[str, float] = defaultdict(float)
        self._stack: list[list[Any]] = []

    def sync(self) -> None:
        if str(self.device).startswith("cuda"):
            torch.cuda.synchronize()

    def start(self, name: str) -> None:
        self.sync()
        self._stack.append([name, time.perf_counter(), 0.0])

    def stop(self) -> float:
        self.sync()
        name, tic, inner = self._stack.pop()
        spent = time.perf_counter() - tic
        self.total[name] += spent - inner
        if self._stack:
            self._stack[-1][2] += spent
        return spent


def _instrument(model: torch.nn.Module, clock: _Clock) -> list[Any]:
    """Forward hooks on the encoder, its LSTM and every other child; method wrappers."""
    named = [(f"heads: {n}", m) for n, m in model.named_children() if n != "encoder"]
    if hasattr(model, "encoder"):
        named += [("encoder: embeddings + mix", model.encoder),
                  ("encoder: LSTM", model.encoder.lstm)]
    handles = []
    for label, module in named:
        handles.append(module.register_forward_pre_hook(
            lambda *_, label=label: clock.start(label)))
        handles.append(module.register_forward_hook(lambda *_: clock.stop() and None))
    for name in _TIMED_METHODS:
        if callable(getattr(model, name, None)) and name not in model.__dict__:
            original = getattr(model, name)

            def timed(*a: Any, _f: Callable = original, _n: str = name, **k: Any) -> Any:
                clock.start(f"heads: {_n}")
                try:
                    return _f(*a, **k)
                finally:
                    clock.stop()
            setattr(model, name, timed)
            handles.append(name)
    return handles


def _remove(model: torch.nn.Module, handles: list[Any]) -> None:
    for h in handles:
        if isinstance(h, str):
            delattr(model, h)
        else:
            h.remove()


def make_step(model: Any, cfg: TrainConfig, n_vocab: int, backoff: torch.Tensor,
              device: str) -> Callable[[Any, list[int], _Clock | None], int]:
    """The training loop's step on games `games` of an EncodedGames; returns its events."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def step(enc: Any, games: list[int], clock: _Clock | None = None) -> int:
        c = clock or _Clock(device)
        c.start("batching (collate, cold start, candidates)")
        batch = collate(enc, games).to(device)
        batch = simulate_unseen(batch, backoff, cfg.unseen_rate)
        cands = training_candidates(batch, cfg.train_candidates, n_vocab)
        c.stop()
        c.start("loss, softmax and other forward ops")
        out = model(batch, cands)
        c.stop()
        c.start("backward")
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        c.stop()
        c.start("optimizer (clip + AdamW)")
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        c.stop()
        return batch.n_targets
    return step


def phase_profile(model: Any, step: Callable, enc: Any, batches: list[list[int]],
                  device: str) -> list[dict[str, Any]]:
    """Per phase: ms per step and share of the step, over `batches` (lists of games)."""
    clock = _Clock(device)
    handles = _instrument(model, clock)
    try:
        with flush_denormals():
            for games in batches:
                step(enc, games, clock)
    finally:
        _remove(model, handles)
    total = sum(clock.total.values()) or 1.0
    rows = [{"phase": k, "ms_per_step": 1e3 * v / len(batches), "share": v / total}
            for k, v in clock.total.items()]
    return sorted(rows, key=lambda r: -r["share"])


def timed_pass(step: Callable, enc: Any, batches: list[list[int]], device: str
               ) -> dict[str, float]:
    """Events/s of one pass over `batches`, and the share of LSTM steps that were padding."""
    lens = enc.lengths()
    padded = sum(len(g) * int(lens[g].max()) for g in batches)
    clock = _Clock(device)
    with flush_denormals():
        clock.sync()
        tic = time.perf_counter()
        n = sum(step(enc, g) for g in batches)
        clock.sync()
    return {"events_per_s": n / (time.perf_counter() - tic),
            "padding": 1 - sum(int(lens[g].sum()) for g in batches) / padded}


def sweep(make: Callable[[], tuple[Callable, Any]], enc: Any, n_games: int, sizes: list[int],
          matmul: Callable[[], float], flops: float, device: str,
          passes: int = 2) -> list[dict[str, Any]]:
    """Training events/s and MFU per (games per batch, packing) over the first `n_games`
    games of `enc`: the best of `passes` passes (the machine is shared), each setting from
    the same initial weights (`make` returns a fresh (step, model)), MFU against the matmul
    rate `matmul()` timed right before the setting (the load changes from minute to minute).
    Eight parameters: the sweep's data, grid, rates and repeats."""
    rows = []
    for size in sizes:
        for pack in (False, True):
            step, _ = make()
            cfg = TrainConfig(batch_games=size, pack_by_length=pack)
            batches = epoch_batches(cfg, enc.lengths()[:n_games], epoch=0)
            step(enc, batches[0])  # warm-up (allocator, first-call costs)
            mm = matmul()
            runs = [timed_pass(step, enc, batches, device) for _ in range(passes)]
            best = max(runs, key=lambda r: r["events_per_s"])
            rows.append({"batch_games": size, "pack_by_length": pack, **best,
                         "matmul_gflops": mm / 1e9, "mfu": flops * best["events_per_s"] / mm})
    return rows


def model_tables(models: dict[str, dict[str, Any]]) -> list[str]:
    """Markdown: per model, the phase table and the batch-size x packing sweep."""
    lines: list[str] = []
    for name, m in models.items():
        lines += ["", f"### `{name}`: where a training step's time goes "
                  f"({m['flops_per_event'] / 1e6:.2f} M FLOPs per event, fwd + bwd)", "",
                  "| phase | ms per step | share |", "|---|---|---|"]
        lines += [f"| {r['phase']} | {r['ms_per_step']:.1f} | {100 * r['share']:.1f}% |"
                  for r in m["phases"]]
        base = m["sweep"][0]["events_per_s"]
        lines += ["", f"`{name}`: training throughput per games per batch and packing", "",
                  "| games per batch | packed by length | padding | events/s | vs first row "
                  "| matmul GFLOP/s | MFU |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['batch_games']} | {'yes' if r['pack_by_length'] else 'no'} | "
                  f"{100 * r['padding']:.1f}% | {r['events_per_s']:,.0f} | "
                  f"{r['events_per_s'] / base:.2f}x | {r['matmul_gflops']:.0f} | "
                  f"{100 * r['mfu']:.1f}% |" for r in m["sweep"]]
    return lines

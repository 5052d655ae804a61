"""One training loop for every player model: device, bf16 autocast, checkpoints, resume, DDP.

A run folder holds `config.json` (model and train config, split), `checkpoint.pt` (latest
epoch: model + optimizer state, RNG states, early-stopping state), `best.pt` (best
validation weights) and `metrics.csv` (one row per epoch). Checkpoints contain only
tensors and plain containers and are read with `torch.load(..., weights_only=True)`.
Launched under `torchrun`, the loop uses DistributedDataParallel (nccl on GPU, gloo on CPU;
`hockey_vae.distributed`): batches and validation games are sharded over ranks, loss terms
and validation sums all-reduced, only rank 0 logs and writes (after a barrier), each rank
checkpoints its own RNG state, and the process group ends with the run.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae import distributed
from hockey_vae.checkpoint import read_checkpoint
from hockey_vae.divergence import check_batch, check_epoch
from hockey_vae.evaluate import predict
from hockey_vae.features import (
    FeatureConfig,
    SequenceEncoder,
    as_tables,
    flush_denormals,
    iterate_batches,
    simulate_unseen,
    split_games,
    training_candidates,
)
from hockey_vae.models import (
    MODEL_NAMES,
    PlayerModel,
    build_model,
    config_from_dict,
    config_to_dict,
    default_config,
)
from hockey_vae.progress import bar_disable
from hockey_vae.resume import (
    FINGERPRINT_KEY,
    check_model_kind,
    check_resume,
    data_fingerprint,
    stored_model_config,
)
from hockey_vae.run_folder import (
    BEST,
    CHECKPOINT,
    METRICS,
    REFINED,
    RunWriter,
    prepare_run_folder,
)
from hockey_vae.runtime import (
    autocast,
    rng_state,
    seed_everything,
    select_device,
    set_rng_state,
)
from hockey_vae.split_check import check_split
from hockey_vae.train_batches import epoch_batches
from hockey_vae.train_config import (
    TrainConfig,
    feature_config_from_dict,
    resolve_features,
    train_config_from_dict,
)

__all__ = ["TrainConfig", "Run", "fit", "load_run", "training_split", "train_config_from_dict",
           "feature_config_from_dict", "resolve_features"]

log = logging.getLogger(__name__)


@dataclass
class Run:
    """A trained model with everything needed to apply it to new games."""

    name: str
    model: PlayerModel
    encoder: SequenceEncoder
    train_config: TrainConfig
    split: dict[str, list[str]]
    run_dir: Path | None = None
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))


# -- the loop -------------------------------------------------------------------------------
def validation_loglik(model: PlayerModel, enc: Any, cfg: TrainConfig,
                      device: torch.device) -> tuple[float, float]:
    """(mean log-likelihood, top-1) of known players on the validation set; under DDP
    `enc` is this rank's share of the validation games and the sums are all-reduced, so
    every rank gets the same numbers."""
    sums = {"ll": 0.0, "top1": 0.0, "n": 0.0}
    if enc is not None and enc.n_targets > 0:
        pred = predict(model, enc, (cfg.val_candidates,), n_samples=cfg.val_samples,
                       batch_games=cfg.batch_games, device=device, seed=cfg.seed)
        d = pred.sets[cfg.val_candidates]
        sel = pred.known & d["in_set"].astype(bool)
        sums = {"ll": float(d["ll"][sel].sum()), "top1": float(d["top1"][sel].sum()),
                "n": float(sel.sum())}
    sums = distributed.all_reduce_sums(sums, device)
    if sums["n"] == 0:
        return float("nan"), float("nan")
    return sums["ll"] / sums["n"], sums["top1"] / sums["n"]


@dataclass
class _Setup:
    """What a run trains on: split, fitted encoder, model config, the checkpoint it resumes."""

    split: dict[str, list[str]]
    encoder: SequenceEncoder
    model_cfg: Any
    fingerprint: dict[str, list[Any]]
    ckpt: dict[str, Any] | None = None


@dataclass
class _Progress:
    """Early-stopping state carried from epoch to epoch (and through a checkpoint)."""

    best_state: dict[str, torch.Tensor]
    start_epoch: int = 0
    best: float = -math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    def update(self, val_ll: float, epoch: int, net: PlayerModel) -> bool:
        """Record epoch `epoch`'s validation score; True when its weights become the best.

        With no validation score (NaN: no validation player) the latest epoch counts as best.
        """
        improved = not math.isnan(val_ll) and val_ll > self.best
        if improved or math.isnan(val_ll):
            self.best = val_ll if improved else self.best
            self.best_epoch, self.bad_epochs = epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return True
        self.bad_epochs += 1
        return False

    def checkpoint(self, meta: dict[str, Any], net: PlayerModel, opt: torch.optim.Optimizer,
                   epoch: int, rng_ranks: list[dict[str, Any]]) -> dict[str, Any]:
        """The resumable checkpoint after `epoch`; `rng_ranks`: every rank's RNG state."""
        return {**meta, "model": net.state_dict(), "optimizer": opt.state_dict(),
                "epoch": epoch, "best": self.best, "best_epoch": self.best_epoch,
                "bad_epochs": self.bad_epochs, "history": self.history, "rng": rng_ranks[0],
                **({"rng_ranks": rng_ranks} if len(rng_ranks) > 1 else {})}


@dataclass
class _Loop:
    """The moving parts of the training loop, shared by every epoch."""

    name: str
    net: PlayerModel
    wrapped: Any  # the net, or its DistributedDataParallel wrapper
    opt: torch.optim.Optimizer
    cfg: TrainConfig
    device: torch.device
    backoff: torch.Tensor
    n_vocab: int
    rank: int = 0
    world: int = 1
    bf16: bool = False  # bf16 autocast of the forward pass (default: on CUDA)


def _runtime(cfg: TrainConfig) -> tuple[torch.device, int, int]:
    """(device, rank, world size): threads, device choice, the process group under torchrun
    (each rank on GPU LOCAL_RANK)."""
    if cfg.num_threads > 0:
        torch.set_num_threads(cfg.num_threads)
    return distributed.setup(select_device(cfg.device))


def _prepare(t: Any, run_dir: Path | None, model: str, cfg: TrainConfig,
             model_overrides: dict[str, Any] | None,
             features: FeatureConfig | dict[str, Any] | None,
             split: dict[str, list[str]] | None, resume: bool) -> _Setup:
    """A fresh run's split, fitted encoder and model config, or a resumed run's, checked
    against what this call asks for (model, features, config and data). Eight parameters:
    `fit`'s own options, passed through."""
    if resume:
        assert run_dir is not None  # prepare_run_folder refuses resume without a folder
        ckpt = read_checkpoint(run_dir / CHECKPOINT)
        _require_current_format(ckpt, run_dir / CHECKPOINT)
        check_model_kind(ckpt, run_dir, model)
        split = ckpt["split"]
        encoder = SequenceEncoder.from_state(ckpt["encoder"])
        fingerprint = data_fingerprint(t.events, split["train"] + split["val"])
        wanted = default_config(model, encoder, model_overrides)
        asked = resolve_features(model, features)
        check_resume(ckpt, run_dir, model=model, train_config=dataclasses.asdict(cfg),
                     model_config=config_to_dict(wanted), fingerprint=fingerprint,
                     features=(dataclasses.asdict(encoder.features), dataclasses.asdict(asked)))
        return _Setup(split, encoder,
                      config_from_dict(model, stored_model_config(model, ckpt["model_config"])),
                      fingerprint, ckpt)
    split = training_split(t.games, cfg, split)
    encoder = SequenceEncoder.from_config(resolve_features(model, features))
    encoder.fit(t, split["train"])
    return _Setup(split, encoder, default_config(model, encoder, model_overrides),
                  data_fingerprint(t.events, split["train"] + split["val"]))


def training_split(games: Any, cfg: TrainConfig,
                   split: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Train/val/test game ids: `split`, or the config's split by date; with
    `max_train_games`, only that many of the latest training games."""
    split = split or split_games(games, cfg.split_fractions,
                                 within_last_season=cfg.split_within_last_season,
                                 test_season=cfg.test_season or None)
    if cfg.max_train_games > 0:
        split = {**split, "train": split["train"][-cfg.max_train_games:]}
    return split


def _restore(setup: _Setup, run_dir: Path | None, net: PlayerModel,
             opt: torch.optim.Optimizer) -> _Progress:
    """Early-stopping state: fresh, or the resumed checkpoint's (weights, optimizer, RNG)."""
    ckpt = setup.ckpt
    if ckpt is not None:
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
    progress = _Progress({k: v.detach().clone() for k, v in net.state_dict().items()})
    if ckpt is None:
        return progress
    progress.start_epoch = int(ckpt["epoch"]) + 1
    progress.best, progress.best_epoch = ckpt["best"], ckpt["best_epoch"]
    progress.bad_epochs, progress.history = ckpt["bad_epochs"], list(ckpt["history"])
    ranks = ckpt.get("rng_ranks")  # each rank resumes its own stream when the world matches
    world, rank = distributed.world_size(), distributed.rank()
    set_rng_state(ranks[rank] if ranks is not None and len(ranks) == world else ckpt["rng"])
    if run_dir is not None and (run_dir / BEST).exists():
        progress.best_state = read_checkpoint(run_dir / BEST)["model"]
    return progress


def _epoch_batches(loop: _Loop, n_games: int, epoch: int,
                   lengths: Any = None) -> list[list[int]]:
    """This rank's game batches for `epoch` (`hockey_vae.train_batches.epoch_batches`);
    `lengths` (events per game) matter only with `pack_by_length`."""
    lengths = np.ones(n_games, np.int64) if lengths is None else lengths
    return epoch_batches(loop.cfg, lengths, epoch, loop.rank, loop.world)


def _train_epoch(loop: _Loop, train_enc: Any, epoch: int) -> tuple[dict[str, float], int]:
    """One pass over this rank's batches: (loss terms summed with event weights, events).

    A non-finite loss or gradient norm raises TrainingDiverged before the optimizer steps.
    """
    from tqdm.auto import tqdm

    net, opt, cfg, device = loop.net, loop.opt, loop.cfg, loop.device
    net.train()
    net.on_epoch_start(epoch)
    for group in opt.param_groups:  # a function of the epoch, so resume gets it right
        group["lr"] = cfg.lr * cfg.lr_decay ** epoch
    sums: dict[str, float] = {}
    n_events = 0
    bar = tqdm(_epoch_batches(loop, train_enc.n_games, epoch, train_enc.lengths()), unit="batch",
               desc=f"{loop.name} epoch {epoch}", disable=bar_disable(cfg.progress and loop.rank == 0))
    for b, games in enumerate(bar):
        batch = next(iterate_batches(train_enc, len(games), games)).to(device)
        batch = simulate_unseen(batch, loop.backoff, cfg.unseen_rate)
        cands = training_candidates(batch, cfg.train_candidates, loop.n_vocab)
        with autocast(device, loop.bf16):
            out = loop.wrapped(batch, cands)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        check_batch(out.loss, norm, epoch=epoch, batch=b, model=loop.name)  # before the step
        opt.step()
        n_events += batch.n_targets
        for k, v in {"loss": out.loss, **out.terms}.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach()) * batch.n_targets
        bar.set_postfix(loss=f"{float(out.loss.detach()):.3f}")
    return sums, n_events


def _epoch_row(loop: _Loop, epoch: int, sums: dict[str, float], n_events: int,
               seconds: float, val: tuple[float, float]) -> dict[str, Any]:
    """One row of metrics.csv: mean loss terms, validation score, speed, KL weight; sums
    and events are this rank's, all-reduced here, so the row covers every rank."""
    totals = distributed.all_reduce_sums({**sums, "_events": float(n_events)}, loop.device)
    n_events = int(totals.pop("_events"))
    row = {"epoch": epoch, **{k: v / max(n_events, 1) for k, v in totals.items()},
           "val_loglik": val[0], "val_top1": val[1], "seconds": seconds,
           "train_events": n_events, "train_events_per_s": n_events / max(seconds, 1e-9),
           "kl_weight": float(loop.net.kl_weight)}
    if loop.rank == 0:
        log.info("%s epoch %d: %s", loop.name, epoch,
                 ", ".join(f"{k}={v:.4g}" for k, v in row.items() if isinstance(v, float)))
    return row


@flush_denormals()
def fit(tables: Any, run_dir: str | os.PathLike | None = None, model: str = "cvae", *,
        model_overrides: dict[str, Any] | None = None, train_config: TrainConfig | None = None,
        features: FeatureConfig | dict[str, Any] | None = None,
        split: dict[str, list[str]] | None = None, resume: bool = False,
        overwrite: bool = False) -> Run:
    """Train `model` on the training games of `tables`; early-stop on validation games.

    `features` (a FeatureConfig or its dict) sets what the encoder writes (lineup, on-ice
    history, ...); the model reads its input widths from the fitted encoder, so a
    `model_overrides` value that disagrees with it is an error naming both values.
    `split` (train/val/test game ids) defaults to `split_games` with the config's fractions.
    With `run_dir`, writes config, metrics and checkpoints there; a folder holding another
    run is refused unless `resume=True` continues it from `run_dir/checkpoint.pt` (same
    model, features, config and data required) or `overwrite=True` replaces it. A non-finite
    loss or validation score raises TrainingDiverged. Returns the best-validation Run.
    The config file schema that fills these arguments is `hockey_vae.config.RunConfig`; its
    sections and the run-folder modes are why this takes nine parameters.
    """
    if model not in MODEL_NAMES:
        raise ValueError(f"model {model!r} is not one of {MODEL_NAMES}")
    cfg = train_config or TrainConfig()
    device, rank, world = _runtime(cfg)
    seed_everything(cfg.seed)
    run_dir = Path(run_dir) if run_dir is not None else None
    prepare_run_folder(run_dir, resume=resume, overwrite=overwrite)  # run-folder guard
    t = as_tables(tables)
    setup = _prepare(t, run_dir, model, cfg, model_overrides, features, split, resume)
    split, encoder = setup.split, setup.encoder
    train_enc = encoder.transform(t, split["train"])
    val_games = distributed.shard(split["val"])  # validation sharded over ranks
    val_enc = encoder.transform(t, val_games) if val_games else None

    net = build_model(model, setup.model_cfg, encoder).to(device)
    check_split(split, ("train", "val") if net.trainable else ("train",),
                what=f"training {model}", fractions=cfg.split_fractions)
    meta = {"model_name": model, "model_config": config_to_dict(setup.model_cfg),
            "train_config": dataclasses.asdict(cfg), "encoder": encoder.state(), "split": split,
            FINGERPRINT_KEY: setup.fingerprint}
    writer = None  # writes config.json with the first checkpoint, never before
    if run_dir is not None and rank == 0:
        writer = RunWriter(run_dir, {k: v for k, v in meta.items()
                                     if k not in ("encoder", FINGERPRINT_KEY)}
                           | {"features": dataclasses.asdict(encoder.features),
                              "n_players": len(encoder.vocab_)}, fresh=not resume)

    if not net.trainable:
        net.fit(train_enc)
        distributed.barrier()
        if writer is not None:
            state = {**meta, "model": net.state_dict(), "epoch": 0}
            writer.save(best=state, checkpoint=state)
        distributed.teardown()
        return Run(model, net, encoder, cfg, split, run_dir, pd.DataFrame(), device)

    net.prepare(t, split["train"], encoder)  # a no-op but for models that read the tables
    wrapped: Any = torch.nn.parallel.DistributedDataParallel(net) if world > 1 else net
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    progress = _restore(setup, run_dir, net, opt)
    loop = _Loop(model, net, wrapped, opt, cfg, device,
                 torch.from_numpy(encoder.vocab_.backoff()).to(device), len(encoder.vocab_),
                 rank, world, bf16=device.type == "cuda")
    for epoch in range(progress.start_epoch, cfg.epochs):
        if progress.bad_epochs >= cfg.patience:
            break
        tic = time.perf_counter()
        sums, n_events = _train_epoch(loop, train_enc, epoch)
        seconds = time.perf_counter() - tic
        val_ll, val_top1 = validation_loglik(net, val_enc, cfg, device)
        check_epoch(val_ll, val_top1, net.state_dict(), epoch=epoch, model=model)
        is_best = progress.update(val_ll, epoch, net)
        progress.history.append(_epoch_row(loop, epoch, sums, n_events, seconds,
                                           (val_ll, val_top1)))
        rng_ranks = distributed.gather_objects(rng_state())
        distributed.barrier()  # every rank done with the epoch (and with reading a resume)
        if writer is not None:
            writer.save(best={**meta, "model": progress.best_state, "epoch": epoch}
                        if is_best else None,
                        checkpoint=progress.checkpoint(meta, net, opt, epoch, rng_ranks),
                        metrics=pd.DataFrame(progress.history))
    distributed.teardown()
    net.load_state_dict(progress.best_state)
    if cfg.refine_passes > 0 and net.kind == "player-latent":
        _refine_stage(net, train_enc, split, cfg, meta, run_dir if rank == 0 else None)
    net.eval()
    return Run(model, net, encoder, cfg, split, run_dir, pd.DataFrame(progress.history), device)


def _refine_stage(net: PlayerModel, train_enc: Any, split: dict[str, list[str]],
                  cfg: TrainConfig, meta: dict[str, Any], run_dir: Path | None) -> None:
    """The optional last stage (`refine_passes`): fit q(u) of the best model with the
    network frozen, in place; written to `run_dir/refined.pt` (best.pt stays as trained)."""
    from hockey_vae.checkpoint import save_checkpoint
    from hockey_vae.refine import RefineConfig, refine_latents

    res = refine_latents(net, train_enc, len(split["train"]), tuple(cfg.train_candidates),
                         RefineConfig(max_passes=cfg.refine_passes, seed=cfg.seed))
    log.info("%s refined q(u): %d passes, objective %.4f -> %.4f", meta["model_name"],
             res.passes, res.objective[0], res.objective[-1])
    if run_dir is not None:
        weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
        save_checkpoint({**meta, "model": weights, "epoch": -1,
                         "refine": dataclasses.asdict(res)}, run_dir / REFINED)


def _require_current_format(state: dict[str, Any], path: Path) -> None:
    """ValueError for a checkpoint written before the features refactor (its encoder state
    has no feature flags), which this version cannot read or resume."""
    if "history" not in state["encoder"]:
        raise ValueError(f"{path} was written before the features refactor (issue 15), "
                         "whose checkpoints it cannot read; retrain the run")


def load_run(run_dir: str | os.PathLike, which: str = "best",
             device: str | torch.device = "cpu") -> Run:
    """Rebuild a trained Run from `run_dir` (`best.pt`, `checkpoint.pt` or, for `which=
    "refined"`, the latents refined by `hockey_vae.refine`), weights only."""
    run_dir = Path(run_dir)
    files = {"best": BEST, "checkpoint": CHECKPOINT, "refined": REFINED}
    if which not in files:
        raise ValueError(f"load_run: which={which!r} is not one of {sorted(files)}")
    path = run_dir / files[which]
    state = read_checkpoint(path)  # CheckpointError naming the file; refuses NaN weights
    name = state["model_name"]
    _require_current_format(state, path)
    encoder = SequenceEncoder.from_state(state["encoder"])
    model_cfg = config_from_dict(name, stored_model_config(name, state["model_config"]))
    net = build_model(name, model_cfg, encoder)
    net.load_state_dict(state["model"])
    dev = select_device(device)
    net.to(dev).eval()
    cfg = train_config_from_dict(state["train_config"])
    metrics = run_dir / METRICS
    history = pd.read_csv(metrics) if metrics.exists() else pd.DataFrame()
    return Run(name, net, encoder, cfg, state["split"], run_dir, history, dev)

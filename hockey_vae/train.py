"""One training loop for every player model: device, bf16 autocast, checkpoints, resume, DDP.

A run folder holds `config.json` (model and train config, split), `checkpoint.pt` (latest
epoch: model + optimizer state, RNG states, early-stopping state), `best.pt` (best
validation weights) and `metrics.csv` (one row per epoch). Checkpoints contain only
tensors and plain containers and are read with `torch.load(..., weights_only=True)`.
Launched under `torchrun`, the loop uses DistributedDataParallel (nccl on GPU, gloo on CPU).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist

from hockey_vae.checkpoint import read_checkpoint
from hockey_vae.core.config import checked_fields
from hockey_vae.divergence import check_batch, check_epoch
from hockey_vae.evaluate import predict
from hockey_vae.features import (
    CANDIDATE_SETS,
    FeatureConfig,
    SequenceEncoder,
    as_tables,
    check_fractions,
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
    model_history,
)
from hockey_vae.resume import FINGERPRINT_KEY, check_resume, data_fingerprint
from hockey_vae.run_folder import BEST, CHECKPOINT, METRICS, RunWriter, prepare_run_folder
from hockey_vae.runtime import check_device, seed_everything, select_device
from hockey_vae.split_check import check_split

__all__ = ["TrainConfig", "Run", "fit", "load_run", "train_config_from_dict",
           "feature_config_from_dict", "resolve_features"]

log = logging.getLogger(__name__)


def _fractions(value: tuple[float, ...]) -> str | None:
    try:
        check_fractions(value)
    except ValueError as err:
        return str(err)
    return None


def _device(value: str) -> str | None:
    try:
        check_device(value)
    except ValueError as err:
        return str(err)
    return None


def _opt(default: Any, **meta: Any) -> Any:
    """A dataclass field with validation metadata (see `core.config.checked_fields`)."""
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Optimisation, validation and data-split settings shared by every model.

    The feature flags (lineup, on-ice history, min_player_events) are in `FeatureConfig`.
    """

    epochs: int = _opt(8, min=1)  # maximum epochs
    batch_games: int = _opt(2, min=1)  # games per step (a game is ~300 events)
    lr: float = _opt(3e-3, min=0.0)  # AdamW learning rate
    lr_decay: float = _opt(1.0, min=0.0)  # learning rate multiplied by this after every epoch
    weight_decay: float = _opt(1e-5, min=0.0)  # AdamW decoupled weight decay
    grad_clip: float = _opt(1.0, min=0.0)  # max global gradient norm
    patience: int = _opt(2, min=0)  # epochs without validation improvement before stopping
    seed: int = _opt(0, min=0)
    device: str = _opt("auto", check=_device)  # auto | cpu | cuda | cuda:N | mps
    train_candidates: tuple[str, ...] = _opt(CANDIDATE_SETS, choices=CANDIDATE_SETS)  # loss =
    # mean NLL over these candidate sets
    val_candidates: str = _opt("roster", choices=CANDIDATE_SETS)  # early stopping on this set
    val_samples: int = _opt(10, min=1)  # CVAE importance samples during validation
    split_fractions: tuple[float, float, float] = _opt((0.8, 0.1, 0.1), check=_fractions)
    split_within_last_season: bool = False  # NHL protocol: earlier seasons all train
    unseen_rate: float = _opt(0.02, min=0.0, max=1.0)  # prob. a dressed player is treated
    # as unseen for a whole training game (trains the cold-start tokens)
    max_train_games: int = _opt(0, min=0)  # >0: use only the latest this many training games
    num_threads: int = _opt(0, min=0)  # >0: torch.set_num_threads
    progress: bool = True  # tqdm bars

    def __post_init__(self) -> None:
        # built in Python too (not only from a file), so the same checks apply
        checked_fields(TrainConfig, dataclasses.asdict(self), "train config")


# Keys that moved from the train section to the features section (issue 15).
_MOVED_TO_FEATURES = ("lineup", "on_ice_history", "min_player_events")


def train_config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """TrainConfig from a dict; an unknown key or a bad value raises ValueError naming it."""
    moved = sorted(set(data) & set(_MOVED_TO_FEATURES)) if isinstance(data, dict) else []
    if moved:
        raise ValueError(f"train config key(s) {moved} moved to the 'features' section")
    return TrainConfig(**checked_fields(TrainConfig, data, "train config"))


def feature_config_from_dict(data: dict[str, Any]) -> FeatureConfig:
    """FeatureConfig from a dict; an unknown key or a bad value raises ValueError naming it."""
    return FeatureConfig(**checked_fields(FeatureConfig, data, "features config"))


def resolve_features(model: str, features: FeatureConfig | dict[str, Any] | None
                     ) -> FeatureConfig:
    """The feature flags model `model` trains with: `history` resolved for the model."""
    if features is None:
        features = FeatureConfig()
    elif isinstance(features, dict):
        features = feature_config_from_dict(features)
    return dataclasses.replace(features, history=model_history(model, features.history))


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


# -- distributed helpers -------------------------------------------------------------------
def _dist_setup(device: torch.device) -> tuple[int, int]:
    """(rank, world size); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


# -- RNG state as plain tensors/containers (weights_only-safe) ------------------------------
def _rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {"key": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["key"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))


# -- the loop -------------------------------------------------------------------------------
def validation_loglik(model: PlayerModel, enc: Any, cfg: TrainConfig,
                      device: torch.device) -> tuple[float, float]:
    """(mean log-likelihood, top-1) of known players on the validation set."""
    if enc is None or enc.n_targets == 0:
        return float("nan"), float("nan")
    pred = predict(model, enc, (cfg.val_candidates,), n_samples=cfg.val_samples,
                   batch_games=cfg.batch_games, device=device, seed=cfg.seed)
    d = pred.sets[cfg.val_candidates]
    sel = pred.known & d["in_set"].astype(bool)
    if not sel.any():
        return float("nan"), float("nan")
    return float(d["ll"][sel].mean()), float(d["top1"][sel].mean())


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
    The config file schema that fills these arguments is `hockey_vae.config.RunConfig`.
    """
    if model not in MODEL_NAMES:
        raise ValueError(f"model {model!r} is not one of {MODEL_NAMES}")
    cfg = train_config or TrainConfig()
    if cfg.num_threads > 0:
        torch.set_num_threads(cfg.num_threads)
    device = select_device(cfg.device)
    rank, world = _dist_setup(device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    seed_everything(cfg.seed)
    run_dir = Path(run_dir) if run_dir is not None else None
    prepare_run_folder(run_dir, resume=resume, overwrite=overwrite)  # run-folder guard
    t = as_tables(tables)

    ckpt: dict[str, Any] | None = None
    if resume:
        assert run_dir is not None  # prepare_run_folder refuses resume without a folder
        ckpt = read_checkpoint(run_dir / CHECKPOINT)
        split = ckpt["split"]
        encoder = SequenceEncoder.from_state(ckpt["encoder"])
        fingerprint = data_fingerprint(t.events, split["train"] + split["val"])
        wanted = default_config(model, encoder, model_overrides)
        asked = resolve_features(model, features)
        check_resume(ckpt, run_dir, model=model, train_config=dataclasses.asdict(cfg),
                     model_config=config_to_dict(wanted), fingerprint=fingerprint,
                     features=(dataclasses.asdict(encoder.features), dataclasses.asdict(asked)))
        model_cfg = config_from_dict(model, ckpt["model_config"])
    else:
        split = split or split_games(t.games, cfg.split_fractions,
                                     within_last_season=cfg.split_within_last_season)
        if cfg.max_train_games > 0:
            split = {**split, "train": split["train"][-cfg.max_train_games:]}
        encoder = SequenceEncoder.from_config(resolve_features(model, features))
        encoder.fit(t, split["train"])
        model_cfg = default_config(model, encoder, model_overrides)
        fingerprint = data_fingerprint(t.events, split["train"] + split["val"])
    train_enc = encoder.transform(t, split["train"])
    val_enc = encoder.transform(t, split["val"]) if split["val"] else None

    net = build_model(model, model_cfg, encoder).to(device)
    check_split(split, ("train", "val") if net.trainable else ("train",),
                what=f"training {model}", fractions=cfg.split_fractions)
    meta = {"model_name": model, "model_config": config_to_dict(model_cfg),
            "train_config": dataclasses.asdict(cfg), "encoder": encoder.state(), "split": split,
            FINGERPRINT_KEY: fingerprint}
    writer = None  # writes config.json with the first checkpoint, never before
    if run_dir is not None and rank == 0:
        writer = RunWriter(run_dir, {k: v for k, v in meta.items()
                                     if k not in ("encoder", FINGERPRINT_KEY)}
                           | {"features": dataclasses.asdict(encoder.features),
                              "n_players": len(encoder.vocab_)}, fresh=not resume)

    if not net.trainable:
        net.fit(train_enc)
        run = Run(model, net, encoder, cfg, split, run_dir, pd.DataFrame(), device)
        if writer is not None:
            state = {**meta, "model": net.state_dict(), "epoch": 0}
            writer.save(best=state, checkpoint=state)
        return run

    ddp = world > 1
    wrapped: Any = torch.nn.parallel.DistributedDataParallel(net) if ddp else net
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start_epoch, best, best_epoch, bad_epochs = 0, -math.inf, -1, 0
    history: list[dict[str, Any]] = []
    if ckpt is not None:
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start_epoch = int(ckpt["epoch"]) + 1
        best, best_epoch, bad_epochs = ckpt["best"], ckpt["best_epoch"], ckpt["bad_epochs"]
        history = list(ckpt["history"])
        _set_rng_state(ckpt["rng"])
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    if run_dir is not None and (run_dir / BEST).exists() and ckpt is not None:
        best_state = read_checkpoint(run_dir / BEST)["model"]

    n_vocab = len(encoder.vocab_)
    backoff = torch.from_numpy(encoder.vocab_.backoff()).to(device)
    autocast = device.type == "cuda"
    from tqdm.auto import tqdm

    for epoch in range(start_epoch, cfg.epochs):
        if bad_epochs >= cfg.patience:
            break
        net.train()
        net.on_epoch_start(epoch)
        for group in opt.param_groups:  # a function of the epoch, so resume gets it right
            group["lr"] = cfg.lr * cfg.lr_decay ** epoch
        order = torch.randperm(train_enc.n_games,
                               generator=torch.Generator().manual_seed(cfg.seed * 1000 + epoch))
        batches = [order[i:i + cfg.batch_games].tolist()
                   for i in range(0, len(order), cfg.batch_games)]
        batches = batches[:len(batches) // world * world][rank::world] if ddp else batches
        tic, sums, n_events = time.perf_counter(), {}, 0
        bar = tqdm(batches, desc=f"{model} epoch {epoch}", unit="batch",
                   disable=not cfg.progress or rank != 0)
        for b, games in enumerate(bar):
            batch = next(iterate_batches(train_enc, len(games), games)).to(device)
            batch = simulate_unseen(batch, backoff, cfg.unseen_rate)
            cands = training_candidates(batch, cfg.train_candidates, n_vocab)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                out = wrapped(batch, cands)
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            check_batch(out.loss, norm, epoch=epoch, batch=b, model=model)  # before the step
            opt.step()
            n_events += batch.n_targets
            for k, v in {"loss": out.loss, **out.terms}.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * batch.n_targets
            bar.set_postfix(loss=f"{float(out.loss.detach()):.3f}")
        seconds = time.perf_counter() - tic
        val_ll, val_top1 = validation_loglik(net, val_enc, cfg, device)
        check_epoch(val_ll, val_top1, net.state_dict(), epoch=epoch, model=model)
        improved = not math.isnan(val_ll) and val_ll > best
        if improved or math.isnan(val_ll):
            best, best_epoch, bad_epochs = (val_ll if improved else best), epoch, 0
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            bad_epochs += 1
        row = {"epoch": epoch, **{k: v / max(n_events, 1) for k, v in sums.items()},
               "val_loglik": val_ll, "val_top1": val_top1, "seconds": seconds,
               "train_events_per_s": n_events * world / max(seconds, 1e-9),
               "kl_weight": float(net.kl_weight)}
        history.append(row)
        log.info("%s epoch %d: %s", model, epoch,
                 ", ".join(f"{k}={v:.4g}" for k, v in row.items() if isinstance(v, float)))
        if writer is not None:
            writer.save(
                best={**meta, "model": best_state, "epoch": epoch}
                if improved or math.isnan(val_ll) else None,
                checkpoint={**meta, "model": net.state_dict(), "optimizer": opt.state_dict(),
                            "epoch": epoch, "best": best, "best_epoch": best_epoch,
                            "bad_epochs": bad_epochs, "history": history, "rng": _rng_state()},
                metrics=pd.DataFrame(history))
    net.load_state_dict(best_state)
    net.eval()
    return Run(model, net, encoder, cfg, split, run_dir, pd.DataFrame(history), device)


def load_run(run_dir: str | os.PathLike, which: str = "best",
             device: str | torch.device = "cpu") -> Run:
    """Rebuild a trained Run from `run_dir` (`best.pt` or `checkpoint.pt`), weights only."""
    run_dir = Path(run_dir)
    path = run_dir / (BEST if which == "best" else CHECKPOINT)
    state = read_checkpoint(path)  # CheckpointError naming the file; refuses NaN weights
    name = state["model_name"]
    if "history" not in state["encoder"]:
        raise ValueError(f"{path} was written before the features refactor (issue 15), "
                         "whose checkpoints it cannot read; retrain the run")
    encoder = SequenceEncoder.from_state(state["encoder"])
    model_cfg = config_from_dict(name, state["model_config"])
    net = build_model(name, model_cfg, encoder)
    net.load_state_dict(state["model"])
    dev = select_device(device)
    net.to(dev).eval()
    cfg = train_config_from_dict(state["train_config"])
    metrics = run_dir / METRICS
    history = pd.read_csv(metrics) if metrics.exists() else pd.DataFrame()
    return Run(name, net, encoder, cfg, state["split"], run_dir, history, dev)

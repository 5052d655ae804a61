"""Training under DDP (two gloo processes on CPU) and bf16 autocast on CPU."""

from __future__ import annotations

import json
import logging
import math
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
import torch.multiprocessing as mp
from _toy import toy_tables

from hockey_vae import distributed
from hockey_vae.checkpoint import read_checkpoint
from hockey_vae.features import SequenceEncoder, iterate_batches, split_games
from hockey_vae.models import build_model, default_config
from hockey_vae.train import TrainConfig, _epoch_batches, _Loop, _train_epoch, fit

SMALL = {"hidden": 8, "d_context": 8, "d_player": 4, "d_type": 4}
CVAE_SMALL = {"d_z": 2, "d_hidden": 8, "d_player_q": 4, "eval_samples": 4, "prior_samples": 2,
              "encoder": SMALL}


def _cfg(**kw) -> TrainConfig:
    base = dict(epochs=2, batch_games=2, progress=False, val_samples=2, seed=3, patience=5,
                device="cpu")
    return TrainConfig(**{**base, **kw})


def _free_ports(n: int) -> list[int]:
    """`n` distinct free ports: every socket stays bound until all are chosen, so the OS
    cannot hand the same port out twice (a reused port made a later rendezvous hang)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.epochs = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.epochs += " epoch " in record.getMessage()


def _fit_on(port: int, *args, **kwargs):
    os.environ["MASTER_PORT"] = str(port)
    run = fit(*args, **kwargs)
    assert not torch.distributed.is_initialized()  # the run ended its process group
    return run


STAGES = ("straight", "interrupted", "resumed")  # each in its own pair of processes


def _worker(rank: int, stage: str, port: int, out: str) -> None:
    """One stage of the DDP check on this rank. Every stage gets fresh processes: a second
    process group started in a process that just ended one could hang in gloo's teardown
    (seen about one run in four when the three fits shared two processes)."""
    os.environ.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1")
    torch.set_num_threads(1)
    counter = _Count()
    logger = logging.getLogger("hockey_vae.train")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    tables = toy_tables(n_games=20, events_per_game=30, seed=5)
    out_dir = Path(out)
    if stage == "interrupted":
        _fit_on(port, tables, out_dir / "resumed", "cvae", model_overrides=CVAE_SMALL,
                train_config=_cfg(epochs=1))
        return
    folder = "straight" if stage == "straight" else "resumed"
    run = _fit_on(port, tables, out_dir / folder, "cvae", model_overrides=CVAE_SMALL,
                  train_config=_cfg(), resume=stage == "resumed")
    torch.save(run.model.state_dict(), out_dir / f"{stage}_rank{rank}.pt")
    if stage == "straight":
        # this rank's training events in epoch 0, from the same batch plan the loop uses
        enc = run.encoder.transform(tables, run.split["train"])
        plan = _epoch_batches(SimpleNamespace(cfg=_cfg(), world=2, rank=rank), enc.n_games, 0,
                              enc.lengths())
        mine = sum(next(iterate_batches(enc, len(g), g)).n_targets for g in plan)
        (out_dir / f"rank{rank}.json").write_text(json.dumps({"logged": counter.epochs,
                                                              "events": mine}))


@pytest.fixture(scope="module")
def ddp_runs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    for stage, port in zip(STAGES, _free_ports(len(STAGES)), strict=True):
        mp.spawn(_worker, args=(stage, port, str(out)), nprocs=2)
    for r in (0, 1):
        states = {job: torch.load(out / f"{stage}_rank{r}.pt", weights_only=True)
                  for job, stage in (("straight", "straight"), ("resumed", "resumed"))}
        torch.save(states, out / f"rank{r}.pt")
    return out


def test_ddp_ranks_end_with_identical_weights_and_resume_matches(ddp_runs: Path) -> None:
    s0, s1 = (torch.load(ddp_runs / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    for job in ("straight", "resumed"):
        for name, value in s0[job].items():
            assert torch.equal(value, s1[job][name]), (job, name)
    # interrupted after one epoch and resumed (each rank its own RNG stream) = straight run
    for name, value in s0["straight"].items():
        torch.testing.assert_close(s0["resumed"][name], value, rtol=1e-5, atol=1e-6)
    ckpt = read_checkpoint(ddp_runs / "straight" / "checkpoint.pt")
    assert len(ckpt["rng_ranks"]) == 2  # one RNG state per rank


def test_ddp_only_rank_zero_writes_and_logs_and_metrics_cover_both_ranks(ddp_runs: Path):
    folder = ddp_runs / "straight"
    assert sorted(p.name for p in folder.iterdir()) == [
        "best.pt", "checkpoint.pt", "config.json", "metrics.csv"]
    info = [json.loads((ddp_runs / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert info[0]["logged"] == 2 and info[1]["logged"] == 0
    metrics = pd.read_csv(folder / "metrics.csv")
    assert len(metrics) == 2 and metrics["val_loglik"].notna().all()
    # all-reduced: the epoch's events are both ranks' (one rank's alone would be half)
    assert min(info[0]["events"], info[1]["events"]) > 0
    assert metrics["train_events"].iloc[0] == info[0]["events"] + info[1]["events"]


def test_single_process_helpers_are_no_ops() -> None:
    device, rank, world = distributed.setup(torch.device("cpu"))
    assert (device.type, rank, world) == ("cpu", 0, 1) and distributed.is_main()
    assert distributed.all_reduce_sums({"a": 1.5}, device) == {"a": 1.5}
    assert distributed.gather_objects(3) == [3]
    assert distributed.shard(list(range(5)), 1, 2) == [1, 3]
    distributed.barrier()
    distributed.teardown()


def test_bf16_autocast_train_step_on_cpu() -> None:
    torch.manual_seed(0)
    tables = toy_tables(n_games=8, events_per_game=20, seed=2)
    split = split_games(tables.games)
    enc = SequenceEncoder().fit(tables, split["train"])
    data = enc.transform(tables, split["train"])
    net = build_model("cvae", default_config("cvae", enc, CVAE_SMALL), enc)
    seen: list[torch.dtype] = []
    net.decoder[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    before = net.decoder[0].weight.detach().clone()
    loop = _Loop("cvae", net, net, opt, _cfg(), torch.device("cpu"),
                 torch.from_numpy(enc.vocab_.backoff()), len(enc.vocab_), bf16=True)
    sums, n_events = _train_epoch(loop, data, 0)
    assert seen and set(seen) == {torch.bfloat16}  # the forward ran under bf16 autocast
    assert n_events > 0 and math.isfinite(sums["loss"] / n_events)
    assert net.decoder[0].weight.dtype == torch.float32  # master weights stay float32
    assert not torch.equal(before, net.decoder[0].weight)  # and the step changed them

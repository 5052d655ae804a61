"""A diverging run stops with TrainingDiverged and leaves the last good checkpoint untouched."""

import dataclasses
import json
import math

import pytest
import torch
from _tiny_run import CVAE_SMALL, SMALL, cfg, digests, write_toy_dir
from _toy import toy_tables

from hockey_vae.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from hockey_vae.cli import main
from hockey_vae.divergence import TrainingDiverged, check_batch, check_epoch
from hockey_vae.models import LSTMClassifier
from hockey_vae.train import fit, load_run


@pytest.fixture(scope="module")
def tables():
    return toy_tables(n_games=10, events_per_game=20, seed=4)


@pytest.mark.parametrize(("model", "overrides"), [("lstm", SMALL), ("cvae", CVAE_SMALL)])
def test_huge_learning_rate_stops_in_epoch_zero_and_writes_nothing(tables, tmp_path, model,
                                                                   overrides):
    with pytest.raises(TrainingDiverged, match=rf"{model} diverged at epoch 0, batch \d+: "):
        fit(tables, tmp_path, model, model_overrides=overrides,
            train_config=cfg(lr=1e30, batch_games=2, epochs=2))
    assert list(tmp_path.iterdir()) == []  # no config.json without a checkpoint


def _nan_loss(monkeypatch):
    forward = LSTMClassifier.forward

    def nan_forward(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        return dataclasses.replace(out, loss=out.loss * float("nan"))

    monkeypatch.setattr(LSTMClassifier, "forward", nan_forward)


def test_nan_loss_after_a_good_epoch_keeps_its_checkpoints(tables, tmp_path, monkeypatch):
    fit(tables, tmp_path, "lstm", model_overrides=SMALL, train_config=cfg(epochs=1))
    before = digests(tmp_path)
    _nan_loss(monkeypatch)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 0: training loss is nan"):
        fit(tables, tmp_path, "lstm", model_overrides=SMALL, train_config=cfg(epochs=3),
            resume=True)
    assert digests(tmp_path) == before
    assert read_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 0


@pytest.mark.parametrize("score", [math.nan, -math.inf])
def test_non_finite_validation_score_stops_and_never_becomes_best(tables, tmp_path,
                                                                   monkeypatch, score):
    fit(tables, tmp_path, "lstm", model_overrides=SMALL, train_config=cfg(epochs=1))
    before = digests(tmp_path)
    monkeypatch.setattr("hockey_vae.train.validation_loglik", lambda *a, **k: (score, 0.3))
    with pytest.raises(TrainingDiverged, match=r"epoch 1 \(validation\): validation "
                                               r"log-likelihood is (nan|-inf)"):
        fit(tables, tmp_path, "lstm", model_overrides=SMALL, train_config=cfg(epochs=2),
            resume=True)
    assert digests(tmp_path) == before


def test_check_batch_and_check_epoch_units():
    check_batch(torch.tensor(1.5), torch.tensor(0.2), epoch=0, batch=0)
    with pytest.raises(TrainingDiverged, match="batch 7: gradient norm is inf"):
        check_batch(1.0, math.inf, epoch=2, batch=7)
    good = {"w": torch.ones(3), "n": torch.tensor([1])}
    check_epoch(-1.2, 0.4, good, epoch=0)
    check_epoch(math.nan, math.nan, good, epoch=0)  # nothing to score is not divergence
    with pytest.raises(TrainingDiverged, match=r"epoch 4 \(end of epoch\).*'w'"):
        check_epoch(-1.0, 0.5, {"w": torch.tensor([1.0, math.nan])}, epoch=4)


def test_cli_train_that_diverges_exits_non_zero_with_one_line(tmp_path, capsys):
    data = write_toy_dir(tmp_path / "data")
    conf = tmp_path / "lr.json"
    conf.write_text(json.dumps({"model": SMALL, "train": {"lr": 1e30, "batch_games": 2,
                                                          "progress": False}}))
    code = main(["train", "--data", str(data), "--model", "lstm", "--out", str(tmp_path / "r"),
                 "--epochs", "2", "--config", str(conf)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and "lstm diverged at epoch 0, batch" in err[0], err


def test_evaluate_and_embed_refuse_a_checkpoint_with_nan_weights(tmp_path, capsys):
    data = write_toy_dir(tmp_path / "data")
    run = tmp_path / "run"
    fit(toy_tables(n_games=10, events_per_game=20, seed=8), run, "lstm", model_overrides=SMALL,
        train_config=cfg())
    state = read_checkpoint(run / "best.pt")
    name = next(k for k, v in state["model"].items() if v.is_floating_point())
    state["model"][name].view(-1)[0] = float("nan")
    save_checkpoint(state, run / "best.pt")
    with pytest.raises(CheckpointError, match=r"best\.pt: 1 weight tensor"):
        load_run(run)
    for argv in (["evaluate", "--run", str(run), "--data", str(data)],
                 ["embed", "--run", str(run), "--data", str(data), "--out",
                  str(tmp_path / "e.parquet")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "best.pt" in err and "NaN" in err and "Traceback" not in err
    assert not (tmp_path / "e.parquet").exists()

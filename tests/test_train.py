"""The training loop: one step, checkpoints (weights only), resume, load_run, DDP on gloo."""


import pandas as pd
import pytest
import torch
from _toy import toy_tables

from hockey_vae.train import TrainConfig, fit, load_run, train_config_from_dict

SMALL = {"hidden": 8, "d_context": 8, "d_player": 4, "d_type": 4}
CVAE_SMALL = {"d_z": 2, "d_hidden": 8, "d_player_q": 4, "eval_samples": 4, "prior_samples": 2,
              "encoder": SMALL}


def _cfg(**kw):
    base = dict(epochs=2, batch_games=4, progress=False, val_samples=2, seed=3, patience=5)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def tables():
    return toy_tables(n_games=16, events_per_game=30, seed=5)


def test_one_epoch_writes_run_folder(tables, tmp_path):
    run = fit(tables, tmp_path, "cvae", model_overrides=CVAE_SMALL, train_config=_cfg(epochs=1))
    assert {"config.json", "checkpoint.pt", "best.pt", "metrics.csv"} <= {
        p.name for p in tmp_path.iterdir()}
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    assert len(metrics) == 1 and metrics["val_loglik"].notna().all()
    assert {"loss", "recon", "kl", "train_events_per_s"} <= set(metrics.columns)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 0 and "optimizer" in ckpt and "rng" in ckpt
    loaded = load_run(tmp_path)
    for a, b in zip(run.model.state_dict().values(), loaded.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a, b)
    assert loaded.encoder.vocab_.ids == run.encoder.vocab_.ids


def test_deterministic_and_resume_matches_uninterrupted(tables, tmp_path):
    a = fit(tables, tmp_path / "a", "lstm", model_overrides=SMALL, train_config=_cfg(epochs=3))
    b = fit(tables, tmp_path / "b", "lstm", model_overrides=SMALL, train_config=_cfg(epochs=1))
    b = fit(tables, tmp_path / "b", "lstm", model_overrides=SMALL, train_config=_cfg(epochs=3),
            resume=True)
    assert len(b.history) == 3
    pd.testing.assert_series_equal(a.history["loss"], b.history["loss"])
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_resume_without_checkpoint_is_an_error(tables, tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint.pt"):
        fit(tables, tmp_path, "lstm", train_config=_cfg(), resume=True)


def test_baselines_need_no_training(tables, tmp_path):
    run = fit(tables, tmp_path, "frequency", train_config=_cfg())
    assert run.model.counts.sum() > 0
    assert torch.equal(load_run(tmp_path).model.counts, run.model.counts)


def test_unknown_or_ill_typed_train_key_is_an_error():
    with pytest.raises(ValueError, match="unknown train config key"):
        train_config_from_dict({"epoch": 3})
    for bad in ({"epochs": "3"}, {"epochs": 2.9}, {"epochs": 0}, {"progress": 1}):
        with pytest.raises(ValueError, match=f"'{next(iter(bad))}'"):
            train_config_from_dict(bad)
    with pytest.raises(ValueError, match="moved to the 'features' section"):
        train_config_from_dict({"lineup": True})
    assert train_config_from_dict({"epochs": 3, "lr": 1}).lr == 1.0
    with pytest.raises(ValueError, match="'device'"):  # built in Python, checked alike
        TrainConfig(device="cdua")


def test_lineup_as_a_model_key_is_refused_naming_both_values(tables):
    # issue 15: the model would expect lineup columns the encoder never writes
    with pytest.raises(ValueError, match=r"lineup=True but its encoder gives lineup=False"):
        fit(tables, None, "lstm", model_overrides={"lineup": True}, train_config=_cfg())
    with pytest.raises(ValueError, match=r"lineup=True but its encoder gives lineup=False"):
        fit(tables, None, "cvae", model_overrides={"encoder": {"lineup": True}},
            train_config=_cfg())


def test_lineup_feature_reaches_the_model(tables):
    from hockey_vae.features import LINEUP_COLUMNS, collate

    run = fit(tables, None, "lstm", model_overrides=SMALL, train_config=_cfg(epochs=1),
              features={"lineup": True})
    assert run.model.cfg.lineup and run.encoder.lineup and run.model.roster_scorer is not None
    batch = collate(run.encoder.transform(tables, run.split["val"]), [0])
    assert batch.tgt_roster_features[..., list(LINEUP_COLUMNS)].any()  # non-zero inputs
    ref = run.model.logits(batch)
    batch.tgt_roster_features[..., list(LINEUP_COLUMNS)] = 0.0
    assert not torch.allclose(ref, run.model.logits(batch))  # and the model reads them


def test_lstm_nohist_refuses_history(tables):
    with pytest.raises(ValueError, match="reads no player history"):
        fit(tables, None, "lstm-nohist", train_config=_cfg(), features={"history": True})


# DDP on gloo (two processes, resume included): tests/test_distributed.py


def test_lineup_variant_learns_who_is_on_the_ice_and_round_trips(tmp_path):
    # toy actors are always among the 6 of 8 dressed players listed on the ice, so the
    # lineup is worth up to log(8/6) = 0.29 nats on the roster set, even without history
    t = toy_tables(n_games=16, events_per_game=40, seed=7)
    cfg = dict(epochs=4, lr=1e-2)
    plain = fit(t, tmp_path / "plain", "lstm-nohist", model_overrides=SMALL,
                train_config=_cfg(**cfg))
    lineup = fit(t, tmp_path / "lineup", "lstm-nohist", model_overrides=SMALL,
                 train_config=_cfg(**cfg), features={"lineup": True})
    best = {name: pd.read_csv(tmp_path / name / "metrics.csv")["val_loglik"].max()
            for name in ("plain", "lineup")}
    assert best["lineup"] > best["plain"] + 0.1, best
    loaded = load_run(tmp_path / "lineup")
    assert loaded.encoder.lineup and loaded.model.cfg.lineup
    assert loaded.model.roster_scorer is not None and not loaded.encoder.features.history
    assert plain.model.roster_scorer is None and not plain.encoder.lineup
    assert lineup.model.roster_scorer is not None

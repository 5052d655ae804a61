"""The consolidated downstream report: latents from a trained player-latent run, the leak
check, cross-fitted C, and the key layout of `benchmarks/downstream_suite.py`'s JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hockey_vae.downstream.run_latents import run_player_table, verify_unseen
from hockey_vae.downstream.split import split_by_date
from hockey_vae.downstream.suite_outcome import crossfit
from hockey_vae.features.vocab import N_SPECIAL
from hockey_vae.simulate import simulate_league
from hockey_vae.train import TrainConfig, fit

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"encoder": {"hidden": 16, "d_context": 16, "d_player": 4, "d_type": 4},
         "d_u": 4, "decoder_hidden": 16, "eval_samples": 4}


@pytest.fixture(scope="module")
def league_dir(tmp_path_factory) -> Path:
    """A 4-team x 20-game simulated league written as canonical tables."""
    sim = simulate_league(n_teams=4, games=20, seed=3)
    out = tmp_path_factory.mktemp("league")
    for name in ("events", "rosters", "games", "players"):
        getattr(sim, name).to_pandas().to_parquet(out / f"{name}.parquet")
    return out


@pytest.fixture(scope="module")
def run_dir(league_dir, tmp_path_factory) -> Path:
    """Two epochs of a tiny player-latent model on the league (its own by-date split)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    tables = {n: pd.read_parquet(league_dir / f"{n}.parquet")
              for n in ("events", "rosters", "games")}
    path = tmp_path_factory.mktemp("run") / "player-latent"
    cfg = TrainConfig(epochs=2, batch_games=4, progress=False, val_samples=2, seed=0,
                      patience=5, num_threads=1)
    fit(tables, path, "player-latent", model_overrides=SMALL, train_config=cfg)
    torch.set_num_threads(before)
    return path


def test_run_player_table_maps_the_vocabulary_to_player_ids(run_dir):
    from hockey_vae.train import load_run

    table, info = run_player_table(run_dir)
    run = load_run(run_dir)
    mean, sd = run.model.player_latents()
    vocab = run.encoder.vocab_
    n_vocab = len(vocab.ids) - N_SPECIAL
    known, extra = table.iloc[:n_vocab], table.iloc[n_vocab:]
    assert known["player_id"].tolist() == vocab.ids[N_SPECIAL:]
    np.testing.assert_allclose(known[[f"emb_{i}" for i in range(4)]].to_numpy(),
                               mean[N_SPECIAL:], rtol=1e-6)
    assert (table[[f"emb_sd_{i}" for i in range(4)]].to_numpy() > 0).all()
    assert known["n_events"].tolist() == vocab.counts[N_SPECIAL:]
    # the simulator's goalies never act: they come as extra latents, with 0 acting events
    ids, extra_mean, _, _ = run.model.extra_latents()
    assert extra["player_id"].tolist() == [str(p) for p in ids] and len(ids) > 0
    assert (extra["position"] == "G").any() and (extra["n_events"] == 0).all()
    np.testing.assert_allclose(extra[[f"emb_{i}" for i in range(4)]].to_numpy(), extra_mean,
                               rtol=1e-6)
    assert info["d"] == 4 and set(info["split"]) >= {"train", "val", "test"}


def test_verify_unseen_matches_the_downstream_split_and_refuses_a_leak(run_dir, league_dir):
    _, info = run_player_table(run_dir)
    part = split_by_date(pd.read_parquet(league_dir / "games.parquet"))
    check = verify_unseen(info["split"], part)
    assert check["identical_split"] and check["test_in_run_train"] == 0
    leaked = part.copy()
    leaked[info["split"]["train"][0]] = "test"
    with pytest.raises(ValueError, match="among the latent run's training games"):
        verify_unseen(info["split"], leaked)


def test_crossfit_chooses_c_on_the_other_part():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    part = np.repeat(["val", "test"], 20)
    good = np.where(y == 1, 0.8, 0.2)
    rows = []
    for C in (0.1, 1.0):
        # C = 0.1 is good on val only, C = 1.0 on test only
        p = np.where((part == "val") == (C == 0.1), good, 1 - good)
        rows.append(pd.DataFrame({"game_id": np.arange(40) // 2, "part": part, "y": y,
                                  "model": "m", "C": C, "p": p}))
    picked, chosen = crossfit(pd.concat(rows, ignore_index=True))
    assert chosen["m"]["test"]["C"] == 0.1 and chosen["m"]["val"]["C"] == 1.0
    assert len(picked) == 40
    # each part is scored with the C chosen on the other, so here always the bad one
    assert np.allclose(picked["p_m"], 1 - good[np.r_[np.flatnonzero(part == "val"),
                                                     np.flatnonzero(part == "test")]])


def _strict(text: str) -> dict:
    def bad(token: str) -> None:
        raise ValueError(f"non-strict JSON token {token}")
    return json.loads(text, parse_constant=bad)


def test_suite_writes_the_issue_keys(run_dir, league_dir, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "downstream_suite", ROOT / "benchmarks" / "downstream_suite.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(["--data", str(league_dir), "--name", "synthetic", "--latents-run", str(run_dir),
              "--out-dir", str(tmp_path), "--n-boot", "20", "--min-games", "2", "--reid", "none"])
    out = _strict((tmp_path / "synthetic.json").read_text())
    for situation in ("5v5", "all"):
        goals = out["goals"][situation]
        for key in ("baseline", "with_embeddings", "eb_control", "id_control"):
            assert {"auc", "log_loss", "brier"} <= set(goals[key])
        paired = goals["paired"]
        assert paired["lo"] <= paired["diff"] <= paired["hi"]
        expected = goals["with_embeddings"]["log_loss"] - goals["baseline"]["log_loss"]
        assert paired["diff"] == pytest.approx(expected)
    for piece in ("in_game", "pre_game"):
        assert {"log_loss", "accuracy", "auc"} <= set(out["outcome"][piece]["with_embeddings"])
    assert out["player_level"]["rates"]["records"]
    assert out["player_level"]["reid"] is None
    assert "player_level.reid" in out["nulls"] and "goals.features.handedness" in out["nulls"]
    assert {r["role"] for r in out["recovery"]} == {"shooter", "goalie"}
    probed = {r["style"] for r in out["latent_probe"]}
    assert "finishing" in probed and ("goaltending" in probed
                                      or "latent_probe.goaltending" in out["nulls"])
    assert out["leak_check"]["test_in_run_train"] == 0
    assert all((tmp_path / f).stat().st_size > 0 for f in out["figures"].values())
    md = (tmp_path / "synthetic.md").read_text()
    assert "## Headline" in md and str(league_dir) not in md


def test_integrated_reid_refits_the_run_with_split_identities(run_dir, league_dir, tmp_path):
    from hockey_vae.downstream.suite_run import SuiteOptions, reid_section

    tables = {n: pd.read_parquet(league_dir / f"{n}.parquet")
              for n in ("events", "rosters", "games")}
    opts = SuiteOptions(reid="integrated", reid_epochs=1, latents_run=str(run_dir),
                        reid_run_dir=str(tmp_path / "reid"), min_games=3)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    res = reid_section(tables["events"], tables["rosters"], tables["games"], opts)
    torch.set_num_threads(before)
    assert res["n"] > 10 and res["candidates"] >= res["n"]
    assert 0.0 <= res["top1"] <= res["top5"] <= 1.0
    assert res["latent_fit"]["epochs"] == 1 and "integrated" in res["source"]

"""`player-latent`'s extra latents: players in the decoder records but outside the vocabulary
(the simulator's goalies never act) get a q(u) of their own, exported and checkpointed."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from hockey_vae.checkpoint import read_checkpoint, save_checkpoint
from hockey_vae.embed import embed_events, embed_players
from hockey_vae.features import as_tables, candidate_set, iterate_batches
from hockey_vae.simulate import simulate_league
from hockey_vae.train import TrainConfig, fit, load_run

SMALL = {"encoder": {"hidden": 16, "d_context": 16, "d_player": 4, "d_type": 4},
         "d_u": 4, "decoder_hidden": 16, "eval_samples": 8}
EXTRA_KEYS = ("extra_m_raw", "extra_log_s_raw", "extra_positions", "extra_ids_utf8")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A few epochs of player-latent (extra latents on, the default) on a 4-team league."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    league = simulate_league(n_teams=4, games=8, seed=2)
    run_dir = tmp_path_factory.mktemp("extras") / "run"
    cfg = TrainConfig(epochs=3, batch_games=2, progress=False, val_samples=4, seed=0,
                      patience=5, num_threads=1)
    run = fit(league, run_dir, "player-latent", model_overrides=SMALL, train_config=cfg)
    torch.set_num_threads(before)
    return run, as_tables(league)


def _goalies(t, game_ids) -> set[str]:
    ro = t.rosters
    ro = ro[ro["game_id"].isin(set(game_ids))]
    return set(ro.loc[ro["position"] == "G", "player_id"].astype(str))


def test_goalies_get_trained_latents_and_are_exported(trained):
    run, t = trained
    model = run.model
    goalies = _goalies(t, run.split["train"])
    vocab = set(run.encoder.vocab_.ids)
    assert goalies and not goalies & vocab  # the simulator's goalies never act
    ids, mean, sd, level = model.extra_latents()
    assert goalies <= set(ids)
    g = np.asarray([i in goalies for i in ids])
    assert (level[g] == 4).all()  # POSITIONS index of G
    # trained: the goalies' posteriors moved apart from their common start
    assert mean[g].std(0).max() > 1e-3
    assert (model.kl_extra().detach().numpy() > 0).all()
    ev = embed_events(run, t, list(run.split["train"]))
    assert not set(ev["player_id"].astype(str)) & goalies
    players = embed_players(ev, t.rosters, run)
    exported = players[players["player_id"].isin(goalies)]
    assert len(exported) == len(goalies) and (exported["n_events"] == 0).all()
    assert (exported["position"] == "G").all() and exported["team"].notna().all()
    cols = [f"emb_{i}" for i in range(SMALL["d_u"])]
    row = exported.iloc[0]
    k = ids.index(row["player_id"])
    assert np.allclose(row[cols].to_numpy(np.float32), mean[k], atol=1e-6)
    assert np.allclose(row[[f"emb_sd_{i}" for i in range(SMALL["d_u"])]].to_numpy(np.float32),
                       sd[k], atol=1e-6)
    # without the run, the table is the acting players only, as before
    assert not set(embed_players(ev, t.rosters)["player_id"].astype(str)) & goalies


def test_extra_latents_round_trip_through_the_checkpoint(trained):
    run, _ = trained
    loaded = load_run(run.run_dir)
    ids, mean, sd, level = run.model.extra_latents()
    ids2, mean2, sd2, level2 = loaded.model.extra_latents()
    assert ids2 == ids and np.array_equal(level2, level)
    assert np.allclose(mean2, mean) and np.allclose(sd2, sd)


def _roster_loglik(model, run, t) -> torch.Tensor:
    enc = run.encoder.transform(t, run.split["val"])
    batch = next(iterate_batches(enc, 4))
    cands = {"roster": candidate_set(batch, "roster", model.n_players)}
    out = model.score(batch, cands, n_samples=4, generator=torch.Generator().manual_seed(0))
    return out["roster"].loglik


def test_checkpoint_without_extra_latents_loads_and_scores_the_same(trained, tmp_path):
    """A run written before extra latents (no extra_* weights, no config field) still loads,
    with no extra rows, and identifies players exactly as the run it came from."""
    run, t = trained
    old = tmp_path / "old"
    shutil.copytree(run.run_dir, old)
    state = read_checkpoint(old / "best.pt")
    for key in EXTRA_KEYS:
        del state["model"][key]
    del state["model_config"]["extra_latents"]
    save_checkpoint(state, old / "best.pt")
    loaded = load_run(old)
    assert loaded.model.extra_latents()[0] == []
    assert not loaded.model.cfg.extra_latents  # read as the behaviour it was trained with
    loaded.model.prepare(t, list(loaded.split["train"]), loaded.encoder)  # e.g. `refine`
    assert loaded.model.extra_latents()[0] == []  # still none: matches its weights
    assert torch.equal(_roster_loglik(loaded.model, loaded, t),
                       _roster_loglik(load_run(run.run_dir).model, run, t))


def test_extra_latents_off_keeps_goalies_on_the_token(tmp_path):
    """With extra_latents false the model has no extra rows and trains as before."""
    league = simulate_league(n_teams=4, games=6, seed=3)
    cfg = TrainConfig(epochs=1, batch_games=2, progress=False, val_samples=2, seed=0,
                      num_threads=1)
    run = fit(league, tmp_path / "off", "player-latent",
              model_overrides={**SMALL, "extra_latents": False}, train_config=cfg)
    assert run.model.extra_latents()[0] == []
    assert not any(k.startswith("extra_m") and v.numel() for k, v in
                   run.model.state_dict().items())

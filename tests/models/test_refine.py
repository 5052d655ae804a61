"""Post-hoc refinement of a `player-latent` run's q(u) with every network weight frozen."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from hockey_vae.checkpoint import read_checkpoint
from hockey_vae.cli import build_parser
from hockey_vae.evaluate import predict
from hockey_vae.features import as_tables
from hockey_vae.refine import (
    REFINED,
    RefineConfig,
    latent_parameters,
    objective_of,
    refine_latents,
    refine_run,
)
from hockey_vae.simulate import simulate_league
from hockey_vae.train import TrainConfig, fit, load_run

SMALL = {"encoder": {"hidden": 16, "d_context": 16, "d_player": 4, "d_type": 4},
         "d_u": 4, "decoder_hidden": 16, "eval_samples": 8}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One epoch of player-latent on a 4-team league: latents far from converged."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    league = simulate_league(n_teams=4, games=8, seed=2)
    run_dir = tmp_path_factory.mktemp("refine") / "run"
    cfg = TrainConfig(epochs=1, batch_games=2, progress=False, val_samples=4, seed=0,
                      patience=5, num_threads=1)
    fit(league, run_dir, "player-latent", model_overrides=SMALL, train_config=cfg)
    torch.set_num_threads(before)
    return run_dir, as_tables(league)


def _prepared(run_dir, t):
    """The run's best model with its decoder records built and its trained latents kept."""
    run = load_run(run_dir)
    state = read_checkpoint(run_dir / "best.pt")["model"]
    run.model.prepare(t, list(run.split["train"]), run.encoder)
    run.model.load_state_dict(state)
    return run


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_refinement_lowers_the_training_objective_and_freezes_the_network(trained):
    run_dir, t = trained
    run = _prepared(run_dir, t)
    model, train = run.model, list(run.split["train"])
    enc = run.encoder.transform(t, train)
    sets = tuple(run.train_config.train_candidates)
    frozen = {k: v.detach().clone() for k, v in model.named_parameters()
              if k not in latent_parameters(model)}
    latents = {k: v.detach().clone() for k, v in model.named_parameters()
               if k in latent_parameters(model)}
    start = objective_of(model, enc, len(train), sets, n_draws=8)
    res = refine_latents(model, enc, len(train), sets,
                         RefineConfig(max_passes=30, lr=0.01, tol=-1.0))
    end = objective_of(model, enc, len(train), sets, n_draws=8)
    assert res.passes == 30 and not res.converged and len(res.objective) == 30
    assert end < start - 0.01, (start, end)
    for k, v in model.named_parameters():
        if k in frozen:
            assert torch.equal(v.detach(), frozen[k]), k  # the prior included
        assert v.requires_grad  # left trainable for whoever uses the model next
    moved = [k for k, v in latents.items() if not torch.equal(v, dict(model.named_parameters())[k].detach())]
    assert "m_raw" in moved and "log_s_raw" in moved and "extra_m_raw" in moved


def test_refit_prior_moves_the_prior(trained):
    run_dir, t = trained
    run = _prepared(run_dir, t)
    model, train = run.model, list(run.split["train"])
    mu = model.prior_mu.detach().clone()
    enc = run.encoder.transform(t, train)
    refine_latents(model, enc, len(train), ("roster",),
                   RefineConfig(max_passes=3, tol=-1.0, refit_prior=True))
    assert not torch.equal(mu, model.prior_mu.detach())


def test_refine_run_writes_a_new_checkpoint_that_loads_and_scores(trained):
    run_dir, t = trained
    best = _sha(run_dir / "best.pt")
    summary = refine_run(run_dir, t, RefineConfig(max_passes=4, tol=-1.0))
    assert _sha(run_dir / "best.pt") == best  # never overwritten
    assert (run_dir / REFINED).is_file() and summary["passes"] == 4
    assert np.isfinite(summary["val_loglik_before"]) and np.isfinite(summary["val_loglik_after"])
    assert read_checkpoint(run_dir / REFINED)["refine"]["passes"] == 4
    old, new = load_run(run_dir), load_run(run_dir, "refined")
    assert not torch.equal(old.model.m_raw, new.model.m_raw)
    assert torch.equal(old.model.query.weight, new.model.query.weight)
    assert old.model.extra_ids == new.model.extra_ids
    enc = new.encoder.transform(t, list(new.split["test"]))
    d = predict(new.model, enc, ("roster",), n_samples=4, seed=0).sets["roster"]
    sel = d["in_set"].astype(bool)
    assert sel.any() and np.isfinite(np.asarray(d["ll"])[sel]).all()


def test_refine_refuses_best_pt_and_unknown_checkpoints(trained):
    run_dir, t = trained
    with pytest.raises(ValueError, match="never overwrites"):
        refine_run(run_dir, t, RefineConfig(max_passes=1), out_name="best.pt")
    with pytest.raises(ValueError, match="which="):
        load_run(run_dir, "latest")


def test_refine_needs_a_player_latent_model():
    with pytest.raises(TypeError, match="player-latent"):
        refine_latents(torch.nn.Linear(2, 2), None, 1, ("roster",))


def test_cli_parses_refine():
    args = build_parser().parse_args(["refine", "--run", "R", "--data", "D", "--refit-prior",
                                      "--max-passes", "5", "--threads", "1"])
    assert args.command == "refine" and args.refit_prior and args.max_passes == 5


def test_train_can_end_with_refinement(tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    league = simulate_league(n_teams=4, games=6, seed=5)
    cfg = TrainConfig(epochs=1, batch_games=2, progress=False, val_samples=2, seed=0,
                      patience=5, num_threads=1, refine_passes=2)
    run = fit(league, tmp_path / "run", "player-latent", model_overrides=SMALL,
              train_config=cfg)
    torch.set_num_threads(before)
    refined = read_checkpoint(tmp_path / "run" / REFINED)
    best = read_checkpoint(tmp_path / "run" / "best.pt")
    assert refined["refine"]["passes"] == 2
    assert torch.equal(refined["model"]["m_raw"], run.model.m_raw.detach())
    assert not torch.equal(best["model"]["m_raw"], refined["model"]["m_raw"])
    assert torch.equal(best["model"]["query.weight"], refined["model"]["query.weight"])

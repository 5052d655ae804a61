"""`player-latent` in the sequence pipeline: training, scores, sampling, latents, embeddings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from hockey_vae.cli import main
from hockey_vae.embed import embed_events, embed_players
from hockey_vae.evaluate import predict
from hockey_vae.features import N_SPECIAL, as_tables, candidate_set, iterate_batches
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import write_tables
from hockey_vae.train import TrainConfig, fit, load_run

SMALL = {"encoder": {"hidden": 16, "d_context": 16, "d_player": 4, "d_type": 4},
         "d_u": 4, "decoder_hidden": 16, "eval_samples": 8}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def league():
    return simulate_league(n_teams=4, games=8, seed=1)


@pytest.fixture(scope="module")
def trained(league, tmp_path_factory):
    """A few epochs of player-latent on a 4-team league, with a run folder."""
    torch.set_num_threads(1)
    run_dir = tmp_path_factory.mktemp("pl") / "run"
    cfg = TrainConfig(epochs=4, batch_games=2, progress=False, val_samples=4, seed=0,
                      patience=5, num_threads=1)
    run = fit(league, run_dir, "player-latent", model_overrides=SMALL, train_config=cfg)
    return run, as_tables(league)


def _batch(run, t):
    enc = run.encoder.transform(t, run.split["test"] or run.split["val"])
    return next(iterate_batches(enc, 2))


def test_loss_falls_and_terms_are_logged(trained):
    run, _ = trained
    h = run.history
    assert h["loss"].iloc[-1] < h["loss"].iloc[0]
    for term in ("ident", "kl", "dec_types", "dec_shots", "dec_faceoffs", "dec_usage"):
        assert term in h.columns and np.isfinite(h[term]).all()
    assert run.model.n_train_events > 0


def test_scores_normalise_over_every_candidate_set(trained):
    run, t = trained
    model, batch = run.model, _batch(run, t)
    n_vocab = model.n_players
    cands = {c: candidate_set(batch, c, n_vocab) for c in ("all", "roster", "on_ice")}
    gen = torch.Generator().manual_seed(0)
    for name, s in model.score(batch, cands, n_samples=5, generator=gen).items():
        total = torch.logsumexp(s.logp, -1)
        assert torch.allclose(total, torch.zeros_like(total), atol=1e-4), name
        ok = s.loglik > -1e8
        assert ok.any() and (s.loglik[ok] <= 1e-6).all()


def test_k_samples_are_one_tensor_draw_and_k1_is_one_sample(trained):
    run, t = trained
    model, batch = run.model, _batch(run, t)
    cands = {"roster": candidate_set(batch, "roster", model.n_players)}
    c = cands["roster"]
    with torch.no_grad():
        ctx = model.context(batch)
        mean, sd = model.latent()
        q = model.query(ctx)
        mu = model.base_logits(batch, ctx) + q @ mean.T
        scale = ((q * q) @ (sd ** 2).T).sqrt()
    for k in (1, 7):
        lp = model._sampled_log_softmax(c, mu, scale, k, torch.Generator().manual_seed(4))
        assert lp.shape == (k, *c.index.shape)
        got = model.score(batch, cands, n_samples=k,
                          generator=torch.Generator().manual_seed(4))["roster"]
        want = torch.logsumexp(lp, 0) - math.log(k)
        assert torch.allclose(got.logp, want, atol=1e-5)
        if k == 1:  # log-mean-exp of one sample is that sample
            assert torch.allclose(got.logp, lp[0], atol=1e-6)
            assert torch.allclose(got.loglik, got.loglik_small)
    assert model.samples_used(7) == 7 and model.samples_used(None) == SMALL["eval_samples"]
    enc = run.encoder.transform(t, run.split["val"])
    assert predict(model, enc, ("roster",), n_samples=3).n_samples == 3


def test_regulars_have_sharper_posteriors(trained):
    run, t = trained
    counts = np.asarray(run.encoder.vocab_.counts)[N_SPECIAL:]
    _, sd = run.model.player_latents()
    sd = sd[N_SPECIAL:].mean(1)
    kl = run.model.kl_per_player().detach().numpy()[N_SPECIAL:]
    lo, hi = np.quantile(counts, [0.25, 0.75])
    assert sd[counts >= hi].mean() < sd[counts <= lo].mean()
    per_event = kl / np.maximum(counts, 1)  # each event pays less of a regular's KL
    assert per_event[counts >= hi].mean() < per_event[counts <= lo].mean()
    enc = run.encoder.transform(t, run.split["val"])
    gen = torch.Generator().manual_seed(0)
    diag = run.model.latent_diagnostics(iterate_batches(enc, 4), (1, 50), generator=gen)
    assert diag["n_events"] > 0
    # more importance samples cannot lower the expected bound by much (Jensen), and both
    # are log-probabilities
    assert diag["loglik_k1"] < 0 and diag["loglik_k50"] < 0
    assert diag["loglik_k50"] >= diag["loglik_k1"] - 0.01
    assert diag["kl_per_player"] > 0 and 0 <= diag["active_units"] <= SMALL["d_u"]
    assert diag["kl_per_event"] == pytest.approx(
        kl.sum() / int(run.model.n_train_events), rel=1e-4)


def test_cold_start_tokens_use_the_position_prior(trained):
    run, _ = trained
    model = run.model
    mean, sd = model.latent()
    level = model.positions[:N_SPECIAL]
    assert torch.equal(mean[:N_SPECIAL], model.prior_mu[level])
    assert float(model.kl_per_player().detach()[:N_SPECIAL].abs().max()) < 1e-5


def test_embeddings_separate_different_styles(trained, league):
    """Pairs of skaters far apart in the observable styles are farther apart in m_j."""
    run, _ = trained
    mean, _ = run.model.player_latents()
    vocab = run.encoder.vocab_
    styles = league.players.to_pandas().set_index("player_id")
    cols = ["shot_distance", "shooting", "faceoff", "hitting"]
    sk = [pid for pid in vocab.ids[N_SPECIAL:] if styles.loc[pid, "position"] != "G"]
    z = styles.loc[sk, cols].astype(float).dropna()
    sk = list(z.index)
    z = ((z - z.mean()) / z.std()).to_numpy()
    m = mean[[vocab.index(p) for p in sk]]
    iu = np.triu_indices(len(sk), 1)
    d_style = np.linalg.norm(z[:, None] - z[None], axis=-1)[iu]
    d_emb = np.linalg.norm(m[:, None] - m[None], axis=-1)[iu]
    near, far = d_style <= np.quantile(d_style, 0.2), d_style >= np.quantile(d_style, 0.8)
    assert d_emb[far].mean() > d_emb[near].mean()


def test_checkpoint_round_trip_gives_identical_scores(trained):
    run, t = trained
    loaded = load_run(run.run_dir)
    batch = _batch(run, t)
    cands = {"roster": candidate_set(batch, "roster", run.model.n_players)}
    a = run.model.eval().score(batch, cands, n_samples=4,
                               generator=torch.Generator().manual_seed(1))["roster"]
    b = loaded.model.score(batch, cands, n_samples=4,
                           generator=torch.Generator().manual_seed(1))["roster"]
    assert torch.equal(a.loglik, b.loglik) and torch.equal(a.logp, b.logp)


def test_embed_cli_writes_per_player_mean_and_sd(trained, league, tmp_path):
    run, t = trained
    data = tmp_path / "data"
    write_tables(league, data)
    out = tmp_path / "players.parquet"
    assert main(["embed", "--run", str(run.run_dir), "--data", str(data), "--out", str(out),
                 "--per-player"]) == 0
    players = pd.read_parquet(out)
    d = SMALL["d_u"]
    assert [f"emb_{i}" for i in range(d)] + [f"emb_sd_{i}" for i in range(d)] == [
        c for c in players.columns if c.startswith("emb_")]
    mean, sd = run.model.player_latents()
    vocab = run.encoder.vocab_
    seen = players[players["player_id"].isin(vocab.ids[N_SPECIAL:])]
    idx = [vocab.index(p) for p in seen["player_id"]]
    emb = [f"emb_{i}" for i in range(d)]
    assert np.allclose(seen[emb].to_numpy(), mean[idx], atol=1e-5)
    assert np.allclose(seen[[f"emb_sd_{i}" for i in range(d)]].to_numpy(), sd[idx], atol=1e-5)
    events = embed_events(run, t)
    assert [c for c in events.columns if c.startswith("ctx_")] == [f"ctx_{i}" for i in range(d)]
    # the CLI adds the players with a latent but no event (goalies): n_events 0
    assert len(embed_players(events, t.rosters, run)) == len(players)
    n_extra = len(set(run.model.extra_latents()[0]) - set(events["player_id"].astype(str)))
    assert n_extra > 0 and len(embed_players(events)) == len(players) - n_extra
    assert (players["n_events"] == 0).sum() == n_extra


def test_demo_probe_reads_the_integrated_run(trained, league):
    from hockey_vae.demo import format_latent_probe, latent_probe_stage

    run, _ = trained
    wide = latent_probe_stage(league, 0, run_dir=run.run_dir)
    assert {"boxscore", "latent", "n"} <= set(wide.columns) and "shot_distance" in wide.index
    assert np.isfinite(wide["latent"]).all()
    assert "R^2 = share" in format_latent_probe(wide)


def test_default_estimator_embeds_with_player_latents(league):
    """`PlayerEmbedder()` defaults to this model: transform gives the actor's posterior mean
    and variance plus the context part, and players with different histories differ."""
    from hockey_vae.estimator import PlayerEmbedder

    torch.manual_seed(0)
    est = PlayerEmbedder(config={"model": {"player-latent": SMALL},
                                 "train": {"epochs": 2, "batch_games": 2, "progress": False,
                                           "val_samples": 2, "num_threads": 1}})
    assert est.model == "player-latent"
    out = est.fit(league).transform(league)
    d = SMALL["d_u"]
    assert {f"emb_{i}" for i in range(d)} <= set(out.columns)
    assert {f"emb_var_{i}" for i in range(d)} <= set(out.columns)
    means = out.groupby("player_id")[[f"emb_{i}" for i in range(d)]].mean()
    assert len(means) > 10 and float(means.std().mean()) > 0

"""Player-latent model: KL once per player, shrinkage, gradients, recovery of a planted style."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from hockey_vae.boxscore import player_folds, probe_predictions, r2_by
from hockey_vae.models.latent_events import POSITION_LEVELS, LatentEvents, build_latent_events
from hockey_vae.models.player_latent import (
    PlayerLatentConfig,
    PlayerLatentModel,
    fit_player_latent,
    minibatches,
    player_embeddings,
)
from hockey_vae.simulate import simulate_league


@pytest.fixture(autouse=True)
def one_thread():
    """Many small ops per step: one thread, so a loaded 2-core machine does not stall on sync."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def league():
    return simulate_league(n_teams=4, games=8, seed=1)


@pytest.fixture(scope="module")
def data(league) -> LatentEvents:
    return build_latent_events(league.events, league.rosters)


def _with_player_doubled(data: LatentEvents, j: int) -> LatentEvents:
    """A copy in which every record of kind `types` by player j appears twice."""
    t = data.types
    mine = t["actor"] == j
    types = {k: np.concatenate([v, v[mine]]) for k, v in t.items()}
    return dataclasses.replace(data, types=types)


def test_records_are_consistent(data):
    assert data.n_players == len(data.position)
    assert set(np.unique(data.position)) <= set(range(len(POSITION_LEVELS)))
    c = data.choice
    assert ((c["candidates"] == c["actor"][:, None]).sum(axis=1) == 1).all()
    s = data.shots
    assert (data.position[s["goalie"][s["goalie"] >= 0]] == POSITION_LEVELS.index("G")).all()
    assert set(np.unique(s["outcome"])) == {0, 1, 2, 3}
    assert (data.usage["on_ice"][~data.usage["dressed"]] == 0).all()


def test_dressed_span_counts_scratches_over_the_team_or_the_players_games(league, data):
    u = data.usage
    per_player = np.bincount(u["player"], minlength=data.n_players)
    games = league.games.to_pandas()
    team_games = pd.concat([games["home_team"], games["away_team"]]).value_counts()
    assert set(per_player[per_player > 0]) <= set(team_games.to_numpy())
    own = build_latent_events(league.events, league.rosters, dressed_span="player").usage
    assert len(own["player"]) < len(u["player"])
    assert own["dressed"].sum() == u["dressed"].sum()  # the same dressed games, fewer scratches
    with pytest.raises(ValueError, match="dressed_span"):
        build_latent_events(league.events, league.rosters, dressed_span="career")


def test_kl_is_paid_once_per_player_whatever_his_event_count(data):
    j = int(np.bincount(data.types["actor"]).argmax())
    doubled = _with_player_doubled(data, j)
    assert len(doubled.types["actor"]) > len(data.types["actor"])
    model = PlayerLatentModel(PlayerLatentConfig(seed=0), data.position)
    kl = model.kl_per_player()
    assert kl.shape == (data.n_players,)
    for d in (data, doubled):
        weights, kls = [], []
        for batch, w in minibatches(d, 7, np.random.default_rng(0)):
            loss, terms = model(batch, w, sample=False)
            nll = sum(v for k, v in terms.items() if k != "kl")
            kls.append(float((loss - nll).detach()))
            weights.append(w)
        assert sum(weights) == pytest.approx(1.0)
        assert sum(kls) == pytest.approx(float(kl.sum().detach()), rel=1e-3)


def _keep_few(data: LatentEvents, j: int, k: int) -> LatentEvents:
    """A copy in which player j keeps only his first k records of each term."""
    main = {"types": ("actor",), "choice": ("actor",), "shots": ("shooter",),
            "faceoffs": ("winner", "loser"), "usage": ("player",)}
    out = {}
    for name, recs in data.terms().items():
        his = np.zeros(len(recs[main[name][0]]), bool)
        for col in main[name]:
            his |= recs[col] == j
        drop = np.flatnonzero(his)[k:]
        out[name] = {c: np.delete(v, drop, axis=0) for c, v in recs.items()}
    return dataclasses.replace(data, **out)


def test_a_player_with_few_events_shrinks_to_his_position(data):
    j = int(np.bincount(data.types["actor"]).argmax())
    cfg = PlayerLatentConfig(d_u=4, epochs=30, batches_per_epoch=5)
    stats = []
    for d in (data, _keep_few(data, j, 1)):
        model, _ = fit_player_latent(d, cfg)
        model.requires_grad_(False)
        prior_sd = model.prior_log_sd.exp()[model.position[j]]
        gap = (model.m[j] - model.prior_mu[model.position[j]]) / prior_sd
        stats.append((float((model.log_s[j].exp() / prior_sd).mean()), float(gap.norm()),
                      float(model.kl_per_player()[j])))
    (sd_full, gap_full, kl_full), (sd_few, gap_few, kl_few) = stats
    # seeded values: sd ratio 0.54 -> 0.71, gap 1.51 -> 1.09 prior sds, KL 2.35 -> 1.04 nats
    assert sd_few > sd_full + 0.1, stats
    assert gap_few < 0.85 * gap_full, stats
    assert kl_few < 0.6 * kl_full, stats


def test_gradients_reach_u_through_the_shot_outcome(data):
    model = PlayerLatentModel(PlayerLatentConfig(terms=("shots",)), data.position)
    s = data.shots
    recs = {k: torch.as_tensor(v) for k, v in s.items()}
    recs["in_zone"] = torch.zeros_like(recs["in_zone"])  # location term off: outcome only
    loss, _ = model({"shots": recs}, kl_weight=0.0, sample=False)
    loss.backward()
    grad = model.m.grad.norm(dim=1).numpy()
    shooters, goalies = np.unique(s["shooter"]), np.unique(s["goalie"][s["goalie"] >= 0])
    assert (grad[shooters] > 0).all() and (grad[goalies] > 0).all()
    others = np.setdiff1d(np.arange(data.n_players), np.concatenate([shooters, goalies]))
    assert (grad[others] == 0).all()


def test_recovers_a_planted_style_better_than_chance(league, data):
    torch.manual_seed(0)
    cfg = PlayerLatentConfig(epochs=30, batches_per_epoch=4, terms=("choice", "shots"))
    model, history = fit_player_latent(data, cfg)
    assert history["shots"].iloc[-1] < history["shots"].iloc[0]
    emb = player_embeddings(model, data).set_index("player_id")
    emb.index = emb.index.astype(str)
    truth = league.players.to_pandas().set_index("player_id")
    skaters = emb.index[(emb["position"] != "G") & (emb["n_events"] >= 5)]
    folds = player_folds(skaters, 5, 0)
    X = emb.loc[skaters, [c for c in emb.columns if c.startswith("emb_")
                          and not c.startswith("emb_sd_")]]
    r2 = r2_by(probe_predictions(X, truth, ["shooting", "shot_distance"], folds))
    r2 = r2.set_index("style")["r2"]
    assert r2["shooting"] > 0.3, r2
    assert r2["shot_distance"] > 0.3, r2


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="on_ice_for"):
        build_latent_events(pd.DataFrame({"game_id": ["g"]}), pd.DataFrame(
            {"game_id": ["g"], "player_id": ["p"], "position": ["C"]}))
    with pytest.raises(ValueError, match="unknown terms"):
        PlayerLatentModel(PlayerLatentConfig(terms=("shots", "vibes")), np.zeros(3, np.int64))

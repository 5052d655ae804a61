"""Expected-goals features, stage-2 adjusters and the empirical-Bayes / ID controls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from hockey_vae.downstream.controls import EmpiricalBayesAdjuster, IdAdjuster, shrunk_ratios
from hockey_vae.downstream.player_tables import check_player_table, mean_columns
from hockey_vae.downstream.xg import XG_NUMERIC, LatentAdjuster, tune, xg_features
from hockey_vae.simulate import simulate_league


def planted_shots(n_shots: int, seed: int, skill: np.ndarray, save: np.ndarray) -> tuple:
    """Shots with baseline log-odds o and planted shooter / goalie effects on top."""
    rng = np.random.default_rng(seed)
    shooter = rng.integers(0, len(skill), n_shots)
    goalie = rng.integers(0, len(save), n_shots)
    offset = rng.normal(-2.7, 0.8, n_shots)
    p = 1 / (1 + np.exp(-(offset + skill[shooter] - save[goalie])))
    shots = pd.DataFrame({"player_id": [f"S{i}" for i in shooter],
                          "goalie_id": [f"G{i}" for i in goalie],
                          "goal": (rng.random(n_shots) < p).astype(int),
                          "game_id": [f"g{i // 60}" for i in range(n_shots)]})
    return shots, offset


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(0)
    skill, save = rng.normal(0, 0.5, 60), rng.normal(0, 0.3, 12)
    train = planted_shots(40000, 1, skill, save)
    test = planted_shots(20000, 2, skill, save)
    table = pd.DataFrame({"player_id": [f"S{i}" for i in range(60)] + [f"G{i}" for i in range(12)],
                          "emb_0": np.r_[skill, np.zeros(12)] + rng.normal(0, 0.05, 72),
                          "emb_1": np.r_[np.zeros(60), save] + rng.normal(0, 0.05, 72)})
    return skill, save, train, test, table


def test_shrunk_ratios_pool_to_one_without_spread_and_shrink_with_it():
    expected = pd.Series([50.0] * 40)
    ratio, tau2 = shrunk_ratios(expected.copy(), expected)  # goals exactly as expected
    assert tau2 == 0.0 and np.allclose(ratio, 1.0)
    goals = pd.Series([20.0, 80.0] * 20)
    ratio, tau2 = shrunk_ratios(goals, expected)
    raw = goals / expected
    assert tau2 > 0
    assert ((ratio - 1).abs() < (raw - 1).abs()).all()  # shrunk toward 1 ...
    assert (np.sign(ratio - 1) == np.sign(raw - 1)).all()  # ... but not past it
    with pytest.raises(ValueError, match="positive"):
        shrunk_ratios(goals, expected * 0)


def test_eb_control_recovers_planted_shooter_and_goalie_effects(planted):
    skill, save, (tr, o_tr), (te, o_te), _ = planted
    eb = EmpiricalBayesAdjuster().fit(tr, o_tr)
    est = eb.log_theta_["shooter"].reindex([f"S{i}" for i in range(60)]).to_numpy()
    assert np.corrcoef(est, skill)[0, 1] > 0.7
    g_est = eb.log_theta_["goalie"].reindex([f"G{i}" for i in range(12)]).to_numpy()
    assert np.corrcoef(g_est, -save)[0, 1] > 0.7
    base = log_loss(te["goal"], 1 / (1 + np.exp(-o_te)))
    assert log_loss(te["goal"], eb.predict(te, o_te)) < base - 0.003


def test_latent_and_id_adjusters_beat_the_offset_on_new_shots(planted):
    _, _, (tr, o_tr), (te, o_te), table = planted
    base = log_loss(te["goal"], 1 / (1 + np.exp(-o_te)))
    lat, scores = tune(lambda C: LatentAdjuster(table, ("shooter", "goalie"), C=C),
                       [0.01, 1.0], (tr, o_tr), (te, o_te), te["goal"])
    assert set(scores) == {"0.01", "1.0"}
    assert log_loss(te["goal"], lat.predict(te, o_te)) < base - 0.003
    idc = IdAdjuster(C=1.0).fit(tr, o_tr)
    assert log_loss(te["goal"], idc.predict(te, o_te)) < base - 0.003
    # an unseen player gets the average: the prediction equals offset-only recalibration
    new = te.head(3).assign(player_id="nobody", goalie_id="nobody")
    assert np.isfinite(lat.predict(new, o_te[:3])).all()


def test_latent_adjuster_with_noise_embeddings_gains_nothing(planted):
    _, _, (tr, o_tr), (te, o_te), table = planted
    noise = table.assign(emb_0=np.random.default_rng(5).normal(size=len(table)),
                         emb_1=np.random.default_rng(6).normal(size=len(table)))
    lat = LatentAdjuster(noise, ("shooter", "goalie"), C=0.01).fit(tr, o_tr)
    base = log_loss(te["goal"], 1 / (1 + np.exp(-o_te)))
    assert abs(log_loss(te["goal"], lat.predict(te, o_te)) - base) < 0.002


def test_player_table_checks_name_the_problem():
    with pytest.raises(ValueError, match="player_id"):
        check_player_table(pd.DataFrame({"emb_0": [1.0]}))
    with pytest.raises(ValueError, match="emb_"):
        check_player_table(pd.DataFrame({"player_id": ["a"]}))
    with pytest.raises(ValueError, match="more than once"):
        check_player_table(pd.DataFrame({"player_id": ["a", "a"], "emb_0": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="non-finite"):
        check_player_table(pd.DataFrame({"player_id": ["a"], "emb_0": [np.nan]}))
    t = pd.DataFrame({"player_id": ["a"], "emb_10": [1.0], "emb_2": [0.0], "emb_sd_2": [1.0]})
    assert mean_columns(t) == ["emb_2", "emb_10"]


def test_xg_features_on_a_simulated_league():
    league = simulate_league(n_teams=4, games=4, seed=3)
    shots = xg_features(league.events.to_pandas(), league.rosters.to_pandas())
    assert len(shots) > 100 and set(XG_NUMERIC) <= set(shots.columns)
    assert (shots.loc[shots["is_rebound"] == 0, "angle_change"] == 0).all()
    assert shots["angle_change"].between(0, 360).all()
    assert shots["seconds_since_faceoff"].between(0, 1200).all()
    assert shots["is_home"].isin([0.0, 1.0]).all()
    assert shots["goal"].sum() > 0


def test_player_effects_of_every_adjuster_track_the_planted_skill(planted):
    skill, save, (tr, o_tr), _, table = planted
    shooters, goalies = [f"S{i}" for i in range(60)], [f"G{i}" for i in range(12)]
    adjusters = [LatentAdjuster(table, ("shooter", "goalie"), C=1.0).fit(tr, o_tr),
                 IdAdjuster(C=1.0).fit(tr, o_tr), EmpiricalBayesAdjuster().fit(tr, o_tr)]
    for adj in adjusters:
        assert np.corrcoef(adj.player_effect("shooter", shooters), skill)[0, 1] > 0.7
        assert np.corrcoef(adj.player_effect("goalie", goalies), -save)[0, 1] > 0.7
    assert adjusters[0].player_effect("shooter", ["nobody"]).notna().all()
    with pytest.raises(ValueError, match="not fitted"):
        LatentAdjuster(table, ("shooter",)).fit(tr, o_tr).player_effect("goalie", goalies)


def test_mask_report_replaces_machine_paths_only(tmp_path):
    from hockey_vae.downstream.xg_report import mask_report

    out = tmp_path / "r"
    out.with_suffix(".md").write_text("data /srv/x/nhl and cache /srv/c/f.parquet. end")
    out.with_suffix(".json").write_text('{"data": "/srv/x/nhl"}')
    mask_report(out, {"/srv/x/nhl": "NHL_DIR", "/srv/c": "CACHE_DIR", ".": "NO", "": "NO"})
    assert out.with_suffix(".md").read_text() == "data NHL_DIR and cache CACHE_DIR/f.parquet. end"
    assert out.with_suffix(".json").read_text() == '{"data": "NHL_DIR"}'


def test_baseline_drops_numerics_never_seen_in_training():
    """PWHL shots carry no manpower: an all-missing numeric must not break the baseline."""
    from hockey_vae.downstream.xg import NUMERIC_KEY, fit_xg_baseline, predict_baseline

    sim = simulate_league(n_teams=4, games=6, seed=2)
    shots = xg_features(sim.events.to_pandas(), sim.rosters.to_pandas())
    shots[["skaters_for", "skaters_against"]] = np.nan
    params = {"learning_rate": 0.1, "max_iter": 20, "max_leaf_nodes": 7}
    model, levels = fit_xg_baseline(shots, params, seed=0)
    assert "skaters_for" not in levels[NUMERIC_KEY] and "distance" in levels[NUMERIC_KEY]
    p = predict_baseline(model, levels, shots)
    assert p.shape == (len(shots),) and np.isfinite(p).all()

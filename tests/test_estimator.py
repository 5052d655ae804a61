"""PlayerEmbedder follows the scikit-learn conventions and agrees with the lower-level API."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from hockey_vae import PlayerEmbedder
from hockey_vae.simulate import simulate_league

TINY = {"d_z": 4, "d_hidden": 16, "eval_samples": 20, "prior_samples": 4, "encoder": {"hidden": 16, "d_context": 16}}


@pytest.fixture(scope="module")
def league():
    return simulate_league(n_teams=4, games=6, seed=3)


@pytest.fixture(scope="module")
def fitted(league, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    est = PlayerEmbedder(model="cvae",
                         config={"model": TINY, "train": {"epochs": 6, "seed": 0, "patience": 6,
                                                          "batch_games": 2}},  # 8 games: steps
                         validation_fraction=0.25, run_dir=str(run_dir))
    return est.fit(league)


def test_not_fitted_and_clone(league):
    est = PlayerEmbedder(model="cvae", config={"model": TINY})
    with pytest.raises(NotFittedError):
        est.predict_proba(league)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "run_")


def test_bad_parameters_are_named(league):
    with pytest.raises(ValueError, match="validation_fraction"):
        PlayerEmbedder(validation_fraction=1.5).fit(league)
    with pytest.raises(ValueError, match="candidates"):
        PlayerEmbedder(candidates="bench").fit(league)
    with pytest.raises(ValueError, match="unknown train config key.*'epoch'"):
        PlayerEmbedder(config={"train": {"epoch": 2}}).fit(league)
    with pytest.raises(ValueError, match="'device'"):
        PlayerEmbedder(config={"train": {"device": "cdua"}}).fit(league)


def test_proba_rows_align_with_embeddings_and_respect_roster(fitted, league):
    proba = fitted.predict_proba(league)
    emb = fitted.transform(league)
    assert proba.shape == (len(emb), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    # the true player of row i (from the embedding table) is on the roster, so it has mass;
    # players first seen in the validation games back off to cold-start tokens
    col = {pid: j for j, pid in enumerate(fitted.classes_)}
    known = emb["player_id"].isin(col).to_numpy()
    assert known.mean() > 0.9
    rows = np.flatnonzero(known)
    true_cols = np.array([col[p] for p in emb["player_id"][known]])
    assert (proba[rows, true_cols] > 0).all()
    # roster masking: each row puts mass on at most a dressed roster (cold-start tokens
    # stand in for its unseen players)
    assert ((proba > 1e-6).sum(axis=1) <= 20).all()
    assert set(fitted.predict(league)) <= set(fitted.classes_)


def test_score_matches_proba_and_beats_uniform(fitted, league):
    logp, target, _ = fitted._scores(league)
    proba = fitted.predict_proba(league)
    np.testing.assert_allclose(np.exp(logp), proba)
    assert fitted.score(league) == pytest.approx(logp[np.arange(len(target)), target].mean())
    uniform = np.log(1.0 / (proba > 1e-6).sum(axis=1)).mean()
    assert fitted.score(league) > uniform


def test_from_run_round_trip(fitted, league):
    again = PlayerEmbedder.from_run(fitted.run_dir)
    np.testing.assert_allclose(again.predict_proba(league), fitted.predict_proba(league),
                               atol=1e-5)

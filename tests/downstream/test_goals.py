"""GoalModel: finds the known distance and shooter-skill signals; sklearn conventions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from hockey_vae.downstream import (
    GoalModel,
    add_shooter_embeddings,
    select_on_validation,
    shot_features,
    split_by_date,
    static_embeddings,
)


@pytest.fixture(scope="module")
def shots(league):
    part = split_by_date(league["games"])
    shots = shot_features(league["events"], league["rosters"])
    static = static_embeddings(league["event_embeddings"], part.index[part == "train"])
    shots = add_shooter_embeddings(shots, league["event_embeddings"], static)
    shots["part"] = shots["game_id"].map(part)
    train = shots.loc[shots["part"] == "train"].reset_index(drop=True)
    held = shots.loc[shots["part"] != "train"].reset_index(drop=True)  # unseen games
    return train, held


@pytest.mark.parametrize("kind", ["logistic", "hgb"])
def test_embeddings_carry_the_known_shooter_skill(shots, kind):
    train, held = shots
    params = {"max_iter": 30, "max_leaf_nodes": 7} if kind == "hgb" else {"C": 0.1}
    base = GoalModel(model=kind, **params).fit(train, train["goal"])
    emb = GoalModel(model=kind, use_embeddings=True, **params).fit(train, train["goal"])
    auc_base = roc_auc_score(held["goal"], base.predict_proba(held)[:, 1])
    auc_emb = roc_auc_score(held["goal"], emb.predict_proba(held)[:, 1])
    assert auc_base > 0.62  # distance alone
    assert auc_emb > auc_base + 0.05  # shooter skill lives in emb_0
    assert emb.score(held, held["goal"]) > base.score(held, held["goal"])


def test_closer_shots_score_more(shots):
    train, _ = shots
    model = GoalModel(C=1.0).fit(train, train["goal"])
    near = train.iloc[[0, 0]].copy()
    near[["x", "distance"]] = [[84.0, 5.0], [49.0, 40.0]]
    near["log_distance"] = np.log1p(near["distance"])
    near["angle"] = 0.0
    p = model.predict_proba(near)[:, 1]
    assert p[0] > p[1] + 0.1


def test_hyper_parameters_are_chosen_on_validation(shots):
    train, held = shots
    best, table = select_on_validation(
        GoalModel(), {"C": [1e-4, 1.0]}, train, train["goal"], held, held["goal"]
    )
    assert best.C == 1.0
    assert table["val_log_loss"].iloc[1] < table["val_log_loss"].iloc[0]


def test_sklearn_conventions(shots):
    train, held = shots
    model = GoalModel(model="hgb", use_embeddings=True, C=3.0, max_iter=10)
    assert model.get_params()["C"] == 3.0
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    with pytest.raises(NotFittedError):
        model.predict_proba(held)
    assert model.fit(train, train["goal"]) is model
    assert hasattr(model, "pipeline_") and not hasattr(twin, "pipeline_")
    proba = model.predict_proba(held)
    assert proba.shape == (len(held), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(held)) <= {0, 1}
    assert model.predict_proba(held.iloc[:0]).shape == (0, 2)


def test_bad_input_is_named(shots):
    train, _ = shots
    with pytest.raises(ValueError, match=r"missing column\(s\) \['distance'"):
        GoalModel().fit(train.drop(columns=["distance"]), train["goal"])
    with pytest.raises(ValueError, match="no shooter_emb"):
        GoalModel(use_embeddings=True).fit(train.filter(regex="^(?!shooter_)"), train["goal"])
    with pytest.raises(ValueError, match="single class"):
        GoalModel().fit(train, np.zeros(len(train), int))
    with pytest.raises(ValueError, match="model='svm'"):
        GoalModel(model="svm").fit(train, train["goal"])
    fitted = GoalModel().fit(train, train["goal"])
    with pytest.raises(ValueError, match="angle"):
        fitted.predict_proba(train.drop(columns=["angle"]))

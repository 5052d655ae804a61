"""InGameWinModel and PreGameModel: find the known team-strength and score signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from hockey_vae.downstream import (
    InGameWinModel,
    PreGameModel,
    add_team_embedding_state,
    game_labels,
    game_states,
    lineup_features,
    split_by_date,
    static_embeddings,
)


@pytest.fixture(scope="module")
def part(league):
    return split_by_date(league["games"], val_frac=0.15, test_frac=0.15)


@pytest.fixture(scope="module")
def states(league, part):
    states = game_states(league["events"], league["games"])
    states = add_team_embedding_state(states, league["events"], league["event_embeddings"])
    return states.assign(part=states["game_id"].map(part))


def test_in_game_model_uses_score_and_clock(states):
    train = states.loc[states["part"] == "train"]
    model = InGameWinModel(C=1.0).fit(train, train["home_win"])
    probe = train.iloc[[0, 0, 0]].copy()
    probe["score_diff"] = [1.0, 1.0, -1.0]
    probe["time_remaining"] = [3000.0, 60.0, 60.0]
    p = model.predict_proba(probe)[:, 1]
    assert p[1] > p[0] > 0.5 > p[2]  # a lead late is worth more than a lead early


def test_in_game_embeddings_find_team_strength_early(states):
    train = states.loc[states["part"] == "train"]
    held = states.loc[(states["part"] != "train") & (states["period"] == 1)]
    base = InGameWinModel(C=1.0).fit(train, train["home_win"])
    emb = InGameWinModel(C=1.0, use_embeddings=True).fit(train, train["home_win"])
    assert emb.score(held, held["home_win"]) > base.score(held, held["home_win"]) + 0.01


@pytest.fixture(scope="module")
def lineups(league, part):
    labels = game_labels(league["games"])
    static = static_embeddings(league["event_embeddings"], part.index[part == "train"])
    out = lineup_features(labels, league["rosters"], static)
    return out.assign(part=out["game_id"].map(part))


@pytest.mark.parametrize("features", ["mean", "position", "team"])
def test_pre_game_models_beat_home_ice(lineups, features):
    train = lineups.loc[lineups["part"] == "train"]
    held = lineups.loc[lineups["part"] != "train"]
    home = PreGameModel(features="home_ice").fit(train, train["home_win"])
    model = PreGameModel(features=features, C=1.0).fit(train, train["home_win"])
    assert model.score(held, held["home_win"]) > home.score(held, held["home_win"]) + 0.02
    p_home = home.predict_proba(held)[:, 1]
    assert np.allclose(p_home, train["home_win"].mean())


def test_team_model_handles_an_unseen_team(lineups):
    train = lineups.loc[lineups["part"] == "train"]
    model = PreGameModel(features="team").fit(train, train["home_win"])
    new = pd.DataFrame({"home_team": ["EXPANSION"], "away_team": ["EXPANSION2"]})
    p = model.predict_proba(new)[0, 1]
    assert 0.4 < p < 0.8  # home ice only


def test_pre_game_bad_input_and_conventions(lineups):
    train = lineups.loc[lineups["part"] == "train"]
    with pytest.raises(ValueError, match="features='elo'"):
        PreGameModel(features="elo").fit(train, train["home_win"])
    with pytest.raises(ValueError, match="lineup_mean_diff"):
        PreGameModel(features="mean").fit(train[["home_team", "away_team"]], train["home_win"])
    model = PreGameModel(features="position", C=0.5)
    with pytest.raises(NotFittedError):
        model.predict_proba(train)
    assert clone(model).get_params() == {"features": "position", "C": 0.5}
    assert InGameWinModel(use_embeddings=True).get_params()["use_embeddings"] is True
    with pytest.raises(ValueError, match="team_emb_diff"):
        InGameWinModel(use_embeddings=True).fit(
            train.assign(score_diff=0.0, time_remaining=1.0, is_overtime=0, manpower_diff=0.0),
            train["home_win"],
        )

"""Rolling-origin pre-game predictions: no look-ahead, C chosen on validation, signal found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hockey_vae.downstream.pregame_rolling import (
    choose_on_validation,
    rolling_predictions,
    table_in_force,
    week_starts,
)


@pytest.fixture(scope="module")
def season():
    """8 teams whose players' emb_0 sets the lineup strength; 600 games over 200 days."""
    rng = np.random.default_rng(0)
    teams = [f"T{t}" for t in range(8)]
    players = {t: [f"{t}p{k}" for k in range(6)] for t in teams}
    skill = {p: rng.normal() for t in teams for p in players[t]}
    labels, rosters = [], []
    day0 = pd.Timestamp("2020-01-01")
    for g in range(600):
        home, away = rng.choice(teams, 2, replace=False)
        lineup = {side: list(rng.choice(players[team], 4, replace=False))
                  for side, team in (("home", home), ("away", away))}
        diff = np.mean([skill[p] for p in lineup["home"]]) - np.mean(
            [skill[p] for p in lineup["away"]])
        win = rng.random() < 1 / (1 + np.exp(-(0.2 + 2.5 * diff)))
        gid = f"g{g:04d}"
        labels.append({"game_id": gid, "home_team": home, "away_team": away,
                       "home_win": int(win), "game_date": day0 + pd.Timedelta(days=g // 3)})
        rosters += [{"game_id": gid, "team": team, "player_id": p, "position": "C"}
                    for side, team in (("home", home), ("away", away)) for p in lineup[side]]
    table = pd.DataFrame({"player_id": list(skill), "position": "C",
                          "emb_0": [skill[p] + rng.normal(0, 0.1) for p in skill],
                          "emb_1": rng.normal(size=len(skill))})
    return pd.DataFrame(labels), pd.DataFrame(rosters), table


def test_rolling_predictions_never_look_ahead_and_find_the_lineup_signal(season):
    labels, rosters, table = season
    tables = {pd.Timestamp("2020-01-01"): table}
    grid = {"home_ice": [1.0], "team": [0.1], "mean": [0.01, 1.0]}
    preds = rolling_predictions(labels, rosters, tables, "2020-03-01", "2020-07-19", grid)
    assert preds["game_date"].min() >= pd.Timestamp("2020-03-01")
    assert (preds["week"] <= preds["game_date"]).all()
    assert (preds["game_date"] < preds["week"] + pd.Timedelta(days=7)).all()
    n_games = labels["game_date"].between("2020-03-01", "2020-07-18").sum()
    assert preds.groupby(["features", "C"]).size().eq(n_games).all()
    chosen = choose_on_validation(preds, "2020-04-15")
    assert set(chosen) == {"home_ice", "team", "mean"} and chosen["mean"] in (0.01, 1.0)

    def loss(f: str) -> float:
        sub = preds[(preds["features"] == f) & (preds["C"] == chosen[f])]
        p = sub["p"].clip(1e-6, 1 - 1e-6)
        return float(-(sub["home_win"] * np.log(p) + (1 - sub["home_win"]) * np.log(1 - p))
                     .mean())

    assert loss("mean") < loss("home_ice") - 0.02


def test_table_in_force_and_weeks():
    tables = {pd.Timestamp("2020-02-01"): None, pd.Timestamp("2020-03-01"): None}
    assert table_in_force(tables, pd.Timestamp("2020-02-20")) == pd.Timestamp("2020-02-01")
    assert table_in_force(tables, pd.Timestamp("2020-03-01")) == pd.Timestamp("2020-03-01")
    with pytest.raises(ValueError, match="no player table fit before"):
        table_in_force(tables, pd.Timestamp("2020-01-15"))
    weeks = week_starts("2020-01-01", "2020-01-31")
    assert len(weeks) == 5 and all(np.diff(weeks) == pd.Timedelta(days=7))
    with pytest.raises(ValueError, match="nothing to choose"):
        choose_on_validation(pd.DataFrame({"game_date": [pd.Timestamp("2021-01-01")]}),
                             "2020-01-01")

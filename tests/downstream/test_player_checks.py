"""Player-level checks: shrinkage, half-season split, identity splitting, re-identification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hockey_vae.boxscore import boxscore_rates
from hockey_vae.downstream.player_checks import (
    HALF_SUFFIX,
    RATE_TARGETS,
    half_season_games,
    rate_predictions,
    rate_r2_table,
    reidentify,
    shrink_rates,
    split_identities,
)
from hockey_vae.simulate import simulate_league


@pytest.fixture(scope="module")
def league():
    lg = simulate_league(n_teams=4, games=12, seed=2)
    return lg.events.to_pandas(), lg.rosters.to_pandas(), lg.games.to_pandas()


def test_shrink_rates_pull_small_samples_hardest_toward_the_position_mean():
    rng = np.random.default_rng(0)
    n = 200
    games = np.r_[np.full(n // 2, 5), np.full(n // 2, 80)]
    true = rng.gamma(5.0, 0.4, n)  # between-player spread
    hits = rng.poisson(true * games)
    box = pd.DataFrame({"position": "D", "games": games, "hits": hits,
                        "shots_on_goal": hits, "goals": hits, "penalties": hits,
                        "faceoff_wins": 0, "faceoff_losses": 0},
                       index=[f"p{i}" for i in range(n)])
    shrunk = shrink_rates(box)["hits"]
    raw = box["hits"] / box["games"]
    mean = np.average(raw, weights=games)
    pull = (raw - shrunk).abs() / (raw - mean).abs().clip(lower=1e-9)
    assert pull[games == 5].mean() > pull[games == 80].mean() + 0.2
    err_raw = ((raw - true) ** 2)[games == 5].mean()
    err_shrunk = ((shrunk - true) ** 2)[games == 5].mean()
    assert err_shrunk < err_raw  # shrinkage helps exactly where samples are small
    assert shrink_rates(box)["faceoff_pct"].isna().all()  # nobody took a faceoff


def test_half_season_games_cuts_by_date(league):
    _, _, games = league
    season = str(games["season"].iloc[0])
    h1, h2 = half_season_games(games, season)
    assert len(h1) + len(h2) == len(games) and not set(h1) & set(h2)
    date = games.set_index("game_id")["game_date"].astype(str)
    assert date.loc[h1].max() <= date.loc[h2].min()
    with pytest.raises(ValueError, match="no games of season"):
        half_season_games(games, "19001901")


def test_split_identities_relabels_every_second_half_reference(league):
    events, rosters, games = league
    _, h2 = half_season_games(games, str(games["season"].iloc[0]))
    ev, ro = split_identities(events, rosters, h2)
    in2 = ev["game_id"].isin(set(h2))
    ids2 = ev.loc[in2, "player_id"].dropna()
    assert len(ids2) and ids2.str.endswith(HALF_SUFFIX).all()
    assert not ev.loc[~in2, "player_id"].dropna().str.endswith(HALF_SUFFIX).any()
    lists = ev.loc[in2, "on_ice_for"].dropna()
    assert all(p.endswith(HALF_SUFFIX) for ids in lists for p in ids)
    assert ro.loc[ro["game_id"].isin(set(h2)), "player_id"].str.endswith(HALF_SUFFIX).all()
    assert events["player_id"].dropna().str.endswith(HALF_SUFFIX).sum() == 0  # input untouched


def test_reidentify_finds_stable_players_and_not_noise():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(100, 8))
    ids = [f"p{i}" for i in range(100)]

    def table(second: np.ndarray) -> pd.DataFrame:
        t = pd.DataFrame(np.r_[z, second], columns=[f"emb_{i}" for i in range(8)])
        return t.assign(player_id=ids + [p + HALF_SUFFIX for p in ids])

    good = reidentify(table(z + rng.normal(0, 0.05, z.shape)), ids[:80])
    assert good["top1"] > 0.95 and good["candidates"] == 100 and good["n"] == 80
    bad = reidentify(table(rng.normal(size=z.shape)), ids[:80])
    assert bad["top5"] < 0.2
    with pytest.raises(ValueError, match="both halves"):
        reidentify(table(z), ["nobody"])


def test_rate_predictions_score_every_feature_set(league):
    events, rosters, games = league
    h1, h2 = half_season_games(games, str(games["season"].iloc[0]))
    box1, box2 = boxscore_rates(events, rosters, h1), boxscore_rates(events, rosters, h2)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"player_id": box1.index, "n_events": rng.integers(1, 100, len(box1)),
                          **{f"emb_{i}": rng.normal(size=len(box1)) for i in range(3)}})
    preds = rate_predictions(box1, box2, table, min_games=3, min_faceoffs=5)
    assert set(preds["features"]) == {"raw", "shrunk", "latent", "shrunk+latent", "raw_direct",
                                     "shrunk_direct"}
    assert set(preds["target"]) == set(RATE_TARGETS)
    terc = pd.Series("low", index=preds["player_id"].unique())
    r2 = rate_r2_table(preds, terc)
    assert set(r2["tercile"]) == {"all", "low"}
    shots = r2[(r2["target"] == "shots") & (r2["tercile"] == "all")].set_index("features")
    assert shots.loc["raw", "r2"] > shots.loc["latent", "r2"]  # noise latents predict nothing

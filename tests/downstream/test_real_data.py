"""On a few real NHL games: shot geometry and states look like hockey (skips without data)."""

from __future__ import annotations

import numpy as np
import pytest

from hockey_vae.downstream import game_states, shot_features
from hockey_vae.sources import hockey_scraper

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def tables(shared_data):
    folder = shared_data / "nhl_hockey_scraper_delara38" / "games"
    paths = sorted(folder.glob("20180200[0-1]*.csv.gz"))[:12]
    return hockey_scraper.read(paths, positions=shared_data / "nhl_rosters_fastRhockey",
                               strict=True, progress=False)  # fmt: skip


def test_real_shots_look_like_hockey(tables):
    shots = shot_features(tables.events, tables.rosters)
    assert 400 < len(shots) < 1500  # ~60-90 unblocked attempts a game
    assert 0.03 < shots["goal"].mean() < 0.12
    goals, misses = shots.loc[shots["goal"] == 1], shots.loc[shots["goal"] == 0]
    assert goals["distance"].median() < misses["distance"].median()  # attack toward +x
    assert shots["empty_net_against"].notna().mean() > 0.95  # goalies named on ice
    assert 0.6 < shots["is_5v5"].mean() < 0.9
    assert set(shots["shot_type"]) >= {"wrist shot", "slap shot"}


def test_real_states_end_at_the_final_score(tables):
    states = game_states(tables.events, tables.games)
    games = tables.games.to_pandas().set_index("game_id")
    last = states.groupby("game_id").tail(1).set_index("game_id")
    regulation = games.loc[last.index, "decided_in"] != "shootout"
    final = (games["home_goals"] - games["away_goals"]).loc[last.index]
    assert np.array_equal(last.loc[regulation, "score_diff"], final[regulation])

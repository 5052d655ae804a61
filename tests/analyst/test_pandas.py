"""pandas in and out: Frames, events-only tables, the estimator in a scikit-learn Pipeline."""

import numpy as np
import pandas as pd
import pytest
from _analyst import TINY_CVAE
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from hockey_vae.embed import read_embeddings, write_embeddings
from hockey_vae.estimator import PlayerEmbedder
from hockey_vae.frames import Frames, tables_from_events
from hockey_vae.ingest import load_tables

TINY = {"model": {"cvae": TINY_CVAE},
        "train": {"epochs": 1, "batch_games": 4, "progress": False, "val_samples": 2}}


def test_load_tables_to_pandas(sim_dir):
    tables = load_tables(sim_dir)
    frames = tables.to_pandas()
    assert isinstance(frames, Frames)
    assert isinstance(frames.events, pd.DataFrame) and len(frames.events) == tables.events.num_rows
    assert list(frames.games.columns) == tables.games.column_names
    assert frames.players is not None and len(frames.players) == tables.players.num_rows


def test_games_and_rosters_derived_from_events(sim_dir):
    real = load_tables(sim_dir).to_pandas()
    derived = tables_from_events(real.events)
    cols = ["game_id", "league", "season", "home_team", "away_team"]
    pd.testing.assert_frame_equal(derived.games[cols], real.games[cols])
    assert derived.games["home_goals"].isna().all()  # never invented
    acting = real.events.dropna(subset=["player_id"])
    assert set(zip(derived.rosters.game_id, derived.rosters.player_id, strict=True)) == set(
        zip(acting.game_id, acting.player_id, strict=True))
    one = real.events[real.events.game_id == real.games.game_id[0]]
    part = tables_from_events(one, real.games, real.rosters)
    assert part.games.game_id.tolist() == [real.games.game_id[0]]
    assert set(part.rosters.game_id) == {real.games.game_id[0]}
    with pytest.raises(ValueError, match="missing column"):
        tables_from_events(real.events.drop(columns=["event_idx"]))


def test_estimator_in_a_pipeline_on_an_events_frame(sim_dir):
    frames = load_tables(sim_dir).to_pandas()
    est = PlayerEmbedder(model="cvae", config=TINY, rosters=frames.rosters, games=frames.games)
    twin = clone(est)
    assert twin.get_params()["rosters"] is not frames.rosters
    assert twin.get_params()["rosters"].equals(frames.rosters) and not hasattr(twin, "run_")
    pipe = make_pipeline(est, FunctionTransformer(lambda d: d.filter(regex=r"^emb_\d+$")))
    Z = pipe.fit_transform(frames.events)
    n_acting = frames.events.player_id.notna().sum()
    assert Z.shape == (n_acting, TINY_CVAE["d_z"]) and np.isfinite(Z.to_numpy()).all()
    fitted = pipe[0]
    assert fitted.score(frames.events) == pytest.approx(fitted.score(frames))  # same tables


def test_embeddings_round_trip_as_csv_and_parquet(tmp_path):
    df = pd.DataFrame({"player_id": ["8478402", "8471214"], "player_name": ["A", "B"],
                       "n_events": [3, 4], "emb_0": np.float32([0.5, -1.25])})
    for name in ("e.csv", "e.csv.gz", "e.parquet"):
        write_embeddings(df, tmp_path / name)
        back = read_embeddings(tmp_path / name)
        assert back["player_id"].tolist() == ["8478402", "8471214"]  # ids stay strings
        assert np.allclose(back["emb_0"], df["emb_0"])
    with pytest.raises(ValueError, match="unknown table file suffix"):
        write_embeddings(df, tmp_path / "e.xlsx")

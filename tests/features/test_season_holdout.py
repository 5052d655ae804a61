"""A season held out whole as the test set: earlier seasons train, later ones are left out."""

import pandas as pd
import pyarrow as pa
import pytest

import hockey_vae as hv
from hockey_vae.benchmark import run_benchmark
from hockey_vae.features import split_games


def _games() -> pd.DataFrame:
    dates = pd.date_range("2017-10-01", periods=30, freq="7D")
    season = ["20172018"] * 10 + ["20182019"] * 12 + ["20192020"] * 8
    return pd.DataFrame({"game_id": [f"G{i:02d}" for i in range(30)],
                         "game_date": dates.date, "season": season})


def test_test_season_is_held_out_whole_and_later_seasons_are_left_out():
    split = split_games(_games(), (0.8, 0.1, 0.1), test_season="20182019")
    assert split["test"] == [f"G{i:02d}" for i in range(10, 22)]
    assert split["train"] + split["val"] == [f"G{i:02d}" for i in range(10)]
    assert len(split["val"]) == 1  # 0.1 / (0.8 + 0.1) of the 10 earlier games


def test_unknown_test_season_names_the_seasons():
    with pytest.raises(ValueError, match=r"test_season '20302031' is not in the data.*20172018"):
        split_games(_games(), test_season="20302031")


def test_benchmark_reports_the_held_out_season(tmp_path):
    tables = hv.load_tables("data/sample")
    games = tables.games.to_pandas()
    later = games["game_date"] >= games["game_date"].sort_values().iloc[16]
    games["season"] = later.map({False: "20252026", True: "20262027"})
    t = hv.Ingested(events=tables.events, rosters=tables.rosters,
                    games=pa.Table.from_pandas(games, schema=hv.schema.GAMES, preserve_index=False))
    report = run_benchmark(t, tmp_path / "r", models=["frequency", "uniform"],
                           config={"train": {"test_season": "20262027", "progress": False}})
    assert report["test_season"] == "20262027"
    assert report["split"]["n_games"]["test"] == int(later.sum())
    assert "held out whole" in report["split"]["rule"]

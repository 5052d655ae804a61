"""Similar-player search: distance, lookup by id or name, near-miss errors, CLI and estimator."""

import json

import numpy as np
import pandas as pd
import pytest

from hockey_vae.cli import main
from hockey_vae.similar import embedding_columns, find_player, similar_players


def _players(extra_sd: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n, d = 12, 4
    emb = rng.normal(size=(n, d))
    emb[1] = emb[0] * 3.0 + 0.01  # same direction as player 0 once standardised? close anyway
    df = pd.DataFrame({"player_id": [str(8470000 + i) for i in range(n)],
                       "player_name": [f"Player {chr(65 + i)}" for i in range(n)],
                       "team": ["AAA", "BBB"] * (n // 2), "position": ["C", "D", "LW"] * 4,
                       "n_events": [50] * (n - 1) + [2]})
    for i in range(d):
        df[f"emb_{i}"] = emb[:, i]
        if extra_sd:
            df[f"emb_sd_{i}"] = 100.0 * rng.random(n)  # must be ignored
    return df


def test_nearest_matches_a_brute_force_cosine_on_standardised_means():
    df = _players()
    out = similar_players(df, "Player A", k=5, min_events=5)
    X = df[[f"emb_{i}" for i in range(4)]].to_numpy()[:11]  # the sparse last player is left out
    Z = (X - X.mean(0)) / X.std(0)
    cos = Z @ Z[0] / (np.linalg.norm(Z, axis=1) * np.linalg.norm(Z[0]))
    expect = [df["player_id"][i] for i in np.argsort(1 - cos)[1:6]]
    assert out["player_id"].tolist() == expect
    assert np.allclose(out["distance"], np.sort(1 - cos)[1:6])
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert {"team", "position", "n_events"} <= set(out.columns)
    assert "8470011" not in out["player_id"].tolist()  # 2 events < min_events
    assert "8470000" not in out["player_id"].tolist()  # never itself


def test_sd_columns_do_not_change_the_answer():
    a = similar_players(_players(), "8470003", k=4)
    b = similar_players(_players(extra_sd=True), "8470003", k=4)
    assert embedding_columns(_players(extra_sd=True)) == ["emb_0", "emb_1", "emb_2", "emb_3"]
    pd.testing.assert_frame_equal(a, b)


def test_lookup_by_id_name_any_case_and_float_id():
    df = _players()
    assert find_player(df, "player c") == 2
    assert find_player(df, 8470004) == 4
    assert find_player(df, "8470004.0") == 4


def test_near_miss_lists_close_matches_and_duplicates_list_ids():
    df = _players()
    with pytest.raises(ValueError, match=r"close matches: .*Player B"):
        find_player(df, "Playr B")
    with pytest.raises(ValueError, match="no player .*'zzz'") as err:
        find_player(df, "zzz")
    assert "close matches" not in str(err.value)
    dup = df.assign(player_name=["Same Name"] * 2 + list(df["player_name"][2:]))
    with pytest.raises(ValueError, match="2 players are named 'same name'.*8470000.*8470001"):
        find_player(dup, "same name")
    with pytest.raises(ValueError, match="k must be"):
        similar_players(df, "Player A", k=0)


def test_cli_similar_from_a_run_and_from_an_embeddings_file(cvae_run, sim_dir, tmp_path, capsys):
    run_dir, tables = cvae_run
    name = tables.rosters.column("player_name")[0].as_py()
    assert main(["similar", "--run", str(run_dir), "--data", str(sim_dir), name.upper(),
                 "--k", "3", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert f"players most like {name}" in out and "cosine distance" in out
    assert main(["embed", "--run", str(run_dir), "--data", str(sim_dir), "--per-player",
                 "--out", str(tmp_path / "players.csv")]) == 0
    capsys.readouterr()
    assert main(["similar", "--embeddings", str(tmp_path / "players.csv"), name, "--k", "3",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and rows[0]["distance"] <= rows[-1]["distance"]
    assert main(["similar", "--embeddings", str(tmp_path / "players.csv"), name[:-1] + "x"]) == 2
    assert "close matches" in capsys.readouterr().err
    assert main(["similar", name]) == 2


def test_estimator_similar_uses_the_fitted_tables(sim_dir):
    from _analyst import TINY_CVAE

    from hockey_vae.estimator import PlayerEmbedder
    from hockey_vae.ingest import load_tables

    tables = load_tables(sim_dir)
    est = PlayerEmbedder(model="cvae", config={"model": {"cvae": TINY_CVAE}, "train": {
        "epochs": 1, "batch_games": 4, "progress": False, "val_samples": 2}}).fit(tables)
    pid = tables.rosters.column("player_id")[0].as_py()
    out = est.similar(pid, k=4, min_events=1)
    assert len(out) == 4 and pid not in out["player_id"].tolist()
    assert out["distance"].is_monotonic_increasing
    assert out.equals(similar_players(est.players_, pid, 4, min_events=1))

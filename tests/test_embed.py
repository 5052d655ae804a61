"""Embedding export: the per-event and per-player table contract, maps and the style probe."""

import numpy as np
import pandas as pd
import pytest
from _toy import toy_tables

from hockey_vae.embed import (
    embed_events,
    embed_players,
    plot_embedding_map,
    probe_styles,
    write_embeddings,
)
from hockey_vae.train import TrainConfig, fit


@pytest.fixture(scope="module")
def run_and_tables(tmp_path_factory):
    t = toy_tables(n_games=12, events_per_game=30, seed=6)
    run = fit(t, tmp_path_factory.mktemp("run"), "cvae",
              model_overrides={"d_z": 3, "d_hidden": 8, "encoder": {"hidden": 8, "d_context": 8}},
              train_config=TrainConfig(epochs=1, batch_games=4, progress=False, val_samples=2))
    return run, t


def test_event_table_contract(run_and_tables, tmp_path):
    run, t = run_and_tables
    ev = embed_events(run.run_dir, t)
    d = 3
    assert list(ev.columns) == ["game_id", "event_idx", "player_id", "player_name", "team",
                                *(f"emb_{i}" for i in range(d)),
                                *(f"emb_var_{i}" for i in range(d))]
    assert ev["game_id"].dtype == "string" and ev["event_idx"].dtype == np.int32
    assert all(ev[f"emb_{i}"].dtype == np.float32 for i in range(d))
    assert (ev[[f"emb_var_{i}" for i in range(d)]] > 0).all().all()
    n_acting = int((t.events["player_id"].notna() & t.events["team"].notna()).sum())
    assert len(ev) == n_acting
    # row matches the source event
    src = t.events.set_index(["game_id", "event_idx"]).loc[
        list(zip(ev["game_id"], ev["event_idx"], strict=True))]
    assert (src["player_id"].to_numpy() == ev["player_id"].to_numpy()).all()
    path = write_embeddings(ev, tmp_path / "e.parquet")
    assert len(pd.read_parquet(path)) == len(ev)


def test_player_table_contract(run_and_tables, tmp_path):
    run, t = run_and_tables
    ev = embed_events(run, t)
    pl = embed_players(ev, t.rosters)
    assert list(pl.columns) == ["player_id", "player_name", "team", "position", "n_events",
                                "emb_0", "emb_1", "emb_2", "emb_sd_0", "emb_sd_1", "emb_sd_2"]
    assert pl["n_events"].sum() == len(ev) and pl["player_id"].is_unique
    assert pl["position"].notna().all()
    plot_embedding_map(pl, tmp_path / "map.png", min_events=1, tsne=False)  # t-SNE: cli test
    assert (tmp_path / "map.png").stat().st_size > 0


def test_lstm_run_cannot_embed(tmp_path):
    t = toy_tables(n_games=8, events_per_game=20, seed=7)
    run = fit(t, None, "lstm", train_config=TrainConfig(epochs=1, progress=False))
    with pytest.raises(ValueError, match="cvae"):
        embed_events(run, t)


def test_probe_recovers_linear_styles():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(200, 4)).astype(np.float32)
    players = pd.DataFrame(emb, columns=[f"emb_{i}" for i in range(4)]).assign(
        player_id=[str(i) for i in range(200)], n_events=50)
    styles = pd.DataFrame({"player_id": [str(i) for i in range(200)],
                           "shooting": emb[:, 0] * 2 + 0.01 * rng.normal(size=200),
                           "noise": rng.normal(size=200)})
    r2 = probe_styles(players, styles).set_index("style")["r2"]
    assert r2["shooting"] > 0.95 and r2["noise"] < 0.2


def test_collapse_warning_when_fewer_than_half_the_units_vary():
    import numpy as np
    import pandas as pd

    from hockey_vae.embed import collapse_warning

    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame({f"emb_{i}": rng.normal(0, 1 if i < 1 else 0.01, n) for i in range(4)})
    frame["emb_var_0"] = 1.0  # variances are not units
    assert "only 1 of 4 embedding units are active" in collapse_warning(frame)
    frame["emb_1"] = rng.normal(0, 1, n)
    assert collapse_warning(frame) is None  # 2 of 4 active: no warning

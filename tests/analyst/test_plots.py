"""Figures: each is rendered to PNG, non-empty and titled with model, data and split."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from hockey_vae.cli import main
from hockey_vae.plots import embedding_map, figure_title, rink_plot, save_figure, shot_events


def _events() -> pd.DataFrame:
    rows = [  # (type, team is home, player, player2, x, y)
        ("shot", True, "a", None, 60.0, 10.0), ("goal", True, "a", None, 80.0, -5.0),
        ("missed_shot", False, "b", None, 50.0, 20.0),
        ("blocked_shot", False, "b", "a", -40.0, 8.0),  # b (away) blocks a's shot
        ("hit", True, "a", "b", 10.0, 10.0)]
    return pd.DataFrame([dict(game_id="G1", event_type=t, is_home=h, player_id=p,
                              player2_id=p2, x=x, y=y) for t, h, p, p2, x, y in rows])


def test_shot_events_orients_a_players_and_a_games_shots():
    mine = shot_events(_events(), player="a")
    assert mine["outcome"].tolist() == ["saved", "goal", "blocked"]
    assert mine["x"].tolist() == [60.0, 80.0, 40.0]  # the block seen from the shooter
    game = shot_events(_events(), game="G1")
    assert game["x"].tolist() == [60.0, 80.0, -50.0, 40.0]  # away turned to -x; a's block +x
    with pytest.raises(ValueError, match="exactly one"):
        shot_events(_events())


def _check_png(fig, path, *words):
    title = fig._suptitle.get_text()  # the title is checked on the Figure, before saving
    assert all(w in title for w in words), title
    save_figure(fig, path)
    img = np.asarray(Image.open(path))
    assert path.stat().st_size > 5000 and img.shape[0] > 200 and img.std() > 10


def test_rink_and_map_figures_render_titled(tmp_path):
    title = figure_title("Shots of A", data="toy", split="all games", model="cvae")
    _check_png(rink_plot(shot_events(_events(), player="a"), title=title), tmp_path / "r.png",
               "Shots of A", "model cvae", "data toy", "split all games")
    rng = np.random.default_rng(1)
    players = pd.DataFrame({"player_id": [str(i) for i in range(30)],
                            "player_name": [f"P{i}" for i in range(30)],
                            "position": list("CDG") * 10, "n_events": rng.integers(1, 90, 30)})
    for i in range(4):
        players[f"emb_{i}"] = rng.normal(size=30)
        players[f"emb_sd_{i}"] = 1.0
    for method in ("pca", "tsne"):
        fig = embedding_map(players, title=figure_title("Map", data="toy", split="test",
                                                        model="player-latent"), method=method)
        labels = [t.get_text() for t in fig.axes[0].texts]
        top = players.sort_values("n_events").player_name.iloc[-15:]
        assert set(labels) == set(top)
        _check_png(fig, tmp_path / f"m_{method}.png", "model player-latent", "split test")
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        save_figure(fig, tmp_path / "m.jpg")


def test_cli_plots(cvae_run, sim_dir, tmp_path, capsys):
    run_dir, tables = cvae_run
    assert main(["plot", "embedding-map", "--run", str(run_dir), "--data", str(sim_dir),
                 "--out", str(tmp_path / "map.png"), "--labels", "5", "--threads", "1"]) == 0
    assert (tmp_path / "map.png").stat().st_size > 5000
    ev = tables.events.to_pandas()
    shooter = ev[ev.event_type == "shot"].player_name.value_counts().index[0]
    assert main(["plot", "rink", "--data", str(sim_dir), "--player", shooter.lower(),
                 "--out", str(tmp_path / "rink.png")]) == 0
    game = ev.game_id.iloc[0]
    assert main(["plot", "rink", "--data", str(sim_dir), "--game", game, "--run", str(run_dir),
                 "--split", "all", "--out", str(tmp_path / "game.png")]) == 0
    out = capsys.readouterr().out
    assert "rink.png" in out and "game.png" in out
    assert main(["plot", "rink", "--data", str(sim_dir), "--game", game, "--split", "test",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "needs --run" in capsys.readouterr().err

"""A league whose busiest skaters are renamed in the test games (so unseen in training), and
a tiny player-latent run on it: the shared fixture of the fold-in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from hockey_vae.features import as_tables
from hockey_vae.simulate import simulate_league
from hockey_vae.train import TrainConfig, fit

SMALL_LATENT = {"encoder": {"hidden": 16, "d_context": 16, "d_player": 4, "d_type": 4},
                "d_u": 4, "decoder_hidden": 16, "eval_samples": 8}


def rename_players(tables: Any, games: list[str], rename: dict[str, str]) -> Any:
    """The tables with players renamed (old id -> new id) in `games` only: unseen in training."""
    ev, ro = tables.events.copy(), tables.rosters.copy()
    sel = ev["game_id"].isin(games)
    ev.loc[sel, "player_id"] = ev.loc[sel, "player_id"].replace(rename)
    for col in ("on_ice_for", "on_ice_against"):
        ev.loc[sel, col] = ev.loc[sel, col].map(
            lambda lst: None if lst is None else [rename.get(p, p) for p in lst])
    rsel = ro["game_id"].isin(games)
    ro.loc[rsel, "player_id"] = ro.loc[rsel, "player_id"].replace(rename)
    return as_tables({"events": ev, "games": tables.games, "rosters": ro})


def renamed_league_run(run_dir: Path) -> tuple[Any, Any, dict[str, list[str]], dict[str, str]]:
    """(run, tables, split, rename): a 4-team league whose three busiest skaters get new ids in
    the test games (the last 30% by date, several days), and a player-latent run trained on
    the first 60%."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    t = as_tables(simulate_league(n_teams=4, games=12, seed=1))
    games = t.games.sort_values(["game_date", "game_id"])["game_id"].tolist()
    n = len(games)
    split = {"train": games[:int(0.6 * n)], "val": games[int(0.6 * n):int(0.7 * n)],
             "test": games[int(0.7 * n):]}
    ev = t.events[t.events["game_id"].isin(split["train"])]
    goalies = set(t.rosters.loc[t.rosters["position"] == "G", "player_id"])
    busiest = [p for p in ev["player_id"].value_counts().index if p not in goalies][:3]
    rename = {p: f"{p}_new" for p in busiest}
    t2 = rename_players(t, split["test"], rename)
    cfg = TrainConfig(epochs=3, batch_games=2, progress=False, val_samples=4, seed=0,
                      patience=5, num_threads=1)
    run = fit(t2, run_dir, "player-latent", model_overrides=SMALL_LATENT, train_config=cfg,
              split=split)
    torch.set_num_threads(before)
    return run, t2, split, rename

"""Re-identification with the integrated `player-latent` model: one retrained run with each
player's two half-seasons as separate identities, same model and features as a given run.

A trained run holds one latent per player, so a half-season check needs its own fit: the
last season's games with every second-half player id suffixed (`split_identities`), trained
with the given run's model, feature and training settings (fewer epochs allowed). Every
20th game by date is held out for early stopping; the others are training games.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["INPUT_WIDTHS", "reid_fit_settings", "fit_split_identity_run"]

# encoder fields that the fitted encoder sets (an override that disagrees is an error)
INPUT_WIDTHS = ("n_players", "n_teams", "n_event_types", "n_num", "n_roster_features",
                "history", "lineup")


def reid_fit_settings(latents_run: str | os.PathLike, epochs: int, threads: int = 1
                      ) -> tuple[str, dict[str, Any], Any, dict[str, Any]]:
    """(model name, model overrides, TrainConfig, features) of `latents_run`'s config.json,
    with the encoder's data-set input widths dropped and `epochs` / threads replaced."""
    from hockey_vae.train_config import train_config_from_dict

    cfg = json.loads((Path(latents_run) / "config.json").read_text())
    model_cfg = dict(cfg["model_config"])
    model_cfg["encoder"] = {k: v for k, v in model_cfg["encoder"].items()
                            if k not in INPUT_WIDTHS}
    tc = train_config_from_dict(cfg["train_config"])
    tc = replace(tc, epochs=min(epochs, tc.epochs), num_threads=threads, progress=False,
                 device="cpu")
    return cfg["model_name"], model_cfg, tc, dict(cfg["features"])


def fit_split_identity_run(events: pd.DataFrame, rosters: pd.DataFrame, games: pd.DataFrame,
                           h1: list[str], h2: list[str], latents_run: str | os.PathLike,
                           run_dir: str | os.PathLike, *, epochs: int
                           ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit the split-identity run in `run_dir` (replaced if present); returns its player table
    (`run_player_table`) and fit info."""
    import time

    from hockey_vae.downstream.player_checks import split_identities
    from hockey_vae.downstream.run_latents import run_player_table
    from hockey_vae.train import fit

    ev2, ro2 = split_identities(events, rosters, h2)
    ids = h1 + h2
    keep = {str(g) for g in ids}
    tables = {"events": ev2[ev2["game_id"].astype(str).isin(keep)],
              "rosters": ro2[ro2["game_id"].astype(str).isin(keep)],
              "games": games[games["game_id"].astype(str).isin(keep)]}
    val = ids[::20]
    split = {"train": [g for g in ids if g not in set(val)], "val": val, "test": []}
    name, overrides, tc, features = reid_fit_settings(latents_run, epochs)
    t0 = time.process_time()
    run = fit(tables, run_dir, name, model_overrides=overrides, train_config=tc,
              features=features, split=split, overwrite=True)
    table, info = run_player_table(run.run_dir)
    info.pop("split", None)
    info.update({"fit_cpu_s": round(time.process_time() - t0, 1), "epochs": tc.epochs,
                 "train_games": len(split["train"]), "val_games": len(val),
                 "settings_from": str(latents_run)})
    return table, info

"""Per-player embedding tables (player_id -> mean and sd columns) for the downstream models.

Every downstream study here takes a *table*: one row per player with `player_id`,
`position`, `n_events`, posterior means `emb_0..emb_{d-1}` and, where the model has them,
sds `emb_sd_*`. `fit_player_table` is the one place that fits a model to make such a table,
so another model's per-player table (e.g. the sequence pipeline's) can be plugged in by
adding a branch there or by passing its table directly.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PLAYER_TABLE_KINDS", "fit_player_table", "mean_columns", "check_player_table"]

log = logging.getLogger(__name__)

PLAYER_TABLE_KINDS = ("player_latent",)


def mean_columns(table: pd.DataFrame) -> list[str]:
    """The posterior-mean columns emb_<i> of a player table, in index order (no emb_sd_*)."""
    cols = [c for c in table.columns if c.startswith("emb_") and c[4:].isdigit()]
    return sorted(cols, key=lambda c: int(c[4:]))


def check_player_table(table: pd.DataFrame, name: str = "player table") -> pd.DataFrame:
    """Validate a player table (player_id unique, emb_* numeric) and return it indexed by id."""
    if "player_id" not in table.columns:
        raise ValueError(f"{name} lacks column 'player_id'")
    cols = mean_columns(table)
    if not cols:
        raise ValueError(f"{name} has no emb_<i> columns")
    ids = table["player_id"].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise ValueError(f"{name}: player_id {dup.iloc[0]!r} appears more than once")
    bad = [c for c in cols if not np.isfinite(table[c].to_numpy(float)).all()]
    if bad:
        raise ValueError(f"{name}: non-finite values in column(s) {bad}")
    return table.set_index(ids.rename("player_id"), drop=False)


def _zero_nonfinite(data: Any) -> int:
    """Set non-finite float inputs of a LatentEvents to 0 in place; returns how many.

    One NaN in the NHL training games' `types.context` (a clock or location field) turns
    every posterior mean into NaN at the first step; 0 is the features' "unknown" value.
    """
    n = 0
    for recs in data.terms().values():
        for arr in recs.values():
            if arr.dtype.kind == "f":
                bad = ~np.isfinite(arr)
                n += int(bad.sum())
                arr[bad] = 0.0
    return n


def fit_player_table(
    events: Any,
    rosters: Any,
    game_ids: list[str],
    kind: str = "player_latent",
    *,
    epochs: int = 60,
    seed: int = 0,
    dressed_span: str = "player",
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Fit a per-player model on `game_ids` only and return (table, fit info).

    The model sees no other game, so the table can score any game outside `game_ids`
    without leaking it. `dressed_span`: "player" for leagues with trades (NHL), "team" for the
    simulator. Info: kind, games, players, epochs, seed, fit CPU seconds.
    """
    if kind not in PLAYER_TABLE_KINDS:
        raise ValueError(f"kind={kind!r}; expected one of {PLAYER_TABLE_KINDS}")
    if not game_ids:
        raise ValueError("game_ids is empty: nothing to fit the player table on")
    from hockey_vae.models.latent_events import build_latent_events
    from hockey_vae.models.player_latent import (
        PlayerLatentConfig,
        fit_player_latent,
        player_embeddings,
    )

    t0 = time.process_time()
    data = build_latent_events(events, rosters, list(game_ids), dressed_span=dressed_span)
    n_fixed = _zero_nonfinite(data)
    model, _ = fit_player_latent(data, PlayerLatentConfig(epochs=epochs, seed=seed))
    table = player_embeddings(model, data)
    info = {"kind": kind, "games": len(set(game_ids)), "players": int(len(table)),
            "epochs": epochs, "seed": seed, "d": len(mean_columns(table)),
            "fit_cpu_s": round(time.process_time() - t0, 1), "nonfinite_inputs_zeroed": n_fixed}
    log.info("player table: %s", info)
    return table, info

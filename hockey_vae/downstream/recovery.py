"""On a simulated league: how much of the true per-player goal effects each xG model recovers.

The simulator (`hockey_vae/simulate`, `_Engine._shot`) shifts a shot's goal log-odds by
`0.3 x finishing` of the shooter and `-0.12 x goaltending` of the goalie (`TRUE_SHIFT`). Each
fitted stage-2 model of `run_xg_study` implies a per-player shift (`player_effect`); the
recovery is its correlation with, and slope on, the true shift (1 = all of it recovered).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TRUE_SHIFT", "ROLE_MODELS", "MIN_SHOTS", "recovery"]

# goal log-odds per sd of the style in the simulator (the constants of benchmarks/player_latent.py)
TRUE_SHIFT = {"shooter": ("finishing", 0.3), "goalie": ("goaltending", -0.12)}
ROLE_MODELS = {"shooter": ["eb_control", "id_control", "latent_shooter", "latent_both"],
               "goalie": ["eb_control", "id_control", "latent_goalie", "latent_both"]}
MIN_SHOTS = 20


def _known(model: Any, role: str, ids: list[str]) -> bool:
    """Whether a latent model has any latent for `ids` in `role` (controls always do)."""
    table = getattr(model, "table", None)
    return table is None or bool(pd.Index(ids).isin(table.index).any())


def recovery(fitted: dict[str, Any], train: pd.DataFrame, truth: pd.DataFrame,
             min_shots: int = MIN_SHOTS) -> pd.DataFrame:
    """Per role and model: players, corr / R^2 / slope of estimated vs true log-odds shift.

    `train`: training shots (player_id, goalie_id); `truth`: the simulator's players indexed
    by player_id with the style columns. Players with >= `min_shots` training shots in the
    role. A latent model without any latent for the role's players gets NaN and a note.
    """
    rows = []
    for role, (style, beta) in TRUE_SHIFT.items():
        col = "player_id" if role == "shooter" else "goalie_id"
        counts = train[col].dropna().astype(str).value_counts()
        ids = [p for p in counts.index[counts >= min_shots] if p in truth.index]
        true = beta * truth.loc[ids, style].to_numpy(float)
        for model in ROLE_MODELS[role]:
            if model not in fitted or not ids:
                continue
            row = {"role": role, "truth": f"{beta:+} x {style}", "model": model,
                   "players": len(ids), "corr": float("nan"), "r2": float("nan"),
                   "slope": float("nan"), "note": ""}
            if not _known(fitted[model], role, ids):
                row["note"] = f"no latent for any {role} in the table"
            else:
                est = fitted[model].player_effect(role, ids).to_numpy(float)
                if est.std() > 0:
                    row["corr"] = float(np.corrcoef(est, true)[0, 1])
                    row["r2"] = row["corr"] ** 2
                else:  # e.g. an EB prior variance estimated at 0: all shrunk to the mean
                    row["note"] = "the same shift for every player (no correlation defined)"
                row["slope"] = float(np.polyfit(true, est, 1)[0])
            rows.append(row)
    return pd.DataFrame(rows)

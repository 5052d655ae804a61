"""Probing player embeddings against known true styles, beside a box-score baseline.

On the synthetic league each player's true styles are known, so an embedding can be scored
by how well a linear (ridge) map from it predicts each style on players it was not fit on
(R^2, cross-validated over players), side by side with the box-score rates an analyst would
compute from the same games. Used by `benchmarks/player_latent.py` and `hockey-vae demo`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hockey_vae.boxscore import player_folds, probe_predictions, r2_by
from hockey_vae.simulate import STYLE_COLUMNS

__all__ = ["train_games", "position_onehot", "with_logs", "probes", "r2_tables"]


def train_games(games: pd.DataFrame, fraction: float = 0.8) -> list[str]:
    """The first `fraction` of games by date (ties by id): the protocol's training games."""
    g = games.assign(_d=pd.to_datetime(games["game_date"])).sort_values(["_d", "game_id"])
    return g["game_id"].tolist()[: int(round(fraction * len(g)))]


def position_onehot(pos: pd.Series) -> pd.DataFrame:
    """Position one-hot columns (pos_C, pos_D, ...), in every feature set of a probe."""
    return pd.get_dummies(pos.astype(str), prefix="pos").astype(float)


def with_logs(box: pd.DataFrame) -> pd.DataFrame:
    """Box score plus log rates (rates are log-linear in the styles in the simulator)."""
    rates = box[[c for c in box.columns if c.endswith(("_pg", "_p100", "_pct"))]]
    floor = rates.where(rates > 0).min() / 2
    return box.join(np.log(rates.clip(lower=floor, axis=1)).add_prefix("log_"))


def probes(emb: pd.DataFrame, box: pd.DataFrame, truth: pd.DataFrame, seed: int
           ) -> pd.DataFrame:
    """Out-of-fold predictions for each feature set, on the same players and folds."""
    emb = emb.set_index(emb["player_id"].astype(str))
    ids = emb.index.intersection(box.index)
    folds = player_folds(ids, 5, seed)
    pos = position_onehot(emb.loc[folds.index, "position"])
    latent = emb.loc[folds.index, [c for c in emb.columns if c.startswith("emb_")
                                   and not c.startswith("emb_sd_")]]
    b = box.loc[folds.index].drop(columns="position")
    sets = {"position": pos, "boxscore": b.join(pos), "boxscore_log": with_logs(b).join(pos),
            "latent": latent.join(pos)}
    styles = list(STYLE_COLUMNS)
    out = [probe_predictions(X, truth, styles, folds).assign(features=name)
           for name, X in sets.items()]
    preds = pd.concat(out, ignore_index=True)
    # terciles of the record count among skaters, and among goalies, separately
    goalie = emb["position"] == "G"
    terc = pd.concat([pd.qcut(emb.loc[m, "n_events"].rank(method="first"), 3,
                              labels=["low", "mid", "high"]).astype(str)
                      for m in (goalie, ~goalie) if m.sum() >= 3])  # e.g. no goalie acts
    return preds.assign(tercile=preds["player_id"].map(terc).astype(str))


def r2_tables(preds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R^2 per style (columns: feature sets) and per style x tercile."""
    overall = pd.concat([r2_by(g).assign(features=k) for k, g in preds.groupby("features")])
    wide = overall.pivot(index="style", columns="features", values="r2")
    wide["n"] = overall.groupby("style")["n"].max()
    terc = pd.concat([r2_by(g, "tercile").assign(features=k)
                      for k, g in preds.groupby("features")])
    terc = terc.pivot_table(index=["style", "tercile"], columns="features", values="r2")
    return wide.reindex(list(STYLE_COLUMNS)).dropna(how="all"), terc

"""Pre-game win probability by rolling origin: refit weekly, predict the next week's games.

For each week of the scored period, every model is fit on the games before the week's first
day and predicts that week's games (`rolling_predictions`). Player-embedding features come
from the table in force at that date (`tables`: refit date -> per-player table fit on games
before that date), so no game is scored with an embedding that saw it. Models: home ice only,
team identity + home ice, and the dressed lineups' pooled latents (`PreGameModel`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hockey_vae.downstream.embedding_joins import lineup_features
from hockey_vae.downstream.outcome import PreGameModel
from hockey_vae.downstream.player_tables import mean_columns

__all__ = ["PREGAME_GRID", "week_starts", "table_in_force", "rolling_predictions",
           "choose_on_validation"]

PREGAME_GRID: dict[str, list[float]] = {
    "home_ice": [1.0],
    "team": [0.01, 0.03, 0.1, 0.3, 1.0],
    "mean": [0.001, 0.003, 0.01, 0.03, 0.1],
    "position": [0.001, 0.003, 0.01, 0.03, 0.1],
}


def week_starts(first: str, last: str) -> list[pd.Timestamp]:
    """Week boundaries from `first` (inclusive) every 7 days up to `last`."""
    return list(pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="7D"))


def table_in_force(tables: Mapping[pd.Timestamp, pd.DataFrame], when: pd.Timestamp
                   ) -> pd.Timestamp:
    """The latest refit date <= `when` (ValueError when none)."""
    dates = sorted(d for d in tables if d <= when)
    if not dates:
        raise ValueError(f"no player table fit before {when.date()}; refits: "
                         f"{[str(d.date()) for d in sorted(tables)]}")
    return dates[-1]


def _features(labels: pd.DataFrame, rosters: pd.DataFrame,
              tables: Mapping[pd.Timestamp, pd.DataFrame]) -> dict[pd.Timestamp, pd.DataFrame]:
    """Lineup features of every game under each table (computed once per table)."""
    out = {}
    for when, table in tables.items():
        slim = table[["player_id", *mean_columns(table)]
                     + (["position"] if "position" in table else [])]
        out[when] = lineup_features(labels, rosters, slim)
    return out


def rolling_predictions(labels: pd.DataFrame, rosters: pd.DataFrame,
                        tables: Mapping[pd.Timestamp, pd.DataFrame], first: str, last: str,
                        grid: Mapping[str, list[float]] = PREGAME_GRID) -> pd.DataFrame:
    """P(home win) for every game dated in [first, last) from models fit on earlier games.

    `labels`: `game_labels` rows with game_date. Returns one row per game and (features, C):
    game_id, game_date, week, home_win, features, C, p.
    """
    labels = labels.assign(game_date=pd.to_datetime(labels["game_date"]))
    feats = _features(labels, rosters, tables)
    rows = []
    for start in week_starts(first, last):
        end = min(start + pd.Timedelta(days=7), pd.Timestamp(last))
        frame = feats[table_in_force(tables, start)]
        train = frame.loc[labels["game_date"] < start]
        test = frame.loc[(labels["game_date"] >= start) & (labels["game_date"] < end)]
        if test.empty:
            continue
        for features, cs in grid.items():
            for C in cs:
                model = PreGameModel(features=features, C=C).fit(train, train["home_win"])
                rows.append(pd.DataFrame({
                    "game_id": test["game_id"].to_numpy(), "game_date": test["game_date"]
                    .to_numpy(), "week": start, "home_win": test["home_win"].to_numpy(),
                    "features": features, "C": C, "p": model.predict_proba(test)[:, 1]}))
    return pd.concat(rows, ignore_index=True)


def choose_on_validation(preds: pd.DataFrame, val_end: str) -> dict[str, float]:
    """Per feature set, the C with the lowest log loss on games before `val_end`."""
    val = preds.loc[preds["game_date"] < pd.Timestamp(val_end)]
    if val.empty:
        raise ValueError(f"no predictions before {val_end}: nothing to choose C on")
    p = val["p"].clip(1e-6, 1 - 1e-6)
    loss = -(val["home_win"] * np.log(p) + (1 - val["home_win"]) * np.log(1 - p))
    mean = loss.groupby([val["features"], val["C"]]).mean()
    return {f: float(mean.loc[f].idxmin()) for f in mean.index.get_level_values(0).unique()}

"""Game-level train / validation / test split by date (never by event)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from hockey_vae.downstream.features import as_frame, require_columns
from hockey_vae.features import split_games

__all__ = ["split_by_date", "describe_split"]


def split_by_date(
    games: pd.DataFrame | pa.Table, val_frac: float = 0.1, test_frac: float = 0.1
) -> pd.Series:
    """Part ("train", "val", "test") per game_id: earlier seasons train, the last season by date.

    The last season's games, ordered by (game_date, game_id), go train / val / test in
    proportions 1 - val_frac - test_frac, val_frac, test_frac (the same rule and rounding as
    `hockey_vae.features.split_games(within_last_season=True)`, which the embedding model
    trains with). With one season (e.g. the synthetic league) that season is the whole
    split. NHL data here: 2017-18 plus the first 80% of 2018-19 train, the next 10%
    validate, the last 10% test.
    """
    games = as_frame(games, "games")
    require_columns(games, ("game_id", "season", "game_date"), "games")
    if not (0 < val_frac < 1 and 0 < test_frac < 1 and val_frac + test_frac < 1):
        raise ValueError(f"val_frac={val_frac}, test_frac={test_frac}: need both in (0, 1), sum < 1")
    fractions = (1.0 - val_frac - test_frac, val_frac, test_frac)
    split = split_games(games, fractions, within_last_season=True)
    return pd.Series(
        {str(g): name for name in ("train", "val", "test") for g in split[name]}, name="part"
    )


def describe_split(part: pd.Series, games: pd.DataFrame | pa.Table) -> dict[str, object]:
    """Counts and date ranges per part (JSON-serialisable) for the report."""
    games = as_frame(games, "games").copy()
    games["part"] = games["game_id"].astype(str).map(part)
    out: dict[str, object] = {}
    for name in ("train", "val", "test"):
        sub = games.loc[games["part"] == name]
        dates = pd.to_datetime(sub["game_date"]) if "game_date" in sub else pd.Series([])
        out[name] = {
            "games": int(len(sub)),
            "first_date": str(dates.min().date()) if len(dates) else None,
            "last_date": str(dates.max().date()) if len(dates) else None,
            "seasons": sorted(sub["season"].astype(str).unique().tolist()) if "season" in sub else [],
        }
    return out

"""The canonical tables a model reads, coerced to pandas, and the date-based game split.

Shootout attempts are dropped here (`drop_shootouts`): they are not play, and the design
leaves them out of every sequence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from hockey_vae.io import as_frame

__all__ = ["Tables", "as_frame", "as_tables", "check_fractions", "split_games", "drop_shootouts"]


@dataclass
class Tables:
    """The canonical tables a model needs, as pandas DataFrames (events sorted by game)."""

    events: pd.DataFrame
    games: pd.DataFrame
    rosters: pd.DataFrame
    players: pd.DataFrame | None = None


def as_tables(tables: Any) -> Tables:
    """Tables from an `Ingested`, a `Tables`, or a dict with events/games/rosters(/players)."""
    if isinstance(tables, Tables):
        return tables
    get = tables.get if isinstance(tables, dict) else lambda k, d=None: getattr(tables, k, d)
    events, games, rosters = get("events"), get("games"), get("rosters")
    if events is None or games is None:
        raise ValueError("tables need at least 'events' and 'games'")
    players = get("players", None)
    ev = as_frame(events)
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    ro = as_frame(rosters) if rosters is not None else pd.DataFrame(
        columns=["game_id", "team", "player_id", "player_name", "position"])
    return Tables(ev, as_frame(games), ro, None if players is None else as_frame(players))


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """`fractions` as a train/val/test triple; ValueError unless three numbers >= 0 summing to 1."""
    ok = (len(fractions) == 3 and all(isinstance(f, (int, float)) and not isinstance(f, bool)
                                      and math.isfinite(f) for f in fractions))
    if not ok or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError("split fractions must be three non-negative numbers summing to 1, "
                         f"got {list(fractions)}")
    return float(fractions[0]), float(fractions[1]), float(fractions[2])


def split_games(
    games: pd.DataFrame | pa.Table,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    *,
    within_last_season: bool = False,
    test_season: str | None = None,
) -> dict[str, list[str]]:
    """Split game ids into train/val/test by date (ties broken by game id); never by event.

    With `within_last_season`, every season before the last goes to train and `fractions`
    cut the last season's games (the NHL protocol: 2017-18 plus the first 80% of 2018-19).
    With `test_season`, that whole season is the test set, the seasons before it are split
    into train and validation by date in the ratio of `fractions`' first two shares, and
    later seasons are left out (training on the future would leak). Deterministic: the same
    games always give the same split.
    """
    g = as_frame(games)
    fractions = check_fractions(fractions)
    g = g.assign(_date=pd.to_datetime(g["game_date"])).sort_values(["_date", "game_id"])
    if test_season:
        return _season_holdout(g, str(test_season), fractions)
    early: list[str] = []
    if within_last_season:
        last = g["season"].max()
        early = g.loc[g["season"] != last, "game_id"].tolist()
        g = g[g["season"] == last]
    ids = g["game_id"].tolist()
    n_train = int(round(fractions[0] * len(ids)))
    n_train_val = int(round((fractions[0] + fractions[1]) * len(ids)))
    return {
        "train": early + ids[:n_train],
        "val": ids[n_train:n_train_val],
        "test": ids[n_train_val:],
    }


def _season_holdout(g: pd.DataFrame, season: str,
                    fractions: tuple[float, float, float]) -> dict[str, list[str]]:
    """Test on all of `season`; train/validate on the seasons before it (`g` sorted by date)."""
    seasons = g["season"].astype(str)
    if not (seasons == season).any():
        raise ValueError(f"test_season {season!r} is not in the data; its seasons are "
                         f"{sorted(seasons.unique())}")
    before = g.loc[seasons < season, "game_id"].tolist()
    share_val = fractions[1] / max(fractions[0] + fractions[1], 1e-12)
    n_train = int(round((1.0 - share_val) * len(before)))
    return {"train": before[:n_train], "val": before[n_train:],
            "test": g.loc[seasons == season, "game_id"].tolist()}


def drop_shootouts(events: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """`events` without shootout attempts (and a shootout game's shootout period)."""
    keep = events["event_type"] != "shootout_attempt"
    if "decided_in" in games.columns:
        so_games = set(games.loc[games["decided_in"] == "shootout", "game_id"])
        if so_games:
            last = events.groupby("game_id")["period"].transform("max")
            keep &= ~(events["game_id"].isin(so_games) & (events["period"] >= 5)
                      & (events["period"] == last))
    return events[keep]

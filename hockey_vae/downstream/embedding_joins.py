"""Joins of player embeddings (the embedding export's tables) onto downstream feature tables.

Per-event table: game_id, event_idx, player_id, ..., emb_0..emb_{d-1} (contextual: posterior
mean at that event). Per-player table: player_id, ..., emb_0..emb_{d-1} (static).

Fallback for a player without an embedding (never seen in training, or a team event): a zero
vector plus an indicator column `<prefix>emb_missing` = 1, so a model can learn the
difference between "average player" and "unknown player". Every join states which rows fell
back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.downstream.features import as_frame, require_columns
from hockey_vae.schema import embedding_columns

__all__ = [
    "embedding_columns",
    "static_embeddings",
    "add_player_embeddings",
    "add_shooter_embeddings",
    "add_team_embedding_state",
    "lineup_features",
    "POSITION_GROUPS",
]

# Position-aware pooling groups for lineups.
POSITION_GROUPS = {"C": "F", "LW": "F", "RW": "F", "D": "D", "G": "G"}


def _embeddings(table: pd.DataFrame | pa.Table, name: str, key: tuple[str, ...]) -> pd.DataFrame:
    frame = as_frame(table, name)
    require_columns(frame, key, name)
    embedding_columns(frame)
    frame = frame.copy()
    for column in key:
        if column == "event_idx":
            frame[column] = frame[column].astype(np.int64)
        else:
            frame[column] = frame[column].astype("string")
    return frame


def static_embeddings(
    event_embeddings: pd.DataFrame | pa.Table, game_ids: object = None
) -> pd.DataFrame:
    """Static embedding per player: the mean of the player's contextual embeddings.

    Restrict to `game_ids` (an iterable) to keep evaluation games out of the mean.
    Columns: player_id, n_events, emb_0..emb_{d-1}.
    """
    emb = _embeddings(event_embeddings, "event_embeddings", ("game_id", "player_id"))
    cols = embedding_columns(emb)
    if game_ids is not None:
        emb = emb.loc[emb["game_id"].isin(pd.Index(list(game_ids)).astype(str))]
    emb = emb.loc[emb["player_id"].notna()]
    grouped = emb.groupby("player_id", sort=True)
    out = grouped[cols].mean().astype(np.float32)
    out.insert(0, "n_events", grouped.size().astype(np.int64))
    return out.reset_index()


def _zero_fill(frame: pd.DataFrame, cols: list[str], prefix: str) -> pd.DataFrame:
    missing = frame[cols[0]].isna()
    frame[cols] = frame[cols].fillna(0.0).astype(np.float32)
    frame[f"{prefix}emb_missing"] = missing.astype(np.int8).to_numpy()
    return frame


def add_player_embeddings(
    frame: pd.DataFrame,
    player_column: str,
    player_embeddings: pd.DataFrame | pa.Table,
    prefix: str,
) -> pd.DataFrame:
    """`frame` plus the static embedding of the player in `player_column`.

    Adds `<prefix>emb_k` and `<prefix>emb_missing` (zero vector + 1 when the player has no
    embedding or the column is null).
    """
    require_columns(frame, (player_column,), "frame")
    emb = _embeddings(player_embeddings, "player_embeddings", ("player_id",))
    cols = embedding_columns(emb)
    table = emb.drop_duplicates("player_id").set_index("player_id")[cols]
    table.columns = [f"{prefix}{c}" for c in cols]
    keys = frame[player_column].astype("string")
    joined = table.reindex(keys.fillna("\0missing").to_numpy())
    out = frame.copy()
    out[list(table.columns)] = joined.to_numpy()
    return _zero_fill(out, list(table.columns), prefix)


def add_shooter_embeddings(
    shots: pd.DataFrame,
    event_embeddings: pd.DataFrame | pa.Table | None = None,
    player_embeddings: pd.DataFrame | pa.Table | None = None,
    prefix: str = "shooter_",
) -> pd.DataFrame:
    """`shots` plus the shooter's embedding, without looking at the shot itself.

    Contextual: the shooter's posterior mean at his latest earlier event of the same game.
    The shot's own contextual embedding is NOT used: its context includes the event type
    (goal or not), which would leak the label. Fallback, in order: the static embedding from
    `player_embeddings`, then a zero vector with `<prefix>emb_missing` = 1.
    Adds `<prefix>emb_k`, `<prefix>emb_missing`, `<prefix>emb_static` (1 = static fallback).
    """
    require_columns(shots, ("game_id", "event_idx", "player_id"), "shots")
    if event_embeddings is None and player_embeddings is None:
        raise ValueError("add_shooter_embeddings needs event_embeddings or player_embeddings")
    out = shots.reset_index(drop=True).copy()
    out["_row"] = np.arange(len(out))
    if event_embeddings is None:
        out = add_player_embeddings(out, "player_id", player_embeddings, prefix)
        out[f"{prefix}emb_static"] = (1 - out[f"{prefix}emb_missing"]).astype(np.int8)
        return out.drop(columns="_row")

    emb = _embeddings(event_embeddings, "event_embeddings", ("game_id", "event_idx", "player_id"))
    cols = embedding_columns(emb)
    names = [f"{prefix}{c}" for c in cols]
    right = emb.loc[emb["player_id"].notna(), ["game_id", "player_id", "event_idx", *cols]]
    right = right.rename(columns=dict(zip(cols, names, strict=True)))
    right = right.sort_values("event_idx", kind="stable")
    left = out[["_row", "game_id", "player_id", "event_idx"]].copy()
    left["game_id"] = left["game_id"].astype("string")
    left["player_id"] = left["player_id"].astype("string")
    left["event_idx"] = left["event_idx"].astype(np.int64)
    known = left["player_id"].notna()
    joined = pd.merge_asof(
        left.loc[known].sort_values("event_idx", kind="stable"),
        right,
        on="event_idx",
        by=["game_id", "player_id"],
        allow_exact_matches=False,  # strictly earlier events only
    ).set_index("_row")
    values = joined[names].reindex(out["_row"]).to_numpy(dtype=np.float64, copy=True)
    contextual = ~np.isnan(values[:, 0])
    if player_embeddings is not None:
        static = add_player_embeddings(out[["player_id"]], "player_id", player_embeddings, prefix)
        use_static = ~contextual & (static[f"{prefix}emb_missing"].to_numpy() == 0)
        values[use_static] = static[names].to_numpy()[use_static]
    else:
        use_static = np.zeros(len(out), dtype=bool)
    out[names] = values
    out = _zero_fill(out, names, prefix)
    out[f"{prefix}emb_static"] = use_static.astype(np.int8)
    return out.drop(columns="_row")


def add_team_embedding_state(
    states: pd.DataFrame,
    events: pd.DataFrame | pa.Table,
    event_embeddings: pd.DataFrame | pa.Table,
    shrink: float = 0.0,
) -> pd.DataFrame:
    """`states` plus aggregated contextual embeddings of each team's events so far.

    `shrink` adds that many pseudo-events at zero to each team's mean (sum / (n + shrink)),
    which damps the noise of means over the first few events of a game.

    For the state after event t: the mean contextual embedding over the home team's events
    0..t minus the same over the away team's (`team_emb_diff_k`), and how many events went
    into each mean (`home_emb_n`, `away_emb_n`). A team with no embedded event yet gets a
    zero mean (and n = 0); events without an embedding (team events, unknown players) do
    not count.
    """
    require_columns(states, ("game_id", "event_idx"), "states")
    events = as_frame(events, "events")
    require_columns(events, ("game_id", "event_idx", "is_home"), "events")
    emb = _embeddings(event_embeddings, "event_embeddings", ("game_id", "event_idx"))
    cols = embedding_columns(emb)
    ev = events[["game_id", "event_idx", "is_home"]].copy()
    ev["game_id"] = ev["game_id"].astype("string")
    ev["event_idx"] = ev["event_idx"].astype(np.int64)
    ev = ev.merge(emb[["game_id", "event_idx", *cols]], on=["game_id", "event_idx"], how="left")
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    values = ev[cols].to_numpy(dtype=np.float64)
    has = ~np.isnan(values[:, 0])
    home = ev["is_home"].astype("boolean").fillna(False).to_numpy(dtype=bool) & has
    away = (~ev["is_home"].astype("boolean").fillna(True)).to_numpy(dtype=bool) & has
    values = np.nan_to_num(values)
    parts = pd.DataFrame(
        np.column_stack([values * home[:, None], home, values * away[:, None], away]),
        index=ev.index,
    )
    sums = parts.groupby(ev["game_id"].to_numpy()).cumsum().to_numpy()
    d = len(cols)
    home_n, away_n = sums[:, d], sums[:, 2 * d + 1]
    home_mean = sums[:, :d] / np.maximum(home_n + shrink, 1e-9)[:, None]
    away_mean = sums[:, d + 1 : 2 * d + 1] / np.maximum(away_n + shrink, 1e-9)[:, None]
    agg = pd.DataFrame(
        (home_mean - away_mean).astype(np.float32),
        columns=[f"team_emb_diff_{k}" for k in range(d)],
    )
    agg["home_emb_n"] = home_n
    agg["away_emb_n"] = away_n
    agg["game_id"] = ev["game_id"].astype(str).to_numpy()
    agg["event_idx"] = ev["event_idx"].to_numpy()
    out = states.copy()
    out["_gid"] = out["game_id"].astype(str)
    out["_eidx"] = out["event_idx"].astype(np.int64)
    agg = agg.rename(columns={"game_id": "_gid", "event_idx": "_eidx"})
    out = out.merge(agg, on=["_gid", "_eidx"], how="left").drop(columns=["_gid", "_eidx"])
    fill = [c for c in agg.columns if c not in ("_gid", "_eidx")]
    out[fill] = out[fill].fillna(0.0)
    return out


def lineup_features(
    labels: pd.DataFrame,
    rosters: pd.DataFrame | pa.Table,
    player_embeddings: pd.DataFrame | pa.Table,
) -> pd.DataFrame:
    """`labels` (one row per game) plus pooled static embeddings of the dressed lineups.

    Columns added, each home minus away: `lineup_mean_diff_k` (mean over all dressed players
    with an embedding) and `lineup_{F,D,G}_diff_k` (mean within forwards, defence, goalies;
    positions from the rosters, else from the player table; unknown positions count only
    in the overall mean). Fallback: players without an embedding are left out of the means
    and counted in `home_missing_frac` / `away_missing_frac`; a group with nobody embedded
    pools to a zero vector.
    """
    require_columns(labels, ("game_id", "home_team", "away_team"), "labels")
    rosters = as_frame(rosters, "rosters")
    require_columns(rosters, ("game_id", "team", "player_id"), "rosters")
    emb = _embeddings(player_embeddings, "player_embeddings", ("player_id",))
    cols = embedding_columns(emb)
    d = len(cols)
    table = emb.drop_duplicates("player_id").set_index("player_id")
    roster = rosters[["game_id", "team", "player_id"]].copy()
    roster["game_id"] = roster["game_id"].astype(str)
    roster["player_id"] = roster["player_id"].astype("string")
    position = rosters["position"] if "position" in rosters else pd.Series(None, index=rosters.index)
    if "position" in table:
        fallback = table["position"].reindex(roster["player_id"].fillna("\0").to_numpy())
        position = position.fillna(pd.Series(fallback.to_numpy(), index=rosters.index))
    roster["group"] = position.map(POSITION_GROUPS).fillna("unknown").to_numpy()
    vectors = table[cols].reindex(roster["player_id"].fillna("\0").to_numpy()).to_numpy(float)
    roster["has"] = ~np.isnan(vectors[:, 0])
    vec = pd.DataFrame(np.nan_to_num(vectors), columns=cols, index=roster.index)
    roster = pd.concat([roster, vec], axis=1)

    game_team = labels[["game_id", "home_team", "away_team"]].astype(str)
    added: dict[str, np.ndarray] = {}
    pooled: dict[tuple[str, str], np.ndarray] = {}
    for side in ("home", "away"):
        sub = roster.merge(
            game_team.rename(columns={f"{side}_team": "team"})[["game_id", "team"]],
            on=["game_id", "team"],
        )
        frac = 1.0 - sub.groupby("game_id")["has"].mean()
        added[f"{side}_missing_frac"] = game_team["game_id"].map(frac).fillna(1.0).to_numpy()
        for group in ("mean", "F", "D", "G"):
            part = sub.loc[sub["has"] & ((sub["group"] == group) | (group == "mean"))]
            mean = part.groupby("game_id")[cols].mean()
            pooled[side, group] = mean.reindex(game_team["game_id"]).fillna(0.0).to_numpy()
    for group in ("mean", "F", "D", "G"):
        diff = (pooled["home", group] - pooled["away", group]).astype(np.float32)
        for k in range(d):
            added[f"lineup_{group}_diff_{k}"] = diff[:, k]
    extra = pd.DataFrame(added, index=labels.index)
    return pd.concat([labels.drop(columns=list(extra.columns), errors="ignore"), extra], axis=1)

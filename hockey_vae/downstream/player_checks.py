"""Player-level checks analysts ask for: second-half rates from the first half, and re-ID.

- `rate_predictions`: each player's second-half per-game rates (shots on goal, goals, hits,
  penalties; faceoff %) predicted from the first half by (a) raw first-half rates, (b) the
  same shrunk to the position mean (empirical Bayes, `shrink_rates`), (c) a per-player
  embedding table fit on the first half only; each feature set goes through the same
  cross-validated ridge map (folds over players, position one-hot in every set), and (a),
  (b) are also scored as direct predictions with no fitting.
- `split_identities` + `reidentify`: one model fit on a whole season with every player's two
  halves as two separate identities (so both latents live in one space); is a player's
  nearest latent from the other half his own?
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from hockey_vae.boxscore import player_folds, probe_predictions
from hockey_vae.downstream.player_tables import check_player_table, mean_columns
from hockey_vae.io import as_frame
from hockey_vae.latent_probe import position_onehot

__all__ = ["RATE_TARGETS", "BOX_REID", "box_reid", "half_season_games", "shrink_rates", "rate_predictions",
           "rate_r2_table", "split_identities", "reidentify", "HALF_SUFFIX"]

# target name -> (box-score column, count column, exposure column)
RATE_TARGETS: dict[str, tuple[str, str, str]] = {
    "shots": ("shots_on_goal_pg", "shots_on_goal", "games"),
    "goals": ("goals_pg", "goals", "games"),
    "hits": ("hits_pg", "hits", "games"),
    "penalties": ("penalties_pg", "penalties", "games"),
    "faceoff_pct": ("faceoff_pct", "faceoff_wins", "faceoffs"),
}
HALF_SUFFIX = "#h2"  # second-half identities in `split_identities`
# box-score features of the re-identification baseline (`box_reid`)
BOX_REID = ["shots_on_goal_pg", "goals_pg", "missed_pg", "blocks_pg", "hits_pg",
            "giveaways_pg", "takeaways_pg", "penalties_pg", "penalties_drawn_pg", "assists_pg",
            "faceoffs_pg", "faceoff_pct", "shot_distance_mean", "shot_angle_mean",
            "shots_faced_pg", "save_pct"]


def half_season_games(games: pd.DataFrame, season: str) -> tuple[list[str], list[str]]:
    """The season's game ids by (date, id), cut into first and second half."""
    games = as_frame(games, "games")
    g = games.loc[games["season"].astype(str) == str(season)]
    if g.empty:
        raise ValueError(f"no games of season {season!r}; seasons: "
                         f"{sorted(games['season'].astype(str).unique())}")
    g = g.assign(_d=pd.to_datetime(g["game_date"])).sort_values(["_d", "game_id"])
    ids = g["game_id"].astype(str).tolist()
    return ids[: len(ids) // 2], ids[len(ids) // 2:]


def _exposure(box: pd.DataFrame, col: str) -> pd.Series:
    if col == "faceoffs":
        return box["faceoff_wins"] + box["faceoff_losses"]
    return box[col]


def shrink_rates(box: pd.DataFrame) -> pd.DataFrame:
    """RATE_TARGETS shrunk to the position mean: (count + k m_pos) / (exposure + k).

    k per target and position by moments: between-player variance of the rates minus the
    mean sampling variance (Poisson for per-game counts, binomial for faceoff %), k = m /
    var_between (counts) or m (1 - m) / var_between (percentages); no spread beyond chance
    gives every player the position mean.
    """
    out = pd.DataFrame(index=box.index)
    for name, (_, count_col, exp_col) in RATE_TARGETS.items():
        n, e = box[count_col].astype(float), _exposure(box, exp_col).astype(float)
        rate = n / e.where(e > 0)
        shrunk = pd.Series(np.nan, index=box.index)
        for _, idx in rate.groupby(box["position"]).groups.items():
            r, w = rate.loc[idx], e.loc[idx]
            ok = r.notna()
            if ok.sum() < 3:
                continue
            m = float(np.average(r[ok], weights=w[ok]))
            samp = m * (1 - m) if name == "faceoff_pct" else m
            between = float(r[ok].var()) - float((samp / w[ok]).mean())
            k = samp / between if between > 0 else np.inf
            val = m if np.isinf(k) else (n.loc[idx] + k * m) / (e.loc[idx] + k)
            shrunk.loc[idx] = val
        out[name] = shrunk
    return out


def _raw(box: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({name: box[col] for name, (col, _, _) in RATE_TARGETS.items()})


def rate_predictions(box1: pd.DataFrame, box2: pd.DataFrame, table: pd.DataFrame, *,
                     min_games: int = 10, min_faceoffs: int = 50, seed: int = 0
                     ) -> pd.DataFrame:
    """Out-of-fold predictions of second-half rates: player_id, target, features, truth, pred.

    Skaters dressed for >= `min_games` in each half (faceoff %: >= `min_faceoffs` second-half
    faceoffs). Feature sets: raw, shrunk, latent, shrunk+latent (each with position one-hot,
    ridge, 5 folds over players) and raw_direct, shrunk_direct (the first-half value itself).
    """
    table = check_player_table(table, "first-half player table")
    keep = box1.index[(box1["games"] >= min_games) & (box1["position"] != "G")]
    keep = keep.intersection(box2.index[box2["games"] >= min_games])
    pos = position_onehot(box1.loc[keep, "position"]).set_index(keep)
    truth = _raw(box2.loc[keep])
    taken2 = _exposure(box2.loc[keep], "faceoffs")
    truth.loc[taken2 < min_faceoffs, "faceoff_pct"] = np.nan
    raw, shrunk = _raw(box1.loc[keep]), shrink_rates(box1).loc[keep]
    latent = table[mean_columns(table)].reindex(keep)
    sets = {"raw": raw.join(pos), "shrunk": shrunk.join(pos), "latent": latent.join(pos),
            "shrunk+latent": shrunk.join(latent).join(pos)}
    folds = player_folds(keep, 5, seed)
    out = [probe_predictions(X, truth, list(RATE_TARGETS), folds).assign(features=name)
           .rename(columns={"style": "target"}) for name, X in sets.items()]
    for name, X in (("raw_direct", raw), ("shrunk_direct", shrunk)):
        for target in RATE_TARGETS:
            y = truth[target]
            ok = y.notna() & X[target].notna()
            out.append(pd.DataFrame({"player_id": keep[ok], "target": target,
                                     "truth": y[ok].to_numpy(), "pred": X.loc[ok, target]
                                     .to_numpy(), "features": name}))
    return pd.concat(out, ignore_index=True)


def rate_r2_table(preds: pd.DataFrame, tercile: pd.Series) -> pd.DataFrame:
    """R^2 per target x features x tercile ("all", "low", "mid", "high") with player counts."""
    preds = preds.assign(tercile=preds["player_id"].map(tercile)).dropna(subset=["pred"])
    rows = []
    for (target, feats), g in preds.groupby(["target", "features"], sort=False):
        for t in ("all", "low", "mid", "high"):
            s = g if t == "all" else g[g["tercile"] == t]
            if len(s) >= 3:
                rows.append({"target": target, "features": feats, "tercile": t,
                             "r2": float(r2_score(s["truth"], s["pred"])), "n": len(s)})
    return pd.DataFrame(rows)


def _relabel_list(values: Any, keep: set[str]) -> Any:
    if values is None or (isinstance(values, float) and np.isnan(values)):
        return values
    return [v + HALF_SUFFIX if v in keep else v for v in values]


def split_identities(events: pd.DataFrame, rosters: pd.DataFrame, second_half: list[str]
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Copies of events and rosters where every player id in `second_half` games gets
    HALF_SUFFIX, so one model fits a separate latent per player and half."""
    games = set(second_half)
    ev, ro = events.copy(), rosters.copy()
    e2, r2 = ev["game_id"].isin(games), ro["game_id"].isin(games)
    ids = set(ro.loc[r2, "player_id"].dropna().astype(str))
    ids |= set(ev.loc[e2, "player_id"].dropna().astype(str))
    ids |= set(ev.loc[e2, "player2_id"].dropna().astype(str))
    for col in ("player_id", "player2_id"):
        ev.loc[e2, col] = ev.loc[e2, col].where(ev.loc[e2, col].isna(),
                                                ev.loc[e2, col].astype(str) + HALF_SUFFIX)
    for col in ("on_ice_for", "on_ice_against"):
        if col in ev:
            ev.loc[e2, col] = ev.loc[e2, col].map(lambda v: _relabel_list(v, ids))
    ro.loc[r2, "player_id"] = ro.loc[r2, "player_id"].astype(str) + HALF_SUFFIX
    return ev, ro


def _neighbour_ranks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rank (0 = nearest) of b[i] among all rows of b by Euclidean distance to a[i]."""
    d = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    own = d[np.arange(len(a)), np.arange(len(a))]
    return (d < own[:, None]).sum(1)


def reidentify(table: pd.DataFrame, players: list[str], columns: list[str] | None = None
               ) -> dict[str, Any]:
    """Top-1 / top-5 re-identification of `players` between halves, both directions.

    `table` holds both identities (id and id + HALF_SUFFIX); features standardised over all
    rows. Candidates: every identity of the other half (players of the season not in
    `players` stay as distractors). Returns top1, top5, n, candidates, chance_top1.
    """
    t = table.set_index(table["player_id"].astype(str), drop=False)
    cols = columns or mean_columns(t)
    X = t[cols].astype(float)
    X = ((X - X.mean()) / (X.std() + 1e-12)).fillna(0.0)
    second = t.index.str.endswith(HALF_SUFFIX)
    players = [p for p in players if p in t.index and p + HALF_SUFFIX in t.index]
    if not players:
        raise ValueError("no player has an identity in both halves")
    others1 = [p for p in t.index[~second] if p not in set(players)]
    others2 = [p for p in t.index[second] if p[: -len(HALF_SUFFIX)] not in set(players)]
    a = X.loc[players].to_numpy()
    b = X.loc[[p + HALF_SUFFIX for p in players] + others2].to_numpy()
    b_first = X.loc[players + others1].to_numpy()
    ranks = np.r_[_neighbour_ranks(a, b), _neighbour_ranks(b[: len(players)], b_first)]
    return {"top1": float((ranks < 1).mean()), "top5": float((ranks < 5).mean()),
            "n": len(players), "candidates": int(len(b)),
            "chance_top1": 1.0 / len(b), "median_rank": float(np.median(ranks))}


def box_reid(box1: pd.DataFrame, box2: pd.DataFrame, players: list[str]) -> dict[str, Any]:
    """Re-identification with box-score rates (+ position one-hot) instead of latents: the
    baseline any latent re-identification should beat."""
    both = pd.concat([box1, box2.rename(index=lambda p: p + HALF_SUFFIX)])
    pos = pd.get_dummies(both["position"].astype(str), prefix="pos").astype(float)
    feats = both[BOX_REID].join(pos)
    feats = feats.assign(player_id=feats.index)
    return reidentify(feats.reset_index(drop=True), players, columns=BOX_REID + list(pos))

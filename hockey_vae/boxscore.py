"""Per-player box-score rates an analyst would compute, and a cross-validated ridge probe.

`boxscore_rates` is the baseline the player-latent model's embeddings must beat on the
synthetic league: counts per dressed game (shot attempts, shots on goal, goals, blocks,
hits, giveaways, takeaways, penalties, assists, faceoffs), per 100 on-ice events (the ice
time proxy the play-by-play gives), shooting %, faceoff %, shot distance and angle, and for
goalies save % and shots faced. `probe_predictions` gives out-of-fold ridge predictions of
every true style from any per-player feature table, with the same folds for every table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.io import as_frame as _frame

__all__ = ["boxscore_rates", "player_folds", "probe_predictions", "r2_by"]

_GOAL_X = 89.0
_ATTEMPTS = ("shot", "missed_shot", "goal", "blocked_shot")
# count name -> (event type(s), which player column gets the count)
_COUNTS: dict[str, tuple[tuple[str, ...], str]] = {
    "goals": (("goal",), "player_id"),
    "shots_on_goal": (("shot", "goal"), "player_id"),
    "missed": (("missed_shot",), "player_id"),
    "shots_blocked_by_others": (("blocked_shot",), "player2_id"),
    "blocks": (("blocked_shot",), "player_id"),
    "hits": (("hit",), "player_id"),
    "hits_taken": (("hit",), "player2_id"),
    "giveaways": (("giveaway",), "player_id"),
    "takeaways": (("takeaway",), "player_id"),
    "penalties": (("penalty",), "player_id"),
    "penalties_drawn": (("penalty",), "player2_id"),
    "assists": (("goal",), "player2_id"),
    "faceoff_wins": (("faceoff",), "player_id"),
    "faceoff_losses": (("faceoff",), "player2_id"),
}


def _count(ev: pd.DataFrame, types: tuple[str, ...], col: str) -> pd.Series:
    return ev.loc[ev["event_type"].isin(types), col].dropna().value_counts()


def _shot_geometry(ev: pd.DataFrame) -> pd.DataFrame:
    """Mean and median distance (ft) and mean signed angle (deg) of each shooter's attempts."""
    s = ev[ev["event_type"].isin(_ATTEMPTS)]
    blocked = (s["event_type"] == "blocked_shot").to_numpy()
    shooter = np.where(blocked, s["player2_id"], s["player_id"])
    flip = np.where(blocked, -1.0, 1.0)  # blocked: x, y are in the blocker's view
    x = s["x"].to_numpy(np.float64) * flip
    y = s["y"].to_numpy(np.float64) * flip
    g = pd.DataFrame({"p": shooter, "dist": np.hypot(_GOAL_X - x, y),
                      "angle": np.degrees(np.arctan2(y, _GOAL_X - x))}).dropna()
    by = g.groupby("p")
    return pd.DataFrame({"shot_distance_mean": by["dist"].mean(),
                         "shot_distance_median": by["dist"].median(),
                         "shot_angle_mean": by["angle"].mean(),
                         "shot_attempts": by.size()})


def _goalie_rates(ev: pd.DataFrame, goalies: set[str]) -> pd.DataFrame:
    """Shots on goal faced and goals allowed by the goalie on ice for the defending team."""
    s = ev[ev["event_type"].isin(("shot", "goal"))][["event_type", "on_ice_against"]]
    s = s.explode("on_ice_against").dropna()
    s = s[s["on_ice_against"].isin(goalies)]
    faced = s.groupby("on_ice_against").size()
    # a boolean sum, not apply: stays numeric when no goalie is ever listed on ice (PWHL)
    allowed = (s["event_type"] == "goal").groupby(s["on_ice_against"]).sum()
    return pd.DataFrame({"shots_faced": faced, "save_pct": 1.0 - allowed / faced})


def boxscore_rates(events: Any, rosters: Any, game_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per dressed player (index player_id): box-score counts and rates.

    Columns: position, games (dressed), on_ice_events, per-game counts `<count>_pg`, per
    100 on-ice events `<count>_p100`, shooting_pct, miss_pct, faceoff_pct, shot geometry,
    goalie shots_faced_pg and save_pct. Rates without a denominator are NaN.
    """
    ev, ro = _frame(events, "events"), _frame(rosters, "rosters")
    for name, df, cols in (("events", ev, ["game_id", "event_type", "player_id", "player2_id",
                                           "x", "y", "on_ice_for", "on_ice_against"]),
                           ("rosters", ro, ["game_id", "player_id", "position"])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name} lacks column(s) {missing}")
    if game_ids is not None:
        ev, ro = ev[ev["game_id"].isin(set(game_ids))], ro[ro["game_id"].isin(set(game_ids))]
    ro = ro.dropna(subset=["player_id"])
    out = pd.DataFrame({
        "position": ro.groupby("player_id")["position"].agg(
            lambda s: s.value_counts().index[0] if s.notna().any() else None),
        "games": ro.groupby("player_id")["game_id"].nunique(),
    })
    team_ev = ev[ev["team"].notna()] if "team" in ev else ev
    on_ice = pd.concat([team_ev["on_ice_for"].explode(), team_ev["on_ice_against"].explode()])
    out["on_ice_events"] = on_ice.dropna().value_counts().reindex(out.index).fillna(0)
    denom_100 = out["on_ice_events"].where(out["on_ice_events"] > 0) / 100.0
    for name, (types, col) in _COUNTS.items():
        n = _count(ev, types, col).reindex(out.index).fillna(0)
        out[f"{name}_pg"] = n / out["games"]
        out[f"{name}_p100"] = n / denom_100
        out[name] = n
    out = out.join(_shot_geometry(ev))
    out["shot_attempts"] = out["shot_attempts"].fillna(0)
    out["shot_attempts_pg"] = out["shot_attempts"] / out["games"]
    out["shooting_pct"] = out["goals"] / out["shots_on_goal"].where(out["shots_on_goal"] > 0)
    unblocked = out["shots_on_goal"] + out["missed"]
    out["miss_pct"] = out["missed"] / unblocked.where(unblocked > 0)
    taken = out["faceoff_wins"] + out["faceoff_losses"]
    out["faceoff_pct"] = out["faceoff_wins"] / taken.where(taken > 0)
    out["faceoffs_pg"] = taken / out["games"]
    g = _goalie_rates(ev, set(out.index[out["position"] == "G"]))
    out = out.join(g)
    out["shots_faced_pg"] = out["shots_faced"] / out["games"]
    out.index.name = "player_id"
    return out


def player_folds(player_ids: Any, n_folds: int = 5, seed: int = 0) -> pd.Series:
    """Fold number per player id (a seeded permutation cut in `n_folds`), shared by probes."""
    ids = pd.Index(sorted(pd.unique(pd.Series(player_ids).astype(str))))
    if len(ids) < n_folds:
        raise ValueError(f"{len(ids)} players cannot be cut into {n_folds} folds")
    perm = np.random.default_rng(seed).permutation(len(ids))
    fold = np.empty(len(ids), np.int64)
    fold[perm] = np.arange(len(ids)) % n_folds
    return pd.Series(fold, index=ids, name="fold")


def probe_predictions(features: pd.DataFrame, truth: pd.DataFrame, styles: list[str],
                      folds: pd.Series) -> pd.DataFrame:
    """Out-of-fold ridge predictions of each style from numeric `features` (index player_id).

    Players in `folds` with a finite style and a feature row are used; missing feature values
    are imputed with the training fold's median and features standardised; the ridge penalty
    is chosen by inner cross-validation. Returns player_id, style, fold, truth, pred.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X_all = features.select_dtypes("number").astype(np.float64)
    X_all = X_all.loc[:, X_all.notna().any()]
    rows = []
    for style in styles:
        if style not in truth.columns:
            raise ValueError(f"truth lacks style column {style!r}")
        y = truth[style].reindex(folds.index)
        ids = folds.index[y.notna().to_numpy() & folds.index.isin(X_all.index)]
        X, yv, f = X_all.loc[ids].to_numpy(), y.loc[ids].to_numpy(), folds.loc[ids].to_numpy()
        pred = np.full(len(ids), np.nan)
        for k in np.unique(f):
            tr, te = f != k, f == k
            if tr.sum() < 5:
                continue
            probe = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                                  StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15)))
            pred[te] = probe.fit(X[tr], yv[tr]).predict(X[te])
        rows.append(pd.DataFrame({"player_id": ids, "style": style, "fold": f, "truth": yv,
                                  "pred": pred}))
    return pd.concat(rows, ignore_index=True)


def r2_by(preds: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """R^2 of out-of-fold predictions per style (and per `by` group): style, [by], r2, n."""
    from sklearn.metrics import r2_score

    keys = ["style"] + ([by] if by else [])
    rows = []
    for key, g in preds.dropna(subset=["pred"]).groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        r2 = float(r2_score(g["truth"], g["pred"])) if len(g) >= 3 else np.nan
        rows.append({**dict(zip(keys, key, strict=True)), "r2": r2, "n": len(g)})
    return pd.DataFrame(rows)

"""Expected goals on a strong baseline, then per-player adjustments on its log-odds.

Two stages. Stage 1 (`fit_xg_baseline`): a HistGradientBoostingClassifier on shot context
only (`xg_features`: location, shot type, rebound with the angle change, rush, time since the
faceoff, previous event's type and location, score, manpower, empty nets). Stage 2 adds a
per-player term to the baseline's log-odds o: logit p = b * o + w . z, where z is the shooter's
and/or goalie's embedding (`LatentAdjuster`) or one-hot identity (`controls.IdAdjuster`), L2
strength chosen on validation games; `controls.EmpiricalBayesAdjuster` is the analyst's
shrunk finishing / goals-saved-above-expected. Stage 2 is fit on out-of-fold stage-1
predictions for the training shots, so it learns from honest residuals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import logit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from hockey_vae.downstream.features import NET_X_FT, as_frame, require_columns, shot_features
from hockey_vae.downstream.player_tables import check_player_table, mean_columns

__all__ = ["XG_NUMERIC", "XG_CATEGORICAL", "xg_features", "fit_xg_baseline", "predict_baseline",
           "oof_baseline", "LatentAdjuster", "tune", "OFFSET_SCALE", "clip_logit"]

XG_NUMERIC = [
    "distance", "angle", "signed_angle", "x", "y", "seconds_since_prev", "distance_from_prev",
    "speed_from_prev", "prev_same_team", "is_rebound", "angle_change", "is_rush",
    "prev_x", "prev_y", "seconds_since_faceoff", "skaters_for", "skaters_against",
    "score_diff", "period", "period_seconds", "empty_net_against", "empty_net_for", "is_home",
]  # fmt: skip
XG_CATEGORICAL = ["shot_type", "prev_event_type"]
NUMERIC_KEY = "_numeric"  # in the levels dict: the numeric columns the baseline uses
OFFSET_SCALE = 10.0  # the baseline log-odds enter stage 2 scaled, so L2 barely touches b
FACEOFF_CAP_S = 1200.0


def clip_logit(p: np.ndarray) -> np.ndarray:
    """logit of probabilities clipped to [1e-6, 1 - 1e-6]."""
    return logit(np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6))


def _signed_angle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(y, NET_X_FT - x))


def xg_features(events: pd.DataFrame, rosters: pd.DataFrame | None = None) -> pd.DataFrame:
    """`shot_features` plus signed angle, the previous event's location in the shooter's
    frame, the angle change on rebounds, seconds since the period's last faceoff, is_home.

    Shooter handedness (and so off-wing) is not in the canonical tables: not used.
    """
    events = as_frame(events, "events")
    require_columns(events, ("game_id", "event_idx", "period", "game_seconds", "event_type",
                             "team", "x", "y"), "events")
    ev = events.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    shots = shot_features(ev, rosters)
    extra = _context_columns(ev)
    out = shots.merge(extra, on=["game_id", "event_idx"], how="left", validate="1:1")
    out["signed_angle"] = _signed_angle(out["x"].to_numpy(), out["y"].to_numpy())
    prev_angle = _signed_angle(out["prev_x"].to_numpy(), out["prev_y"].to_numpy())
    change = np.abs(out["signed_angle"].to_numpy() - prev_angle)
    out["angle_change"] = np.where(out["is_rebound"] == 1, change, 0.0)
    out["is_home"] = out["is_home"].astype("boolean").astype(float)
    return out


def _context_columns(ev: pd.DataFrame) -> pd.DataFrame:
    """Per event: previous event's x, y in the acting team's frame; seconds since faceoff."""
    game = ev["game_id"].astype(str)
    same = (game.shift(1) == game) & (ev["period"].shift(1) == ev["period"])
    prev_team = ev["team"].shift(1).where(same)
    sign = np.where(prev_team == ev["team"], 1.0, np.where(prev_team.notna(), -1.0, np.nan))
    t = ev["game_seconds"].astype(float)
    faceoff_t = t.where(ev["event_type"] == "faceoff")
    last_faceoff = faceoff_t.groupby([game, ev["period"]]).ffill()
    since = (t - last_faceoff).clip(lower=0.0, upper=FACEOFF_CAP_S).fillna(FACEOFF_CAP_S)
    return pd.DataFrame({
        "game_id": game,
        "event_idx": ev["event_idx"].astype(np.int32),
        "prev_x": ev["x"].astype(float).shift(1).where(same).to_numpy() * sign,
        "prev_y": ev["y"].astype(float).shift(1).where(same).to_numpy() * sign,
        "seconds_since_faceoff": since.to_numpy(),
    })


def _design(shots: pd.DataFrame, levels: dict[str, list[str]]) -> pd.DataFrame:
    """Baseline design matrix: numerics (those kept in training) as float, categoricals with
    fixed levels."""
    require_columns(shots, XG_NUMERIC + XG_CATEGORICAL, "shots")
    X = shots[levels.get(NUMERIC_KEY, XG_NUMERIC)].astype(float).copy()
    for c in XG_CATEGORICAL:
        X[c] = pd.Categorical(shots[c].astype(str), categories=levels[c])
    return X


def fit_xg_baseline(train: pd.DataFrame, params: dict[str, object], seed: int = 0
                    ) -> tuple[HistGradientBoostingClassifier, dict[str, list[str]]]:
    """Stage 1 on `train` shots (label `goal`); returns the model and its category levels
    (plus, under NUMERIC_KEY, the numeric columns with any value in training)."""
    levels = {c: sorted(train[c].astype(str).unique()) for c in XG_CATEGORICAL}
    # numerics never observed in training (e.g. PWHL manpower) carry nothing and break binning
    levels[NUMERIC_KEY] = [c for c in XG_NUMERIC if train[c].astype(float).notna().any()]
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed,
                                           **params)
    model.fit(_design(train, levels), train["goal"].to_numpy(int))
    return model, levels


def predict_baseline(model: HistGradientBoostingClassifier, levels: dict[str, list[str]],
                     shots: pd.DataFrame) -> np.ndarray:
    """Stage-1 P(goal) for `shots`."""
    return model.predict_proba(_design(shots, levels))[:, 1]


def oof_baseline(train: pd.DataFrame, params: dict[str, object], folds: int = 5,
                 seed: int = 0) -> np.ndarray:
    """Out-of-fold stage-1 P(goal) on the training shots, folds by game."""
    out = np.empty(len(train))
    for fit_idx, hold_idx in GroupKFold(n_splits=folds).split(train, groups=train["game_id"]):
        model, levels = fit_xg_baseline(train.iloc[fit_idx], params, seed)
        out[hold_idx] = predict_baseline(model, levels, train.iloc[hold_idx])
    return out


def _role_block(ids: pd.Series, table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Embedding rows of `ids` (zeros plus a missing flag for unknown players)."""
    emb = table[cols].reindex(ids.astype("string").fillna("").astype(str).to_numpy())
    missing = emb.isna().any(axis=1).to_numpy(float)[:, None]
    return np.hstack([emb.fillna(0.0).to_numpy(float), missing])


class LatentAdjuster:
    """Stage 2 with embeddings: logit p = b * o + w . [z_shooter, z_goalie] (ridge logit).

    `roles`: ("shooter",), ("goalie",) or both; embeddings are standardised over the training
    shots; `C` is the inverse L2 strength (chosen on validation by `tune`).
    """

    def __init__(self, table: pd.DataFrame, roles: tuple[str, ...], C: float = 1.0):
        self.table = check_player_table(table)
        self.cols = mean_columns(self.table)
        self.roles = roles
        self.C = C

    def _raw(self, shots: pd.DataFrame) -> np.ndarray:
        col = {"shooter": "player_id", "goalie": "goalie_id"}
        return np.hstack([_role_block(shots[col[r]], self.table, self.cols) for r in self.roles])

    def _X(self, shots: pd.DataFrame, offset: np.ndarray) -> np.ndarray:
        Z = (self._raw(shots) - self.mu_) / self.sd_
        return np.hstack([OFFSET_SCALE * offset[:, None], Z])

    def fit(self, shots: pd.DataFrame, offset: np.ndarray) -> LatentAdjuster:
        """Fit on training shots with their out-of-fold baseline log-odds `offset`."""
        raw = self._raw(shots)
        self.mu_, self.sd_ = raw.mean(0), raw.std(0) + 1e-9
        self.lr_ = LogisticRegression(C=self.C, max_iter=500)
        self.lr_.fit(self._X(shots, offset), shots["goal"].to_numpy(int))
        return self

    def predict(self, shots: pd.DataFrame, offset: np.ndarray) -> np.ndarray:
        """P(goal) for `shots` given their baseline log-odds."""
        return self.lr_.predict_proba(self._X(shots, offset))[:, 1]

    def player_effect(self, role: str, player_ids: list[str]) -> pd.Series:
        """Each player's implied goal log-odds shift in `role` (w . standardised u_j)."""
        if role not in self.roles:
            raise ValueError(f"role {role!r} not fitted; roles: {self.roles}")
        width = len(self.cols) + 1
        start = self.roles.index(role) * width
        raw = _role_block(pd.Series(player_ids), self.table, self.cols)
        z = (raw - self.mu_[start:start + width]) / self.sd_[start:start + width]
        coef = self.lr_.coef_[0, 1 + start:1 + start + width]
        return pd.Series(z @ coef, index=list(player_ids), name=f"{role}_effect")


def tune(make, grid: list[float], fit_args: tuple, val_args: tuple, y_val: np.ndarray
         ) -> tuple[object, dict[str, float]]:
    """Fit `make(C)` for each C in `grid`; keep the lowest validation log loss.

    Returns (best fitted adjuster, {C: validation log loss}).
    """
    scores: dict[str, float] = {}
    best, best_loss = None, np.inf
    for C in grid:
        adj = make(C).fit(*fit_args)
        loss = float(log_loss(y_val, adj.predict(*val_args), labels=[0, 1]))
        scores[str(C)] = loss
        if loss < best_loss:
            best, best_loss = adj, loss
    return best, scores


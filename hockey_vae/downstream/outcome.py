"""Game outcome: in-game win probability per event, and pre-game P(home wins).

Overtime and shootout games count for their final winner (the label is `home_win`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from hockey_vae.downstream.base import BinaryProbabilityModel, matching_columns
from hockey_vae.downstream.features import require_columns

__all__ = [
    "InGameWinModel",
    "PreGameModel",
    "IN_GAME_FEATURES",
    "PRE_GAME_FEATURES",
    "TeamContrast",
]

# Baseline in-game state, from `game_states`; `score_x_time` is derived (see _prepare).
IN_GAME_FEATURES = ["score_diff", "score_x_time", "time_remaining", "is_overtime", "manpower_diff"]
PRE_GAME_FEATURES = ("home_ice", "team", "mean", "position")


class InGameWinModel(BinaryProbabilityModel):
    """P(home team wins | state after event t), on the rows of `game_states` (label `home_win`).

    Baseline features: score difference, score difference / sqrt(minutes left + 1) (a lead
    matters more as time runs out), regulation time remaining, overtime flag, manpower
    difference; home ice is the intercept. With `use_embeddings`, also the home-minus-away
    mean contextual embedding of each team's events so far (`team_emb_diff_k` from
    `add_team_embedding_state`) and the same scaled by sqrt(fraction of regulation left),
    since who is on the ice matters less as the game nears its end.

    Parameters are those of GoalModel (model "logistic" or "hgb", C, learning_rate,
    max_iter, max_leaf_nodes, l2_regularization, random_state) plus `use_embeddings`.
    """

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, ("score_diff", "time_remaining"), "X")
        minutes = X["time_remaining"].astype(float).to_numpy() / 60.0
        derived = {"score_x_time": X["score_diff"].to_numpy(float) / np.sqrt(minutes + 1.0)}
        if self.use_embeddings:
            scale = np.sqrt(np.clip(minutes / 60.0, 0.0, 1.0))
            for column in matching_columns(X, r"team_emb_diff_\d+"):
                derived[f"{column}_x_time"] = X[column].to_numpy(float) * scale
        return X.assign(**derived)

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
        numeric = list(IN_GAME_FEATURES)
        if self.use_embeddings:
            embedded = matching_columns(X, r"team_emb_diff_\d+(_x_time)?")
            if not embedded:
                raise ValueError(
                    "use_embeddings=True but X has no team_emb_diff_* columns "
                    "(add them with add_team_embedding_state)"
                )
            numeric += embedded
        return [], numeric, []


class TeamContrast(TransformerMixin, BaseEstimator):
    """Home/away team columns -> one column per team: +1 home, -1 away, 0 otherwise.

    A logistic model on it is a Bradley-Terry strength per team with home ice as the
    intercept. Teams unseen in `fit` get all zeros (league-average strength).
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> TeamContrast:
        """Learn the team list from the two columns of `X` (home, away)."""
        values = np.asarray(X, dtype=object)
        self.teams_ = np.array(sorted(set(values[:, 0]) | set(values[:, 1])), dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Shape (n_games, n_teams)."""
        check_is_fitted(self, "teams_")
        values = np.asarray(X, dtype=object)
        index = {team: k for k, team in enumerate(self.teams_)}
        out = np.zeros((len(values), len(self.teams_)))
        for row, (home, away) in enumerate(values):
            if home in index:
                out[row, index[home]] += 1.0
            if away in index:
                out[row, index[away]] -= 1.0
        return out


class PreGameModel(BinaryProbabilityModel):
    """P(home team wins) before the game, on the rows of `lineup_features` (label `home_win`).

    Parameters
    ----------
    features : "home_ice" (the training home-win rate, nothing else), "team" (team identity:
        a strength per team plus home ice), "mean" (home-minus-away mean static embedding of
        the dressed players) or "position" (the same pooled within forwards, defence and
        goalies). Players without an embedding are left out of the pools (see
        `lineup_features`).
    C : inverse L2 strength of the logistic model.
    """

    def __init__(self, features: str = "mean", C: float = 1.0):
        self.features = features
        self.C = C

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
        if self.features == "home_ice":
            return [], [], []
        if self.features == "team":
            return [], [], ["home_team", "away_team"]
        if self.features in ("mean", "position"):
            pattern = r"lineup_mean_diff_\d+" if self.features == "mean" else r"lineup_[FDG]_diff_\d+"
            embedded = matching_columns(X, pattern)
            if not embedded:
                raise ValueError(
                    f"features={self.features!r} but X has no {pattern} columns "
                    "(add them with lineup_features)"
                )
            # the missing shares are left out: every training-game player has a static
            # embedding (the means come from those games), so they would only extrapolate
            return [], embedded, []
        raise ValueError(f"features={self.features!r}; expected one of {list(PRE_GAME_FEATURES)}")

    def _pipeline(self, spline: list[str], numeric: list[str], categorical: list[str]) -> Pipeline:
        if self.features == "home_ice":
            return Pipeline([("classifier", DummyClassifier(strategy="prior"))])
        if self.features == "team":
            design = ColumnTransformer([("team", TeamContrast(), categorical)])
        else:
            design = ColumnTransformer([("numeric", StandardScaler(), numeric)])
        return Pipeline(
            [("features", design), ("classifier", LogisticRegression(C=self.C, max_iter=2000))]
        )

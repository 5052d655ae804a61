"""Expected goals: P(goal | unblocked shot attempt), with or without player embeddings."""

from __future__ import annotations

import pandas as pd

from hockey_vae.downstream.base import BinaryProbabilityModel, matching_columns

__all__ = [
    "GoalModel",
    "GOAL_SPLINE_FEATURES",
    "GOAL_NUMERIC_FEATURES",
    "GOAL_CATEGORICAL_FEATURES",
    "GOAL_EMBEDDING_PATTERN",
]

# Baseline features, all produced by `shot_features`.
GOAL_SPLINE_FEATURES = ["distance", "angle"]  # smooth non-linear effects in the logistic model
GOAL_NUMERIC_FEATURES = [
    "log_distance", "seconds_since_prev", "distance_from_prev", "speed_from_prev",
    "prev_same_team", "is_rebound", "is_rush",
    "skaters_for", "skaters_against", "score_diff", "period", "period_seconds",
    "empty_net_against", "empty_net_for",
]  # fmt: skip
GOAL_CATEGORICAL_FEATURES = ["shot_type", "prev_event_type"]
# Embedding features added by `add_shooter_embeddings` / `add_player_embeddings`.
GOAL_EMBEDDING_PATTERN = r"(shooter|goalie)_emb_(\d+|missing|static)"


class GoalModel(BinaryProbabilityModel):
    """Expected-goals model on the rows of `shot_features` (label: `goal`).

    Parameters
    ----------
    model : "logistic" (splines on distance and angle, standardised numerics, one-hot shot
        type) or "hgb" (HistGradientBoostingClassifier on the raw features).
    use_embeddings : also use the columns matching GOAL_EMBEDDING_PATTERN (shooter's
        contextual embedding, goalie's static embedding, and their fallback indicators).
    C : inverse L2 strength of the logistic model.
    learning_rate, max_iter, max_leaf_nodes, l2_regularization : gradient boosting settings.
    random_state : seed of the gradient boosting model.
    """

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
        numeric = list(GOAL_NUMERIC_FEATURES)
        if self.use_embeddings:
            embedded = matching_columns(X, GOAL_EMBEDDING_PATTERN)
            if not embedded:
                raise ValueError(
                    "use_embeddings=True but X has no shooter_emb_*/goalie_emb_* columns "
                    "(add them with add_shooter_embeddings / add_player_embeddings)"
                )
            numeric += embedded
        return list(GOAL_SPLINE_FEATURES), numeric, list(GOAL_CATEGORICAL_FEATURES)

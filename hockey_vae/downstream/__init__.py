"""Downstream predictors that show what the player embeddings are worth.

Expected goals (`GoalModel`), in-game win probability (`InGameWinModel`) and pre-game win
probability (`PreGameModel`): scikit-learn estimators on feature frames built from the
canonical tables (`shot_features`, `game_states`, `game_labels`) and, optionally, joined
embeddings (`add_shooter_embeddings`, `add_team_embedding_state`, `lineup_features`).
`evaluate_goals` / `evaluate_outcome` run the held-out benchmark; `report` writes it.

Issue 11's studies: `xg_features` + `run_xg_study` (a gradient-boosting baseline, then shooter
/ goalie embeddings, `EmpiricalBayesAdjuster` and `IdAdjuster` on its log-odds),
`rate_predictions` / `reidentify` (player-level checks), all fed by per-player tables from
`fit_player_table` (the standalone prototype) or `run_player_table` (a trained integrated
`player-latent` run, with `verify_unseen` refusing a run that trained on a scored game).
`run_suite` runs every piece of the consolidated report (`benchmarks/downstream_suite.py`).
"""

from hockey_vae.downstream.base import select_on_validation
from hockey_vae.downstream.controls import EmpiricalBayesAdjuster, IdAdjuster, shrunk_ratios
from hockey_vae.downstream.embedding_joins import (
    add_player_embeddings,
    add_shooter_embeddings,
    add_team_embedding_state,
    embedding_columns,
    lineup_features,
    static_embeddings,
)
from hockey_vae.downstream.features import game_labels, game_states, shot_features
from hockey_vae.downstream.goals import GoalModel
from hockey_vae.downstream.metrics import calibration_table, evaluate_with_ci, point_metrics
from hockey_vae.downstream.outcome import InGameWinModel, PreGameModel
from hockey_vae.downstream.player_checks import (
    half_season_games,
    rate_predictions,
    rate_r2_table,
    reidentify,
    shrink_rates,
    split_identities,
)
from hockey_vae.downstream.player_tables import check_player_table, fit_player_table
from hockey_vae.downstream.run_latents import run_player_table, verify_unseen
from hockey_vae.downstream.split import describe_split, split_by_date
from hockey_vae.downstream.suite_run import SuiteOptions, run_suite
from hockey_vae.downstream.tasks import check_unseen, evaluate_goals, evaluate_outcome
from hockey_vae.downstream.xg import LatentAdjuster, xg_features
from hockey_vae.downstream.xg_study import run_xg_study

__all__ = [
    "GoalModel",
    "InGameWinModel",
    "PreGameModel",
    "shot_features",
    "game_states",
    "game_labels",
    "embedding_columns",
    "static_embeddings",
    "add_player_embeddings",
    "add_shooter_embeddings",
    "add_team_embedding_state",
    "lineup_features",
    "select_on_validation",
    "point_metrics",
    "evaluate_with_ci",
    "calibration_table",
    "split_by_date",
    "describe_split",
    "evaluate_goals",
    "evaluate_outcome",
    "check_unseen",
    "xg_features",
    "run_xg_study",
    "LatentAdjuster",
    "EmpiricalBayesAdjuster",
    "IdAdjuster",
    "shrunk_ratios",
    "fit_player_table",
    "check_player_table",
    "half_season_games",
    "shrink_rates",
    "rate_predictions",
    "rate_r2_table",
    "split_identities",
    "reidentify",
    "run_player_table",
    "verify_unseen",
    "SuiteOptions",
    "run_suite",
]

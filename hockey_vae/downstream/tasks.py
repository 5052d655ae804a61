"""The downstream benchmark: fit on train games, choose on validation games, score test games.

`evaluate_goals` and `evaluate_outcome` return (results, predictions): a JSON-serialisable
dict in the report's shape and the test-set predictions the figures are drawn from.
Embeddings are optional: without them only the baselines run and every `with_embeddings`
entry is None.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.downstream.base import select_on_validation
from hockey_vae.downstream.embedding_joins import (
    add_player_embeddings,
    add_shooter_embeddings,
    add_team_embedding_state,
    lineup_features,
    static_embeddings,
)
from hockey_vae.downstream.features import as_frame, game_labels, game_states, shot_features
from hockey_vae.downstream.goals import GoalModel
from hockey_vae.downstream.metrics import evaluate_with_ci
from hockey_vae.downstream.outcome import InGameWinModel, PreGameModel

__all__ = ["DEFAULT_GRIDS", "evaluate_goals", "evaluate_outcome", "check_unseen"]

log = logging.getLogger(__name__)

# Small grids: the CPU budget is a laptop's. Chosen by validation log loss.
DEFAULT_GRIDS: dict[str, dict[str, list]] = {
    "logistic": {"C": [0.01, 0.1, 1.0, 10.0]},
    "hgb": {"learning_rate": [0.05], "max_iter": [100, 250], "max_leaf_nodes": [15],
            "l2_regularization": [1.0]},
    "pre_game": {"C": [0.0003, 0.003, 0.03, 0.3]},
}  # fmt: skip
SHRINK_EVENTS = 20.0  # pseudo-events at zero in each team's running embedding mean
IN_GAME_BUCKETS = ("period_1", "period_2", "period_3", "last_5_min", "overtime")


def check_unseen(part: pd.Series, trained_on: object) -> None:
    """Raise ValueError if any validation or test game is among the embedding model's games."""
    if trained_on is None:
        return
    seen = set(map(str, trained_on))
    held = part.index[part.isin(("val", "test"))]
    leaked = sorted(seen.intersection(map(str, held)))
    if leaked:
        raise ValueError(
            f"the embedding model was trained on {len(leaked)} validation/test game(s), "
            f"e.g. {leaked[:3]}; embeddings for evaluation games must come from unseen games"
        )


def _parts(frame: pd.DataFrame, part: pd.Series) -> dict[str, pd.DataFrame]:
    labelled = frame.assign(_part=frame["game_id"].astype(str).map(part))
    return {
        k: labelled.loc[labelled["_part"] == k].drop(columns="_part").reset_index(drop=True)
        for k in ("train", "val", "test")
    }


def _select_kind(
    make: type, label: str, parts: dict[str, pd.DataFrame], kinds: tuple[str, ...],
    grids: Mapping[str, dict], seed: int, **params: object,
) -> tuple[object, list[dict]]:
    """Best model over kinds and grids by validation log loss; returns (model, table rows)."""
    best, best_loss, rows = None, np.inf, []
    train, val = parts["train"], parts["val"]
    for kind in kinds:
        estimator = make(model=kind, random_state=seed, **params)
        model, table = select_on_validation(
            estimator, grids[kind], train, train[label].to_numpy(), val, val[label].to_numpy()
        )
        rows += [{"model": kind, **r} for r in table.to_dict("records")]
        loss = float(table["val_log_loss"].min())
        if loss < best_loss:
            best, best_loss = model, loss
    return best, rows


def _chosen(model: object) -> dict[str, object]:
    """The parameters that matter for the chosen model kind."""
    params = model.get_params()
    if params.get("model") == "logistic":
        keep = ("model", "C")
    else:
        keep = ("model", "learning_rate", "max_iter", "max_leaf_nodes", "l2_regularization")
    return {k: params[k] for k in keep if k in params}


def evaluate_goals(
    events: pd.DataFrame | pa.Table,
    rosters: pd.DataFrame | pa.Table | None,
    part: pd.Series,
    event_embeddings: pd.DataFrame | None = None,
    kinds: tuple[str, ...] = ("logistic", "hgb"),
    grids: Mapping[str, dict] = DEFAULT_GRIDS,
    n_boot: int = 200,
    seed: int = 0,
) -> tuple[dict, pd.DataFrame, dict[str, GoalModel]]:
    """Expected-goals benchmark, baseline and (when given) with embeddings.

    Returns (results, test shots with `p_<variant>` columns, fitted models per variant).

    The shooter's embedding is his contextual embedding at his latest earlier event of the
    game, else his static embedding (mean over train games only), else zero + indicator;
    the goalie's is his static embedding (train games only).
    """
    shots = shot_features(events, rosters)
    shots = shots.loc[shots["game_id"].map(part).notna()].reset_index(drop=True)
    use = {"baseline": False}
    if event_embeddings is not None:
        static = static_embeddings(event_embeddings, part.index[part == "train"])
        shots = add_shooter_embeddings(shots, event_embeddings, static)
        shots = add_player_embeddings(shots, "goalie_id", static, "goalie_")
        use["with_embeddings"] = True
    parts = _parts(shots, part)
    for name, frame in parts.items():
        if frame.empty or frame["goal"].nunique() < 2:
            raise ValueError(f"the {name} games hold {len(frame)} shots with a single label")
    test = parts["test"]
    preds, chosen, validation, models = {}, {}, {}, {}
    for variant, flag in use.items():
        model, rows = _select_kind(GoalModel, "goal", parts, kinds, grids, seed,
                                   use_embeddings=flag)
        preds[variant] = model.predict_proba(test)[:, 1]
        chosen[variant], validation[variant] = _chosen(model), rows
        models[variant] = model
        log.info("goals %s: chose %s", variant, chosen[variant])
    results: dict[str, object] = {}
    for situation, mask in (("5v5", test["is_5v5"] == 1), ("all", np.ones(len(test), bool))):
        mask = np.asarray(mask)
        scored = evaluate_with_ci(
            test["goal"].to_numpy()[mask], {k: v[mask] for k, v in preds.items()},
            test["game_id"].to_numpy()[mask], ("auc", "log_loss", "brier"), n_boot, seed,
        )
        scored.setdefault("with_embeddings", None)
        results[situation] = scored
    results["chosen"] = chosen
    results["validation"] = validation
    results["shots"] = {k: int(len(v)) for k, v in parts.items()}
    results["goal_rate_test"] = float(test["goal"].mean())
    if "shooter_emb_missing" in test:
        results["embedding_coverage_test"] = {
            "shooter_contextual": float(
                1 - test["shooter_emb_missing"].mean() - test["shooter_emb_static"].mean()),
            "shooter_static_fallback": float(test["shooter_emb_static"].mean()),
            "shooter_missing": float(test["shooter_emb_missing"].mean()),
            "goalie_missing": float(test["goalie_emb_missing"].mean()),
        }  # fmt: skip
    out = test.assign(**{f"p_{k}": v for k, v in preds.items()})
    return results, out, models


def _stride(frame: pd.DataFrame, every: int) -> pd.DataFrame:
    """Every `every`-th state of each game (training on all ~300 states per game is wasteful)."""
    if every <= 1:
        return frame
    keep = frame.groupby("game_id").cumcount() % every == 0
    return frame.loc[keep.to_numpy()].reset_index(drop=True)


def evaluate_outcome(
    events: pd.DataFrame | pa.Table,
    games: pd.DataFrame | pa.Table,
    rosters: pd.DataFrame | pa.Table | None,
    part: pd.Series,
    event_embeddings: pd.DataFrame | None = None,
    kinds: tuple[str, ...] = ("logistic", "hgb"),
    grids: Mapping[str, dict] = DEFAULT_GRIDS,
    n_boot: int = 200,
    seed: int = 0,
    train_stride: int = 4,
) -> tuple[dict, pd.DataFrame]:
    """In-game and pre-game win-probability benchmark; OT/shootout count as the final winner.

    In-game models train on every `train_stride`-th state of each train game and are
    scored on every state of the test games (each game weighs by its number of events).

    The keyword options mirror `evaluate_goals` plus the in-game stride, hence ten parameters.
    """
    events = as_frame(events, "events")
    states = game_states(events, games)
    states = states.loc[states["game_id"].map(part).notna()].reset_index(drop=True)
    use = {"baseline": False}
    if event_embeddings is not None:
        states = add_team_embedding_state(states, events, event_embeddings, shrink=SHRINK_EVENTS)
        use["with_embeddings"] = True
    parts = _parts(states, part)
    parts["train"] = _stride(parts["train"], train_stride)
    parts["val"] = _stride(parts["val"], train_stride)
    test = parts["test"]
    preds, chosen, validation = {}, {}, {}
    for variant, flag in use.items():
        model, rows = _select_kind(InGameWinModel, "home_win", parts, kinds, grids, seed,
                                   use_embeddings=flag)
        preds[variant] = model.predict_proba(test)[:, 1]
        chosen[variant], validation[variant] = _chosen(model), rows
    period = test["period"].to_numpy()
    masks = {
        "all": np.ones(len(test), bool),
        "period_1": period == 1, "period_2": period == 2, "period_3": period == 3,
        "last_5_min": (period == 3) & (test["time_remaining"].to_numpy() <= 300),
        "overtime": period >= 4,
    }  # fmt: skip
    in_game: dict[str, object] = {}
    for bucket, mask in masks.items():
        scored = evaluate_with_ci(
            test["home_win"].to_numpy()[mask], {k: v[mask] for k, v in preds.items()},
            test["game_id"].to_numpy()[mask], ("log_loss", "accuracy"), n_boot, seed,
        )
        scored.setdefault("with_embeddings", None)
        if bucket == "all":
            in_game.update(scored)
        else:
            in_game.setdefault("by_bucket", {})[bucket] = scored
    in_game["chosen"], in_game["validation"] = chosen, validation
    in_game["states"] = {k: int(len(v)) for k, v in parts.items()}

    pre_game = _pre_game(games, rosters, part, event_embeddings, grids, n_boot, seed)
    curves = test.assign(**{f"p_{k}": v for k, v in preds.items()})
    return {"in_game": in_game, "pre_game": pre_game}, curves


def _pre_game(
    games: pd.DataFrame | pa.Table, rosters: pd.DataFrame | pa.Table | None, part: pd.Series,
    event_embeddings: pd.DataFrame | None, grids: Mapping[str, dict], n_boot: int, seed: int,
) -> dict[str, object]:
    labels = game_labels(games)
    labels = labels.loc[labels["game_id"].map(part).notna()].reset_index(drop=True)
    variants = {"home_ice": "home_ice", "team": "team"}
    if event_embeddings is not None and rosters is not None:
        static = static_embeddings(event_embeddings, part.index[part == "train"])
        labels = lineup_features(labels, rosters, static)
        variants.update({"with_embeddings": "mean", "with_embeddings_position": "position"})
    parts = _parts(labels, part)
    test = parts["test"]
    preds, chosen = {}, {}
    for name, features in variants.items():
        grid = {"C": [1.0]} if features == "home_ice" else grids["pre_game"]
        model, _ = select_on_validation(
            PreGameModel(features=features), grid, parts["train"],
            parts["train"]["home_win"].to_numpy(), parts["val"], parts["val"]["home_win"].to_numpy(),
        )
        preds[name] = model.predict_proba(test)[:, 1]
        chosen[name] = model.get_params()
    scored = evaluate_with_ci(
        test["home_win"].to_numpy(), preds, test["game_id"].to_numpy(),
        ("accuracy", "log_loss", "auc"), n_boot, seed,
    )
    scored.setdefault("with_embeddings", None)
    scored["chosen"] = chosen
    scored["games"] = {k: int(len(v)) for k, v in parts.items()}
    scored["home_win_rate"] = {k: float(v["home_win"].mean()) for k, v in parts.items()}
    return scored

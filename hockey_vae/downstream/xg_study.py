"""The expected-goals study: baseline, embedding adjusters and controls, scored paired.

`run_xg_study` takes a shot table with a `part` column (train / val / test by game), a
per-player embedding table fit on the training games only, and returns every model's test
predictions with paired game-bootstrap intervals against the baseline (and the embedding
model against the empirical-Bayes control), for all situations and 5v5.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.metrics import log_loss

from hockey_vae.downstream.controls import EmpiricalBayesAdjuster, IdAdjuster
from hockey_vae.downstream.metrics import evaluate_with_ci
from hockey_vae.downstream.xg import (
    LatentAdjuster,
    clip_logit,
    fit_xg_baseline,
    oof_baseline,
    predict_baseline,
    tune,
)

__all__ = ["HGB_GRID", "C_GRID", "choose_baseline", "stage_two", "run_xg_study", "md_table"]

log = logging.getLogger(__name__)

HGB_GRID: list[dict[str, object]] = [
    {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15, "l2_regularization": 1.0},
    {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 31, "l2_regularization": 1.0},
    {"learning_rate": 0.1, "max_iter": 150, "max_leaf_nodes": 15, "l2_regularization": 1.0},
]
C_GRID = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
EMBEDDING_MODELS = {"latent_shooter": ("shooter",), "latent_goalie": ("goalie",),
                    "latent_both": ("shooter", "goalie")}


def md_table(df: pd.DataFrame, index: bool = False, digits: int = 4) -> str:
    """A pipe table (floats rounded to `digits`) without the optional `tabulate` dependency."""
    df = df.reset_index() if index else df

    def cell(v: object) -> str:
        return f"{v:.{digits}f}" if isinstance(v, (float, np.floating)) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, "|" + "---|" * len(df.columns), *body])


def choose_baseline(train: pd.DataFrame, val: pd.DataFrame, seed: int
                    ) -> tuple[dict[str, object], dict[str, float]]:
    """The HGB_GRID setting with the lowest validation log loss, and every setting's loss."""
    scores, best, best_loss = {}, HGB_GRID[0], np.inf
    for params in HGB_GRID:
        model, levels = fit_xg_baseline(train, params, seed)
        loss = float(log_loss(val["goal"], predict_baseline(model, levels, val), labels=[0, 1]))
        scores[str(params)] = loss
        log.info("baseline %s: val log loss %.5f", params, loss)
        if loss < best_loss:
            best, best_loss = params, loss
    return best, scores


def stage_two(parts: dict[str, pd.DataFrame], offsets: dict[str, np.ndarray],
              table: pd.DataFrame | None
              ) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """Test P(goal) of every stage-2 model (controls, then embeddings when `table` is given).

    Returns (predictions by model name, chosen settings and validation losses by name,
    fitted adjusters by name).
    """
    tr, va, te = parts["train"], parts["val"], parts["test"]
    fit_args, val_args = (tr, offsets["train"]), (va, offsets["val"])
    preds = {"baseline": expit(offsets["test"])}
    chosen: dict[str, Any] = {}
    eb = EmpiricalBayesAdjuster().fit(*fit_args)
    fitted: dict[str, Any] = {"eb_control": eb}
    preds["eb_control"] = eb.predict(te, offsets["test"])
    chosen["eb_control"] = {"tau2": eb.tau2_, "val_log_loss": float(
        log_loss(va["goal"], eb.predict(*val_args), labels=[0, 1]))}
    log.info("stage 2: EB control done; ID control")
    idc, scores = tune(lambda C: IdAdjuster(C=C), C_GRID, fit_args, val_args, va["goal"])
    preds["id_control"], fitted["id_control"] = idc.predict(te, offsets["test"]), idc
    chosen["id_control"] = {"C": idc.C, "val_log_loss": scores}
    if table is not None:
        for name, roles in EMBEDDING_MODELS.items():
            log.info("stage 2: %s", name)
            adj, scores = tune(lambda C, r=roles: LatentAdjuster(table, r, C=C), C_GRID,
                               fit_args, val_args, va["goal"])
            preds[name], fitted[name] = adj.predict(te, offsets["test"]), adj
            chosen[name] = {"C": adj.C, "val_log_loss": scores}
    return preds, chosen, fitted


def _baseline_offsets(parts: dict[str, pd.DataFrame], params: dict[str, object], seed: int
                      ) -> dict[str, np.ndarray]:
    """Baseline log-odds: out-of-fold on train, the full-train model on val and test."""
    model, levels = fit_xg_baseline(parts["train"], params, seed)
    out = {k: clip_logit(predict_baseline(model, levels, parts[k])) for k in ("val", "test")}
    log.info("baseline: out-of-fold log-odds on the training shots")
    out["train"] = clip_logit(oof_baseline(parts["train"], params, seed=seed))
    return out


def _score(test: pd.DataFrame, preds: dict[str, np.ndarray], n_boot: int, seed: int
           ) -> dict[str, Any]:
    """Per situation (skipped when it has no test shot): metrics with intervals, paired
    differences vs baseline and vs EB."""
    out: dict[str, Any] = {}
    for situation, mask in (("all", np.ones(len(test), bool)),
                            ("5v5", test["is_5v5"].to_numpy() == 1)):
        if not mask.any():  # e.g. PWHL: no manpower, so no 5v5 subset
            log.info("no %s test shots: situation skipped", situation)
            continue
        y, groups = test["goal"].to_numpy()[mask], test["game_id"].to_numpy()[mask]
        sub = {k: v[mask] for k, v in preds.items()}
        res = evaluate_with_ci(y, sub, groups, metrics=("auc", "log_loss", "brier"),
                               n_boot=n_boot, seed=seed, reference="baseline")
        if "latent_both" in sub:
            vs_eb = evaluate_with_ci(y, {"eb_control": sub["eb_control"],
                                         "latent_both": sub["latent_both"]}, groups,
                                     metrics=("auc", "log_loss"), n_boot=n_boot, seed=seed,
                                     reference="eb_control")
            res["latent_both_minus_eb_control"] = vs_eb["latent_both_minus_eb_control"]
        res["goal_rate"] = float(y.mean()) if len(y) else float("nan")
        out[situation] = res
    return out


def run_xg_study(shots: pd.DataFrame, table: pd.DataFrame | None, *, n_boot: int = 500,
                 seed: int = 0) -> dict[str, Any]:
    """Baseline chosen on val, stage-2 models, test scores with paired intervals.

    Returns scores, chosen settings, shot counts, fitted stage-2 adjusters and the test
    predictions.

    `shots`: `xg_features` rows with a `part` column; `table`: per-player embeddings fit on
    the training games only (None: controls only).
    """
    parts = {k: shots.loc[shots["part"] == k].reset_index(drop=True)
             for k in ("train", "val", "test")}
    empty = [k for k, v in parts.items() if v.empty]
    if empty:
        raise ValueError(f"no shots in part(s) {empty}")
    params, base_scores = choose_baseline(parts["train"], parts["val"], seed)
    offsets = _baseline_offsets(parts, params, seed)
    preds, chosen, fitted = stage_two(parts, offsets, table)
    chosen["baseline"] = {"params": params, "val_log_loss": base_scores}
    return {"scores": _score(parts["test"], preds, n_boot, seed), "chosen": chosen,
            "shots": {k: int(len(v)) for k, v in parts.items()}, "fitted": fitted,
            "predictions": pd.DataFrame({"game_id": parts["test"]["game_id"],
                                         "goal": parts["test"]["goal"], **preds})}

"""Is an embedding table the same kind of object on seen and unseen games?

The downstream models are fit on train games, whose events the embedding model saw, and
scored on test games, whose events it did not. If posterior means differ between the two
(in-sample vs out-of-sample), a downstream model learns on one distribution and is scored
on another. A domain classifier measures it: how well can a logistic model tell events of
two groups of games apart from their embeddings alone (ROC AUC, 0.5 = not at all)?
Comparing train-vs-test with val-vs-test (both unseen) separates "seen by the model"
from the drift of late-season games.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hockey_vae.downstream.embedding_joins import embedding_columns

__all__ = ["embedding_shift", "active_units", "ACTIVITY_THRESHOLD"]

# A latent unit is active when its posterior mean varies across events by more than this
# (variance; the prior is N(0, 1)): Burda, Grosse & Salakhutdinov (2016), "Importance
# Weighted Autoencoders", section 5.2. Collapsed units carry no information, and
# standardising them blows numerical noise up into features a model overfits.
ACTIVITY_THRESHOLD = 0.01


def active_units(
    event_embeddings: pd.DataFrame, game_ids: object = None,
    threshold: float = ACTIVITY_THRESHOLD,
) -> tuple[list[str], dict[str, float]]:
    """(active embedding columns, variance of every column) over the events of `game_ids`.

    At least the most active column is always returned.
    """
    cols = embedding_columns(event_embeddings)
    emb = event_embeddings
    if game_ids is not None:
        keep = emb["game_id"].astype(str).isin(pd.Index(list(game_ids)).astype(str))
        emb = emb.loc[keep.to_numpy()]
    activity = {c: float(emb[c].astype(np.float64).var()) for c in cols}
    active = [c for c in cols if activity[c] > threshold]
    if not active:
        active = [max(cols, key=lambda c: activity[c])]
    return active, activity


def _domain_auc(
    emb: pd.DataFrame, cols: list[str], a: pd.Series, b: pd.Series, max_rows: int, seed: int
) -> float:
    """Cross-validated (folds by game) AUC of a logistic classifier telling group b from a."""
    rng = np.random.default_rng(seed)
    parts = []
    for label, mask in ((0, a), (1, b)):
        rows = np.flatnonzero(mask.to_numpy())
        if len(rows) > max_rows:
            rows = rng.choice(rows, max_rows, replace=False)
        parts.append((rows, label))
    rows = np.concatenate([r for r, _ in parts])
    y = np.concatenate([np.full(len(r), lab) for r, lab in parts])
    if len(rows) < 10 or len(np.unique(y)) < 2:
        return float("nan")
    X = emb[cols].to_numpy(np.float64)[rows]
    groups = emb["game_id"].to_numpy()[rows]
    if len(np.unique(groups)) < 4:
        return float("nan")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    p = cross_val_predict(model, X, y, groups=groups, cv=GroupKFold(n_splits=4),
                          method="predict_proba")[:, 1]  # fmt: skip
    return float(roc_auc_score(y, p))


def embedding_shift(
    event_embeddings: pd.DataFrame, part: pd.Series, max_rows: int = 20000, seed: int = 0
) -> dict[str, object]:
    """Per-part summary of the embeddings and domain-classifier AUCs between parts.

    Returns {"parts": {part: {"events", "mean_norm", "mean_dim_std"}},
    "domain_auc": {"train_vs_test": x, "val_vs_test": x, "train_vs_val": x}}.
    """
    cols = embedding_columns(event_embeddings)
    emb = event_embeddings.loc[:, ["game_id", *cols]].copy()
    emb["game_id"] = emb["game_id"].astype(str)
    where = emb["game_id"].map(part)
    summary = {}
    for name in ("train", "val", "test"):
        values = emb.loc[where == name, cols].to_numpy(np.float64)
        summary[name] = {
            "events": int(len(values)),
            "mean_norm": float(np.linalg.norm(values, axis=1).mean()) if len(values) else None,
            "mean_dim_std": float(values.std(axis=0).mean()) if len(values) else None,
        }
    aucs = {
        f"{a}_vs_{b}": _domain_auc(emb, cols, where == a, where == b, max_rows, seed)
        for a, b in (("train", "test"), ("val", "test"), ("train", "val"))
    }
    return {"parts": summary, "domain_auc": aucs}

"""Win probability for the consolidated report, on one latent table that never saw the scored
games: in-game (the on-ice players' latents at each event) and pre-game (dressed lineups).

With one latent table the scored games are the latent run's validation + test games. To
rank hyper-parameters on more than one small validation part, C is cross-fitted
(`crossfit`): every candidate model is fit on the training games once; C is chosen on the
validation games to score the test games and on the test games to score the validation
games, so each scored game's prediction comes from a C chosen on the other part, and twice
as many games are scored. The plain protocol (C on validation, test only) is reported too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from hockey_vae.downstream.features import game_labels, game_states
from hockey_vae.downstream.ingame_onice import add_on_ice_latents
from hockey_vae.downstream.metrics import evaluate_with_ci
from hockey_vae.downstream.outcome import InGameWinModel
from hockey_vae.downstream.pregame_rolling import PREGAME_GRID, rolling_predictions

__all__ = ["IN_GAME_C_GRID", "crossfit", "in_game_section", "pre_game_section"]

IN_GAME_C_GRID = [0.001, 0.01, 0.1, 1.0, 10.0]
FOLDS = ("val", "test")


def _loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1]))


def crossfit(preds: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Cross-fitted choice of C per model over the val / test parts.

    `preds`: rows game_id, part ("val" / "test"), y, model, C, p (every candidate's prediction
    of every scored row, row order identical across (model, C)). Returns (one row per scored
    row with p_<model> columns, {model: {fold: {chosen C, losses by C on the choosing
    part}}}); `fold` is the scored part.
    """
    out, chosen = [], {}
    for fold in FOLDS:
        other = FOLDS[1 - FOLDS.index(fold)]
        scored = None
        for model, g in preds.groupby("model", sort=False):
            losses = {str(C): _loss(s["y"].to_numpy(), s["p"].to_numpy())
                      for C, s in g[g["part"] == other].groupby("C")}
            best = min(losses, key=losses.get)
            chosen.setdefault(model, {})[fold] = {"C": float(best), "chosen_on": other,
                                                  "losses": losses}
            rows = g[(g["part"] == fold) & (g["C"].astype(str) == best)]
            if scored is None:
                scored = rows[["game_id", "part", "y"]].reset_index(drop=True)
            scored[f"p_{model}"] = rows["p"].to_numpy()
        out.append(scored)
    return pd.concat(out, ignore_index=True), chosen


def _score(scored: pd.DataFrame, models: list[str], metrics: tuple[str, ...], n_boot: int,
           seed: int, reference: str) -> dict[str, Any]:
    """Metrics with game-bootstrap intervals, paired differences against `reference`."""
    return evaluate_with_ci(scored["y"].to_numpy(), {m: scored[f"p_{m}"].to_numpy()
                                                     for m in models},
                            scored["game_id"].to_numpy(), metrics, n_boot, seed,
                            reference=reference)


def _report(scored: pd.DataFrame, chosen: dict, models: list[str], metrics: tuple[str, ...],
            n_boot: int, seed: int, reference: str) -> dict[str, Any]:
    """Cross-fitted scores over val + test, plus the plain protocol (C on val, test only)."""
    res = _score(scored, models, metrics, n_boot, seed, reference)
    test = scored[scored["part"] == "test"]
    res["plain_test_only"] = _score(test, models, metrics, n_boot, seed, reference)
    res["chosen"] = chosen
    res["scored_games"] = {k: int(scored.loc[scored["part"] == k, "game_id"].nunique())
                           for k in FOLDS}
    return res


def in_game_section(events: pd.DataFrame, rosters: pd.DataFrame, games: pd.DataFrame,
                    part: pd.Series, table: pd.DataFrame, *, stride: int, n_boot: int,
                    seed: int) -> dict[str, Any]:
    """In-game P(home win): game state (baseline) vs + on-ice and lineup latents
    (with_embeddings); logistic, C cross-fitted; training uses every `stride`-th event."""
    states = game_states(events, games)
    states["part"] = states["game_id"].map(part)
    keep = states["part"].isin(FOLDS) | ((states["part"] == "train")
                                         & (states["event_idx"] % stride == 0))
    states = add_on_ice_latents(states[keep].reset_index(drop=True), events, rosters, games,
                                table)
    train = states[states["part"] == "train"]
    scored = states[states["part"].isin(FOLDS)].reset_index(drop=True)
    rows = []
    for model, use in (("baseline", False), ("with_embeddings", True)):
        for C in IN_GAME_C_GRID:
            m = InGameWinModel(model="logistic", use_embeddings=use, C=C)
            m.fit(train, train["home_win"])
            rows.append(pd.DataFrame({"game_id": scored["game_id"], "part": scored["part"],
                                      "y": scored["home_win"].to_numpy(), "model": model,
                                      "C": C, "p": m.predict_proba(scored)[:, 1]}))
    picked, chosen = crossfit(pd.concat(rows, ignore_index=True))
    res = _report(picked, chosen, ["baseline", "with_embeddings"],
                  ("log_loss", "accuracy", "auc"), n_boot, seed, "baseline")
    res["states"] = {"train": int(len(train)), "scored": int(len(scored)), "stride": stride}
    return res


def pre_game_section(games: pd.DataFrame, rosters: pd.DataFrame, part: pd.Series,
                     table: pd.DataFrame, *, n_boot: int, seed: int) -> dict[str, Any]:
    """Pre-game P(home win) on the val + test games: home ice, team identity + home ice, and
    the dressed lineups' mean latents (`mean`, `position`), refit weekly on all earlier games
    (`rolling_predictions` with the one table), C cross-fitted."""
    labels = game_labels(games)
    labels["game_id"] = labels["game_id"].astype(str)
    labels["part"] = labels["game_id"].map(part)
    dates = pd.to_datetime(labels.loc[labels["part"].isin(FOLDS), "game_date"])
    first, last = dates.min(), dates.max() + pd.Timedelta(days=1)
    preds = rolling_predictions(labels, rosters, {first: table}, str(first.date()),
                                str(last.date()), PREGAME_GRID)
    preds = preds.assign(part=preds["game_id"].astype(str).map(part), y=preds["home_win"],
                         model=preds["features"])
    preds = preds[preds["part"].isin(FOLDS)].sort_values(["model", "C", "game_id"])
    picked, chosen = crossfit(preds.reset_index(drop=True))
    models = list(PREGAME_GRID)
    res = _report(picked, chosen, models, ("accuracy", "log_loss", "auc"), n_boot, seed,
                  "home_ice")
    vs_team = _score(picked, ["team", "mean", "position"], ("accuracy", "log_loss", "auc"),
                     n_boot, seed, "team")
    res.update({k: v for k, v in vs_team.items() if k.endswith("_minus_team")})
    res["with_embeddings"] = res["mean"]  # the key the earlier reports used
    res["with_embeddings_minus_home_ice"] = res["mean_minus_home_ice"]
    res["home_win_rate"] = float(picked["y"].mean())
    return res

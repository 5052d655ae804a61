"""Issue 11's consolidated downstream report: every piece on one per-player latent table.

The pieces reuse the studies of this package: expected goals (`run_xg_study`), in-game and
pre-game win probability (`suite_outcome`), player-level rates (`rate_predictions`) and, on
the synthetic league, recovery of the simulated effects (`recovery`). This module turns
their results into the report's key layout (`goals.<situation>.{baseline, with_embeddings,
eb_control, id_control, paired}`, `player_level.rates`, ...). A piece that does not apply to
a dataset is None there with the reason under `nulls` (never a made-up number).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hockey_vae.downstream.player_checks import rate_predictions, rate_r2_table
from hockey_vae.downstream.xg import xg_features
from hockey_vae.downstream.xg_study import run_xg_study

__all__ = ["GOAL_MODELS", "metric_entry", "paired_entry", "goals_section", "run_goals",
           "later_rate_games", "rates_section", "Nulls"]

# report key -> stage-2 model of `run_xg_study`
GOAL_MODELS = {"baseline": "baseline", "with_embeddings": "latent_both",
               "eb_control": "eb_control", "id_control": "id_control",
               "latent_shooter": "latent_shooter", "latent_goalie": "latent_goalie"}


class Nulls(dict):
    """dotted report key -> why it is null (a dict, so it serialises as the `nulls` key)."""

    def add(self, key: str, reason: str) -> None:
        """Record that `key` is null because of `reason`."""
        self[key] = reason


def metric_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A model's scores as written: the metrics, their `_ci` intervals, rows and games."""
    return {k: v for k, v in entry.items()}


def paired_entry(diff: dict[str, Any], metric: str = "log_loss", what: str = "") -> dict:
    """{diff, lo, hi} of one paired difference (plus the metric and what was subtracted)."""
    lo, hi = diff[f"{metric}_ci"]
    return {"diff": diff[metric], "lo": lo, "hi": hi, "metric": metric, "models": what}


def goals_section(scores: dict[str, Any]) -> dict[str, Any]:
    """Per situation: the report's model keys, `paired` (with_embeddings - baseline log loss),
    `paired_eb` (eb_control - baseline), `paired_vs_eb` (with_embeddings - eb_control) and
    every model's paired differences from the baseline."""
    out: dict[str, Any] = {}
    for situation, res in scores.items():
        sec = {key: metric_entry(res[m]) for key, m in GOAL_MODELS.items() if m in res}
        sec["paired"] = paired_entry(res["latent_both_minus_baseline"],
                                     what="with_embeddings (latent_both) - baseline")
        sec["paired_eb"] = paired_entry(res["eb_control_minus_baseline"],
                                        what="eb_control - baseline")
        sec["paired_id"] = paired_entry(res["id_control_minus_baseline"],
                                        what="id_control - baseline")
        sec["paired_vs_eb"] = paired_entry(res["latent_both_minus_eb_control"],
                                           what="with_embeddings (latent_both) - eb_control")
        sec["differences"] = {k: v for k, v in res.items() if k.endswith("_minus_baseline")}
        sec["goal_rate"] = res["goal_rate"]
        out[situation] = sec
    return out


def run_goals(events: pd.DataFrame, rosters: pd.DataFrame, part: pd.Series,
              table: pd.DataFrame, nulls: Nulls, *, n_boot: int, seed: int
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """(goals section, the raw xG study result plus its `train_shots`) on the shots of the
    split `part`."""
    shots = xg_features(events, rosters)
    shots["part"] = shots["game_id"].astype(str).map(part)
    result = run_xg_study(shots, table, n_boot=n_boot, seed=seed)
    section = goals_section(result["scores"])
    if "5v5" not in section:
        section["5v5"] = None
        nulls.add("goals.5v5", "no test shot has 5 skaters a side with both goalies in: the "
                  "data carry no manpower (or goalie) for shots")
    if not {"shoots", "handedness"} & set(rosters.columns):
        nulls.add("goals.features.handedness", "the canonical tables carry no shooter "
                  "handedness, so the baseline has no handedness or off-wing feature")
    section["shots"] = result["shots"]
    section["chosen"] = result["chosen"]
    result["train_shots"] = shots[shots["part"] == "train"]
    return section, result


def later_rate_games(part: pd.Series, games: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(earlier, later) game ids for the rate check: the latent run's training games of the
    last season, and the validation + test games it never saw."""
    last = games["season"].astype(str).max()
    in_last = set(games.loc[games["season"].astype(str) == last, "game_id"].astype(str))
    earlier = [g for g in part.index[part == "train"] if g in in_last]
    later = [g for g in part.index[part.isin(["val", "test"])]]
    return earlier, later


def rates_section(events: pd.DataFrame, rosters: pd.DataFrame, games: pd.DataFrame,
                  part: pd.Series, table: pd.DataFrame, *, min_games: int, seed: int
                  ) -> dict[str, Any]:
    """Later per-game rates from earlier ones (raw, shrunk, latents): R^2 records + sizes."""
    from hockey_vae.boxscore import boxscore_rates

    earlier, later = later_rate_games(part, games)
    box1 = boxscore_rates(events, rosters, earlier)
    box2 = boxscore_rates(events, rosters, later)
    preds = rate_predictions(box1, box2, table, min_games=min_games, seed=seed)
    players = pd.Index(preds["player_id"].unique())
    n = table.set_index(table["player_id"].astype(str))["n_events"].reindex(players)
    n = n.fillna(0)
    tercile = pd.qcut(n.rank(method="first"), 3, labels=["low", "mid", "high"]).astype(str)
    r2 = rate_r2_table(preds, tercile)
    return {"records": r2.to_dict("records"), "players": int(len(players)),
            "earlier_games": len(earlier), "later_games": len(later), "min_games": min_games,
            "design": "earlier = the latent run's training games of the last season; later = "
                      "the validation + test games it never saw; skaters dressed >= "
                      f"{min_games} games in each; terciles by the player's training events "
                      "in the run"}

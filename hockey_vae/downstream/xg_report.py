"""Markdown pieces of the expected-goals reports: score tables, the issue's goals, method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hockey_vae.downstream.xg import XG_CATEGORICAL, XG_NUMERIC
from hockey_vae.downstream.xg_study import md_table

__all__ = ["ORDER", "METHOD", "score_tables", "verdicts", "mask_report"]

ORDER = ["baseline", "eb_control", "id_control", "latent_shooter", "latent_goalie",
         "latent_both"]


METHOD = [
    "- Shots: unblocked attempts (shot, missed_shot, goal); one model for all situations, "
    "scored on all and on the 5v5 subset (5 skaters a side, both goalies in).",
    "- Baseline: scikit-learn HistGradientBoostingClassifier on " + ", ".join(
        XG_NUMERIC + XG_CATEGORICAL) + "; settings chosen on validation log loss. Shooter "
    "handedness (and off-wing) is not in the data (neither the canonical tables nor the "
    "fastRhockey rosters carry it), so it is not used.",
    "- Stage 2 on the baseline log-odds o (out-of-fold, 5 game folds, on the training shots): "
    "latent_* = scikit-learn LogisticRegression on [10 o, standardised posterior means of the "
    "shooter's and/or goalie's u_j, missing flags], C chosen on validation; id_control = "
    "the same with one-hot shooter and goalie ids; eb_control = o + log theta_shooter + "
    "log theta_goalie, theta the gamma-Poisson empirical-Bayes ratio of goals to baseline xG "
    "on training shots (prior variance by moments; goalie theta < 1 = saves above expected).",
    "- Latents: `hockey_vae.models.player_latent` (d_u = 16, 60 epochs) fit on the training "
    "games only; validation and test games are unseen by it.",
]


def _fmt(entry: dict, metric: str) -> str:
    lo, hi = entry[f"{metric}_ci"]
    return f"{entry[metric]:.4f} [{lo:.4f}, {hi:.4f}]"


def score_tables(scores: dict[str, Any]) -> list[str]:
    """Markdown: per situation, metrics per model and paired differences vs baseline."""
    lines = []
    for situation, res in scores.items():
        rows = [{"model": m, "AUC": _fmt(res[m], "auc"), "log loss": _fmt(res[m], "log_loss"),
                 "Brier": _fmt(res[m], "brier")} for m in ORDER if m in res]
        diffs = [{"model - baseline": m, "d log loss": _fmt(res[f"{m}_minus_baseline"],
                                                            "log_loss"),
                  "d AUC": _fmt(res[f"{m}_minus_baseline"], "auc")}
                 for m in ORDER[1:] if f"{m}_minus_baseline" in res]
        n = res["baseline"]
        lines += [f"### {situation} ({n['n']} shots, {n['n_games']} test games, goal rate "
                  f"{res['goal_rate']:.4f})", "", md_table(pd.DataFrame(rows)), "",
                  md_table(pd.DataFrame(diffs)), ""]
        if "latent_both_minus_eb_control" in res:
            d = res["latent_both_minus_eb_control"]
            lines += [f"latent_both - eb_control: d log loss {_fmt(d, 'log_loss')}, d AUC "
                      f"{_fmt(d, 'auc')}", ""]
    return lines


def verdicts(scores: dict[str, Any]) -> list[str]:
    """The issue's goals, each answered yes / no with the numbers."""
    s5 = scores["5v5"]
    best = max((m for m in ORDER if m in s5), key=lambda m: s5[m]["auc"])
    lines = [f"- 5v5 AUC >= 0.80 for the best model: best is {best} with "
             f"{s5[best]['auc']:.4f} -> {'met' if s5[best]['auc'] >= 0.80 else 'NOT met'}."]
    if "latent_both_minus_baseline" in s5:
        d, eb = s5["latent_both_minus_baseline"], s5["eb_control_minus_baseline"]
        below = d["log_loss_ci"][1] < 0
        lines.append(f"- Latents (both) lower 5v5 log loss with the paired interval below 0: "
                     f"{_fmt(d, 'log_loss')} -> {'met' if below else 'NOT met'}.")
        lines.append(f"- ... by at least as much as the EB control ({_fmt(eb, 'log_loss')}): "
                     f"{'met' if d['log_loss'] <= eb['log_loss'] else 'NOT met'} (paired "
                     f"latent - EB: {_fmt(s5['latent_both_minus_eb_control'], 'log_loss')}).")
    return lines


def mask_report(out: Path, names: dict[str, str]) -> None:
    """Rewrite <out>.md / <out>.json with machine paths replaced by names (e.g. NHL_DIR).

    Reports name no machine paths (tests/reporting): the data and cache folders of the run
    that made them are shown as the placeholders the README uses.
    """
    for path in (out.with_suffix(".md"), out.with_suffix(".json")):
        if not path.exists():
            continue
        text = path.read_text()
        for real, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
            if real and "/" in str(real):  # never "" or ".": only folder paths
                text = text.replace(str(Path(real)), name)
        path.write_text(text)

"""Figures of the consolidated downstream report: every paired log-loss difference with its
interval on one axis (below 0 = the model beats its reference), and xG calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from hockey_vae.downstream.figures import _save, calibration_figure  # noqa: E402

__all__ = ["paired_rows", "paired_figure", "goals_calibration_figure"]

GOAL_DIFFS = [("latent_shooter_minus_baseline", "latent shooter - baseline"),
              ("latent_goalie_minus_baseline", "latent goalie - baseline"),
              ("latent_both_minus_baseline", "latents (both) - baseline"),
              ("eb_control_minus_baseline", "EB control - baseline"),
              ("id_control_minus_baseline", "ID control - baseline")]


def _row(piece: str, label: str, e: dict[str, Any]) -> dict[str, Any]:
    lo, hi = e["log_loss_ci"]
    return {"piece": piece, "difference": label, "diff": e["log_loss"], "lo": lo, "hi": hi}


def paired_rows(payload: dict[str, Any]) -> pd.DataFrame:
    """One row per paired log-loss difference of the report: piece, label, diff, lo, hi."""
    rows = []
    for sit in ("5v5", "all"):
        sec = payload["goals"].get(sit)
        if sec:
            rows += [_row(f"xG {sit}", label, sec["differences"][k]) for k, label in GOAL_DIFFS
                     if k in sec["differences"]]
            v = sec["paired_vs_eb"]
            rows.append({"piece": f"xG {sit}", "difference": "latents (both) - EB control",
                         "diff": v["diff"], "lo": v["lo"], "hi": v["hi"]})
    ig, pg = payload["outcome"]["in_game"], payload["outcome"]["pre_game"]
    rows.append(_row("in-game", "on-ice latents - state", ig["with_embeddings_minus_baseline"]))
    for k, label in (("mean_minus_team", "lineup latents - team"),
                     ("team_minus_home_ice", "team - home ice"),
                     ("mean_minus_home_ice", "lineup latents - home ice")):
        rows.append(_row("pre-game", label, pg[k]))
    return pd.DataFrame(rows)


def paired_figure(payload: dict[str, Any], path: Path, title: str) -> Path:
    """Forest plot of `paired_rows`: one panel per piece (its own x scale, since xG
    differences are ~10x smaller than win-probability ones), point and 95% interval."""
    rows = paired_rows(payload)
    pieces = list(rows["piece"].unique())
    sns.set_theme(style="whitegrid")
    heights = [rows["piece"].eq(p).sum() + 1.2 for p in pieces]
    fig, axes = plt.subplots(len(pieces), 1, figsize=(7.0, 0.3 * sum(heights) + 0.8),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    colours = sns.color_palette(n_colors=len(pieces))
    for ax, piece, colour in zip(axes[:, 0], pieces, colours, strict=True):
        sub = rows[rows["piece"] == piece]
        y = list(range(len(sub)))[::-1]
        for yi, r in zip(y, sub.itertuples(index=False), strict=True):
            ax.errorbar(r.diff, yi, xerr=[[r.diff - r.lo], [r.hi - r.diff]], fmt="o",
                        color=colour, capsize=3)
        ax.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        ax.set_yticks(y, list(sub["difference"]), fontsize=8)
        ax.set_ylim(-0.7, len(sub) - 0.3)
        ax.set_title(piece, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("paired difference in test log loss (95% game bootstrap; < 0 = "
                           "better)")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def goals_calibration_figure(predictions: pd.DataFrame, path: Path, title: str) -> Path:
    """Reliability of the baseline, EB control and latents xG on the test shots."""
    y = predictions["goal"].to_numpy()
    curves = {k: (y, predictions[m].to_numpy()) for k, m in
              (("baseline", "baseline"), ("EB control", "eb_control"),
               ("latents (both)", "latent_both")) if m in predictions}
    return calibration_figure(curves, path, title)

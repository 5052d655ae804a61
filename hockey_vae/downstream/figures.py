"""Report figures: calibration curves, an expected-goals rink map, win-probability curves.

Drawn with matplotlib's Agg backend (no display needed) and seaborn styling; each function
writes one PNG atomically and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import Arc, Circle  # noqa: E402

from hockey_vae.downstream.features import BLUE_LINE_X_FT, NET_X_FT  # noqa: E402
from hockey_vae.downstream.metrics import calibration_table  # noqa: E402
from hockey_vae.io import atomic_path  # noqa: E402

__all__ = ["calibration_figure", "rink_figure", "win_probability_figure"]


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def calibration_figure(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str, n_bins: int = 10
) -> Path:
    """Reliability diagram: observed rate vs mean prediction in quantile bins, per model."""
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    top = 0.0
    for label, (y, p) in curves.items():
        table = calibration_table(y, p, n_bins=n_bins)
        ax.plot(table["predicted"], table["observed"], marker="o", label=label)
        top = max(top, float(table[["predicted", "observed"]].to_numpy().max(initial=0)))
    top = min(1.0, top * 1.1 + 0.01)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect")
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="mean predicted probability",
           ylabel="observed frequency", title=title)  # fmt: skip
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def _typical_shot(shots: pd.DataFrame) -> dict[str, object]:
    """A 5v5, tied, second-period wrist shot with no rebound or rush, from `shots` medians."""
    row = {c: shots[c].iloc[0] for c in shots.columns}
    for column in shots.select_dtypes("number").columns:
        row[column] = float(shots[column].median()) if shots[column].notna().any() else np.nan
    types = shots["shot_type"].value_counts()
    row.update(
        shot_type="wrist" if "wrist" in types.index else types.index[0],
        is_rebound=0, is_rush=0, skaters_for=5.0, skaters_against=5.0, score_diff=0.0,
        period=2.0, period_seconds=600.0, empty_net_against=0.0, empty_net_for=0.0,
    )  # fmt: skip
    return row


def rink_figure(model: object, shots: pd.DataFrame, path: Path, title: str) -> Path:
    """Expected-goal probability of a typical shot by location, blue line to goal line.

    `model` has predict_proba on `shots`-like frames; every feature but location is fixed
    (see `_typical_shot`); the observed goals of `shots` are overlaid as dots.
    """
    xs = np.arange(BLUE_LINE_X_FT, NET_X_FT + 0.5, 1.0)  # behind the net: too few shots
    ys = np.arange(-42.0, 42.5, 1.0)
    gx, gy = np.meshgrid(xs, ys)
    grid = pd.DataFrame([_typical_shot(shots)] * gx.size)
    grid["x"], grid["y"] = gx.ravel(), gy.ravel()
    grid["distance"] = np.hypot(NET_X_FT - grid["x"], grid["y"])
    grid["log_distance"] = np.log1p(grid["distance"])
    grid["angle"] = np.degrees(np.arctan2(np.abs(grid["y"]), NET_X_FT - grid["x"]))
    grid = grid.astype({c: shots[c].dtype for c in shots.columns if c in grid}, errors="ignore")
    prob = model.predict_proba(grid)[:, 1].reshape(gx.shape)

    sns.set_theme(style="white")
    fig, ax = plt.subplots(figsize=(6.5, 6.0))
    image = ax.pcolormesh(gx, gy, prob, cmap="magma", shading="nearest",
                          vmin=0, vmax=float(np.quantile(prob, 0.99)))  # fmt: skip
    fig.colorbar(image, ax=ax, label="P(goal)", shrink=0.8)
    goals = shots.loc[shots["goal"] == 1]
    ax.scatter(goals["x"], goals["y"], s=2, color="cyan", alpha=0.3, label="test-set goals")
    for x, color in ((NET_X_FT, "red"), (BLUE_LINE_X_FT, "blue")):
        ax.axvline(x, color=color, linewidth=1.5)
    ax.add_patch(Arc((NET_X_FT, 0), 12, 12, theta1=90, theta2=270, color="red"))
    for y0 in (-22.0, 22.0):
        ax.add_patch(Circle((69.0, y0), 15.0, fill=False, color="red", linewidth=0.8))
    ax.plot([NET_X_FT, NET_X_FT + 3.3], [3, 3], color="white", lw=2)
    ax.plot([NET_X_FT, NET_X_FT + 3.3], [-3, -3], color="white", lw=2)
    ax.set(xlim=(BLUE_LINE_X_FT, 100), ylim=(-42.5, 42.5), aspect="equal",
           xlabel="x (ft, attacking toward +x)", ylabel="y (ft)", title=title)  # fmt: skip
    ax.legend(loc="lower left", fontsize=7)
    return _save(fig, path)


def win_probability_figure(
    states: pd.DataFrame, games: pd.DataFrame, path: Path, n_games: int = 3, seed: int = 0
) -> Path:
    """P(home wins) through `n_games` test games (chosen with `seed`), one panel each.

    `states` holds game_id, game_seconds, score_diff, home_win and one `p_<model>` column per
    model; goals (changes of score_diff) are marked.
    """
    ids = np.sort(states["game_id"].unique())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(ids, size=min(n_games, len(ids)), replace=False)
    info = games.assign(game_id=games["game_id"].astype(str)).set_index("game_id")
    models = [c for c in states.columns if c.startswith("p_")]
    sns.set_theme(style="whitegrid")
    fig, axes = plt.subplots(len(chosen), 1, figsize=(7.5, 2.4 * len(chosen)), squeeze=False)
    for ax, game_id in zip(axes[:, 0], chosen, strict=True):
        game = states.loc[states["game_id"] == game_id].sort_values("event_idx")
        minutes = game["game_seconds"].to_numpy() / 60.0
        for column in models:
            ax.step(minutes, game[column], where="post", label=column[2:], linewidth=1.2)
        change = np.flatnonzero(np.diff(game["score_diff"].to_numpy()) != 0) + 1
        for k in change:
            ax.axvline(minutes[k], color="grey", linewidth=0.6, linestyle=":")
        row = info.loc[game_id] if game_id in info.index else None
        title = str(game_id)
        if row is not None:
            title += (f": {row.get('away_team')} {row.get('away_goals')} at "
                      f"{row.get('home_team')} {row.get('home_goals')}"
                      f" ({row.get('winner')} won, {row.get('decided_in')})")  # fmt: skip
        ax.set(ylim=(0, 1), ylabel="P(home wins)", title=title)
        ax.title.set_fontsize(9)
        ax.axhline(0.5, color="black", linewidth=0.5)
    axes[-1, 0].set_xlabel("game minute (dotted: goals)")
    axes[0, 0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return _save(fig, path)

"""Figures an analyst asks for: a named embedding map and a rink plot of shots and goals.

Each function returns a matplotlib Figure whose suptitle names the model (where there is
one), the data and the split, so a figure pasted into a report still says what it shows;
`save_figure` writes it atomically. Interactive HTML maps are not offered: no well-kept
interactive plotting library (plotly, bokeh) is installed, and one is not worth a new
dependency here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.io import PathLike, as_frame, atomic_path
from hockey_vae.schema import embedding_columns

__all__ = ["embedding_map", "rink_plot", "shot_events", "save_figure", "figure_title",
           "SHOT_OUTCOMES"]

# event type -> (label, colour) for shots; goals are also drawn large
SHOT_OUTCOMES: dict[str, tuple[str, str]] = {
    "goal": ("goal", "#d62728"),
    "shot": ("saved", "#1f77b4"),
    "missed_shot": ("missed", "#7f7f7f"),
    "blocked_shot": ("blocked", "#ff7f0e"),
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    return plt


def figure_title(what: str, *, data: str, split: str, model: str | None = None) -> str:
    """'<what> - model M - data D - split S': the title every figure carries."""
    parts = [what] + ([f"model {model}"] if model else []) + [f"data {data}", f"split {split}"]
    return " - ".join(parts)


def save_figure(fig: Any, path: PathLike, dpi: int = 120) -> None:
    """Write `fig` atomically; PNG, SVG or PDF by `path`'s suffix."""
    fmt = str(path).rsplit(".", 1)[-1].lower()
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"{path}: figure files end in .png, .svg or .pdf")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)


def embedding_map(players: pd.DataFrame, *, title: str, method: str = "pca",
                  n_labels: int = 15, min_events: int = 5, seed: int = 0) -> Any:
    """2-D map of per-player embeddings (PCA or t-SNE), coloured by position.

    The `n_labels` players with the most events are labelled by name. Players with fewer
    than `min_events` events are left out (their means are noise) unless that leaves < 5.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    df = as_frame(players, "players")
    if (df["n_events"] >= min_events).sum() >= 5:
        df = df[df["n_events"] >= min_events]
    df = df.reset_index(drop=True)
    if len(df) < 3:
        raise ValueError(f"an embedding map needs at least 3 players, got {len(df)}")
    X = df[embedding_columns(df)].to_numpy(np.float64)
    X = (X - X.mean(0)) / np.where(X.std(0) > 1e-12, X.std(0), 1.0)
    if method == "pca":
        xy = PCA(n_components=2, random_state=seed).fit_transform(X)
    else:
        xy = TSNE(n_components=2, perplexity=float(max(2, min(30, (len(df) - 1) // 3))),
                  random_state=seed, init="pca").fit_transform(X)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 7))
    position = df["position"].astype("string").fillna("?")
    for pos in sorted(position.unique()):
        m = (position == pos).to_numpy()
        ax.scatter(xy[m, 0], xy[m, 1], s=18, label=f"{pos} ({m.sum()})", alpha=0.8)
    for i in df["n_events"].to_numpy().argsort()[::-1][:n_labels]:
        ax.annotate(str(df["player_name"].iloc[i]), xy[i], fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    axis = "PC" if method == "pca" else "t-SNE "
    ax.set(xlabel=f"{axis}1", ylabel=f"{axis}2")
    ax.legend(title="position", fontsize=8)
    ax.set_title(f"{len(df)} players with >= {min(min_events, int(df['n_events'].min()))} "
                 f"events; the {min(n_labels, len(df))} most active named", fontsize=9)
    fig.suptitle(title, fontsize=10)
    return fig


def shot_events(events: pd.DataFrame, *, player: str | None = None,
                game: str | None = None) -> pd.DataFrame:
    """Shots of one player or one game with x, y oriented for the plot and an `outcome` column.

    A player's shots: shots, misses and goals they took, and blocked shots where they are the
    shooter (`player2_id`; the blocker's view is turned to the shooter's). A game's shots: the
    home team's toward +x, the away team's turned toward -x.
    """
    if (player is None) == (game is None):
        raise ValueError("give exactly one of player or game")
    ev = as_frame(events, "events")
    ev = ev[ev["event_type"].isin(SHOT_OUTCOMES)].copy()
    if player is not None:
        own = (ev["player_id"] == player) & (ev["event_type"] != "blocked_shot")
        blocked = (ev["player2_id"] == player) & (ev["event_type"] == "blocked_shot")
        ev = ev[own | blocked].copy()
        flip = (ev["event_type"] == "blocked_shot").to_numpy()
    else:
        ev = ev[ev["game_id"] == game].copy()
        # the acting team is the shooter's (or, for a block, the blocker's, which attacks the
        # other way): either way the away team's events are the ones turned around
        flip = ~ev["is_home"].fillna(False).astype(bool).to_numpy()
    sign = np.where(flip, -1.0, 1.0)
    ev["x"] = ev["x"].astype(float) * sign
    ev["y"] = ev["y"].astype(float) * sign
    ev["outcome"] = ev["event_type"].map(lambda t: SHOT_OUTCOMES[t][0])
    return ev.dropna(subset=["x", "y"]).reset_index(drop=True)


def rink_plot(shots: pd.DataFrame, *, title: str, half: bool = True) -> Any:
    """Shots on a rink (from `shot_events`), coloured by outcome; goals as large stars."""
    from hockey_vae.rink import draw_rink

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7 if half else 11, 6))
    draw_rink(ax, half=half)
    for label, colour in SHOT_OUTCOMES.values():
        s = shots[shots["outcome"] == label]
        goal = label == "goal"
        ax.scatter(s["x"], s["y"], s=220 if goal else 30, c=colour, marker="*" if goal else "o",
                   edgecolors="black" if goal else "none", linewidths=0.8, zorder=4 if goal else 3,
                   alpha=1.0 if goal else 0.7, label=f"{label} ({len(s)})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    return fig

"""Calibration of the top-1 probability: expected calibration error and reliability figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["reliability_bins", "expected_calibration_error", "plot_reliability_panels"]


def reliability_bins(p: np.ndarray, hit: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Equal-width bins of the top-1 probability `p`: mean confidence, observed accuracy
    (`hit` = top-1 hit, expected under random tie-breaking) and count; empty bins omitted."""
    p, hit = np.asarray(p, float), np.asarray(hit, float)
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    df = pd.DataFrame({"bin": b, "p": p, "hit": hit})
    return df.groupby("bin").agg(confidence=("p", "mean"), accuracy=("hit", "mean"),
                                 n_events=("p", "size")).reset_index()


def expected_calibration_error(p: np.ndarray, hit: np.ndarray, n_bins: int = 10) -> float:
    """ECE = sum over bins of (events in bin / events) x |accuracy - confidence|: 0 for a
    perfectly calibrated top-1 probability; NaN without events."""
    if len(p) == 0:
        return float("nan")
    t = reliability_bins(p, hit, n_bins)
    return float((t["n_events"] * (t["accuracy"] - t["confidence"]).abs()).sum()
                 / t["n_events"].sum())


def plot_reliability_panels(tables: dict[str, pd.DataFrame], path: Any,
                            title: str = "Reliability (roster candidates)") -> None:
    """One panel per model (accuracy vs confidence, the diagonal, bin counts as bars on a
    second axis), so no model's line hides another's; PNG written atomically to `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hockey_vae.io import atomic_path

    n = max(len(tables), 1)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (name, df) in zip(axes.flat, tables.items(), strict=False):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        ax.plot(df["confidence"], df["accuracy"], marker="o", color="C0")
        ax.set(xlim=(0, 1), ylim=(0, 1), title=name, xlabel="top-1 probability",
               ylabel="observed top-1 accuracy")
        twin = ax.twinx()
        twin.bar((df["bin"] + 0.5) / 10, df["n_events"], width=0.09, alpha=0.25, color="C1")
        twin.set_ylabel("events per bin", color="C1")
        ax.set_zorder(twin.get_zorder() + 1)  # the line above the count bars
        ax.patch.set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)

"""Bins of test events by the acting player's training-event count, and per-bin metrics.

A player's count is his number of acting events in the training games; players unseen in
training (scored through the cold-start tokens) are the bin "unseen". "1-50" joins the two
sparse bins for a paired interval with more events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COUNT_BINS", "PAIRED_BINS", "count_bin", "bin_masks", "bin_metrics"]

# label -> inclusive (low, high) training-event counts
COUNT_BINS: dict[str, tuple[float, float]] = {
    "1-10": (1, 10), "11-50": (11, 50), "51-200": (51, 200), ">200": (201, np.inf),
}
PAIRED_BINS: tuple[str, ...] = (*COUNT_BINS, "unseen", "1-50")


def count_bin(train_events: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(N,) bin label of each event: a COUNT_BINS label for known players, else "unseen"."""
    n = np.asarray(train_events)
    out = np.full(len(n), "unseen", dtype=object)
    known = np.asarray(known, bool)
    for label, (lo, hi) in COUNT_BINS.items():
        out[known & (n >= lo) & (n <= hi)] = label
    return out


def bin_masks(frame: pd.DataFrame, candidates: str = "roster") -> dict[str, np.ndarray]:
    """Per label of PAIRED_BINS: the events of `frame` (a `prediction_frame`) in that bin
    whose true player is in the `candidates` set."""
    labels = count_bin(frame["train_events"].to_numpy(), frame["known"].to_numpy())
    in_set = frame[f"in_set_{candidates}"].to_numpy(bool)
    masks = {b: in_set & (labels == b) for b in (*COUNT_BINS, "unseen")}
    masks["1-50"] = masks["1-10"] | masks["11-50"]
    return masks


def bin_metrics(frame: pd.DataFrame, candidates: str = "roster") -> dict[str, dict[str, float]]:
    """{bin: {loglik, top1, n_events}} of one model's events on `candidates`."""
    out = {}
    for b, m in bin_masks(frame, candidates).items():
        n = int(m.sum())
        out[b] = {"loglik": float(frame[f"loglik_{candidates}"].to_numpy()[m].mean())
                  if n else float("nan"),
                  "top1": float(frame[f"top1_{candidates}"].to_numpy()[m].mean())
                  if n else float("nan"),
                  "n_events": n}
    return out

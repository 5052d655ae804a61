"""Metrics on hand-made log-probabilities, sparse players, summaries."""

import math

import numpy as np
import torch

from hockey_vae.evaluate import Predictions, metrics_from_log_probs, sparse_players, summarize


def test_metrics_on_hand_made_log_probs():
    p = torch.tensor([[0.7, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0],
                      [0.1, 0.2, 0.3, 0.15, 0.1, 0.1, 0.05],
                      [0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0]])
    logp = torch.log(p)
    m = metrics_from_log_probs(logp, torch.tensor([0, 6, 1]))
    # row 0: top-1 hit; row 1: truth ranked last of 7 -> top-5 miss; row 2: 4-way tie
    assert math.isclose(m["top1"], (1 + 0 + 0.25) / 3, rel_tol=1e-6)
    assert math.isclose(m["top5"], (1 + 0 + 1) / 3, rel_tol=1e-6)
    assert math.isclose(m["loglik"], float(np.log([0.7, 0.05, 0.25]).mean()), rel_tol=1e-6)
    assert m["n_events"] == 3


def test_sparse_players_bottom_quartile():
    counts = [0] * 7 + [1, 2, 3, 4, 100, 200, 300, 400]
    sp = sparse_players(counts)
    assert not sp[:7].any()
    assert sp[7:].tolist() == [True, True, False, False, False, False, False, False]


def test_summary_counts_unknown_and_not_in_set():
    n = 6
    sets = {"roster": {"ll": np.full(n, -1.0), "ll_small": np.full(n, -1.1),
                       "top1": np.array([1, 0, 1, 0, 1, 1.0]), "top5": np.ones(n),
                       "ptop": np.full(n, 0.5),
                       "in_set": np.array([1, 1, 1, 0, 1, 1], bool)}}
    pred = Predictions(flat_index=np.arange(n), player=np.array([7, 8, 9, 10, 1, 7]),
                       etype=np.array([0, 0, 1, 1, 0, 1]),
                       known=np.array([1, 1, 1, 1, 0, 1], bool), sets=sets)
    ev = summarize(pred, [0] * 7 + [1, 50, 60, 70], "toy")
    row = ev.summary.set_index("candidates").loc["roster"]
    assert row.n_events == 4 and row.n_unknown == 1 and row.n_not_in_set == 1
    assert math.isclose(row.top1, 0.75)
    assert ev.summary.set_index("candidates").loc["sparse"].n_events == 2  # player 7 twice
    assert ev.unknown["n_events"] == 1
    assert set(ev.to_dict()) == {"roster", "sparse"}

"""The seen-vs-unseen embedding check finds a planted shift and nothing else."""

from __future__ import annotations

import pytest

from hockey_vae.downstream import split_by_date
from hockey_vae.downstream.diagnostics import embedding_shift


def test_domain_classifier_finds_a_shift_of_the_train_games(league):
    part = split_by_date(league["games"])
    clean = embedding_shift(league["event_embeddings"], part)
    assert clean["parts"]["train"]["events"] > clean["parts"]["test"]["events"] > 0
    for auc in clean["domain_auc"].values():
        assert auc == pytest.approx(0.5, abs=0.05)
    shifted = league["event_embeddings"].copy()
    shifted.loc[shifted["game_id"].map(part) == "train", "emb_2"] += 0.5
    auc = embedding_shift(shifted, part)["domain_auc"]
    assert auc["train_vs_test"] > 0.6 and auc["train_vs_val"] > 0.6
    assert auc["val_vs_test"] == pytest.approx(0.5, abs=0.05)

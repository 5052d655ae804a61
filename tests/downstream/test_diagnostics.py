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


def test_collapsed_units_are_found(league):
    from hockey_vae.downstream.diagnostics import active_units

    emb = league["event_embeddings"].copy()
    emb["emb_1"] = 0.05 * emb["emb_1"]  # variance ~0.0025: collapsed
    emb["emb_3"] = 0.0
    active, activity = active_units(emb)
    assert active == ["emb_0", "emb_2"]
    assert activity["emb_3"] == 0.0
    assert active_units(emb.assign(emb_0=0.0, emb_2=0.0))[0] == ["emb_1"]  # keep the best one

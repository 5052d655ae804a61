"""Leak checks on a tiny simulated league: finite numbers, a planted lineup signal destroyed by
shuffling, same-second permutations that only reorder within a second, hooks removed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _tiny_run import SMALL, cfg
from _toy import toy_tables

from hockey_vae.features import split_games
from hockey_vae.leak_checks import (
    LEAK_CHECKS,
    _own_event_ablated,
    _permute_same_second,
    leak_checks_markdown,
    run_leak_checks,
)
from hockey_vae.train import fit


def _planted(seed: int = 5):
    """A toy league whose acting team's on-ice list holds the actor alone (plus no one
    else), so the lineup columns name the actor; rosters have 8 players."""
    t = toy_tables(n_games=16, events_per_game=30, seed=seed)
    ev = t.events
    ev["on_ice_for"] = [None if p is None else [p] for p in ev["player_id"]]
    return t


@pytest.fixture(scope="module")
def planted_run():
    torch.manual_seed(0)
    t = _planted()
    split = split_games(t.games)
    run = fit(t, None, "lstm", model_overrides=SMALL, split=split,
              features={"lineup": True, "history": False},
              train_config=cfg(epochs=8, lr=0.02, batch_games=4))
    return t, split, run


def test_every_check_returns_finite_numbers(planted_run):
    t, split, run = planted_run
    out = run_leak_checks(run, t, split["test"], seed=1)
    assert set(out) == set(LEAK_CHECKS)
    for name, r in out.items():
        for key in ("baseline_loglik", "perturbed_loglik", "diff"):
            assert math.isfinite(r[key]), (name, key)
        assert r["n_events"] > 0 and r["verdict"]
        assert r["diff"] == pytest.approx(r["perturbed_loglik"] - r["baseline_loglik"])
    assert "Leak checks" in leak_checks_markdown(out, ["- run: toy"])


def test_shuffling_destroys_the_planted_lineup_signal(planted_run):
    t, split, run = planted_run
    r = run_leak_checks(run, t, split["test"], seed=2)["shuffled_lineup"]
    assert r["lineup_gain"] > 0.5  # the model learned that the lineup names the actor
    assert r["gain_kept"] < 0.25
    assert r["verdict"].startswith("pass")


def test_trained_no_lineup_reference(planted_run):
    t, split, run = planted_run
    ref = fit(t, None, "lstm", model_overrides=SMALL, split=split,
              features={"history": False}, train_config=cfg(epochs=2, lr=0.02))
    r = run_leak_checks(run, t, split["test"], seed=3, reference_run=ref)["shuffled_lineup"]
    assert math.isfinite(r["reference_model_loglik"])
    assert r["reference_model_n_events"] == r["n_events"]
    assert r["lineup_gain_vs_reference_model"] > 0.5  # the planted lineup beats no lineup
    assert r["gain_kept_vs_reference_model"] < 0.25
    with pytest.raises(ValueError, match="without the lineup"):
        run_leak_checks(run, t, split["test"], reference_run=run)


def test_no_lineup_run_is_not_applicable(tmp_path):
    t = toy_tables(n_games=10, events_per_game=20, seed=3)
    split = split_games(t.games)
    run = fit(t, None, "lstm", model_overrides=SMALL, split=split, train_config=cfg(epochs=1))
    r = run_leak_checks(run, t, split["test"], seed=0)["shuffled_lineup"]
    assert r["diff"] == 0.0 and r["verdict"].startswith("not applicable")


def test_same_second_permutation_only_reorders_within_a_second():
    t = toy_tables(n_games=3, events_per_game=20, seed=4)
    ev = t.events.copy()
    ev["game_seconds"] = (ev["event_idx"] // 3).astype("float32")  # runs of 3 share a second
    perm, shared = _permute_same_second(ev, np.random.default_rng(0))
    assert shared.all()
    assert (perm.groupby("game_id")["event_idx"].apply(lambda s: list(s) == list(range(len(s))))
            .all())
    key = ["game_id", "game_seconds", "event_type", "player_id"]
    a = ev[key].astype(str).sort_values(key).reset_index(drop=True)
    b = perm[key].astype(str).sort_values(key).reset_index(drop=True)
    assert a.equals(b)  # the same events
    assert (perm.groupby("game_id")["game_seconds"].apply(lambda s: s.is_monotonic_increasing)
            .all())
    moved = (perm["player_id"].astype(str).to_numpy() != ev.sort_values(
        ["game_id", "event_idx"])["player_id"].astype(str).to_numpy())
    assert moved.any()


def test_own_event_ablation_changes_scores_only_inside(planted_run):
    t, split, run = planted_run
    enc = run.encoder.transform(t, split["test"])
    from hockey_vae.features import collate

    batch = collate(enc, [0])
    run.model.eval()
    with torch.no_grad():
        before = run.model.logits(batch)
        with _own_event_ablated(run):
            inside = run.model.logits(batch)
        after = run.model.logits(batch)
    assert torch.equal(before, after)
    assert not torch.allclose(before, inside)

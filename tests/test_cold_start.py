"""Cold start: position tokens are candidates only for unseen players in the list, the
training-time game-level simulation, and scoring of held-out players against uniform."""

import numpy as np
import pytest
import torch
from _renamed import rename_players
from _toy import toy_tables

from hockey_vae.evaluate import evaluate_model
from hockey_vae.features import (
    N_SPECIAL,
    SequenceEncoder,
    as_tables,
    candidate_mask,
    collate,
    simulate_unseen,
    split_games,
    unknown_token,
    unseen_counts,
)
from hockey_vae.models.baselines import CountConfig, UniformModel
from hockey_vae.models.lstm import LSTMConfig, RosterScorer
from hockey_vae.train import TrainConfig, fit

SMALL = {"hidden": 16, "d_context": 16, "d_player": 8, "d_type": 8}


@pytest.fixture(scope="module")
def held_out():
    tables = toy_tables(n_games=24, seed=1)
    split = split_games(tables.games)
    # T0p1 and T0p5 are both LW (position = j % 4)
    t = rename_players(tables, split["test"], {"T0p1": "rookieA", "T0p5": "rookieB"})
    enc = SequenceEncoder().fit(t, split["train"])
    return enc, enc.transform(t, split["test"])


def test_position_token_is_a_candidate_only_with_an_unseen_player_in_the_list(held_out):
    enc, data = held_out
    V = len(enc.vocab_)
    batch = collate(data, list(range(data.n_games)))
    lw = unknown_token("LW")
    team = data.team_name[batch.flat_index.numpy()]
    roster, on_ice = candidate_mask(batch, "roster", V), candidate_mask(batch, "on_ice", V)
    assert (roster[:, lw].numpy() == (team == "T0")).all()
    others = [i for i in range(1, N_SPECIAL) if i != lw]
    assert not roster[:, others].any() and not on_ice[:, others].any()
    lists = data.on_ice[batch.flat_index.numpy()]
    assert (on_ice[:, lw].numpy() == (lists == lw).any(1)).all()
    # under `all` the roster decides which tokens stand for someone
    all_ = candidate_mask(batch, "all", V)
    assert all_[:, N_SPECIAL:].all() and (all_[:, 1:N_SPECIAL] == roster[:, 1:N_SPECIAL]).all()
    # the token stands for both unseen LW of T0's roster
    counts = unseen_counts(batch, "roster")
    assert (counts[:, lw].numpy() == np.where(team == "T0", 2.0, 1.0)).all()
    assert (unseen_counts(batch, "all") == counts).all()
    assert (unseen_counts(batch, "on_ice")[:, lw].numpy() == np.maximum(
        (lists == lw).sum(1), 1)).all()
    # the truth stays a candidate for unseen actors
    unseen = ~batch.tgt_known
    assert unseen.any() and roster[unseen].gather(1, batch.tgt_player[unseen, None]).all()


def test_simulate_unseen_replaces_a_player_consistently_in_a_game(held_out):
    enc, data = held_out
    torch.manual_seed(0)
    batch = collate(data, list(range(data.n_games)))
    backoff = torch.tensor([unknown_token(p or None) if i > 0 else 0
                            for i, p in enumerate(enc.vocab_.positions)])
    assert simulate_unseen(batch, backoff, 0.0) is batch
    out = simulate_unseen(batch, backoff, 0.3)
    game = batch.target.nonzero()[:, 0]
    changed = out.tgt_player != batch.tgt_player
    assert changed.any() and (out.tgt_player[changed] == backoff[batch.tgt_player[changed]]).all()
    assert not out.tgt_known[changed].any()
    for n in np.flatnonzero(changed.numpy()):
        g, p = int(game[n]), int(batch.tgt_player[n])
        rows = (game == g).nonzero()[:, 0]
        assert not (out.tgt_roster[rows] == p).any() and not (out.tgt_on_ice[rows] == p).any()
        assert not (out.player[g] == p).any()  # gone from that game's history too
        had = (batch.tgt_roster[rows] == p).any(1)  # the player's own team's events
        assert had.any() and (out.tgt_roster[rows][had] == backoff[p]).any(1).all()
    # list entries change only into the player's own position token
    moved = out.tgt_roster != batch.tgt_roster
    assert (out.tgt_roster[moved] == backoff[batch.tgt_roster[moved]]).all()


_ROLE = {"faceoff": "C", "shot": "LW", "giveaway": "RW", "hit": "D", "blocked_shot": "D"}


def test_token_gets_the_history_bonus_of_its_unseen_players(held_out):
    enc, data = held_out
    torch.manual_seed(0)
    batch = collate(data, list(range(data.n_games)))
    hist = RosterScorer(LSTMConfig(n_players=len(enc.vocab_), d_context=8))
    ctx = torch.randn(batch.n_targets, 8)
    with torch.no_grad():
        out = hist(batch, ctx).dense(len(enc.vocab_))
        h = hist.h(batch.tgt_roster_features)
        slot = (h * hist.g(ctx)[:, None, :]).sum(-1) + hist.b(h).squeeze(-1)  # (N, W)
    lw, roster = unknown_token("LW"), batch.tgt_roster
    rows = (roster == lw).any(1)
    best = torch.where(roster == lw, slot, torch.full_like(slot, -1e9)).max(1).values
    assert rows.any() and torch.allclose(out[rows, lw], best[rows])
    assert (out[~rows, lw] == 0).all()
    seen = roster >= N_SPECIAL
    assert torch.allclose(out.gather(1, roster.clamp(min=0))[seen], slot[seen])


def _actors_by_position(tables, seed=0):
    """Each event's actor: a random on-ice player of the position its type calls for, so a
    player's position (not identity) is what the context can tell about him."""
    rng = np.random.default_rng(seed)
    ev = tables.events.copy()
    pos = dict(zip(tables.rosters["player_id"], tables.rosters["position"], strict=False))
    for i in np.flatnonzero(ev["player_id"].notna().to_numpy()):
        fit_ = [p for p in ev.at[i, "on_ice_for"] if pos.get(p) == _ROLE[ev.at[i, "event_type"]]]
        if fit_:
            actor = fit_[rng.integers(len(fit_))]
            ev.at[i, "player_id"], ev.at[i, "player_name"] = actor, actor.upper()
    return as_tables({"events": ev, "games": tables.games, "rosters": tables.rosters})


def test_unseen_players_score_better_than_uniform():
    torch.manual_seed(0)
    tables = _actors_by_position(toy_tables(n_games=40, events_per_game=40, seed=2))
    split = split_games(tables.games, (0.6, 0.1, 0.3))
    # a centre of each team never plays in training
    rename = {f"T{k}p0": f"rookie{k}" for k in range(4)}
    t = rename_players(tables, split["val"] + split["test"], rename)
    cfg = TrainConfig(epochs=6, batch_games=2, progress=False, val_samples=2, seed=0,
                      patience=6, unseen_rate=0.2, lr=1e-2)
    run = fit(t, None, "lstm", model_overrides=SMALL, train_config=cfg, split=split)
    data = run.encoder.transform(t, split["test"])
    counts = run.encoder.vocab_.counts
    model = evaluate_model(run.model, data, counts, candidate_sets=("roster", "on_ice"))
    uniform = UniformModel(CountConfig(n_players=len(counts)))
    base = evaluate_model(uniform, data, counts, candidate_sets=("roster", "on_ice"))
    for c in ("roster", "on_ice"):
        assert model.unknown[c]["n_events"] == base.unknown[c]["n_events"] > 30
        assert model.unknown[c]["loglik"] > base.unknown[c]["loglik"] + 0.5

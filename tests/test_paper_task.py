"""The paper's 150-way slot label: at most 150 labels, ranks from training games only, side and
position kept, events and rosters rewritten consistently, the encoder trains on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _toy import toy_tables

from hockey_vae.features import SequenceEncoder, split_games
from hockey_vae.features.vocab import N_SPECIAL
from hockey_vae.paper_task import N_LABELS, N_SLOTS, paper_slots, paper_task_tables


def _league(seed: int = 1):
    """A toy league with 80 players per team (20 per position: slot 15 overflows) and some
    goal events with a first assist, so points differ between players."""
    t = toy_tables(n_games=12, players_per_team=80, events_per_game=40, seed=seed)
    ev = t.events
    rng = np.random.default_rng(seed)
    acting = np.flatnonzero(ev["player_id"].notna().to_numpy())
    goals = rng.choice(acting, 60, replace=False)
    ev.loc[goals, "event_type"] = "goal"
    ev.loc[goals, "player2_id"] = [ev.at[i, "on_ice_for"][0] if ev.at[i, "on_ice_for"][0]
                                   != ev.at[i, "player_id"] else ev.at[i, "on_ice_for"][1]
                                   for i in goals]
    return t, split_games(t.games)


def _hat_trick(t, game_id: str, player: str):
    """`t` plus three goals by `player` in game `game_id` (his team's first three events)."""
    ev = t.events.copy()
    ro = t.rosters[(t.rosters["game_id"] == game_id) & (t.rosters["player_id"] == player)]
    team = ro["team"].iloc[0]
    rows = ev.index[(ev["game_id"] == game_id) & (ev["team"] == team)][:3]
    ev.loc[rows, "event_type"] = "goal"
    ev.loc[rows, "player_id"] = player
    return type(t)(ev, t.games, t.rosters, t.players)


def test_at_most_150_labels_and_slot_15_is_shared():
    t, split = _league()
    p = paper_task_tables(t, split["train"])
    labels = set(p.rosters["player_id"]) | set(p.events["player_id"].dropna())
    assert len(labels) <= N_LABELS
    assert all(int(lab.split("-")[2]) <= N_SLOTS for lab in labels)
    slots = paper_slots(t, split["train"])
    assert (slots["rank"] > N_SLOTS).any()  # 20 per position: some overflow into slot 15
    assert (slots.loc[slots["rank"] > N_SLOTS, "label"].str.endswith(f"-{N_SLOTS}")).all()


def test_side_and_position_are_kept():
    t, split = _league()
    slots = paper_slots(t, split["train"])
    home = t.games.set_index("game_id")["home_team"]
    side = np.where(slots["game_id"].map(home) == slots["team"], "H", "A")
    parts = slots["label"].str.split("-", expand=True)
    assert (parts[0].to_numpy() == side).all()
    ro = t.rosters.set_index(["game_id", "player_id"])["position"]
    orig = ro.reindex(pd.MultiIndex.from_frame(slots[["game_id", "player_id"]])).to_numpy()
    assert (parts[1].to_numpy() == orig).all()


def test_events_and_rosters_are_rewritten_consistently():
    t, split = _league()
    p = paper_task_tables(t, split["train"])
    ro = set(zip(p.rosters["game_id"], p.rosters["team"], p.rosters["player_id"], strict=True))
    acting = p.events.dropna(subset=["player_id"])
    assert all(k in ro for k in zip(acting["game_id"], acting["team"], acting["player_id"],
                                    strict=True))
    assert len(acting) == int(t.events["player_id"].notna().sum())
    enc = SequenceEncoder().fit(p, split["train"])
    assert len(enc.vocab_) - N_SPECIAL <= N_LABELS


def test_ranks_use_training_games_only():
    t, split = _league()
    before = paper_slots(t, split["train"])
    test_game = split["test"][0]
    dressed = before[before["game_id"] == test_game]
    player = dressed.sort_values("rank")["player_id"].iloc[-1]  # a low-ranked player
    after = paper_slots(_hat_trick(t, test_game, player), split["train"])
    assert before["label"].tolist() == after["label"].tolist()  # the test game changes nothing
    # the same hat trick in a training game does lift him (the test is not vacuous)
    train_game = next(g for g in split["train"]
                      if player in set(t.rosters.loc[t.rosters["game_id"] == g, "player_id"]))
    moved = paper_slots(_hat_trick(t, train_game, player), split["train"])
    rank = lambda s: s.loc[s["player_id"] == player, "rank"].min()  # noqa: E731
    assert rank(moved) < rank(before)

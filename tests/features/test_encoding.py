"""Features: date splits, train-only vocabulary, encoding and its flags, candidate sets,
shootouts."""

import numpy as np
import pandas as pd
import pytest
from _toy import toy_tables

from hockey_vae.features import (
    N_SPECIAL,
    NUM_FEATURES,
    SequenceEncoder,
    as_tables,
    candidate_mask,
    collate,
    split_games,
    unknown_token,
)


@pytest.fixture(scope="module")
def tables():
    return toy_tables(n_games=24, seed=1)


def test_split_is_by_date_and_reproducible(tables):
    split = split_games(tables.games, (0.5, 0.25, 0.25))
    assert split == split_games(tables.games.sample(frac=1, random_state=3), (0.5, 0.25, 0.25))
    date = tables.games.set_index("game_id")["game_date"]
    assert max(date[split["train"]]) <= min(date[split["val"]])
    assert max(date[split["val"]]) <= min(date[split["test"]])
    assert sorted(sum(split.values(), [])) == sorted(tables.games["game_id"])


def test_split_within_last_season_puts_earlier_seasons_in_train(tables):
    split = split_games(tables.games, (0.5, 0.25, 0.25), within_last_season=True)
    seasons = tables.games.set_index("game_id")["season"]
    early = seasons[seasons != seasons.max()].index
    assert set(early) <= set(split["train"])
    assert set(seasons[split["test"]]) == {seasons.max()}


def test_split_rejects_bad_fractions(tables):
    with pytest.raises(ValueError, match="fractions"):
        split_games(tables.games, (0.5, 0.5, 0.5))


def test_vocab_from_training_games_only(tables):
    split = split_games(tables.games)
    ev = tables.events.copy()
    # a player who acts only in a test game
    row = ev.index[(ev["game_id"] == split["test"][0]) & ev["player_id"].notna()][0]
    ev.loc[row, "player_id"] = "newcomer"
    t = as_tables({"events": ev, "games": tables.games, "rosters": tables.rosters})
    enc = SequenceEncoder().fit(t, split["train"])
    assert "newcomer" not in enc.vocab_.ids
    train_players = set(ev.loc[ev["game_id"].isin(split["train"]), "player_id"].dropna())
    assert set(enc.vocab_.ids[N_SPECIAL:]) == train_players
    test = enc.transform(t, split["test"])
    i = int(np.flatnonzero(test.player_id == "newcomer")[0])
    assert not test.known[i] and test.target[i]
    assert test.player[i] == unknown_token(None)  # no roster position for the newcomer


def test_scaler_fit_on_train_only(tables):
    split = split_games(tables.games)
    enc = SequenceEncoder().fit(tables, split["train"])
    train = enc.transform(tables, split["train"])
    assert np.allclose(train.num.mean(0), 0, atol=1e-4)
    assert train.num.shape[1] == len(NUM_FEATURES)


def test_events_without_player_are_context_only(tables):
    split = split_games(tables.games)
    enc = SequenceEncoder().fit(tables, split["train"])
    data = enc.transform(tables, split["test"])
    no_player = pd.isna(data.player_id)
    assert no_player.any()
    assert not data.target[no_player].any()
    assert (data.player[no_player] == 0).all()


def test_candidate_masks(tables):
    split = split_games(tables.games)
    enc = SequenceEncoder().fit(tables, split["train"])
    data = enc.transform(tables, split["test"])
    batch = collate(data, [0, 1])
    V = len(enc.vocab_)
    masks = {k: candidate_mask(batch, k, V) for k in ("all", "roster", "on_ice")}
    y = batch.tgt_player
    for m in masks.values():
        assert m.gather(1, y[:, None]).all()  # the truth is a candidate in the toy league
        assert not m[:, 0].any()
    # every toy test player was seen in training: no cold-start token is a candidate
    assert not masks["all"][:, 1:N_SPECIAL].any()
    assert not masks["roster"][:, 1:N_SPECIAL].any()
    assert not masks["on_ice"][:, 1:N_SPECIAL].any()
    assert (masks["on_ice"] <= masks["roster"]).all() and (masks["roster"] <= masks["all"]).all()
    assert (masks["on_ice"][:, N_SPECIAL:].sum(1) == 6).all()
    with pytest.raises(ValueError, match="candidate set"):
        candidate_mask(batch, "bench", V)


def test_shootout_attempts_are_dropped(tables):
    ev = tables.events.copy()
    last = ev.groupby("game_id").tail(1).index
    ev.loc[last, "event_type"] = "shootout_attempt"
    t = as_tables({"events": ev, "games": tables.games, "rosters": tables.rosters})
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t)
    assert len(data.etype) == len(ev) - len(last)


@pytest.mark.parametrize("on_ice_history", [False, True])
def test_history_features_see_only_earlier_events(tables, on_ice_history):
    split = split_games(tables.games)
    enc = SequenceEncoder(on_ice_history=on_ice_history).fit(tables, split["train"])
    game = split["test"][0]
    ref = enc.transform(tables, [game])
    t = int(np.flatnonzero(ref.target)[10])
    ev = tables.events.copy()
    rows = ev.index[ev["game_id"] == game]
    later = rows[t:]  # event t itself and everything after it
    later = later[ev.loc[later, "player_id"].notna().to_numpy()]
    ev.loc[later, "player_id"] = ev.loc[later, "player_id"].sample(frac=1, random_state=0).values
    ev.loc[later, "player2_id"] = ev.loc[later, "player_id"].values
    ev.loc[later, "game_seconds"] = ev.loc[later, "game_seconds"] + 5.0
    ev.loc[later, "on_ice_for"] = ev.loc[later, "on_ice_for"].sample(frac=1, random_state=1).values
    changed = enc.transform(as_tables({"events": ev, "games": tables.games,
                                       "rosters": tables.rosters}), [game])
    assert np.array_equal(ref.roster_features[: t + 1][:, :, [1, 2, 3, 4, 5]],
                          changed.roster_features[: t + 1][:, :, [1, 2, 3, 4, 5]])
    assert ref.roster_features[:, :, 5:].any() == on_ice_history
    assert np.array_equal(ref.roster_features[:t], changed.roster_features[:t])
    # a player seen earlier has a finite "time since last seen"; the rest are flagged unseen
    f = ref.roster_features[t]
    assert ((f[:, 1] == 1) | (f[:, 0] > 0) | (f[:, 2] > 0)).all()


def test_lineup_features_read_event_t_and_nothing_later(tables):
    from hockey_vae.features import LINEUP_COLUMNS

    split = split_games(tables.games)
    enc = SequenceEncoder(lineup=True).fit(tables, split["train"])
    game = split["test"][0]
    ref = enc.transform(tables, [game])
    assert not SequenceEncoder().fit(tables, split["train"]).transform(
        tables, [game]).roster_features[:, :, list(LINEUP_COLUMNS)].any()
    # the acting player is on its own team's ice, and so flagged in its roster slot
    rows = np.flatnonzero(ref.target & (ref.roster_row >= 0))
    for i in rows[:50]:
        slot = list(ref.rosters[ref.roster_row[i]]).index(ref.player[i])
        assert ref.roster_features[i, slot, 7] == 1 and ref.roster_features[i, :, 8].all()
        assert ref.roster_features[i, :, 7].sum() == len(ref.on_ice[i][ref.on_ice[i] >= 0])
    t = int(rows[10])
    ev = tables.events.copy()
    later = ev.index[ev["game_id"] == game][t + 1:]
    ev.loc[later, "on_ice_for"] = ev.loc[later, "on_ice_for"].sample(frac=1, random_state=2).values
    changed = enc.transform(as_tables({"events": ev, "games": tables.games,
                                       "rosters": tables.rosters}), [game])
    assert np.array_equal(ref.roster_features[: t + 1], changed.roster_features[: t + 1])
    assert not np.array_equal(ref.roster_features, changed.roster_features)
    assert SequenceEncoder.from_state(enc.state()).lineup


def test_encoder_owns_its_flags_and_keeps_them_in_its_state(tables):
    from hockey_vae.features import HISTORY_COLUMNS, LINEUP_COLUMNS, FeatureConfig

    split = split_games(tables.games)
    flags = FeatureConfig(min_player_events=2, history=False, on_ice_history=True, lineup=True)
    enc = SequenceEncoder.from_config(flags).fit(tables, split["train"])
    again = SequenceEncoder.from_state(enc.state())
    assert again.features == enc.features == flags
    data = again.transform(tables, split["test"][:2])
    # no history: the history columns stay zero even with on_ice_history; lineup is written
    assert not data.roster_features[..., list(HISTORY_COLUMNS)].any()
    assert data.roster_features[..., list(LINEUP_COLUMNS)].any()
    assert SequenceEncoder().features.history is True  # unresolved None counts as history


def _slow_roster_features(ev, rosters_raw, roster_row, target, on_ice_history, lineup=False):
    """Straightforward per-event loop: the definition the vectorised code must match."""
    out = {}
    for _, grp in ev.groupby("game_id", sort=False):
        last_t, last_i, last_p, count, last_on, on_prev = {}, {}, {}, {}, {}, set()
        for k, (i, row) in enumerate(grp.iterrows()):
            if target[i] and roster_row[i] >= 0:
                f = np.zeros((len(rosters_raw[roster_row[i]]), 9), np.float32)
                for j, pid in enumerate(rosters_raw[roster_row[i]]):
                    if pid in last_t:
                        f[j, :5] = [np.log1p(max(row.game_seconds - last_t[pid], 0)), 0,
                                    np.log1p(count[pid]), np.log1p(k - last_i[pid]),
                                    float(last_p[pid] == row.period)]
                    else:
                        f[j, 1] = 1
                    if on_ice_history:
                        f[j, 5] = pid in on_prev
                        if pid in last_on:
                            f[j, 6] = np.log1p(max(row.game_seconds - last_on[pid], 0))
                    if lineup:
                        now = list(row.on_ice_for) if row.on_ice_for is not None else []
                        f[j, 7], f[j, 8] = pid in now, bool(now)
                out[i] = f
            for pid in {row.player_id, row.player2_id}:  # once per event
                if isinstance(pid, str):
                    last_t[pid], last_i[pid], last_p[pid] = row.game_seconds, k, row.period
                    count[pid] = count.get(pid, 0) + 1
            listed = [x for c in (row.on_ice_for, row.on_ice_against) if c is not None for x in c]
            if listed:
                on_prev = set(listed)
                last_on.update(dict.fromkeys(listed, row.game_seconds))
    return out


@pytest.mark.parametrize(("on_ice_history", "lineup"), [(False, False), (True, False),
                                                        (False, True), (True, True)])
def test_history_features_match_the_definition(tables, on_ice_history, lineup):
    from hockey_vae.features.roster_features import roster_features

    split = split_games(tables.games)
    enc = SequenceEncoder(on_ice_history=on_ice_history, lineup=lineup).fit(
        tables, split["train"])
    games = split["test"]
    data = enc.transform(tables, games)
    ev = tables.events[tables.events["game_id"].isin(games)].reset_index(drop=True)
    ev["player2_id"] = ev["player_id"].shift(2).where(ev.index % 3 == 0)  # some secondaries
    ro = tables.rosters[tables.rosters["game_id"].isin(games)]
    keys = sorted({(g, t) for g, t in zip(ro["game_id"], ro["team"], strict=True)})
    raw = [sorted(ro.loc[(ro["game_id"] == g) & (ro["team"] == t), "player_id"]) for g, t in keys]
    index = {k: r for r, k in enumerate(keys)}
    roster_row = np.array([index.get((g, t), -1) for g, t in zip(ev["game_id"], ev["team"],
                                                                 strict=True)])
    ev.loc[ev.index % 7 == 0, "on_ice_for"] = None  # some events without a lineup
    fast = roster_features(ev, data.offsets, roster_row, raw, data.target, history=True,
                           on_ice_history=on_ice_history, lineup=lineup)
    slow = _slow_roster_features(ev, raw, roster_row, data.target, on_ice_history, lineup)
    assert slow
    for i, f in slow.items():
        np.testing.assert_allclose(fast[i, :len(f)], f, rtol=1e-5, atol=1e-6)

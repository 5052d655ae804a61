"""On-ice latent state: the mean latent of exactly the players on the ice, home minus away."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hockey_vae.downstream.features import game_states
from hockey_vae.downstream.ingame_onice import add_on_ice_latents, on_ice_indices
from hockey_vae.simulate import simulate_league


def test_on_ice_latents_match_a_direct_computation():
    lg = simulate_league(n_teams=4, games=4, seed=5)
    events, rosters, games = (lg.events.to_pandas(), lg.rosters.to_pandas(),
                              lg.games.to_pandas())
    ids = sorted(rosters["player_id"].astype(str).unique())
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"player_id": ids, "emb_0": rng.normal(size=len(ids)),
                          "emb_1": rng.normal(size=len(ids))})
    states = game_states(events, games)
    out = add_on_ice_latents(states, events, rosters, games, table)
    assert len(out) == len(states)
    assert [c for c in out.columns if c.startswith("team_emb_diff_")] == [
        f"team_emb_diff_{k}" for k in range(4)]
    emb = table.set_index("player_id")["emb_0"]
    ev = events.set_index(["game_id", "event_idx"])
    checked = 0
    for row in out.sample(50, random_state=0).itertuples():
        e = ev.loc[(row.game_id, row.event_idx)]
        if pd.isna(e["is_home"]) or e["on_ice_for"] is None:
            continue
        home, away = ((e["on_ice_for"], e["on_ice_against"]) if e["is_home"]
                      else (e["on_ice_against"], e["on_ice_for"]))
        expect = emb.reindex(list(home)).mean() - emb.reindex(list(away)).mean()
        assert np.isclose(row.team_emb_diff_0, expect, atol=1e-5)
        checked += 1
    assert checked > 10
    # the lineup columns are constant within a game and flip sign with the sides
    lineup = out.groupby("game_id")["team_emb_diff_2"].nunique()
    assert (lineup == 1).all()


def test_on_ice_indices_pad_and_mark_unknown():
    idx = on_ice_indices(pd.Series([["a", "zz"], None, []], dtype=object), pd.Index(["a", "b"]))
    assert idx.shape == (3, 7)
    assert idx[0, :2].tolist() == [0, -1] and (idx[1:] == -1).all()

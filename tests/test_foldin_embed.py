"""Fold-in in the embedding path: unseen players get their own q(u), known players unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from _renamed import renamed_league_run
from sklearn.base import clone

from hockey_vae.cli import main
from hockey_vae.embed import embed_events, embed_players
from hockey_vae.estimator import PlayerEmbedder
from hockey_vae.features import as_tables
from hockey_vae.foldin_embed import fold_in_embeddings
from hockey_vae.foldin_eval import FoldInConfig
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables

FAST = FoldInConfig(steps=30)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """The renamed league and its tiny player-latent run (`_renamed.renamed_league_run`)."""
    return renamed_league_run(tmp_path_factory.mktemp("foldin_embed") / "run")


def _emb(frame: pd.DataFrame, prefix: str, d: int) -> np.ndarray:
    return frame[[f"{prefix}_{i}" for i in range(d)]].to_numpy(np.float64)


def test_unseen_players_get_fold_in_rows_sharper_than_the_prior(renamed):
    run, t, split, rename = renamed
    d = run.model.cfg.d_u
    fe = fold_in_embeddings(run, t, split["test"], FAST)
    assert fe.n_blocks >= 3
    new = set(rename.values())
    pl = fe.players.set_index("player_id")
    assert new <= set(pl.index)
    prior_sd = run.model.prior_log_sd.detach().clamp(-7.0, 3.0).exp().numpy()
    for pid in new:
        row = pl.loc[pid]
        assert row["latent_source"] == "fold_in" and row["n_fit_events"] > 20
        sd = row[[f"emb_sd_{i}" for i in range(d)]].to_numpy(np.float64)
        assert (sd < prior_sd[int(row["level"])]).all()  # his events sharpen every unit
    traj = fe.trajectory[fe.trajectory["player_id"].isin(new)]
    for _, g in traj.groupby("player_id"):  # game by game: more games, a sharper q(u)
        assert (np.diff(g["n_fit_games"].to_numpy()) == 1).all() and len(g) >= 3
        sd = _emb(g, "emb_sd", d).mean(1)
        assert sd[-1] < sd[0] < prior_sd[int(g["level"].iloc[0])].mean()
    ev = fe.events[fe.events["player_id"].isin(new)]
    first = ev["n_fit_games"] == 0  # his first day: the position prior, nothing fitted
    assert first.any() and (ev.loc[first, "latent_source"] == "prior").all()
    assert (ev.loc[~first, "latent_source"] == "fold_in").all()
    assert np.isnan(_emb(ev[first], "emb", d)).all()
    # online: the fit he is embedded with counts only his events of earlier days
    for pid in new:
        e = ev[ev["player_id"] == pid]
        day = t.games.set_index("game_id").loc[e["game_id"], "game_date"].to_numpy()
        before = [(day < x).sum() for x in day]
        assert (e["n_fit_events"].to_numpy() == before).all()
        later = e[e["n_fit_games"] == e["n_fit_games"].max()]
        sd_later = np.sqrt(_emb(later, "emb_var", d)).mean()
        assert sd_later < prior_sd[int(pl.loc[pid, "level"])].mean()


def test_known_players_identical_with_and_without_fold_in(renamed):
    run, t, split, rename = renamed
    d = run.model.cfg.d_u
    plain = embed_events(run, t, split["test"])
    fold = embed_events(run, t, split["test"], fold_in=FAST)
    assert list(fold.columns[:len(plain.columns)]) == list(plain.columns)
    known = fold["latent_source"] == "trained"
    assert known.sum() > 100
    emb_cols = [c for c in plain.columns if c.startswith(("emb_", "ctx_"))]
    pd.testing.assert_frame_equal(fold.loc[known, plain.columns], plain.loc[known])
    new = fold["player_id"].isin(set(rename.values()))
    moved = new & (fold["latent_source"] == "fold_in")
    assert moved.sum() > 20
    assert np.abs(_emb(fold[moved], "emb", d) - _emb(plain[moved], "emb", d)).max() > 1e-3
    assert np.allclose(fold.loc[new & ~moved, emb_cols], plain.loc[new & ~moved, emb_cols])
    # per player: known rows unchanged, unseen rows the final fit, flagged
    p_plain = embed_players(plain, t.rosters, run).set_index("player_id")
    p_fold = embed_players(fold, t.rosters, run).set_index("player_id")
    seen = p_fold.index[p_fold["latent_source"] == "trained"]
    assert len(seen) > 20 and set(p_fold.loc[list(rename.values()), "latent_source"]) == {
        "fold_in"}
    pd.testing.assert_frame_equal(p_fold.loc[seen, p_plain.columns], p_plain.loc[seen])
    final = fold.attrs["fold_in_players"].set_index("player_id")
    for pid in rename.values():
        assert np.allclose(p_fold.loc[pid, [f"emb_{i}" for i in range(d)]].to_numpy(float),
                           final.loc[pid, [f"emb_{i}" for i in range(d)]].to_numpy(float))


def test_player_embedder_fold_in_survives_clone(renamed):
    run, t, split, rename = renamed
    est = PlayerEmbedder.from_run(str(run.run_dir), fold_in=True)
    twin = clone(PlayerEmbedder(fold_in=True))
    assert twin.get_params()["fold_in"] is True
    twin._set_fitted(est.run_)
    test = as_tables({"events": t.events[t.events["game_id"].isin(split["test"])],
                      "games": t.games, "rosters": t.rosters})
    out = twin.transform(test)
    assert set(out["latent_source"]) == {"trained", "fold_in", "prior"}
    assert "fold_in_players" in out.attrs
    plain = clone(twin).set_params(fold_in=False)
    plain._set_fitted(est.run_)
    assert "latent_source" not in plain.transform(test).columns


def test_embed_cli_fold_in_per_player(renamed, tmp_path):
    run, t, split, rename = renamed
    data = tmp_path / "data"
    schemas = {"events": EVENTS, "games": GAMES, "rosters": ROSTERS}
    test = {k: pa.Table.from_pandas(getattr(t, k)[getattr(t, k)["game_id"].isin(split["test"])],
                                    schema=sch, preserve_index=False)
            for k, sch in schemas.items()}
    write_tables(Ingested(**test), data)
    out = tmp_path / "players.csv"
    rc = main(["embed", "--run", str(run.run_dir), "--data", str(data), "--out", str(out),
               "--per-player", "--fold-in", "--fold-in-steps", "20", "--threads", "1"])
    assert rc == 0
    df = pd.read_csv(out).set_index("player_id")
    assert (df.loc[list(rename.values()), "latent_source"] == "fold_in").all()
    assert (df.loc[list(rename.values()), "n_fit_events"] > 20).all()
    assert {"trained", "fold_in"} <= set(df["latent_source"])

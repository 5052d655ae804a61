"""Fold-in of players unseen in training into a trained `player-latent` model."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from _renamed import renamed_league_run

from hockey_vae.cli import main
from hockey_vae.evaluate import predict
from hockey_vae.features import N_SPECIAL
from hockey_vae.foldin_eval import FoldInConfig, evaluate_foldin, foldin_summary
from hockey_vae.models.latent_foldin import FoldLatents, fit_latents, frozen_rows, score_rows
from hockey_vae.models.latent_foldin_records import decoder_nll, foldin_records
from hockey_vae.models.lstm import LSTMClassifier, LSTMConfig
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.sources.base import Ingested, write_tables


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """The renamed league and its tiny player-latent run (`_renamed.renamed_league_run`)."""
    return renamed_league_run(tmp_path_factory.mktemp("foldin") / "run")


def test_encoder_keeps_raw_ids_aligned_with_the_vocabulary_lists(renamed):
    run, t, split, rename = renamed
    enc = run.encoder.transform(t, split["test"])
    vocab = run.encoder.vocab_
    for lists, ids in ((enc.rosters, enc.roster_ids), (enc.on_ice, enc.on_ice_ids)):
        assert lists.shape == ids.shape
        assert ((lists >= 0) == (ids != None)).all()  # noqa: E711 (elementwise on objects)
        known = lists >= N_SPECIAL
        assert [vocab.ids[i] for i in lists[known]] == list(ids[known])
        new = {str(x) for x in ids[(lists >= 1) & (lists < N_SPECIAL)]}
        assert set(rename.values()) <= new


@pytest.mark.parametrize("kind", ["roster", "on_ice"])
def test_zero_update_foldin_reproduces_the_cold_start_loglik(renamed, kind):
    """The key guard: every unseen player folded in at his position prior gives today's
    per-event cold-start log-likelihoods, draw for draw."""
    run, t, split, _ = renamed
    enc = run.encoder.transform(t, split["test"])
    k, seed = 8, 11
    pred = predict(run.model, enc, [kind], n_samples=k, batch_games=enc.n_games, seed=seed)
    fr = frozen_rows(run.model, enc, (kind,), batch_games=enc.n_games)
    assert (fr.flat_index == pred.flat_index).all()
    lat = FoldLatents.at_prior(run.model, fr.level)
    everyone = torch.ones(len(fr.ids), dtype=torch.bool)
    cold, fold, n_on = score_rows(fr.sets[kind], fr.q, lat, everyone, k,
                                  torch.Generator().manual_seed(seed))
    ok = pred.sets[kind]["in_set"].astype(bool)
    assert (~pred.known).sum() > 50 and int(n_on.sum()) > 0
    today = torch.as_tensor(pred.sets[kind]["ll"])
    assert torch.allclose(cold[ok], today[ok], atol=1e-5)
    assert torch.allclose(fold[ok], today[ok], atol=1e-5)
    # a latent moved off the prior changes the scores of the lists that hold him
    moved = dataclasses.replace(lat, m=lat.m + 1.0)
    _, fold2, _ = score_rows(fr.sets[kind], fr.q, moved, everyone, k,
                             torch.Generator().manual_seed(seed))
    assert (fold2[ok] - today[ok]).abs().max() > 1e-2


def test_foldin_improves_the_renamed_busy_players_after_their_first_day(renamed):
    run, t, split, rename = renamed
    res = evaluate_foldin(run, t, split["test"], FoldInConfig(steps=40, decoder=False), seed=0)
    assert res.n_blocks >= 3
    ev = res.events
    assert set(rename.values()) <= set(ev.loc[~ev["known"], "player_id"])
    s = foldin_summary(ev, n_boot=200)
    for kind in ("roster", "on_ice"):
        later = s[kind]["unseen_later"]
        assert later["n_events"] > 50
        assert later["diff"] > 0.05 and later["lo"] > 0, (kind, later)
        assert s[kind]["untouched"]["max_abs_diff"] < 1e-5  # nothing folded in: no change
        assert s[kind]["untouched"]["n_events"] > 0
    # the first day's events of a player have no latent of his own yet
    first = ev[~ev["known"] & (ev["block"] == ev["block"].min())]
    assert (first["prior_blocks"] == 0).all()
    # their posteriors sharpened below their position prior's sd
    lat = res.latents.set_index("player_id").loc[list(rename.values())]
    level = torch.as_tensor(lat["level"].to_numpy().copy())
    prior_sd = run.model.prior_log_sd.detach().clamp(-7.0, 3.0).exp()[level]
    sd = lat.filter(like="sd_").to_numpy()
    assert (sd.mean(axis=1) < prior_sd.numpy().mean(axis=1)).all()


def test_fit_moves_q_toward_the_events_and_keeps_the_prior_without_data(renamed):
    run, t, split, rename = renamed
    enc = run.encoder.transform(t, split["test"])
    fr = frozen_rows(run.model, enc)
    lat = FoldLatents.at_prior(run.model, fr.level)
    prior = (lat.m.clone(), lat.log_s.exp())
    data = [(fr.sets[c], fr.q) for c in fr.sets]
    active = torch.tensor([p in rename.values() for p in fr.ids])
    before = sum(-_ll(fr.sets[c], fr.q, lat, active).sum() for c in fr.sets)
    new = fit_latents(data, lat, active, prior, steps=60,
                      generator=torch.Generator().manual_seed(0))
    after = sum(-_ll(fr.sets[c], fr.q, new, active).sum() for c in fr.sets)
    assert after < before - 10  # the events' NLL falls by a clear margin
    assert torch.equal(new.m[~active], lat.m[~active])  # no data, no move
    assert not torch.allclose(new.m[active], lat.m[active])


def _ll(rows, q, lat, active):
    _, fold, _ = score_rows(rows, q, lat, active, 16, torch.Generator().manual_seed(3))
    return fold[rows.in_set]


def test_foldin_refuses_a_model_without_player_latents(renamed):
    run, t, split, _ = renamed
    lstm = LSTMClassifier(LSTMConfig(n_players=run.model.n_players))
    with pytest.raises(TypeError, match="player-latent"):
        evaluate_foldin(dataclasses.replace(run, model=lstm), t, split["test"])
    with pytest.raises(ValueError, match="'all' is not one of"):
        evaluate_foldin(run, t, split["test"], FoldInConfig(candidate_sets=("all",)))


def test_evaluate_cli_fold_in_prints_and_writes_latents(renamed, tmp_path, capsys):
    run, t, split, rename = renamed
    data = tmp_path / "data"
    write_tables(Ingested(
        events=pa.Table.from_pandas(t.events, schema=EVENTS, preserve_index=False),
        games=pa.Table.from_pandas(t.games, schema=GAMES, preserve_index=False),
        rosters=pa.Table.from_pandas(t.rosters, schema=ROSTERS, preserve_index=False)), data)
    lat = tmp_path / "lat.parquet"
    assert main(["evaluate", "--run", str(run.run_dir), "--data", str(data), "--json",
                 "--fold-in", "--fold-in-steps", "20", "--fold-in-latents", str(lat),
                 "--fold-in-warmup", "val", "--fold-in-no-decoder",
                 "--threads", "1", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    fold = out["fold_in"]
    assert fold["n_blocks"] >= 3 and fold["summary"]["roster"]["unseen_later"]["n_events"] > 0
    latents = pd.read_parquet(lat)
    assert set(rename.values()) <= set(latents["player_id"])
    assert np.isfinite(latents.filter(like="mean_").to_numpy()).all()


def test_warmup_games_fold_players_in_before_the_scored_games(renamed):
    run, t, split, rename = renamed
    dates = t.games.set_index("game_id").loc[split["test"], "game_date"]
    first_day = dates[dates == dates.min()].index.tolist()
    rest = [g for g in split["test"] if g not in first_day]
    res = evaluate_foldin(run, t, rest, FoldInConfig(steps=20), warmup=first_day, seed=0)
    ev = res.events
    assert set(ev["game_id"]) == set(rest)
    ro = t.rosters
    dressed = set(ro.loc[ro["game_id"].isin(first_day), "player_id"]) & set(rename.values())
    busy = ev[ev["player_id"].isin(dressed)]
    assert len(busy) > 20 and (busy["prior_blocks"] >= 1).all()
    with pytest.raises(ValueError, match="both a warm-up and a scored game"):
        evaluate_foldin(run, t, rest, warmup=rest[:1])


def test_decoder_records_name_the_unseen_players_in_extended_indices(renamed):
    run, t, split, rename = renamed
    enc = run.encoder.transform(t, split["test"])
    fr = frozen_rows(run.model, enc)
    v = len(run.encoder.vocab_)
    recs = foldin_records(t, split["test"], run.encoder.vocab_, pd.Index(fr.ids),
                          run.model.cfg.dressed_span, run.model.cfg.decoder_terms)
    assert {"types", "shots", "usage"} <= set(recs)
    named = {fr.ids[int(i) - v] for r in recs.values() for key, x in r.items()
             if x.dtype == torch.long for i in x.flatten() if i >= v}
    assert set(rename.values()) <= named
    lat = FoldLatents.at_prior(run.model, fr.level)
    nll = decoder_nll(run.model, [recs], lat.m, fr.level)
    moved = decoder_nll(run.model, [recs], lat.m + 2.0, fr.level)
    assert torch.isfinite(nll) and not torch.isclose(nll, moved)


def test_foldin_with_the_event_decoder_still_beats_the_cold_start(renamed):
    run, t, split, rename = renamed
    res = evaluate_foldin(run, t, split["test"], FoldInConfig(steps=40, decoder=True), seed=0)
    s = foldin_summary(res.events, n_boot=200)
    assert s["roster"]["unseen_later"]["diff"] > 0.05
    assert s["roster"]["untouched"]["max_abs_diff"] < 1e-5

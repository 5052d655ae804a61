"""The conditional-logit baselines: empirical-Bayes shrinkage, lineup term, every candidate set."""

import numpy as np
import pytest
import torch
from _toy import toy_tables

from hockey_vae.evaluate import evaluate_model
from hockey_vae.features import (
    CANDIDATE_SETS,
    SequenceEncoder,
    candidate_set,
    collate,
    split_games,
    unseen_counts,
)
from hockey_vae.features.vocab import N_SPECIAL
from hockey_vae.models import build_model, default_config
from hockey_vae.models.baselines import (
    N_ZONES,
    fit_dirichlet_strength,
    fit_gamma_poisson,
)
from hockey_vae.schema import EVENT_TYPES


@pytest.fixture(scope="module")
def league():
    torch.manual_seed(0)
    t = toy_tables(n_games=40, seed=1)
    split = split_games(t.games)
    return t, split


def _fit(t, split, name, **enc_kw):
    enc = SequenceEncoder(**enc_kw).fit(t, split["train"])
    model = build_model(name, default_config(name, enc), enc).fit(enc.transform(t, split["train"]))
    return enc, model


def _roster_loglik(t, split, name, **enc_kw):
    enc, model = _fit(t, split, name, **enc_kw)
    ev = evaluate_model(model, enc.transform(t, split["test"]), enc.vocab_.counts)
    return ev.summary.set_index("candidates").loc["roster", "loglik"]


def test_shrunk_cond_logit_beats_frequency_when_event_mixes_differ(league):
    # toy players each have their own Dirichlet event-type mix
    t, split = league
    assert _roster_loglik(t, split, "cond-logit") > _roster_loglik(t, split, "frequency") + 0.2


def test_lineup_coefficient_is_learned_and_helps(league):
    t, split = league
    enc, model = _fit(t, split, "cond-logit-lineup", lineup=True)
    # in the toy league the acting player is always on the ice
    assert (model.lineup_coef > 1.0).sum() >= 3
    with_lineup = _roster_loglik(t, split, "cond-logit-lineup", lineup=True)
    assert with_lineup > _roster_loglik(t, split, "cond-logit", lineup=True) + 0.1


def test_lineup_model_without_lineup_features_equals_cond_logit(league):
    t, split = league
    assert _roster_loglik(t, split, "cond-logit-lineup") == pytest.approx(
        _roster_loglik(t, split, "cond-logit"), abs=1e-6)


def test_one_event_player_is_pulled_toward_his_position(league):
    t, split = league
    enc, model = _fit(t, split, "cond-logit")
    V, K = model.utility.shape
    pos = model.positions.numpy()
    counts = np.zeros((V, K))
    players = np.flatnonzero((pos == pos[N_SPECIAL]) & (np.arange(V) >= N_SPECIAL))
    a, b = 0, N_ZONES  # two event-type cells
    rng = np.random.default_rng(3)
    for p in players:  # the position acts mostly in cell a
        counts[p, [a, b]] = rng.multinomial(65, rng.dirichlet([18.0, 2.0]))
    rookie, veteran = players[0], players[1]
    counts[rookie] = 0.0
    counts[rookie, b] = 1.0  # one event, in cell b
    counts[veteran] = 0.0
    counts[veteran, [a, b]] = [5.0, 55.0]
    util = model._shrunk_utility(counts, np.full(V, 10.0))
    assert util[rookie, a] > util[rookie, b]  # shrunk toward the position's cell a
    assert util[veteran, b] > util[veteran, a]  # enough evidence keeps his own mix
    # a cold-start token of that position gets exactly the position prior's mix
    tok = int(np.flatnonzero((pos == pos[N_SPECIAL]) & (np.arange(V) < N_SPECIAL))[0])
    assert util[tok, a] > util[tok, b]


def test_empirical_bayes_fits_recover_the_prior():
    rng = np.random.default_rng(0)
    mean = np.array([0.6, 0.3, 0.1])
    mixes = rng.dirichlet(20.0 * mean, size=400)
    counts = np.stack([rng.multinomial(50, m) for m in mixes])
    assert 10.0 < fit_dirichlet_strength(counts, mean) < 40.0
    games = rng.integers(5, 80, size=500).astype(float)
    rates = rng.gamma(shape=4.0, scale=1 / 2.0, size=500)  # mean 2 events per game
    a, b = fit_gamma_poisson(rng.poisson(rates * games), games)
    assert a / b == pytest.approx(2.0, rel=0.1) and 2.0 < a < 8.0


@pytest.mark.parametrize("name", ["cond-logit", "cond-logit-lineup"])
def test_every_candidate_set_with_cold_start_tokens(league, name):
    t, split = league
    # many players below the threshold: they become their position's cold-start token
    enc, model = _fit(t, split, name, min_player_events=25, lineup=True)
    test = enc.transform(t, split["test"])
    assert (~test.known[test.target]).any()
    batch = collate(test, range(test.n_games))
    V = len(enc.vocab_)
    for c in CANDIDATE_SETS:
        cands = candidate_set(batch, c, V)
        s = model.score(batch, {c: cands})[c]
        total = (s.logp.exp() * cands.valid).sum(1)
        assert torch.allclose(total, torch.ones_like(total), atol=1e-4), c
        # a token is worth its unseen players: its utility is raised by log(their number)
        row = int(unseen_counts(batch, c)[:, 2:].max(1).values.argmax())
        m = unseen_counts(batch, c)[row]
        if cands.whole and m.max() > 1:
            tok = int(m[2:].argmax()) + 2
            raw = model.logits(batch)[row]
            assert float(s.logp[row, tok] - s.logp[row].max() - raw[tok] + raw[cands.valid[
                row]].max()) == pytest.approx(float(m[tok].log()), abs=1e-4)
    ev = evaluate_model(model, test, enc.vocab_.counts)
    assert np.isfinite(ev.summary["loglik"]).all()
    assert all(np.isfinite(ev.unknown[c]["loglik"]) for c in CANDIDATE_SETS)


def test_zones_split_events_by_distance(league):
    t, split = league
    enc, model = _fit(t, split, "cond-logit")
    tr = enc.transform(t, split["train"])
    cells = model._cells(torch.from_numpy(tr.etype[tr.target]),
                         torch.from_numpy(tr.num[tr.target])).numpy()
    zones = np.bincount(cells % N_ZONES, minlength=N_ZONES)
    assert (zones[:3] > 0.2 * zones[:3].sum()).all()  # tertiles of the located events
    assert cells.max() < len(EVENT_TYPES) * N_ZONES


def test_fitted_run_reloads_with_the_same_scores(league, tmp_path):
    from hockey_vae.train import TrainConfig, fit, load_run

    t, split = league
    run = fit(t, tmp_path / "run", "cond-logit-lineup", split=split, features={"lineup": True},
              train_config=TrainConfig(progress=False))
    again = load_run(tmp_path / "run")
    test = run.encoder.transform(t, split["test"])
    batch = collate(test, range(test.n_games))
    V = len(run.encoder.vocab_)
    cands = {c: candidate_set(batch, c, V) for c in CANDIDATE_SETS}
    a, b = run.model.score(batch, cands), again.model.score(batch, cands)
    for c in CANDIDATE_SETS:
        assert torch.allclose(a[c].loglik, b[c].loglik)
    assert torch.equal(run.model.lineup_coef, again.model.lineup_coef)

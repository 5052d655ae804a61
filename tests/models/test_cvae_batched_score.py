"""PlayerCVAE.score with samples as a tensor dimension equals the one-sample-at-a-time loop."""

import math

import pytest
import torch
from _toy import toy_tables

from hockey_vae.core.distributions import diag_gaussian_log_prob, reparameterize
from hockey_vae.features import SequenceEncoder, candidate_set, collate, split_games
from hockey_vae.models import build_model, cvae, default_config


def loop_score(model, batch, candidates, k, generator):
    """The reference: the published loop, one importance / prior sample per iteration."""
    ctx = model.context(batch)
    y = batch.tgt_player
    mu_p, lv_p = model.prior(ctx)
    mu_q, lv_q = model.posterior(ctx, y)
    bonus = model.bonus(batch, ctx)
    log_w = {name: [] for name in candidates}
    for _ in range(k):
        z = reparameterize(mu_q, lv_q, generator=generator)
        logits = model.decode(z, ctx, bonus)
        corr = diag_gaussian_log_prob(z, mu_p, lv_p) - diag_gaussian_log_prob(z, mu_q, lv_q)
        for name, cands in candidates.items():
            log_w[name].append(cands.truth_log_prob(cands.log_softmax(logits), y) + corr)
    logp = {}
    m = model.cfg.prior_samples
    for _ in range(m):
        logits = model.decode(reparameterize(mu_p, lv_p, generator=generator), ctx, bonus)
        for name, cands in candidates.items():
            lp = cands.log_softmax(logits)
            logp[name] = lp if name not in logp else torch.logaddexp(logp[name], lp)
    out = {}
    for name in candidates:
        w = torch.stack(log_w[name])
        small = max(1, k // 10)
        out[name] = (logp[name] - math.log(m), torch.logsumexp(w, 0) - math.log(k),
                     torch.logsumexp(w[:small], 0) - math.log(small))
    return out


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    t = toy_tables(n_games=12, seed=5)
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t, split["train"])
    # d_z = 3: N * d_z is no multiple of 16, where one big randn would differ from many
    cfg = default_config("cvae", enc, {"d_z": 3, "d_hidden": 16, "prior_samples": 5,
                                       "encoder": {"hidden": 16, "d_context": 16}})
    model = build_model("cvae", cfg).eval()
    batch = collate(data, [0, 1])
    V = len(enc.vocab_)
    cands = {"all": candidate_set(batch, "all", V),
             "roster": candidate_set(batch, "roster", V, form="lists"),
             "on_ice": candidate_set(batch, "on_ice", V, form="lists")}
    return model, batch, cands


@pytest.mark.parametrize("chunk_elements", [1 << 25, 1])  # one chunk; one sample per chunk
def test_batched_score_equals_the_loop(setup, monkeypatch, chunk_elements):
    model, batch, cands = setup
    monkeypatch.setattr(cvae, "SCORE_CHUNK_ELEMENTS", chunk_elements)
    k = 23
    with torch.no_grad():
        want = loop_score(model, batch, cands, k, torch.Generator().manual_seed(7))
    got = model.score(batch, cands, n_samples=k, generator=torch.Generator().manual_seed(7))
    for name, (logp, ll, ll_small) in want.items():
        torch.testing.assert_close(got[name].logp, logp, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(got[name].loglik, ll, rtol=1e-5, atol=1e-4)
        torch.testing.assert_close(got[name].loglik_small, ll_small, rtol=1e-5, atol=1e-4)
    # a different seed gives different samples: the comparison above is not vacuous
    other = model.score(batch, cands, n_samples=k, generator=torch.Generator().manual_seed(8))
    assert not torch.allclose(other["all"].loglik, want["all"][1])


def test_chunks_cover_every_sample():
    assert cvae._chunks(23, 5) == [5, 5, 5, 5, 3]
    assert cvae._chunks(4, 10) == [4]
    assert sum(cvae._chunks(100, 7)) == 100


def test_candidate_only_scoring_equals_the_full_vocabulary_loop(setup):
    """Roster / on-ice scored from the candidates' logits only (no dense set, so the
    decoder's output layer never runs on the whole vocabulary) equals the loop, 1e-5."""
    model, batch, cands = setup
    lists = {k: v for k, v in cands.items() if not v.whole}
    assert model.bonus(batch, model.context(batch)) is not None  # the bonus path is covered
    calls = []
    hook = model.decoder[-1].register_forward_hook(lambda *a: calls.append(1))
    try:
        got = model.score(batch, lists, n_samples=23, generator=torch.Generator().manual_seed(3))
    finally:
        hook.remove()
    assert calls == []
    with torch.no_grad():
        want = loop_score(model, batch, lists, 23, torch.Generator().manual_seed(3))
    for name, (logp, ll, ll_small) in want.items():
        torch.testing.assert_close(got[name].logp, logp, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[name].loglik, ll, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[name].loglik_small, ll_small, rtol=1e-5, atol=1e-5)


def test_candidate_logits_equal_the_gathered_head(setup):
    model, batch, cands = setup
    from hockey_vae.models.candidate_logits import candidate_logits

    torch.manual_seed(1)
    ctx = model.context(batch).detach()
    bonus = model.bonus(batch, ctx)
    hidden = torch.randn(4, ctx.shape[0], model.cfg.d_hidden)
    full = bonus.add_to(model.decoder[-1](hidden))
    for name in ("roster", "on_ice"):
        c = cands[name]
        got = candidate_logits(model.decoder[-1], hidden, c, bonus)
        want = full.gather(-1, c.index.expand(4, *c.index.shape))
        torch.testing.assert_close(got[:, c.valid], want[:, c.valid], rtol=1e-5, atol=1e-5)
        assert bool((got[:, ~c.valid] <= -1e8).all())
    with pytest.raises(ValueError, match="short lists"):
        candidate_logits(model.decoder[-1], hidden, cands["all"], bonus)


@pytest.mark.parametrize("with_all", [False, True])
def test_candidate_only_equals_the_full_vocabulary_path(setup, monkeypatch, with_all):
    """The same seeded scores with CANDIDATE_ONLY on and off (off: decode every player and
    gather, the path it replaced), with and without a dense set alongside, to 1e-5."""
    model, batch, cands = setup
    sets = cands if with_all else {k: v for k, v in cands.items() if not v.whole}
    got = model.score(batch, sets, n_samples=31, generator=torch.Generator().manual_seed(4))
    monkeypatch.setattr(cvae, "CANDIDATE_ONLY", False)
    want = model.score(batch, sets, n_samples=31, generator=torch.Generator().manual_seed(4))
    for name in sets:
        for a, b in zip(got[name], want[name], strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_union_lists_hold_each_candidate_once_and_locate_it(setup):
    from hockey_vae.models.candidate_logits import union_lists

    _, _, cands = setup
    sets = [cands["roster"], cands["on_ice"]]
    union, pos = union_lists(sets)
    assert union.index.shape[1] <= sum(c.index.shape[1] for c in sets)
    for c, p in zip(sets, pos, strict=True):
        torch.testing.assert_close(union.index.gather(1, p)[c.valid], c.index[c.valid])
        assert bool(union.valid.gather(1, p)[c.valid].all())
    for i in range(union.index.shape[0]):
        members = union.index[i][union.valid[i]].tolist()
        assert len(members) == len(set(members))
        assert set(members) == set().union(*[c.index[i][c.valid[i]].tolist() for c in sets])

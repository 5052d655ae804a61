"""PlayerCVAE: build, ELBO terms, KL warm-up, importance-sampled scores, embeddings."""

import pytest
import torch
from _toy import toy_tables

from hockey_vae.features import SequenceEncoder, candidate_set, collate, split_games
from hockey_vae.models import build_model, config_from_dict, config_to_dict, default_config


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    t = toy_tables(n_games=12, seed=3)
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t, split["train"])
    cfg = default_config("cvae", enc,
                         {"d_z": 4, "d_hidden": 16, "encoder": {"hidden": 16, "d_context": 16}})
    return cfg, data, len(enc.vocab_), enc


def test_forward_terms(setup):
    cfg, data, V, _ = setup
    model = build_model("cvae", cfg)
    model.on_epoch_start(10)
    assert model.kl_weight == cfg.beta
    batch = collate(data, [0, 1])
    out = model(batch, {"roster": candidate_set(batch, "roster", V, form="lists")})
    assert {"recon", "kl", "nll_roster"} <= set(out.terms)
    assert torch.isfinite(out.loss) and out.terms["kl"] >= 0
    out.loss.backward()
    assert model.post_net[0].weight.grad is not None


def test_warmup_and_free_bits(setup):
    cfg, data, V, _ = setup
    model = build_model("cvae", cfg)
    model.on_epoch_start(0)
    assert 0 < model.kl_weight < cfg.beta
    import dataclasses
    fb = build_model("cvae", dataclasses.replace(cfg, free_bits=5.0, warmup_epochs=0))
    batch = collate(data, [0])
    out = fb(batch, {"all": candidate_set(batch, "all", V)})
    # free bits: the penalty is at least d_z * free_bits
    assert float((out.loss - out.terms["recon"]).detach()) >= cfg.d_z * 5.0 - 1e-4


def test_score_is_normalised_and_masked(setup):
    cfg, data, V, _ = setup
    model = build_model("cvae", cfg).eval()
    batch = collate(data, [0])
    cands = candidate_set(batch, "roster", V, form="vocab")
    mask = cands.dense(V)
    logp, ll, ll_small = model.score(batch, {"roster": cands}, n_samples=20,
                                     generator=torch.Generator().manual_seed(0))["roster"]
    assert torch.allclose(logp.exp().sum(1), torch.ones(len(logp)), atol=1e-5)
    assert (logp[~mask].exp() == 0).all()
    assert ll.shape == ll_small.shape == (batch.n_targets,) and (ll < 0).all()


def test_embed_and_round_trip(setup, tmp_path):
    cfg, data, V, _ = setup
    model = build_model("cvae", cfg).eval()
    batch = collate(data, [0])
    mu, var = model.embed(batch)
    assert mu.shape == var.shape == (batch.n_targets, cfg.d_z) and (var > 0).all()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    again = build_model("cvae", config_from_dict("cvae", config_to_dict(cfg)))
    again.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    assert torch.equal(again.eval().embed(batch)[0], mu)


def test_unknown_config_key_is_an_error(setup):
    enc = setup[3]
    with pytest.raises(ValueError, match="unknown cvae config key"):
        default_config("cvae", enc, {"dz": 3})
    with pytest.raises(ValueError, match="unknown encoder config key"):
        default_config("cvae", enc, {"encoder": {"hiden": 3}})


def test_kl_warmup_is_the_one_schedule_of_core_vae(setup):
    from hockey_vae.core.vae import linear_warmup

    cfg = setup[0]
    model = build_model("cvae", cfg)
    weights = []
    for epoch in range(4):
        model.on_epoch_start(epoch)
        weights.append(model.kl_weight)
    w = cfg.warmup_epochs
    assert weights == [linear_warmup(e, w + 1, cfg.beta) for e in range(4)]
    assert weights[w] == cfg.beta and weights[0] == pytest.approx(cfg.beta / (w + 1))


def test_decoder_without_context_depends_on_z_only(setup):
    import dataclasses
    cfg, data, V, _ = setup
    model = build_model("cvae", dataclasses.replace(cfg, decoder_context=False)).eval()
    batch = collate(data, [0])
    ctx = model.context(batch)
    z = torch.zeros(batch.n_targets, cfg.d_z)
    assert torch.equal(model.decode(z, ctx), model.decode(z, ctx * 0 + 5.0))

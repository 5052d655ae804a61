"""Count baselines: frequency within team and uniform over candidates."""

import torch
from _toy import toy_tables

from hockey_vae.features import SequenceEncoder, candidate_set, collate, split_games
from hockey_vae.models import build_model, default_config


def test_frequency_and_uniform():
    t = toy_tables(n_games=12, seed=4)
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t, split["train"])
    V = len(enc.vocab_)
    freq = build_model("frequency", default_config("frequency", enc), enc).fit(data)
    uni = build_model("uniform", default_config("uniform", enc), enc)
    batch = collate(data, [0])
    cands = candidate_set(batch, "on_ice", V, form="vocab")
    mask = cands.dense(V)
    lu = uni.score(batch, {"m": cands})["m"].logp
    assert torch.allclose(lu[mask], -torch.log(mask.sum(1, keepdim=True).float()).expand_as(mask)[mask])
    lf = freq.score(batch, {"m": cands})["m"].logp
    assert (lf[~mask].exp() == 0).all()
    # the most frequent training player of the acting team gets the most mass among all
    top = freq.score(batch, {"a": candidate_set(batch, "all", V)})["a"].logp.argmax(1)
    team = batch.team[batch.target]
    assert torch.equal(top, freq.counts[team].argmax(1))

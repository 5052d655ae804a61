"""Count baselines: frequency within team and uniform over candidates."""

import torch
from _toy import toy_tables

from hockey_vae.models import build_model, default_config
from hockey_vae.sequences import SequenceEncoder, candidate_mask, collate, split_games


def test_frequency_and_uniform():
    t = toy_tables(n_games=12, seed=4)
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t, split["train"])
    V = len(enc.vocab_)
    freq = build_model("frequency", default_config("frequency", V, len(enc.teams_))).fit(data)
    uni = build_model("uniform", default_config("uniform", V, len(enc.teams_)))
    batch = collate(data, [0])
    mask = candidate_mask(batch, "on_ice", V)
    lu = uni.score(batch, {"m": mask})["m"][0]
    assert torch.allclose(lu[mask], -torch.log(mask.sum(1, keepdim=True).float()).expand_as(mask)[mask])
    lf = freq.score(batch, {"m": mask})["m"][0]
    assert (lf[~mask].exp() == 0).all()
    # the most frequent training player of the acting team gets the most mass among all
    all_mask = candidate_mask(batch, "all", V)
    top = freq.score(batch, {"a": all_mask})["a"][0].argmax(1)
    team = batch.team[batch.target]
    assert torch.equal(top, freq.counts[team].argmax(1))

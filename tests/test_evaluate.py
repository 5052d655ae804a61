"""Metrics on hand-made log-probabilities, sparse players, summaries."""

import math

import numpy as np
import pytest
import torch

from hockey_vae.evaluate import Predictions, metrics_from_log_probs, sparse_players, summarize


def test_metrics_on_hand_made_log_probs():
    p = torch.tensor([[0.7, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0],
                      [0.1, 0.2, 0.3, 0.15, 0.1, 0.1, 0.05],
                      [0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0]])
    logp = torch.log(p)
    m = metrics_from_log_probs(logp, torch.tensor([0, 6, 1]))
    # row 0: top-1 hit; row 1: truth ranked last of 7 -> top-5 miss; row 2: 4-way tie
    assert math.isclose(m["top1"], (1 + 0 + 0.25) / 3, rel_tol=1e-6)
    assert math.isclose(m["top5"], (1 + 0 + 1) / 3, rel_tol=1e-6)
    assert math.isclose(m["loglik"], float(np.log([0.7, 0.05, 0.25]).mean()), rel_tol=1e-6)
    assert m["n_events"] == 3


def test_sparse_players_bottom_quartile():
    counts = [0] * 7 + [1, 2, 3, 4, 100, 200, 300, 400]
    sp = sparse_players(counts)
    assert not sp[:7].any()
    assert sp[7:].tolist() == [True, True, False, False, False, False, False, False]


def test_summary_counts_unknown_and_not_in_set():
    n = 6
    sets = {"roster": {"ll": np.full(n, -1.0), "ll_small": np.full(n, -1.1),
                       "top1": np.array([1, 0, 1, 0, 1, 1.0]), "top5": np.ones(n),
                       "ptop": np.full(n, 0.5),
                       "in_set": np.array([1, 1, 1, 0, 1, 1], bool)}}
    pred = Predictions(flat_index=np.arange(n), player=np.array([7, 8, 9, 10, 1, 7]),
                       etype=np.array([0, 0, 1, 1, 0, 1]),
                       known=np.array([1, 1, 1, 1, 0, 1], bool), sets=sets)
    ev = summarize(pred, [0] * 7 + [1, 50, 60, 70], "toy")
    row = ev.summary.set_index("candidates").loc["roster"]
    assert row.n_events == 4 and row.n_unknown == 1 and row.n_not_in_set == 1
    assert math.isclose(row.top1, 0.75)
    assert ev.summary.set_index("candidates").loc["sparse"].n_events == 2  # player 7 twice
    assert ev.unknown["n_events"] == 1
    assert set(ev.to_dict()) == {"roster", "sparse"}


def _edge_case_batch():
    """A toy batch plus the cases the short lists must get right: an event without an
    on-ice list (roster fallback), one without any list (every player), one whose truth is
    off its list, and two unseen players sharing their position's token."""
    from _toy import toy_tables

    from hockey_vae.features import SequenceEncoder, collate, split_games

    t = toy_tables(n_games=8, seed=4)
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    batch = collate(enc.transform(t, split["train"]), [0, 1])
    batch.tgt_on_ice[0] = -1
    batch.tgt_on_ice[1] = -1
    batch.tgt_roster[1] = -1
    batch.tgt_on_ice[2, 0] = (int(batch.tgt_player[2]) + 1) % len(enc.vocab_) or 7
    batch.tgt_on_ice[2, 1:] = -1  # truth is off the list
    batch.tgt_roster[3, :2] = 3  # two unseen players of position 3's token
    batch.tgt_on_ice[3, :2] = 3
    return batch, len(enc.vocab_), enc


def test_candidate_lists_are_the_masks_in_short():
    from hockey_vae.features import candidate_mask, candidate_set

    batch, V, _ = _edge_case_batch()
    for kind in ("roster", "on_ice"):
        lists = candidate_set(batch, kind, V, form="lists")
        assert not lists.whole and lists.full.tolist()[:2] == [False, True]
        assert torch.equal(lists.dense(V), candidate_mask(batch, kind, V)), kind
        # "auto" falls back to the dense form because row 1 has no list at all
        auto = candidate_set(batch, kind, V)
        assert auto.whole and torch.equal(auto.dense(V), candidate_mask(batch, kind, V))
        with pytest.raises(ValueError, match="dense form"):
            lists.log_softmax(torch.zeros(batch.n_targets, V))


@pytest.mark.parametrize("name", ["lstm", "cvae", "frequency"])
def test_short_list_scores_equal_the_mask_scores(name):
    from hockey_vae.evaluate import _set_metrics
    from hockey_vae.features import candidate_set, unseen_counts
    from hockey_vae.models import build_model, default_config

    torch.manual_seed(0)
    batch, V, enc = _edge_case_batch()
    batch.tgt_roster[1] = batch.tgt_roster[0]  # every row has a list: the short form applies
    small = {"d_z": 4, "d_hidden": 16, "eval_samples": 8, "prior_samples": 4,
             "encoder": {"hidden": 16, "d_context": 16}} if name == "cvae" else \
        {"hidden": 16, "d_context": 16} if name == "lstm" else {}
    model = build_model(name, default_config(name, enc, small), enc).eval()
    if name == "frequency":
        model.counts.uniform_(0, 5)
    y = batch.tgt_player
    for kind in ("roster", "on_ice"):
        lists = candidate_set(batch, kind, V)
        mask = candidate_set(batch, kind, V, form="vocab")
        assert not lists.whole and mask.whole
        log_m = unseen_counts(batch, kind).log()
        got = {}
        for form, cands in (("lists", lists), ("mask", mask)):
            gen = torch.Generator().manual_seed(5)
            scores = model.score(batch, {kind: cands}, generator=gen)[kind]
            assert scores.logp.shape[1] == (lists.index.shape[1] if form == "lists" else V)
            got[form] = _set_metrics(scores, cands, log_m, y)
        assert torch.equal(got["lists"]["in_set"], got["mask"]["in_set"])
        if kind == "on_ice":
            assert not bool(got["lists"]["in_set"][2])
        ok = got["mask"]["in_set"]
        for key in ("ll", "ll_small", "top1", "top5"):
            torch.testing.assert_close(got["lists"][key][ok], got["mask"][key][ok],
                                       rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got["lists"]["ptop"], got["mask"]["ptop"], rtol=1e-5,
                                   atol=1e-6)


def test_training_loss_on_short_lists_equals_the_masked_loss_and_its_gradient():
    from hockey_vae.features import candidate_set

    torch.manual_seed(2)
    batch, V, _ = _edge_case_batch()
    y = batch.tgt_player
    for kind in ("roster", "on_ice"):
        a = (torch.randn(batch.n_targets, V) * 3).requires_grad_()
        b = a.detach().clone().requires_grad_()
        loss_mask = candidate_set(batch, kind, V, form="vocab").nll(a, y)
        loss_list = candidate_set(batch, kind, V, form="lists").nll(b, y)
        torch.testing.assert_close(loss_list, loss_mask)
        loss_mask.backward()
        loss_list.backward()
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-5, atol=1e-7)

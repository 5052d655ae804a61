"""LSTM context encoder and classifier: build, forward, candidates, causality, round trip."""

import torch
from _toy import toy_tables

from hockey_vae.features import SequenceEncoder, candidate_set, collate, split_games
from hockey_vae.models import build_model, config_from_dict, config_to_dict, default_config
from hockey_vae.models.base import masked_log_softmax


def _setup(name="lstm"):
    torch.manual_seed(0)
    t = toy_tables(n_games=12, seed=2)
    split = split_games(t.games)
    enc = SequenceEncoder(history=name != "lstm-nohist").fit(t, split["train"])
    data = enc.transform(t, split["train"])
    cfg = default_config(name, enc, {"hidden": 16, "d_context": 16})
    return build_model(name, cfg, enc), data, len(enc.vocab_)


def test_forward_loss_finite_and_backprop():
    model, data, V = _setup()
    batch = collate(data, [0, 1, 2])
    cands = {c: candidate_set(batch, c, V, form="lists") for c in ("all", "roster", "on_ice")}
    out = model(batch, cands)
    assert torch.isfinite(out.loss) and set(out.terms) == {"nll_all", "nll_roster", "nll_on_ice"}
    out.loss.backward()
    assert model.head[0].weight.grad is not None


def test_masked_candidates_get_zero_probability():
    model, data, V = _setup()
    model.eval()
    batch = collate(data, [0])
    cands = candidate_set(batch, "on_ice", V, form="vocab")
    mask = cands.dense(V)
    logp = model.score(batch, {"on_ice": cands})["on_ice"].logp
    assert torch.allclose(logp.exp().sum(1), torch.ones(len(logp)))
    assert (logp[~mask].exp() == 0).all()
    assert torch.isfinite(masked_log_softmax(torch.zeros(2, 3), torch.tensor([[1, 0, 1]]).bool())[:, 0]).all()


def _logits_of_event(model, batch, t):
    model.eval()
    with torch.no_grad():
        ctx = model.encoder(batch)
    return ctx[0, t]


def test_no_leak_of_own_player_or_future_events():
    for name in ("lstm", "lstm-nohist"):
        model, data, V = _setup(name)
        batch = collate(data, [0])
        targets = torch.nonzero(batch.target[0]).squeeze(1)
        t = int(targets[len(targets) // 2])
        ref = _logits_of_event(model, batch, t)
        changed = collate(data, [0])
        changed.player[0, t] = (changed.player[0, t] + 1) % V  # its own player
        changed.player[0, t + 1:] = 7  # later players
        changed.num[0, t + 1:] += 3.0  # later features
        changed.etype[0, t + 1:] = 0
        assert torch.allclose(ref, _logits_of_event(model, changed, t))
        if name == "lstm":  # the history does depend on earlier players
            earlier = collate(data, [0])
            earlier.player[0, :t] = 7
            assert not torch.allclose(ref, _logits_of_event(model, earlier, t))


def test_save_load_round_trip(tmp_path):
    model, data, V = _setup()
    model.eval()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    cfg = config_from_dict("lstm", config_to_dict(model.cfg))
    again = build_model("lstm", cfg)
    again.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    again.eval()
    batch = collate(data, [0])
    assert torch.equal(model.logits(batch), again.logits(batch))


def test_lineup_reaches_every_model_but_history_columns_stay_out_of_nohist():
    from hockey_vae.features import HISTORY_COLUMNS, LINEUP_COLUMNS

    torch.manual_seed(0)
    t = toy_tables(n_games=12, seed=2)
    split = split_games(t.games)
    small = {"hidden": 16, "d_context": 16}
    for name in ("lstm", "lstm-nohist"):
        enc = SequenceEncoder(history=name == "lstm", lineup=True).fit(t, split["train"])
        data = enc.transform(t, split["train"])
        model = build_model(name, default_config(name, enc, small), enc).eval()
        assert model.roster_scorer is not None
        # the encoder writes history columns only with history, lineup columns with lineup
        assert data.roster_features[..., list(LINEUP_COLUMNS)].any()
        assert data.roster_features[..., list(HISTORY_COLUMNS)].any() == (name == "lstm")
        batch = collate(data, [0])
        ref = model.logits(batch)
        lineup = collate(data, [0])
        col = lineup.tgt_roster_features[..., LINEUP_COLUMNS[0]]
        lineup.tgt_roster_features[..., LINEUP_COLUMNS[0]] = 1.0 - col
        assert not torch.allclose(ref, model.logits(lineup))
    enc = SequenceEncoder(history=False).fit(t, split["train"])
    plain = default_config("lstm-nohist", enc, small)
    assert build_model("lstm-nohist", plain).roster_scorer is None


def test_slot_bonus_takes_the_largest_bonus_of_a_shared_entry_and_adds_to_samples():
    from hockey_vae.models.lstm import RosterScorer

    torch.manual_seed(1)
    model, data, V = _setup()
    batch = collate(data, [0])
    batch.tgt_roster[0, :3] = 3  # three unseen players behind one cold-start token
    batch.tgt_roster[1, -2:] = -1  # padding
    batch.tgt_roster_features.normal_()
    hist = RosterScorer(model.cfg)
    ctx = torch.randn(batch.n_targets, model.cfg.d_context)
    bonus = hist(batch, ctx)
    # reference: the per-slot scores, then per entry the max over its slots, zero elsewhere
    h = hist.h(batch.tgt_roster_features)
    per_slot = (h * hist.g(ctx)[:, None, :]).sum(-1) + hist.b(h).squeeze(-1)
    ref = torch.zeros(batch.n_targets, V)
    for n in range(batch.n_targets):
        for j, v in enumerate(batch.tgt_roster[n].tolist()):
            if v >= 1:
                ref[n, v] = per_slot[n, j] if ref[n, v] == 0 else max(ref[n, v], per_slot[n, j])
    torch.testing.assert_close(bonus.dense(V), ref)
    assert ref[0, 3] == per_slot[0, :3].max()
    logits = torch.randn(4, batch.n_targets, V)
    torch.testing.assert_close(bonus.add_to(logits), logits + ref)

"""Training batches: the unpacked plan is the old one, packing cuts padding and keeps the
objective (the same games give the same total loss however they are grouped)."""

import numpy as np
import pytest
import torch

from hockey_vae.features import (
    SequenceEncoder,
    as_tables,
    collate,
    split_games,
    training_candidates,
)
from hockey_vae.models import build_model, default_config
from hockey_vae.simulate import simulate_league
from hockey_vae.train import TrainConfig
from hockey_vae.train_batches import epoch_batches


def _padding(lengths, batches):
    return sum(len(b) * lengths[b].max() - lengths[b].sum() for b in batches)


def test_unpacked_plan_is_the_seeded_slices_of_a_shuffle():
    lengths = np.arange(10, 33)
    cfg = TrainConfig(batch_games=4, seed=3, pack_by_length=False)
    order = torch.randperm(23, generator=torch.Generator().manual_seed(3 * 1000 + 5))
    want = [order[i:i + 4].tolist() for i in range(0, 23, 4)]
    assert epoch_batches(cfg, lengths, 5) == want
    assert epoch_batches(cfg, lengths, 5, rank=1, world=2) == want[:6][1::2]


def test_packing_covers_every_game_once_with_less_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(200, 400, size=300)
    plain = epoch_batches(TrainConfig(batch_games=8, pack_by_length=False), lengths, 0)
    packed = epoch_batches(TrainConfig(batch_games=8, pack_by_length=True), lengths, 0)
    assert sorted(g for b in packed for g in b) == list(range(300))
    assert max(len(b) for b in packed) == 8
    assert _padding(lengths, packed) < 0.25 * _padding(lengths, plain)
    again = epoch_batches(TrainConfig(batch_games=8, pack_by_length=True), lengths, 0)
    other = epoch_batches(TrainConfig(batch_games=8, pack_by_length=True), lengths, 1)
    assert packed == again and packed != other


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(0)
    t = as_tables(simulate_league(n_teams=4, games=4, seed=0))  # games of unequal length
    split = split_games(t.games)
    enc = SequenceEncoder().fit(t, split["train"])
    data = enc.transform(t, split["train"])
    cfg = default_config("lstm", enc, {"hidden": 16, "d_context": 16})
    return data, build_model("lstm", cfg).eval(), len(enc.vocab_)


def _total_loss(model, data, batches, n_vocab):
    total, n = 0.0, 0
    with torch.no_grad():
        for games in batches:
            batch = collate(data, games)
            out = model(batch, training_candidates(batch, ("all", "roster"), n_vocab))
            total += float(out.loss) * batch.n_targets
            n += batch.n_targets
    return total, n


def test_same_loss_on_a_fixed_batch_whatever_the_padding(toy):
    data, model, V = toy
    lengths = data.lengths()
    short, long_ = int(np.argmin(lengths)), int(np.argmax(lengths))
    assert lengths[short] < lengths[long_]
    alone, _ = _total_loss(model, data, [[short]], V)
    # padded to the longest game of the batch, then only the short game's loss counted
    batch = collate(data, [short, long_])
    mine = batch.flat_index < data.offsets[short + 1]
    mine &= batch.flat_index >= data.offsets[short]
    with torch.no_grad():
        logits = model.logits(batch)[mine]
    sub = collate(data, [short])
    with torch.no_grad():
        want = model.logits(sub)
    torch.testing.assert_close(logits, want, rtol=1e-5, atol=1e-5)
    plain = epoch_batches(TrainConfig(batch_games=2, pack_by_length=False), lengths, 0)
    packed = epoch_batches(TrainConfig(batch_games=2, pack_by_length=True), lengths, 0)
    assert plain != packed
    (a, na), (b, nb) = _total_loss(model, data, plain, V), _total_loss(model, data, packed, V)
    assert na == nb and a == pytest.approx(b, rel=1e-5)
    assert alone > 0

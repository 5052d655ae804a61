"""Training utilities: batches, the loop, the metric history."""

import json

import pytest
import torch

from hockey_vae.core import History, shuffled_batches, train_loop


def test_shuffled_batches_cover_each_epoch_once():
    data = torch.arange(10)
    it = shuffled_batches(data, 5, torch.Generator().manual_seed(0))
    epoch = torch.cat([next(it), next(it)])
    assert sorted(epoch.tolist()) == list(range(10))
    assert next(shuffled_batches(data, 50)).shape == (10,)  # smaller than one batch
    with pytest.raises(ValueError, match="empty"):
        next(shuffled_batches(torch.zeros(0), 4))


def test_fit_logs_and_calls_back(tmp_path):
    seen = []
    history = train_loop(lambda batch, i: {"loss": float(batch) * 2}, iter([1, 2, 3, 4, 5]), 5,
                  log_every=2, callback=lambda i, m: seen.append(i))
    assert seen == [0, 1, 2, 3, 4]
    assert [r["step"] for r in history.rows] == [1, 3, 4]
    assert history.last() == {"step": 4, "loss": 10.0}
    assert list(history.to_frame().columns) == ["step", "loss"]
    path = history.save_json(tmp_path / "metrics.json")
    assert json.loads(path.read_text())[0] == {"step": 1, "loss": 4.0}


def test_fit_complains_when_batches_run_out():
    with pytest.raises(ValueError, match="ran out after 2"):
        train_loop(lambda b, i: {}, iter([1, 2]), 3)
    assert len(History()) == 0

"""Checkpoint files: every failure is one CheckpointError naming the file; nothing pickled runs."""

import os

import pytest
import torch

from hockey_vae.checkpoint import (
    FORMAT_VERSION,
    CheckpointError,
    nonfinite_tensors,
    read_checkpoint,
    save_checkpoint,
)


def _state(**extra):
    return {"model_name": "lstm", "model_config": {"hidden": 4}, "train_config": {"lr": 0.1},
            "encoder": {}, "split": {"train": ["g1"], "val": [], "test": []},
            "model": {"w": torch.ones(2, 2), "steps": torch.tensor([3])}, **extra}


class _Payload:
    """Pickling this runs `os.system` on load unless the loader refuses it."""

    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_round_trip_stamps_the_format_version(tmp_path):
    path = save_checkpoint(_state(), tmp_path / "best.pt")
    state = read_checkpoint(path)
    assert state["format_version"] == FORMAT_VERSION
    assert torch.equal(state["model"]["w"], torch.ones(2, 2))


def test_missing_file_is_named_and_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="best.pt"):
        read_checkpoint(tmp_path / "best.pt")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_checkpoint(tmp_path / "best.pt")


def test_pickled_objects_are_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "checkpoint.pt"
    torch.save({**_state(), "evil": _Payload()}, path)
    with pytest.raises(CheckpointError, match=r"checkpoint\.pt: refused: .*pickled"):
        read_checkpoint(path)
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("keep", [0, 10, 0.5, 0.9])
def test_truncated_or_empty_files_are_named(tmp_path, keep):
    good = save_checkpoint(_state(), tmp_path / "good.pt").read_bytes()
    n = int(keep * len(good)) if isinstance(keep, float) else keep
    path = tmp_path / "best.pt"
    path.write_bytes(good[:n])
    with pytest.raises(CheckpointError, match=r"best\.pt: .*(empty|truncated|not a readable)"):
        read_checkpoint(path)


def test_random_bytes_are_named(tmp_path):
    path = tmp_path / "best.pt"
    path.write_bytes(os.urandom(2000))
    with pytest.raises(CheckpointError, match=r"best\.pt"):
        read_checkpoint(path)


def test_version_mismatch_is_named(tmp_path):
    path = tmp_path / "best.pt"
    torch.save({**_state(), "format_version": FORMAT_VERSION + 1}, path)
    with pytest.raises(CheckpointError, match=rf"best\.pt: checkpoint format version "
                                              rf"{FORMAT_VERSION + 1}"):
        read_checkpoint(path)


def test_unversioned_checkpoint_reads_as_version_one(tmp_path):
    torch.save(_state(), tmp_path / "old.pt")
    assert read_checkpoint(tmp_path / "old.pt")["model_name"] == "lstm"


def test_not_a_run_checkpoint(tmp_path):
    torch.save({"weights": torch.ones(1)}, tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match=r"a\.pt: not a run checkpoint: missing"):
        read_checkpoint(tmp_path / "a.pt")
    torch.save([1, 2], tmp_path / "b.pt")
    with pytest.raises(CheckpointError, match=r"b\.pt: not a run checkpoint \(a list"):
        read_checkpoint(tmp_path / "b.pt")


def test_non_finite_weights_are_refused_unless_asked(tmp_path):
    state = _state()
    state["model"]["w"][0, 1] = float("nan")
    path = save_checkpoint(state, tmp_path / "best.pt")
    with pytest.raises(CheckpointError, match=r"best\.pt: 1 weight tensor.*'w'.*diverged"):
        read_checkpoint(path)
    assert read_checkpoint(path, require_finite=False)["model_name"] == "lstm"


def test_nonfinite_tensors_ignores_integer_tensors():
    assert nonfinite_tensors({"a": torch.tensor([1.0, float("-inf")]), "b": torch.tensor([1]),
                              "c": "text"}) == ["a"]

"""The one config schema: sections, inheritance, per-model sections, strict checks."""

import json

import pytest

from hockey_vae.config import RunConfig, load_config, parse_config


def test_defaults_and_sections():
    cfg = load_config(None)
    assert isinstance(cfg, RunConfig) and cfg.model == {} and cfg.train.epochs == 8
    assert cfg.features.history is None and not cfg.features.lineup
    with pytest.raises(ValueError, match=r"unknown top-level key\(s\) \['modle'\]"):
        parse_config({"modle": {}})


def test_base_chain_merges_key_by_key_and_loops_are_refused(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(
        {"train": {"epochs": 5, "lr": 0.1}, "model": {"cvae": {"d_z": 4, "free_bits": 0.1}}}))
    (tmp_path / "b.json").write_text(json.dumps(
        {"base": "a.json", "train": {"epochs": 7}, "model": {"cvae": {"d_z": 8}}}))
    cfg = load_config(tmp_path / "b.json")
    assert (cfg.train.epochs, cfg.train.lr) == (7, 0.1)
    assert cfg.model == {"cvae": {"d_z": 8, "free_bits": 0.1}}
    (tmp_path / "a.json").write_text(json.dumps({"base": "b.json"}))
    with pytest.raises(ValueError, match="loops back"):
        load_config(tmp_path / "b.json")
    with pytest.raises(FileNotFoundError, match="nope.json"):
        load_config(tmp_path / "nope.json")


def test_model_section_flat_or_per_model():
    per = parse_config({"model": {"cvae": {"d_z": 3}, "lstm": {"hidden": 8}}})
    assert per.per_model and per.model_overrides("cvae") == {"d_z": 3}
    assert per.model_overrides("frequency") == {}
    flat = parse_config({"model": {"hidden": 8}})
    assert not flat.per_model and flat.fit_kwargs("lstm")["model_overrides"] == {"hidden": 8}
    with pytest.raises(ValueError, match="several models run"):
        flat.check_models(["lstm", "cvae"])
    with pytest.raises(ValueError, match="unknown frequency model config key"):
        flat.check_models(["frequency"])
    with pytest.raises(ValueError, match="unknown cvae model config key"):
        parse_config({"model": {"cvae": {"dz": 3}}})
    with pytest.raises(ValueError, match="'lineup' is set from features"):
        parse_config({"model": {"lstm": {"lineup": True}}})


def test_command_line_values_are_checked_like_file_values():
    cfg = load_config({"train": {"epochs": 3}})
    assert cfg.with_train(epochs=None, seed=4).train.seed == 4
    assert cfg.with_train(seed=4).train.epochs == 3
    with pytest.raises(ValueError, match="'device'"):
        cfg.with_train(device="cdua")
    assert cfg.with_train(device="cuda:1").train.device == "cuda:1"


@pytest.mark.parametrize("train", [{"lr": float("nan")}, {"grad_clip": float("inf")},
                                   {"unseen_rate": float("nan")},
                                   {"split_fractions": [float("nan"), 0.5, 0.5]},
                                   {"patience": 0}])
def test_non_finite_numbers_and_zero_patience_are_refused(train):
    key = next(iter(train))
    with pytest.raises(ValueError, match=key):
        parse_config({"train": train})


def test_a_config_file_with_nan_is_refused(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text('{"train": {"lr": NaN}}')  # Python's json module accepts NaN
    with pytest.raises(ValueError, match="'lr' must be a finite number"):
        load_config(str(path))

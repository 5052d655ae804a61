"""One config schema for every entry point: `{"features": {...}, "model": {...}, "train": {...}}`.

- `features`: the encoder's flags (`FeatureConfig`: min_player_events, history, lineup,
  on_ice_history).
- `model`: the model's own keys (`LSTMConfig`, `CVAEConfig` with a nested `encoder`,
  `CountConfig`), or, for several models (a benchmark), one section per model name:
  `{"cvae": {"free_bits": 0.01}, "lstm": {...}}`. A `train` run with per-model sections
  uses its model's section.
- `train`: `TrainConfig` (optimisation, validation, split, device).
- `base` (files only): a config file this one starts from, relative to this file; sections
  are merged key by key (nested objects recursively), this file winning. Presets in
  `configs/` state only what differs from `configs/base.json` (nanoGPT's style).

`hockey-vae train/benchmark/demo --config FILE`, `PlayerEmbedder(config=...)` and `fit` (via
`RunConfig.fit_kwargs`) read the same schema. Everything is checked when the config is
loaded, before any data is: unknown keys (named, with the allowed ones), types (an integer
field refuses 2.9), fixed choices (device, candidate sets) and ranges.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hockey_vae.features import FeatureConfig
from hockey_vae.models import MODEL_NAMES, check_overrides
from hockey_vae.train_config import TrainConfig, feature_config_from_dict, train_config_from_dict

__all__ = ["SECTIONS", "RunConfig", "parse_config", "read_config_file", "load_config"]

SECTIONS = ("base", "features", "model", "train")


@dataclass
class RunConfig:
    """A checked config: feature flags, model keys (flat or per model), train settings."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)

    @property
    def per_model(self) -> bool:
        """Whether `model` holds one section per model name."""
        return bool(self.model) and set(self.model) <= set(MODEL_NAMES)

    def model_overrides(self, name: str) -> dict[str, Any]:
        """The model keys for model `name` (checked against its config, not the data)."""
        keys = dict(self.model.get(name, {})) if self.per_model else dict(self.model)
        check_overrides(name, keys)
        return keys

    def check_models(self, names: Sequence[str]) -> None:
        """ValueError unless the model keys suit every model of `names` (a flat `model`
        section fits one model only: several need per-model sections)."""
        if self.model and not self.per_model and len(names) > 1:
            raise ValueError("config 'model' holds one model's keys but several models run "
                             f"({list(names)}); key them by model name, e.g. "
                             '{"model": {"cvae": {"free_bits": 0.01}}}')
        for name in names:
            self.model_overrides(name)

    def fit_kwargs(self, name: str) -> dict[str, Any]:
        """Keyword arguments of `hockey_vae.train.fit` for model `name`."""
        return {"model_overrides": self.model_overrides(name), "train_config": self.train,
                "features": self.features}

    def with_train(self, **values: Any) -> RunConfig:
        """A copy with the train keys `values` that are not None replaced (checked)."""
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        merged = {**dataclasses.asdict(self.train), **given}
        return dataclasses.replace(self, train=train_config_from_dict(merged))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the schema this module reads)."""
        return {"features": dataclasses.asdict(self.features), "model": self.model,
                "train": dataclasses.asdict(self.train)}


def parse_config(data: dict[str, Any], where: str = "config") -> RunConfig:
    """A RunConfig from a dict in the schema; ValueError naming the bad key otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a JSON object with 'features', 'model' and/or "
                         f"'train', got {type(data).__name__}")
    unknown = sorted(set(data) - {"features", "model", "train"})
    if unknown:
        raise ValueError(f"{where}: unknown top-level key(s) {unknown}; allowed: "
                         "['features', 'model', 'train'] (and 'base' in a file)")
    model = data.get("model", {})
    if not isinstance(model, dict):
        raise ValueError(f"{where}: 'model' must be an object, got {model!r}")
    names = [k for k in model if k in MODEL_NAMES]
    if names and len(names) != len(model):
        raise ValueError(f"{where}: 'model' mixes per-model sections {names} with model keys "
                         f"{sorted(set(model) - set(names))}; use one or the other")
    try:
        cfg = RunConfig(features=feature_config_from_dict(data.get("features", {})),
                        model=model, train=train_config_from_dict(data.get("train", {})))
        if cfg.per_model:
            cfg.check_models(names)
        elif model:
            _check_flat(model)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return cfg


def _check_flat(model: dict[str, Any]) -> None:
    """ValueError unless some model accepts the flat `model` keys (the first model's error)."""
    errors = []
    for name in MODEL_NAMES:
        try:
            check_overrides(name, model)
            return
        except ValueError as err:
            errors.append(err)
    raise errors[0]


def read_config_file(path: str | os.PathLike, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The merged dict of config file `path` and its `base` chain (not yet checked)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} not found")
    if path.resolve() in _seen:
        raise ValueError(f"{path}: 'base' chain loops back to {path.name}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: config must be a JSON object, got {type(data).__name__}")
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ValueError(f"{path}: 'base' must be a file name, got {base!r}")
    parent = read_config_file(path.parent / base, (*_seen, path.resolve()))
    return _merge(parent, data)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def load_config(config: RunConfig | dict[str, Any] | str | os.PathLike | None,
                defaults: dict[str, Any] | None = None) -> RunConfig:
    """A checked RunConfig from a RunConfig, a dict in the schema, a file path or None
    (the defaults); with `defaults` (a dict in the schema, e.g. the demo preset), `config`
    is merged over it."""
    if isinstance(config, RunConfig):
        if not defaults:
            return config
        config = config.to_dict()
    where = "config"
    if config is None:
        data: dict[str, Any] = {}
    elif isinstance(config, (str, os.PathLike)):
        data, where = read_config_file(config), str(config)
    else:
        data = config
    if defaults and isinstance(data, dict):
        data = _merge(defaults, data)
    return parse_config(data, where)

"""Player-identification models: LSTM context encoder, PlayerCVAE and baselines.

`default_config(name, encoder, overrides)` then `build_model(name, config, encoder)` is the
one way to make a model. The fields that describe the data (vocabulary sizes, input widths,
the history and lineup flags: `ENCODER_FIELDS`) come from the fitted `SequenceEncoder`; a
config that disagrees with its encoder is an error naming both values, because the feature
flags belong to the encoder (`FeatureConfig`), which writes the inputs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from hockey_vae.core.config import checked_fields
from hockey_vae.features import SequenceEncoder
from hockey_vae.models.base import ModelOutput, PlayerModel, SetScores, masked_log_softmax
from hockey_vae.models.baselines import (
    CondLogitConfig,
    CondLogitLineupModel,
    CondLogitModel,
    CountConfig,
    FrequencyModel,
    UniformModel,
)
from hockey_vae.models.cvae import CVAEConfig, PlayerCVAE
from hockey_vae.models.latent_lstm import LatentLSTMConfig, PlayerLatentLSTM
from hockey_vae.models.lstm import ENCODER_FIELDS, ContextEncoder, LSTMClassifier, LSTMConfig
from hockey_vae.names import MODEL_NAMES

__all__ = [
    "MODEL_NAMES",
    "ENCODER_FIELDS",
    "ModelOutput",
    "SetScores",
    "PlayerModel",
    "masked_log_softmax",
    "LSTMConfig",
    "ContextEncoder",
    "LSTMClassifier",
    "CVAEConfig",
    "PlayerCVAE",
    "LatentLSTMConfig",
    "PlayerLatentLSTM",
    "CountConfig",
    "FrequencyModel",
    "UniformModel",
    "CondLogitConfig",
    "CondLogitModel",
    "CondLogitLineupModel",
    "model_history",
    "encoder_fields",
    "default_config",
    "check_overrides",
    "check_config",
    "config_to_dict",
    "config_from_dict",
    "build_model",
]

_COUNT_MODELS = ("frequency", "uniform", "cond-logit", "cond-logit-lineup")


def _count_config_class(name: str) -> type:
    return CondLogitConfig if name.startswith("cond-logit") else CountConfig


# models whose config nests the LSTM encoder config under `encoder`
_NESTED: dict[str, type] = {"cvae": CVAEConfig, "player-latent": LatentLSTMConfig}


def _check_name(name: str) -> None:
    if name not in MODEL_NAMES:
        raise ValueError(f"model {name!r} is not one of {MODEL_NAMES}")


def model_history(name: str, history: bool | None) -> bool:
    """The `history` feature flag for model `name`: `lstm-nohist` reads no player history
    (an explicit True is an error), every other model defaults to it."""
    _check_name(name)
    if name == "lstm-nohist":
        if history:
            raise ValueError("model 'lstm-nohist' reads no player history, but features "
                             "history=True; drop it or use model 'lstm'")
        return False
    return True if history is None else bool(history)


def encoder_fields(encoder: SequenceEncoder) -> dict[str, Any]:
    """The ENCODER_FIELDS values of a fitted encoder."""
    return {"n_players": len(encoder.vocab_), "n_teams": len(encoder.teams_),
            "n_num": encoder.n_num, "n_roster_features": encoder.n_roster_features,
            "history": encoder.features.history, "lineup": encoder.lineup}


def default_config(name: str, encoder: SequenceEncoder,
                   overrides: dict[str, Any] | None = None) -> Any:
    """The default config of model `name` for the fitted `encoder`, with `overrides`.

    `overrides` may set any model field (nested `encoder` fields for the cvae as a dict); an
    unknown key raises ValueError naming it, and an ENCODER_FIELDS value that disagrees with
    the encoder raises ValueError naming both values.
    """
    _check_name(name)
    fields = encoder_fields(encoder)
    overrides = dict(overrides or {})
    if name in _COUNT_MODELS:
        cls = _count_config_class(name)
        cfg: Any = _replace(cls(n_players=fields["n_players"], n_teams=fields["n_teams"]),
                            overrides, name)
    else:
        nested = name in _NESTED
        enc_over = overrides.pop("encoder", {}) if nested else overrides
        cfg = _replace(LSTMConfig(**fields), enc_over, "encoder" if nested else name)
        if nested:
            cfg = _replace(_NESTED[name](encoder=cfg), overrides, name)
    check_config(name, cfg, encoder)
    return cfg


def check_overrides(name: str, overrides: dict[str, Any] | None) -> None:
    """Check model keys without data: known keys, types and ranges; ENCODER_FIELDS are
    refused (they come from the encoder, and the feature flags belong under 'features')."""
    _check_name(name)
    overrides = dict(overrides or {})
    cls = _count_config_class(name) if name in _COUNT_MODELS else _NESTED.get(name, LSTMConfig)
    inner = overrides.get("encoder", {}) if name in _NESTED else overrides
    for key in ENCODER_FIELDS:
        if isinstance(inner, dict) and key in inner:
            where = "features" if key in ("history", "lineup") else "the data"
            raise ValueError(f"{name} model key {key!r} is set from {where}, not under 'model'"
                             + (f'; use {{"features": {{"{key}": ...}}}}'
                                if where == "features" else ""))
    checked_fields(cls, overrides, f"{name} model config")


def check_config(name: str, cfg: Any, encoder: SequenceEncoder) -> None:
    """ValueError naming both values when `cfg` and `encoder` disagree on an encoder field."""
    _check_name(name)
    fields = encoder_fields(encoder)
    inner = cfg.encoder if name in _NESTED else cfg
    if name == "lstm-nohist" and inner.history:
        raise ValueError("model 'lstm-nohist' reads no player history, but its config and "
                         "encoder have history=True")
    for key in ENCODER_FIELDS:
        if not hasattr(inner, key):
            continue
        got, want = getattr(inner, key), fields[key]
        if got != want:
            hint = (" (feature flags are set under 'features', e.g. "
                    '{"features": {"lineup": true}})' if key in ("history", "lineup") else "")
            raise ValueError(f"{name} model config has {key}={got!r} but its encoder gives "
                             f"{key}={want!r}{hint}")


def _replace(cfg: Any, overrides: dict[str, Any], where: str) -> Any:
    clean = checked_fields(type(cfg), overrides, f"{where} config")
    return dataclasses.replace(cfg, **clean) if clean else cfg


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a config dataclass (nested configs become dicts)."""
    return dataclasses.asdict(cfg)


def config_from_dict(name: str, data: dict[str, Any]) -> Any:
    """Inverse of config_to_dict for model `name`."""
    _check_name(name)
    if name in _NESTED:
        data = dict(data)
        encoder = LSTMConfig(**checked_fields(LSTMConfig, data.pop("encoder"), "encoder config"))
        nested_cls = _NESTED[name]
        return nested_cls(encoder=encoder, **checked_fields(nested_cls, data, f"{name} config"))
    cls = _count_config_class(name) if name in _COUNT_MODELS else LSTMConfig
    return cls(**checked_fields(cls, data, f"{name} config"))


def build_model(name: str, cfg: Any, encoder: SequenceEncoder | None = None) -> PlayerModel:
    """Model `name` built from `cfg`; with the fitted `encoder`, checked against it and given
    its vocabulary maps (cold-start back-off and positions)."""
    _check_name(name)
    backoff = positions = None
    if encoder is not None:
        check_config(name, cfg, encoder)
        backoff = torch.from_numpy(encoder.vocab_.backoff())
        positions = torch.from_numpy(encoder.vocab_.position_index())
    if name == "cvae":
        return PlayerCVAE(cfg, backoff, positions)
    if name == "player-latent":
        return PlayerLatentLSTM(cfg, backoff, positions)
    if name in ("lstm", "lstm-nohist"):
        return LSTMClassifier(cfg, backoff)
    if name == "frequency":
        return FrequencyModel(cfg)
    if name in ("cond-logit", "cond-logit-lineup"):
        cls = CondLogitModel if name == "cond-logit" else CondLogitLineupModel
        return cls(cfg, positions)
    return UniformModel(cfg)

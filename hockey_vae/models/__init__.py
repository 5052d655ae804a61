"""Player-identification models: LSTM context encoder, PlayerCVAE and baselines.

`build_model(name, config, ...)` is the one way to make a model: from its config alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import Tensor

from hockey_vae.core.config import checked_fields
from hockey_vae.models.base import ModelOutput, PlayerModel, masked_log_softmax
from hockey_vae.models.baselines import CountConfig, FrequencyModel, UniformModel
from hockey_vae.models.cvae import CVAEConfig, PlayerCVAE
from hockey_vae.models.lstm import ContextEncoder, LSTMClassifier, LSTMConfig

__all__ = [
    "MODEL_NAMES",
    "ModelOutput",
    "PlayerModel",
    "masked_log_softmax",
    "LSTMConfig",
    "ContextEncoder",
    "LSTMClassifier",
    "CVAEConfig",
    "PlayerCVAE",
    "CountConfig",
    "FrequencyModel",
    "UniformModel",
    "default_config",
    "config_to_dict",
    "config_from_dict",
    "build_model",
]

MODEL_NAMES: tuple[str, ...] = ("cvae", "lstm", "lstm-nohist", "frequency", "uniform")


def _check_name(name: str) -> None:
    if name not in MODEL_NAMES:
        raise ValueError(f"model {name!r} is not one of {MODEL_NAMES}")


def default_config(name: str, n_players: int, n_teams: int,
                   overrides: dict[str, Any] | None = None, lineup: bool = False) -> Any:
    """The default config for model `name` with vocabulary sizes filled in.

    `overrides` may set any field (nested `encoder` fields for the cvae as a dict);
    an unknown key raises ValueError naming it. `lineup`: the data carry the on-ice
    features of event t (`SequenceEncoder(lineup=True)`), so every neural model reads them.
    """
    _check_name(name)
    overrides = dict(overrides or {})
    if name in ("frequency", "uniform"):
        cfg: Any = CountConfig(n_players=n_players, n_teams=n_teams)
    else:
        enc = LSTMConfig(n_players=n_players, n_teams=n_teams, history=name != "lstm-nohist",
                         lineup=lineup)
        enc_over = overrides.pop("encoder", {}) if name == "cvae" else overrides
        enc = _replace(enc, enc_over, "encoder")
        if name != "cvae":
            return enc
        cfg = CVAEConfig(encoder=enc)
    return _replace(cfg, overrides, name)


def _replace(cfg: Any, overrides: dict[str, Any], where: str) -> Any:
    clean = checked_fields(type(cfg), overrides, f"{where} config", current=cfg)
    return dataclasses.replace(cfg, **clean) if clean else cfg


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a config dataclass (nested configs become dicts)."""
    return dataclasses.asdict(cfg)


def config_from_dict(name: str, data: dict[str, Any]) -> Any:
    """Inverse of config_to_dict for model `name`."""
    _check_name(name)
    if name == "cvae":
        data = dict(data)
        encoder = LSTMConfig(**checked_fields(LSTMConfig, data.pop("encoder"), "encoder config"))
        return CVAEConfig(encoder=encoder, **checked_fields(CVAEConfig, data, "cvae config"))
    cls = CountConfig if name in ("frequency", "uniform") else LSTMConfig
    return cls(**checked_fields(cls, data, f"{name} config"))


def build_model(name: str, cfg: Any, backoff: Tensor | None = None,
                positions: Tensor | None = None) -> PlayerModel:
    """Model `name` built from `cfg`; `backoff`/`positions` are (n_players,) vocabulary maps."""
    _check_name(name)
    if name == "cvae":
        return PlayerCVAE(cfg, backoff, positions)
    if name in ("lstm", "lstm-nohist"):
        return LSTMClassifier(cfg, backoff)
    if name == "frequency":
        return FrequencyModel(cfg)
    return UniformModel(cfg)

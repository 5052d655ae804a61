"""Settings of a training run: the optimisation/validation/split config and the feature flags.

Kept apart from the loop (`hockey_vae.train`) so config files can be checked, key by key,
before any data is loaded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hockey_vae.core.config import checked_fields
from hockey_vae.features import CANDIDATE_SETS, FeatureConfig, check_fractions
from hockey_vae.models import model_history
from hockey_vae.runtime import check_device

__all__ = ["TrainConfig", "train_config_from_dict", "feature_config_from_dict",
           "resolve_features"]


def _fractions(value: tuple[float, ...]) -> str | None:
    try:
        check_fractions(value)
    except ValueError as err:
        return str(err)
    return None


def _device(value: str) -> str | None:
    try:
        check_device(value)
    except ValueError as err:
        return str(err)
    return None


def _opt(default: Any, **meta: Any) -> Any:
    """A dataclass field with validation metadata (see `core.config.checked_fields`)."""
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Optimisation, validation and data-split settings shared by every model.

    The feature flags (lineup, on-ice history, min_player_events) are in `FeatureConfig`.
    """

    epochs: int = _opt(8, min=1)  # maximum epochs
    batch_games: int = _opt(8, min=1)  # games per step (a game is ~300 events); 8 packed
    # trains ~1.5x faster per event than 2 unpacked, validation log-likelihood unchanged
    # within the seed spread (reports/speed/train_speed.md)
    pack_by_length: bool = True  # batch games of similar length (less LSTM padding)
    lr: float = _opt(3e-3, min=0.0)  # AdamW learning rate
    lr_decay: float = _opt(1.0, min=0.0)  # learning rate multiplied by this after every epoch
    weight_decay: float = _opt(1e-5, min=0.0)  # AdamW decoupled weight decay
    grad_clip: float = _opt(1.0, min=0.0)  # max global gradient norm
    patience: int = _opt(2, min=1)  # epochs without validation improvement before stopping
    seed: int = _opt(0, min=0)
    device: str = _opt("auto", check=_device)  # auto | cpu | cuda | cuda:N | mps
    train_candidates: tuple[str, ...] = _opt(CANDIDATE_SETS, choices=CANDIDATE_SETS)  # loss =
    # mean NLL over these candidate sets
    val_candidates: str = _opt("roster", choices=CANDIDATE_SETS)  # early stopping on this set
    val_samples: int = _opt(10, min=1)  # CVAE importance samples during validation
    split_fractions: tuple[float, float, float] = _opt((0.8, 0.1, 0.1), check=_fractions)
    split_within_last_season: bool = False  # NHL protocol: earlier seasons all train
    test_season: str = ""  # a season held out whole as the test set (earlier seasons train)
    unseen_rate: float = _opt(0.02, min=0.0, max=1.0)  # prob. a dressed player is treated
    # as unseen for a whole training game (trains the cold-start tokens)
    max_train_games: int = _opt(0, min=0)  # >0: use only the latest this many training games
    num_threads: int = _opt(0, min=0)  # >0: torch.set_num_threads
    progress: bool = True  # tqdm bars
    refine_passes: int = _opt(0, min=0)  # >0, player-latent only: after training, fit q(u)
    # with the network frozen for at most this many passes (`hockey_vae.refine`), saved as
    # refined.pt beside best.pt, and return that model (0: off, the default until measured)

    def __post_init__(self) -> None:
        # built in Python too (not only from a file), so the same checks apply
        checked_fields(TrainConfig, dataclasses.asdict(self), "train config")


# Keys that moved from the train section to the features section (issue 15).
_MOVED_TO_FEATURES = ("lineup", "on_ice_history", "min_player_events")


def train_config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """TrainConfig from a dict; an unknown key or a bad value raises ValueError naming it."""
    moved = sorted(set(data) & set(_MOVED_TO_FEATURES)) if isinstance(data, dict) else []
    if moved:
        raise ValueError(f"train config key(s) {moved} moved to the 'features' section")
    return TrainConfig(**checked_fields(TrainConfig, data, "train config"))


def feature_config_from_dict(data: dict[str, Any]) -> FeatureConfig:
    """FeatureConfig from a dict; an unknown key or a bad value raises ValueError naming it."""
    return FeatureConfig(**checked_fields(FeatureConfig, data, "features config"))


def resolve_features(model: str, features: FeatureConfig | dict[str, Any] | None
                     ) -> FeatureConfig:
    """The feature flags model `model` trains with: `history` resolved for the model."""
    if features is None:
        features = FeatureConfig()
    elif isinstance(features, dict):
        features = feature_config_from_dict(features)
    return dataclasses.replace(features, history=model_history(model, features.history))

"""What `--resume` must check: same model, same config, same data; name whatever differs.

Resuming continues a run from `checkpoint.pt`, so the continuation only reproduces an
uninterrupted run when everything that shaped the first epochs is unchanged. The checkpoint
stores a data fingerprint (events and a content hash per training/validation game,
`data_fingerprint`); `check_resume` compares it, the model kind, the model config and the
train config with the current call and raises RunFolderError listing every difference.
Only settings that do not change the results may differ (`RESUMABLE_CHANGES`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.run_folder import RunFolderError

__all__ = ["RESUMABLE_CHANGES", "FINGERPRINT_KEY", "data_fingerprint", "check_resume",
           "stored_model_config"]

# train-config keys that may differ on resume: run longer, show bars, move device or threads,
# refine the latents after training (a stage after the loop, no part of what is resumed)
RESUMABLE_CHANGES = frozenset({"epochs", "progress", "device", "num_threads", "refine_passes"})
FINGERPRINT_KEY = "data_fingerprint"
# settings added after runs were written: what their absence in an older checkpoint means
# (the behaviour before the setting existed), so those runs still resume
TRAIN_ABSENT_MEANS = {"pack_by_length": False}
MODEL_ABSENT_MEANS = {"player-latent": {"extra_latents": False}}


def stored_model_config(model: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint's model config with the settings it predates filled in as the behaviour
    it was trained with (`MODEL_ABSENT_MEANS`), for loading and resuming it."""
    return {**MODEL_ABSENT_MEANS.get(model, {}), **config}
# scalar columns hashed per game (list columns such as on_ice_for are not hashable)
_HASHED = ("event_idx", "period", "game_seconds", "event_type", "team", "player_id",
           "player2_id", "x", "y", "goals_for", "goals_against", "skaters_for",
           "skaters_against", "detail")


def data_fingerprint(events: pd.DataFrame, game_ids: Sequence[str]) -> dict[str, list[Any]]:
    """{game_id: [number of events, content hash]} for `game_ids` (absent games: [0, ""]).

    The hash covers the scalar event columns in event order, so changed, added or removed
    events all show; 16 hex digits of SHA-1 over pandas' per-row hashes.
    """
    wanted = set(game_ids)
    ev = events[events["game_id"].isin(wanted)]
    ev = ev.sort_values(["game_id", "event_idx"], kind="stable")
    cols = [c for c in _HASHED if c in ev.columns]
    rows = pd.util.hash_pandas_object(ev[cols], index=False).to_numpy()
    gids = ev["game_id"].astype(str).to_numpy()
    out: dict[str, list[Any]] = {str(g): [0, ""] for g in game_ids}
    starts = [0, *(np.flatnonzero(gids[1:] != gids[:-1]) + 1).tolist(), len(gids)]
    for a, b in zip(starts[:-1], starts[1:], strict=False):
        if b > a:
            out[gids[a]] = [b - a, hashlib.sha1(rows[a:b].tobytes()).hexdigest()[:16]]
    return out


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively, so a value read back from a file compares equal."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _dict_diff(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str,
               skip: frozenset[str] = frozenset()) -> list[str]:
    """'prefix.key old -> new' for every (nested) key whose value differs."""
    lines = []
    for key in sorted(set(old) | set(new)):
        if key in skip:
            continue
        a, b = _plain(old.get(key, "<absent>")), _plain(new.get(key, "<absent>"))
        if isinstance(a, dict) and isinstance(b, dict):
            lines += _dict_diff(a, b, f"{prefix}.{key}")
        elif a != b:
            lines.append(f"{prefix}.{key} {a!r} -> {b!r}")
    return lines


def _data_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Games of the run missing from the data or holding other events than before."""
    missing = [g for g in old if new.get(g, [0, ""])[0] == 0 and old[g][0] > 0]
    changed = [g for g in old if g not in missing and list(new.get(g, [])) != list(old[g])]
    lines = []
    if missing:
        lines.append(f"data: {len(missing)} of the run's {len(old)} training/validation games "
                     f"are not in the data (e.g. {', '.join(missing[:3])})")
    if changed:
        lines.append(f"data: {len(changed)} training/validation game(s) hold other events than "
                     f"when the run started (e.g. {', '.join(changed[:3])})")
    return lines


def check_model_kind(ckpt: Mapping[str, Any], folder: str | os.PathLike, model: str) -> None:
    """RunFolderError unless `ckpt` is a run of `model` (checked first: nothing else about
    the call can be compared with a run of another kind)."""
    if ckpt["model_name"] != model:
        raise RunFolderError(f"cannot resume {folder}: its checkpoint is a {ckpt['model_name']!r} "
                             f"run, not {model!r}; pass --model {ckpt['model_name']} or train "
                             "into another folder")


def check_resume(ckpt: Mapping[str, Any], folder: str | os.PathLike, *, model: str,
                 train_config: Mapping[str, Any], model_config: Mapping[str, Any],
                 fingerprint: Mapping[str, Any],
                 features: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None) -> None:
    """Raise RunFolderError unless `ckpt` may be continued with this model, config and data.

    `model_config` is the config the current call would build (defaults plus overrides),
    `train_config` the current TrainConfig as a dict, `fingerprint` from `data_fingerprint`
    over the checkpoint's training and validation games; `features` is (the checkpoint
    encoder's feature flags, the flags this call asks for). A checkpoint without a stored
    fingerprint (written before it was stored) skips the data comparison.
    """
    check_model_kind(ckpt, folder, model)
    old_model = stored_model_config(model, ckpt["model_config"])
    old_train = {**TRAIN_ABSENT_MEANS, **ckpt["train_config"]}
    diffs = _dict_diff(old_model, model_config, "model")
    diffs += _dict_diff(old_train, train_config, "train", RESUMABLE_CHANGES)
    if features is not None:
        diffs += _dict_diff(features[0], features[1], "features")
    if FINGERPRINT_KEY in ckpt:
        diffs += _data_diff(ckpt[FINGERPRINT_KEY], fingerprint)
    if diffs:
        raise RunFolderError(
            f"cannot resume {folder}: this call differs from the run it continues: "
            + "; ".join(diffs) + ". Resume with the run's data and --config (only "
            + ", ".join(sorted(RESUMABLE_CHANGES)) + " may change), or train a new run")

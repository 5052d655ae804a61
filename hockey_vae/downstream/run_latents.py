"""Per-player tables from a trained integrated `player-latent` run, and the no-leak check.

`run_player_table` maps the run's q(u_j) (`model.player_latents()`, one row per vocabulary
entry) to player ids through the run's encoder vocabulary, giving the same table layout as
`fit_player_table` (player_id, position, n_events, emb_<i>, emb_sd_<i>), so every downstream
study can use either source. `verify_unseen` compares the run's training games with the
downstream split: a downstream validation or test game the run trained on is an error, since
its latents would have seen the outcome being scored.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["run_player_table", "verify_unseen"]


def run_player_table(run_dir: str | os.PathLike, which: str = "best"
                     ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(table, info) of a `player-latent` run folder: one row per player in its vocabulary,
    then one per player with an extra latent (goalies who never act; 0 acting events).

    Info: kind, run, model, players, d, best epoch, and `split` (the run's own train / val /
    test game ids, for `verify_unseen`).
    """
    from hockey_vae.features.vocab import N_SPECIAL
    from hockey_vae.train import load_run

    run = load_run(run_dir, which=which)
    if not hasattr(run.model, "player_latents"):
        raise ValueError(f"{run_dir}: model {run.name!r} has no per-player latents "
                         "(player_latents()); expected a player-latent run")
    mean, sd = run.model.player_latents()
    vocab = run.encoder.vocab_
    if len(vocab) != len(mean):
        raise ValueError(f"{run_dir}: vocabulary has {len(vocab)} entries but the model "
                         f"{len(mean)} latents")
    rows = slice(N_SPECIAL, None)
    d = mean.shape[1]
    table = pd.DataFrame({"player_id": [str(p) for p in vocab.ids[rows]],
                          "player_name": vocab.names[rows],
                          "position": [p or "" for p in vocab.positions[rows]],
                          "team": vocab.teams[rows],
                          "n_events": np.asarray(vocab.counts[rows], dtype=np.int64)})
    means = pd.DataFrame(mean[rows].astype(np.float64), columns=[f"emb_{i}" for i in range(d)])
    sds = pd.DataFrame(sd[rows].astype(np.float64), columns=[f"emb_sd_{i}" for i in range(d)])
    table = pd.concat([table, means, sds], axis=1)
    table = pd.concat([table, _extra_rows(run.model, d)], ignore_index=True)
    best = None
    if len(run.history) and "val_loglik" in run.history:
        best = int(run.history["val_loglik"].idxmax())
    info = {"kind": "player-latent run", "run": str(run_dir), "which": which,
            "model": run.name, "players": int(len(table)), "d": int(d),
            "positions": {str(k): int(v) for k, v in table["position"].value_counts().items()},
            "best_epoch": best,
            "split": {k: [str(g) for g in v] for k, v in run.split.items()}}
    return table, info


def _extra_rows(model: Any, d: int) -> pd.DataFrame:
    """Rows of the players outside the vocabulary who have latents of their own (goalies and
    other non-acting dressed players: the model's `extra_latents`), with 0 acting events."""
    from hockey_vae.schema import POSITIONS

    if not hasattr(model, "extra_latents"):
        return pd.DataFrame()
    ids, mean, sd, level = model.extra_latents()
    if not len(ids):
        return pd.DataFrame()
    names = list(POSITIONS) + [""]
    rows = pd.DataFrame({"player_id": [str(p) for p in ids], "player_name": [""] * len(ids),
                         "position": [names[int(v)] for v in level], "team": [""] * len(ids),
                         "n_events": np.zeros(len(ids), dtype=np.int64)})
    means = pd.DataFrame(mean.astype(np.float64), columns=[f"emb_{i}" for i in range(d)])
    sds = pd.DataFrame(sd.astype(np.float64), columns=[f"emb_sd_{i}" for i in range(d)])
    return pd.concat([rows, means, sds], axis=1)


def verify_unseen(run_split: dict[str, list[str]], part: pd.Series) -> dict[str, Any]:
    """Check that no downstream val / test game is among the run's training games.

    `part`: game_id -> "train" / "val" / "test" (`split_by_date`). Returns counts and whether
    the two splits are identical; raises ValueError naming the first leaked game otherwise.
    """
    run_train = {str(g) for g in run_split.get("train", [])}
    if not run_train:
        raise ValueError("the run's split has no training games")
    part = part.rename(index=str)
    out: dict[str, Any] = {"run_train_games": len(run_train)}
    for name in ("val", "test"):
        ids = set(part.index[part == name])
        leaked = sorted(ids & run_train)
        if leaked:
            raise ValueError(f"downstream {name} game {leaked[0]} (and {len(leaked) - 1} more) "
                             "is among the latent run's training games: its latents saw it")
        out[f"{name}_games"] = len(ids)
        out[f"{name}_in_run_train"] = 0
    down_train = set(part.index[part == "train"])
    out["downstream_train_not_in_run_train"] = len(down_train - run_train)
    out["identical_split"] = all(set(map(str, run_split.get(k, []))) == set(part.index[part == k])
                                 for k in ("train", "val", "test"))
    return out

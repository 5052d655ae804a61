"""The event decoder's records for fold-in: what unseen players did, in extended indices.

`hockey_vae.models.latent_records` maps players outside the training vocabulary to their
position token and drops records whose own player is a token. For fold-in each unseen player
with a fold-in code gets the extended index V + code instead (V = vocabulary size), so the
frozen event decoder (event kinds, who of the on-ice skaters acted, shot place and outcome
with the goalie's latent, faceoffs, usage) can score his records with his own q(u). Only
records that involve a folded-in player are kept; every other latent stays the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from hockey_vae.features import N_SPECIAL, as_tables
from hockey_vae.models.latent_events import build_latent_events
from hockey_vae.models.latent_records import OWN_KEYS, PLAYER_KEYS, _vocab_map

__all__ = ["foldin_records", "decoder_nll"]


def foldin_records(tables: Any, game_ids: Sequence[str], vocab: Any, unseen: pd.Index,
                   dressed_span: str, terms: Sequence[str]) -> dict[str, dict[str, Tensor]]:
    """Records per term of `game_ids` that name an unseen player of `unseen` (index V + code
    of `unseen`), other players in vocabulary indices (tokens when neither)."""
    t = as_tables(tables)
    latent = build_latent_events(t.events, t.rosters, list(game_ids), dressed_span=dressed_span)
    to_vocab = _vocab_map(latent.player_ids, latent.position, vocab)
    code = unseen.get_indexer(np.asarray(latent.player_ids, dtype=object).astype(str))
    v = len(vocab)
    to_ext = np.where((to_vocab < N_SPECIAL) & (code >= 0), v + code, to_vocab)
    out = {}
    for name, recs in latent.terms().items():
        if name not in terms or not recs:
            continue
        r = dict(recs)
        for key in PLAYER_KEYS[name]:
            a = recs[key]
            r[key] = np.where(a >= 0, to_ext[np.clip(a, 0, None)], -1)
        keep = np.ones(len(next(iter(r.values()))), dtype=bool)
        for key in OWN_KEYS[name]:
            keep &= r[key] >= N_SPECIAL
        if name == "choice":
            keep &= (r["candidates"] == r["actor"][:, None]).any(1)
        ext = np.zeros_like(keep)
        for key in PLAYER_KEYS[name]:
            a = r[key].reshape(len(keep), -1)
            ext |= (a >= v).any(1)
        keep &= ext
        if keep.any():
            out[name] = {k: torch.as_tensor(x[keep]) for k, x in r.items()}
    return out


def decoder_nll(model: torch.nn.Module, records: Sequence[dict[str, dict[str, Tensor]]],
                u_fold: Tensor, fold_level: Tensor) -> Tensor:
    """Summed NLL of the records under the frozen decoder, the vocabulary's latents at their
    posterior means and the unseen players' at `u_fold` (L, d_u); `fold_level` (L,)."""
    mean, _ = model.latent()
    u = torch.cat([mean.detach().float(), u_fold], 0)
    pos = torch.cat([model.positions, fold_level.to(model.positions.dtype)])
    total = u_fold.new_zeros(())
    for block in records:
        for name, recs in block.items():
            total = total + model.decoder.term(name, recs, u, pos)
    return total

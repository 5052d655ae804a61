"""The event decoder's training records in the sequence pipeline's player vocabulary.

`build_latent_events` indexes players its own way (every rostered or acting player); the
`player-latent` model indexes them by the fitted encoder's `PlayerVocab`. This maps one onto
the other: a player outside the vocabulary (a goalie who never acted, say) becomes his
position's cold-start token, whose latent is the position prior. Records whose own player
(actor, shooter, faceoff taker, usage row) is a token are dropped, since they would teach
the prior one pooled player's habits; a token may still appear as a goalie or candidate.
With `extras` (`decoder_records_extended`), such a player instead gets an index of his own
after the vocabulary (V, V+1, ...), so the model can give him a latent (the simulator's
goalies, who are in every shot record but never act).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hockey_vae.features import N_SPECIAL, as_tables
from hockey_vae.models.latent_events import POSITION_LEVELS, build_latent_events
from hockey_vae.schema import POSITIONS

__all__ = ["decoder_records", "decoder_records_extended", "PLAYER_KEYS", "OWN_KEYS"]

# per term: the arrays holding player indices (-1 = none) ...
PLAYER_KEYS: dict[str, tuple[str, ...]] = {
    "types": ("actor",), "choice": ("actor", "candidates"), "shots": ("shooter", "goalie"),
    "faceoffs": ("winner", "loser"), "usage": ("player",)}
# ... and those naming the record's own player(s), which must be real players
OWN_KEYS: dict[str, tuple[str, ...]] = {
    "types": ("actor",), "choice": ("actor",), "shots": ("shooter",),
    "faceoffs": ("winner", "loser"), "usage": ("player",)}


def _vocab_map(ids: np.ndarray, position: np.ndarray, vocab: Any) -> np.ndarray:
    """(n,) vocabulary index of each record player (cold-start token when unseen)."""
    pos = [POSITION_LEVELS[p] if p < len(POSITIONS) else None for p in position]
    return np.asarray([vocab.index(str(pid), p) for pid, p in zip(ids, pos, strict=True)],
                      dtype=np.int64)


def _remap(recs: dict[str, np.ndarray], term: str, to_vocab: np.ndarray
           ) -> dict[str, np.ndarray]:
    out = dict(recs)
    for key in PLAYER_KEYS[term]:
        a = recs[key]
        out[key] = np.where(a >= 0, to_vocab[np.clip(a, 0, None)], -1)
    keep = np.ones(len(next(iter(recs.values()))), dtype=bool)
    for key in OWN_KEYS[term]:
        keep &= out[key] >= N_SPECIAL
    if term == "choice":  # the actor must be one of the candidates still
        keep &= (out["candidates"] == out["actor"][:, None]).any(1)
    return {k: v[keep] for k, v in out.items()}


def decoder_records(tables: Any, game_ids: Sequence[str], vocab: Any, dressed_span: str,
                    terms: Sequence[str]) -> tuple[dict[str, dict[str, np.ndarray]], int]:
    """(records per term in `terms`, keyed as `LatentEvents`, with vocabulary indices;
    the number of events with an acting player in `game_ids`)."""
    recs, n_events, _, _ = _records(tables, game_ids, vocab, dressed_span, terms, False)
    return recs, n_events


def decoder_records_extended(tables: Any, game_ids: Sequence[str], vocab: Any,
                             dressed_span: str, terms: Sequence[str]
                             ) -> tuple[dict[str, dict[str, np.ndarray]], int, list[str],
                                        np.ndarray]:
    """As `decoder_records`, but a record player outside the vocabulary gets index
    len(vocab) + k instead of his token; also returns those players' ids (k order) and
    position levels (index into POSITIONS, len(POSITIONS) when unknown)."""
    return _records(tables, game_ids, vocab, dressed_span, terms, True)


def _records(tables: Any, game_ids: Sequence[str], vocab: Any, dressed_span: str,
             terms: Sequence[str], extras: bool
             ) -> tuple[dict[str, dict[str, np.ndarray]], int, list[str], np.ndarray]:
    t = as_tables(tables)
    latent = build_latent_events(t.events, t.rosters, list(game_ids), dressed_span=dressed_span)
    to_vocab = _vocab_map(latent.player_ids, latent.position, vocab)
    outside = np.flatnonzero((to_vocab < N_SPECIAL) & (to_vocab > 0)) if extras else np.zeros(0, np.int64)
    to_vocab[outside] = len(vocab) + np.arange(len(outside))
    extra_ids = [str(i) for i in np.asarray(latent.player_ids)[outside]]
    extra_levels = np.asarray(latent.position, dtype=np.int64)[outside]
    recs = {name: _remap(r, name, to_vocab) for name, r in latent.terms().items()
            if name in terms and r}
    for name, r in recs.items():
        for key, v in r.items():
            if v.dtype.kind == "f" and not np.isfinite(v).all():
                raise ValueError(f"event decoder records {name}.{key}: "
                                 f"{int((~np.isfinite(v)).sum())} non-finite values")
    ev = t.events
    n_events = int((ev["game_id"].isin(set(game_ids)) & ev["player_id"].notna()).sum())
    return recs, n_events, extra_ids, extra_levels

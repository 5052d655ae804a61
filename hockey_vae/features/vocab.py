"""The player vocabulary: players seen acting in training, plus the special tokens.

Vocabulary indices below N_SPECIAL are not players. 0: the event has no acting player
(history input only, never a target). 1: unknown player of unknown position. Then one
unknown-player token per position: the cold-start back-off for players unseen in training.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hockey_vae.schema import POSITIONS

__all__ = ["SPECIAL_TOKENS", "N_SPECIAL", "PlayerVocab", "unknown_token"]

SPECIAL_TOKENS: tuple[str, ...] = ("<none>", "<unk>", *(f"<unk:{p}>" for p in POSITIONS))
N_SPECIAL = len(SPECIAL_TOKENS)


def unknown_token(position: str | None) -> int:
    """The cold-start token for an unseen player with `position` (or unknown position)."""
    if position in POSITIONS:
        return 2 + POSITIONS.index(position)
    return 1


@dataclass
class PlayerVocab:
    """Players seen acting in the training games; index = position in `ids`.

    The first N_SPECIAL entries are SPECIAL_TOKENS. `counts` are training event counts
    (0 for the special tokens), `positions`/`teams` the most frequent in training.
    """

    ids: list[str]
    names: list[str]
    positions: list[str]
    teams: list[str]
    counts: list[int]
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index = {pid: i for i, pid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, player_id: str | None, position: str | None = None) -> int:
        """Vocabulary index of a player; unknown players back off to their position token."""
        if player_id is None or player_id != player_id:  # None or NaN
            return 0
        found = self._index.get(player_id)
        if found is not None:
            return found
        return unknown_token(position)

    def position_index(self) -> np.ndarray:
        """(n_vocab,) int64: index into POSITIONS, len(POSITIONS) when unknown."""
        pos = {p: i for i, p in enumerate(POSITIONS)}
        out = [pos.get(p, len(POSITIONS)) for p in self.positions]
        for i, tok in enumerate(SPECIAL_TOKENS[2:], start=2):
            out[i] = pos[tok[5:-1]]
        return np.asarray(out, dtype=np.int64)

    def backoff(self) -> np.ndarray:
        """(n_vocab,) int64: each entry's cold-start token (0 stays 0), for hiding players."""
        return np.asarray([unknown_token(p or None) if i > 0 else 0
                           for i, p in enumerate(self.positions)], dtype=np.int64)

    def state(self) -> dict[str, list]:
        """Plain lists for a checkpoint."""
        return {"ids": self.ids, "names": self.names, "positions": self.positions,
                "teams": self.teams, "counts": self.counts}

    @classmethod
    def from_state(cls, state: dict[str, list]) -> PlayerVocab:
        """Inverse of `state`."""
        return cls(**{k: list(v) for k, v in state.items()})

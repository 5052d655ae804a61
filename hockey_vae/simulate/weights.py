"""Who acts: each player's true propensity per kind of event, and the engine's style lookups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.simulate.config import STYLE_COLUMNS, LeagueConfig
from hockey_vae.simulate.constants import POS_D, POS_G, POSITIONS
from hockey_vae.simulate.league import League

__all__ = ["Traits", "actor_weight_arrays", "actor_weights", "with_sentinel"]


def with_sentinel(values: np.ndarray) -> np.ndarray:
    """Append one 0 so that index -1 (an empty slot) reads as weight/value 0."""
    return np.concatenate([np.nan_to_num(values, nan=0.0), [0.0]])


def actor_weight_arrays(styles: dict[str, np.ndarray], pos: np.ndarray,
                        cfg: LeagueConfig) -> dict[str, np.ndarray]:
    """Per-player propensity to be the actor of each kind of event (0 for goalies)."""
    s = {k: np.nan_to_num(v, nan=0.0) for k, v in styles.items()}
    k = cfg.style_strength
    skater = pos != POS_G
    is_d = pos == POS_D

    def w(x: np.ndarray) -> np.ndarray:
        return with_sentinel(np.where(skater, x, 0.0))

    return {
        "shoot": w(np.exp(k * 0.9 * s["shooting"]) * np.where(is_d, 0.6, 1.0)),
        "block": w(np.exp(k * 0.8 * s["defense"]) * np.where(is_d, 2.6, 1.0)),
        "give": w(np.exp(-k * 0.7 * s["passing"]) * np.where(is_d, 1.3, 1.0)),
        "take": w(np.exp(k * 0.8 * s["defense"]) * np.where(is_d, 0.8, 1.15)),
        "hit": w(np.exp(k * 1.1 * s["hitting"]) * np.where(is_d, 1.1, 1.0)),
        "pen": w(np.exp(k * (-0.8 * s["discipline"] + 0.3 * s["hitting"]))
                 * np.where(is_d, 1.15, 1.0)),
        "assist": w(np.exp(k * 0.9 * s["passing"]) * np.where(is_d, 0.8, 1.0)),
        "one": w(np.ones(len(pos))),
    }


# Event type -> the actor-weight kind that picks its acting player (see `actor_weights`).
ACTOR_KIND = {"shot": "shoot", "missed_shot": "shoot", "goal": "shoot", "blocked_shot": "block",
              "giveaway": "give", "takeaway": "take", "hit": "hit", "penalty": "pen"}


def actor_weights(players: pa.Table, config: LeagueConfig | None = None) -> pd.DataFrame:
    """The simulator's true weights for who acts, per player and event type.

    Among the acting team's on-ice skaters, the actor of an event of type T is drawn with
    probability proportional to column T. Use it as an oracle: a model that knows the
    true styles and the event type (but ignores its location, which for shots depends on
    the shooter's preferred distance and angle) can do no better than these weights.
    Faceoffs are absent: the winner depends on the opposing centre too.

    Returns a DataFrame indexed by player_id with one column per event type in
    `shot, missed_shot, goal, blocked_shot, giveaway, takeaway, hit, penalty`.
    """
    cfg = config or LeagueConfig()
    frame = players.to_pandas()
    missing = [c for c in ("player_id", "position", *STYLE_COLUMNS) if c not in frame]
    if missing:
        raise ValueError(f"players table lacks column(s) {missing}")
    pos = frame["position"].map({p: i for i, p in enumerate(POSITIONS)}).to_numpy()
    w = actor_weight_arrays({k: frame[k].to_numpy(float) for k in STYLE_COLUMNS}, pos, cfg)
    return pd.DataFrame({t: w[k][:-1] for t, k in ACTOR_KIND.items()},
                        index=pd.Index(frame["player_id"], name="player_id"))



@dataclass
class Traits:
    """Per-player lookups the engine reads, each with a trailing 0 so index -1 reads as 0."""

    w: dict[str, np.ndarray]  # actor-weight kind -> (n_players + 1,) propensity
    fo: np.ndarray  # faceoff skill
    fin: np.ndarray  # finishing
    gk: np.ndarray  # goaltending
    dist: np.ndarray  # preferred shot distance, feet
    ang: np.ndarray  # preferred shot angle, degrees
    team_style: dict[str, np.ndarray]  # styles averaged over the skaters on the ice
    skater: np.ndarray  # 1.0 for skaters, 0.0 for goalies and the empty slot

    @classmethod
    def from_league(cls, league: League, cfg: LeagueConfig) -> Traits:
        """The lookups of `league`'s players under `cfg.style_strength`."""
        st = league.styles
        return cls(
            w=actor_weight_arrays(st, league.position, cfg),
            fo=with_sentinel(st["faceoff"]),
            fin=with_sentinel(st["finishing"]),
            gk=with_sentinel(st["goaltending"]),
            dist=with_sentinel(st["shot_distance"]),
            ang=with_sentinel(st["shot_angle"]),
            team_style={k: with_sentinel(st[k]) for k in
                        ("passing", "defense", "shooting", "discipline", "hitting")},
            skater=with_sentinel((league.position != POS_G).astype(float)),
        )

    def team_mean(self, style: str, skaters: np.ndarray) -> np.ndarray:
        """Mean style over the skaters in `skaters` (m, 6), empty slots ignored."""
        cnt = self.skater[skaters].sum(axis=1)
        return self.team_style[style][skaters].sum(axis=1) / np.maximum(cnt, 1.0)

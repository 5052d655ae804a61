"""Synthetic hockey league: the embedded default that lets every stage run offline.

Every player has true latent styles (shot volume, finishing, preferred shot distance and
angle, passing, hitting, faceoffs, defence, discipline; goaltending for goalies). A
season schedule is played out by a Markov event process over the canonical event types,
vectorised across games: one loop step emits the next event of every unfinished game, so
a whole season costs a few hundred numpy steps rather than a Python call per event.

Who acts depends on the on-ice players' styles and on the game state (shooters shoot,
hitters hit, centres take faceoffs and win them by skill, defencemen block shots), so the
acting player is learnable from the event context but far from certain. Lines and
defence pairs rotate on shifts, penalties create power plays, goal probability depends on
shot distance and angle, the shooter and the goalie, trailing teams push a little and
pull the goalie late; ties go to 3-on-3 overtime and then a shootout, which counts only
in the games table (+1 goal to the winner, `decided_in` "shootout").

Output conforms to `hockey_vae.schema`; `Ingested.players` adds each player's true styles
(z-scores unless noted; NaN where a style has no effect, e.g. goaltending for skaters).

Modules, in the order a season is built: `config` (LeagueConfig), `league` (players,
styles, lineups), `schedule`, `weights` (who acts), `engine` (the step loop) with
`shifts` (who is on the ice), `whistles`, `in_play` and `shots` (the events), `state`
(what they pass around), `draws` and `constants` (helpers), `tables` (canonical output).
Random numbers are drawn only in `league`, `schedule`, `engine`, `shifts` and `tables`,
always in the same order, so a seed gives the same season bit for bit.
"""

from __future__ import annotations

import importlib
from typing import Any

from hockey_vae.simulate.config import STYLE_COLUMNS, LeagueConfig

__all__ = ["LeagueConfig", "simulate_league", "actor_weights", "STYLE_COLUMNS"]

# numpy-heavy names load on first use, so `hockey-vae --help` can read LeagueConfig's defaults
_LAZY = {"simulate_league": "hockey_vae.simulate.season",
         "actor_weights": "hockey_vae.simulate.weights"}


def __getattr__(name: str) -> Any:
    """Import `simulate_league` / `actor_weights` on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'hockey_vae.simulate' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value

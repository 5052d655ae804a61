"""The data the engine passes around: the season's game state and one step's rows.

Rows: `GameState` has one row per game of the season; `Step` and `Emitted` one row per
game still playing at this step (`Step.a` maps a row to its game); `Play` one row per
game whose step is an in-play event (`Play.i` maps it to its step row).
Side 0 is the home team throughout; player indices are -1 for an empty slot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hockey_vae.simulate.config import LeagueConfig
from hockey_vae.simulate.constants import ET, PSTART, STOPS
from hockey_vae.simulate.league import Lineups
from hockey_vae.simulate.weights import Traits

__all__ = ["Emitted", "GameState", "Play", "Season", "Step"]


@dataclass
class GameState:
    """Everything that carries over from one step to the next, per game (n_games rows)."""

    mode: np.ndarray  # what the next step emits (constants.INPLAY, FACEOFF, ...)
    period: np.ndarray  # 1-3 regulation, 4 overtime
    pclock: np.ndarray  # seconds elapsed in the period
    score: np.ndarray  # (g, 2) goals by side
    poss: np.ndarray  # side with the puck
    zone: np.ndarray  # zone of the puck from the possessor's view (0 own, 1 neutral, 2 attack)
    fo_zone: np.ndarray  # next faceoff dot, home view (3 = centre)
    stop_kind: np.ndarray  # detail of the next stoppage (index into STOPS)
    force: np.ndarray  # (g, 2) change lines at the next faceoff
    no_change: np.ndarray  # (g, 2) icing team may not change
    fline: np.ndarray  # (g, 2) forward line on the ice
    dpair: np.ndarray  # (g, 2) defence pair on the ice
    fend: np.ndarray  # (g, 2) game seconds the forward shift ends
    dend: np.ndarray  # (g, 2) game seconds the defence shift ends
    pen_end: np.ndarray  # (g, 2, 2) game seconds a box slot frees up (inf = free)
    pen_player: np.ndarray  # (g, 2, 2) player in a box slot
    pen_minor: np.ndarray  # (g, 2, 2) the slot's penalty ends on a power-play goal
    ot_winner: np.ndarray  # a goal in overtime ended the game

    @classmethod
    def start(cls, g: int) -> GameState:
        """`g` games before their first period starts."""
        return cls(
            mode=np.full(g, PSTART),
            period=np.ones(g, dtype=np.int64),
            pclock=np.zeros(g),
            score=np.zeros((g, 2), dtype=np.int64),
            poss=np.zeros(g, dtype=np.int64),
            zone=np.ones(g, dtype=np.int64),
            fo_zone=np.full(g, 3),
            stop_kind=np.full(g, len(STOPS) - 1),
            force=np.ones((g, 2), dtype=bool),
            no_change=np.zeros((g, 2), dtype=bool),
            fline=np.zeros((g, 2), dtype=np.int64),
            dpair=np.zeros((g, 2), dtype=np.int64),
            fend=np.zeros((g, 2)),
            dend=np.zeros((g, 2)),
            pen_end=np.full((g, 2, 2), np.inf),
            pen_player=np.full((g, 2, 2), -1, dtype=np.int64),
            pen_minor=np.zeros((g, 2, 2), dtype=bool),
            ot_winner=np.zeros(g, dtype=bool),
        )


@dataclass
class Season:
    """What the event handlers read (config, player lookups, lineups) and change (state)."""

    cfg: LeagueConfig
    traits: Traits
    lineups: Lineups
    state: GameState


@dataclass
class Step:
    """One step's active games before any event is drawn (n rows, one per unfinished game)."""

    a: np.ndarray  # (n,) game index of each row
    U: np.ndarray  # (n, NU) uniforms in (0, 1]
    N: np.ndarray  # (n, NN) standard normals
    mode: np.ndarray  # (n,) mode at the start of the step
    per: np.ndarray  # (n,) period of the event
    newpc: np.ndarray  # (n,) period clock after the step (0 where a new period starts)
    event_clock: np.ndarray  # (n,) period clock of the event
    ends: np.ndarray  # (n,) the clock ran out during an in-play gap
    gs: np.ndarray  # (n,) game seconds of the event
    is_fo: np.ndarray  # (n,) the event is a faceoff
    inplay: np.ndarray  # (n,) the step draws an in-play event (unless the clock ran out)
    skb: np.ndarray  # (n, 2) skaters by manpower (penalties, overtime)
    pulled: np.ndarray  # (n, 2) goalie pulled for an extra attacker
    sk: np.ndarray  # (n, 2) skaters on the ice: skb + pulled
    onice: np.ndarray  # (n, 2, 7) 5 skater slots, extra attacker, goalie


@dataclass
class Emitted:
    """The event each step row emits, as codes (-1 or NaN = null), and the mode after it."""

    ev: np.ndarray  # (n,) event type code (constants.ET)
    side: np.ndarray  # (n,) acting side, -1 = no team
    p1: np.ndarray  # (n,) acting player
    p2: np.ndarray  # (n,) secondary player
    x: np.ndarray  # (n,) feet, acting team attacks toward +x
    y: np.ndarray  # (n,)
    det: np.ndarray  # (n,) detail code (constants.DETAILS)
    new_mode: np.ndarray  # (n,) what the game emits next

    @classmethod
    def blank(cls, mode: np.ndarray) -> Emitted:
        """Period ends everywhere, no team, no player, no location; mode unchanged."""
        n = len(mode)
        return cls(ev=np.full(n, ET["period_end"]), side=np.full(n, -1), p1=np.full(n, -1),
                   p2=np.full(n, -1), x=np.full(n, np.nan), y=np.full(n, np.nan),
                   det=np.full(n, -1), new_mode=mode.copy())


@dataclass
class Play:
    """In-play rows of a step (m rows): who has the puck where, and who is on the ice.

    `P` and `Z` change as the drawn event's consequences play out; the handlers write
    them back to the game state at the end.
    """

    i: np.ndarray  # (m,) step row of each in-play row
    gi: np.ndarray  # (m,) game index
    u: np.ndarray  # (m, NU) the rows' uniforms
    # The step's normals indexed by in-play row (N[j] for in-play row j), not by step row as
    # `u` is: still independent normals, kept so that seeded seasons stay identical.
    N: np.ndarray
    P: np.ndarray  # (m,) side with the puck
    Z: np.ndarray  # (m,) zone from P's view
    sk_p: np.ndarray  # (m, 6) P's skaters (5 slots + extra attacker)
    sk_o: np.ndarray  # (m, 6) the other side's skaters
    on_o: np.ndarray  # (m, 7) the other side's on-ice slots, goalie last
    adv: np.ndarray  # (m,) P's skater advantage
    empty_net: np.ndarray  # (m,) the other side pulled its goalie

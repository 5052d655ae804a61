"""Events around whistles: period starts and ends, stoppages after a frozen puck, faceoffs."""

from __future__ import annotations

import numpy as np

from hockey_vae.simulate.constants import (
    D_STOP0,
    DONE,
    ET,
    FACEOFF,
    FO_X,
    INPLAY,
    PEND,
    PSTART,
    STOP,
)
from hockey_vae.simulate.draws import sigmoid
from hockey_vae.simulate.state import Emitted, Season, Step

__all__ = ["faceoff", "period_end", "period_start", "stoppage"]


def period_start(season: Season, st: Step, out: Emitted) -> None:
    """A period starts: faceoff at centre next, fresh lines."""
    state = season.state
    i = np.flatnonzero(st.mode == PSTART)
    out.ev[i] = ET["period_start"]
    out.new_mode[i] = FACEOFF
    state.fo_zone[st.a[i]] = 3
    state.force[st.a[i]] = True


def faceoff(season: Season, st: Step, out: Emitted) -> None:
    """Centres (sometimes a winger) take the draw; faceoff skill decides the winner."""
    i = np.flatnonzero(st.is_fo)
    if not len(i):
        return
    state, a, U = season.state, st.a, st.U
    out.ev[i] = ET["faceoff"]
    o = st.onice[i]  # (m, 2, 7)
    slot = np.where(U[i, 1:3] < 0.1, 2, 0)  # winger takes it 10% of the time
    takers = np.take_along_axis(o, slot[..., None], axis=2)[..., 0]  # (m, 2)
    fo = season.traits.fo
    edge = 0.22 * season.cfg.style_strength * (fo[takers[:, 0]] - fo[takers[:, 1]])
    home_wins = U[i, 3] < sigmoid(edge + 0.05)
    win = np.where(home_wins, 0, 1)
    r = np.arange(len(i))
    out.side[i] = win
    out.p1[i] = takers[r, win]
    out.p2[i] = takers[r, 1 - win]
    zh = state.fo_zone[a[i]]
    xh = FO_X[zh] * np.where(zh == 1, np.sign(U[i, 4] - 0.5), 1.0)
    yh = np.where(zh == 3, 0.0, np.sign(U[i, 5] - 0.5) * 22.0)
    flip = np.where(win == 0, 1.0, -1.0)
    out.x[i], out.y[i] = xh * flip, yh * flip
    # possession to the winner, zone from its view
    state.poss[a[i]] = win
    zone_home = np.where(zh == 3, 1, zh)
    state.zone[a[i]] = np.where(win == 0, zone_home, 2 - zone_home)
    out.new_mode[i] = INPLAY


def stoppage(season: Season, st: Step, out: Emitted) -> None:
    """The whistle after a frozen shot: faceoff next, in the zone of the puck."""
    state, a = season.state, st.a
    i = np.flatnonzero(st.mode == STOP)
    out.ev[i] = ET["stoppage"]
    out.det[i] = D_STOP0 + state.stop_kind[a[i]]
    out.new_mode[i] = FACEOFF
    P = state.poss[a[i]]
    state.fo_zone[a[i]] = np.where(P == 0, state.zone[a[i]], 2 - state.zone[a[i]])


def period_end(season: Season, st: Step, out: Emitted) -> None:
    """The clock ran out, or an overtime goal: next period, or the game is over."""
    state = season.state
    i = np.flatnonzero(st.ends | (st.mode == PEND))
    if not len(i):
        return
    gi = st.a[i]
    tied = state.score[gi, 0] == state.score[gi, 1]
    more = (st.per[i] < 3) | ((st.per[i] == 3) & tied)
    more &= st.mode[i] != PEND
    out.new_mode[i] = np.where(more, PSTART, DONE)
    state.period[gi[more]] += 1
    st.newpc[i[more]] = 0.0
    state.ot_winner[gi] = st.mode[i] == PEND

"""In-play events: silent puck movement, the drawn event and its consequences.

Between whistles each step moves the puck silently (possession changes, zone moves),
then draws one event category from rates that depend on the zone, the score, manpower
and the on-ice styles, and lets the category's handler pick the players and the place.
"""

from __future__ import annotations

import numpy as np

from hockey_vae.simulate.constants import (
    C_GIVE,
    C_HIT_O,
    C_HIT_P,
    C_PEN_O,
    C_PEN_P,
    C_SHOT,
    C_STOP,
    C_TAKE,
    CAT_BASE,
    D_STOP0,
    ET,
    FACEOFF,
    FLIP_BASE,
    STOP_P,
    ZONE_ADV,
    ZONE_RET,
)
from hockey_vae.simulate.draws import pick, pick_index, zone_xy
from hockey_vae.simulate.shots import penalty, shot
from hockey_vae.simulate.state import Emitted, Play, Season, Step

__all__ = ["in_play"]


def in_play(season: Season, st: Step, i: np.ndarray, out: Emitted) -> None:
    """Silent puck movement, then one drawn event with its consequences, for step rows `i`."""
    play = _move_puck(season, st, i)
    cat = _category(season, st, play)
    j = np.flatnonzero(cat == C_SHOT)
    if len(j):
        shot(season, play, j, out)
    _turnovers(season, play, cat, out)
    _hits(season, play, cat, out)
    for c, on_o_side in ((C_PEN_O, True), (C_PEN_P, False)):
        j = np.flatnonzero(cat == c)
        if len(j):
            penalty(season, st, play, j, on_o_side, out)
    _stoppages(season, play, cat, out)
    season.state.poss[play.gi] = play.P
    season.state.zone[play.gi] = play.Z


def _move_puck(season: Season, st: Step, i: np.ndarray) -> Play:
    """Possession flips and zone moves nobody records; the rows' state before their event."""
    cfg, state, traits = season.cfg, season.state, season.traits
    gi = st.a[i]
    P = state.poss[gi].copy()
    Z = state.zone[gi].copy()
    u = st.U[i]
    ps = cfg.possession_style

    def sides(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        on_p, on_o = st.onice[i, P], st.onice[i, 1 - P]
        return on_p, on_o, st.sk[i, P] - st.sk[i, 1 - P]

    on_p, on_o, adv = sides(P)
    strength = (traits.team_mean("passing", on_p[:, :6])
                - traits.team_mean("defense", on_o[:, :6]))
    home_bonus = np.where(P == 0, cfg.home_edge, -cfg.home_edge)  # home keeps the puck
    p_flip = FLIP_BASE * np.exp(-ps * strength - 0.35 * adv - home_bonus)
    flip = u[:, 1] < np.minimum(p_flip, 0.9)
    P = np.where(flip, 1 - P, P)
    Z = np.where(flip, 2 - Z, Z)
    strength = np.where(flip, -strength, strength)
    on_p, on_o, adv = sides(P)
    move = np.exp(0.6 * ps * strength + 0.25 * adv)
    up = np.minimum(ZONE_ADV[Z] * move, 0.8)
    back = np.minimum(ZONE_RET[Z] / move, 0.15)
    Z = np.where(u[:, 2] < up, np.minimum(Z + 1, 2),
                 np.where(u[:, 2] < up + back, np.maximum(Z - 1, 0), Z))
    return Play(i=i, gi=gi, u=u, N=st.N, P=P, Z=Z, sk_p=on_p[:, :6], sk_o=on_o[:, :6],
                on_o=on_o, adv=adv, empty_net=st.pulled[i, 1 - P])


def _category(season: Season, st: Step, play: Play) -> np.ndarray:
    """(m,) event category (constants.C_*) drawn from zone, score, manpower and styles."""
    cfg, state, traits = season.cfg, season.state, season.traits
    gi, P, Z, adv, per = play.gi, play.P, play.Z, play.adv, st.per[play.i]
    wts = CAT_BASE[Z].copy()
    diff_p = np.clip(state.score[gi, 0] - state.score[gi, 1], -2, 2) * np.where(P == 0, 1, -1)
    push = -cfg.score_effect * diff_p * np.where(per >= 3, 1.0, 0.5)
    home_p = np.where(P == 0, cfg.home_edge, -cfg.home_edge)  # and shoots a bit more
    wts[:, C_SHOT] *= np.exp(0.2 * traits.team_mean("shooting", play.sk_p)
                             + 0.2 * adv + push + home_p)
    wts[:, C_SHOT] *= np.where(per >= 4, cfg.ot_shot_rate, 1.0)
    wts[:, C_SHOT] += np.where(play.empty_net & (Z < 2), 0.12, 0.0)
    box = np.isfinite(state.pen_end[gi]).sum(axis=2)
    r = np.arange(len(gi))
    for col, s, sk in ((C_PEN_O, 1 - P, play.sk_o), (C_PEN_P, P, play.sk_p)):
        wts[:, col] *= np.exp(-0.3 * traits.team_mean("discipline", sk))
        wts[:, col] *= box[r, s] < 2
    wts[:, C_HIT_O] *= np.exp(0.3 * traits.team_mean("hitting", play.sk_o))
    wts[:, C_STOP] *= np.where(adv < 0, 1.5, 1.0)  # short-handed teams ice the puck
    return pick_index(wts, play.u[:, 3])


def _turnovers(season: Season, play: Play, cat: np.ndarray, out: Emitted) -> None:
    """Giveaway by the puck carrier's team or takeaway by the other: possession changes."""
    P, Z, u, W = play.P, play.Z, play.u, season.traits.w
    for c, kind, on_side, give in ((C_GIVE, "give", play.sk_p, True),
                                   (C_TAKE, "take", play.sk_o, False)):
        j = np.flatnonzero(cat == c)
        if not len(j):
            continue
        k = play.i[j]
        out.ev[k] = ET["giveaway" if give else "takeaway"]
        out.side[k] = P[j] if give else 1 - P[j]
        out.p1[k] = pick(W[kind], on_side[j], u[j, 4])
        zz = Z[j] if give else 2 - Z[j]
        out.x[k], out.y[k] = zone_xy(zz, u[j, 5], u[j, 6])
        P[j], Z[j] = 1 - P[j], 2 - Z[j]


def _hits(season: Season, play: Play, cat: np.ndarray, out: Emitted) -> None:
    """Hits, mostly on the puck carrier's team, who then lose the puck 40% of the time."""
    P, Z, u, W = play.P, play.Z, play.u, season.traits.w
    for c, by_o in ((C_HIT_O, True), (C_HIT_P, False)):
        j = np.flatnonzero(cat == c)
        if not len(j):
            continue
        k = play.i[j]
        sk_p, sk_o = play.sk_p[j], play.sk_o[j]
        hitters, hittees = (sk_o, sk_p) if by_o else (sk_p, sk_o)
        out.ev[k] = ET["hit"]
        out.side[k] = np.where(by_o, 1 - P[j], P[j])
        out.p1[k] = pick(W["hit"], hitters, u[j, 4])
        out.p2[k] = pick(W["one"], hittees, u[j, 7])
        zz = 2 - Z[j] if by_o else Z[j]
        out.x[k], out.y[k] = zone_xy(zz, u[j, 5], u[j, 6], boards=True)
        if by_o:
            lose = u[j, 8] < 0.4
            P[j] = np.where(lose, 1 - P[j], P[j])
            Z[j] = np.where(lose, 2 - Z[j], Z[j])


def _stoppages(season: Season, play: Play, cat: np.ndarray, out: Emitted) -> None:
    """Icing, offside, puck out of play or frozen: faceoff next, icing team stays on."""
    state, P, Z, u = season.state, play.P, play.Z, play.u
    j = np.flatnonzero(cat == C_STOP)
    if not len(j):
        return
    k = play.i[j]
    a = play.gi[j]
    out.ev[k] = ET["stoppage"]
    kind = np.minimum((u[j, 4:5] > STOP_P[None, :]).sum(axis=1), len(STOP_P) - 1)
    out.det[k] = D_STOP0 + kind
    zone_p = np.where(kind == 0, 0, np.where(kind == 1, 1, Z[j]))
    state.fo_zone[a] = np.where(P[j] == 0, zone_p, 2 - zone_p)
    ice = kind == 0
    state.no_change[a[ice], P[j][ice]] = True
    out.new_mode[k] = FACEOFF

"""Shot attempts (blocked, missed, saved or scored) and penalties, with their consequences.

Both change more than the event row: a goal changes the score and can end a power play
or overtime; a penalty fills a box slot and sets up a faceoff in the offender's zone.
"""

from __future__ import annotations

import numpy as np

from hockey_vae.simulate.constants import (
    D_PEN0,
    D_SHOT0,
    DURATIONS,
    ET,
    FACEOFF,
    GOAL_X,
    PEN_BODY,
    PEN_BODY_P,
    PEN_STICK,
    PEN_STICK_P,
    PEND,
    SHOT_TYPE_P,
    SHOT_TYPES,
    STOP,
    STOPS,
)
from hockey_vae.simulate.draws import pick, sigmoid, zone_xy
from hockey_vae.simulate.state import Emitted, Play, Season, Step

__all__ = ["penalty", "shot"]


def _shot_location(season: Season, play: Play, j: np.ndarray,
                   shooter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the shots of rows `j` come from: the shooter's preferred distance and angle."""
    traits, u, N, Z = season.traits, play.u, play.N, play.Z
    close = Z[j] == 2
    d = np.select([close, Z[j] == 1], [traits.dist[shooter] * np.exp(0.35 * N[j, 0]),
                                       65.0 + 45.0 * u[j, 5]], 115.0 + 65.0 * u[j, 5])
    th = np.where(close, traits.ang[shooter] + 22.0 * N[j, 1], 12.0 * N[j, 1])
    th = np.radians(np.clip(th, -80.0, 80.0))
    sx = np.clip(GOAL_X - d * np.cos(th), np.where(close, 26.0, -98.0), 98.0)
    sy = np.clip(d * np.sin(th), -41.5, 41.5)
    return sx, sy


def _goal_prob(season: Season, play: Play, j: np.ndarray, shooter: np.ndarray,
               dd: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Probability that an on-net shot scores: distance, angle, shooter, goalie, overtime."""
    cfg, traits = season.cfg, season.traits
    goalie = play.on_o[j, 6]
    logit = (cfg.goal_logit - 0.05 * (dd - 30.0) - 0.012 * angle
             + 0.3 * traits.fin[shooter] - 0.12 * traits.gk[goalie]
             + np.where(season.state.period[play.gi[j]] >= 4, cfg.ot_goal_logit, 0.0))
    return np.where(goalie < 0, 1.0, sigmoid(logit))  # on net + empty net = goal


def shot(season: Season, play: Play, j: np.ndarray, out: Emitted) -> None:
    """A shot attempt on in-play rows `j`: blocked, missed, saved or scored."""
    traits, state, u = season.traits, season.state, play.u
    k = play.i[j]
    P = play.P
    shooter = pick(traits.w["shoot"], play.sk_p[j], u[j, 4])
    sx, sy = _shot_location(season, play, j, shooter)
    dd = np.hypot(GOAL_X - sx, sy)
    angle = np.degrees(np.arctan2(np.abs(sy), GOAL_X - sx))
    # outcome
    close = play.Z[j] == 2
    blocked = u[j, 9] < np.clip(0.075 + 0.0045 * dd, 0.04, 0.5) * ~play.empty_net[j] * close
    missed = ~blocked & (u[j, 10] < np.clip(0.16 + 0.003 * dd - 0.05 * traits.fin[shooter],
                                            0.05, 0.6))
    goalie = play.on_o[j, 6]
    p_goal = _goal_prob(season, play, j, shooter, dd, angle)
    on_net = ~blocked & ~missed
    goal = on_net & (u[j, 11] < p_goal)
    saved = on_net & ~goal
    band = np.where(dd < 12, 0, np.where(dd < 35, 1, 2))
    stype = np.minimum((u[j, 12][:, None] > SHOT_TYPE_P[band]).sum(axis=1),
                       len(SHOT_TYPES) - 1)

    out.ev[k] = np.select([blocked, missed, goal], [ET["blocked_shot"], ET["missed_shot"],
                                                    ET["goal"]], ET["shot"])
    out.side[k] = np.where(blocked, 1 - P[j], P[j])
    blocker = pick(traits.w["block"], play.sk_o[j], u[j, 13])
    mates = np.where(play.sk_p[j] == shooter[:, None], -1, play.sk_p[j])
    assist = np.where(u[j, 14] < 0.9, pick(traits.w["assist"], mates, u[j, 15]), -1)
    out.p1[k] = np.where(blocked, blocker, shooter)
    out.p2[k] = np.select([blocked, goal, saved], [shooter, assist, goalie], -1)
    out.x[k] = np.where(blocked, -sx, sx)
    out.y[k] = np.where(blocked, -sy, sy)
    out.det[k] = np.where(blocked, -1, D_SHOT0 + stype)

    # consequences: possession, freezes, score
    keep = np.select([blocked, missed, saved], [u[j, 16] < 0.45, u[j, 16] < 0.45,
                                                u[j, 16] < 0.35], True)
    P[j] = np.where(keep, P[j], 1 - P[j])
    play.Z[j] = np.where(keep, play.Z[j], 2 - play.Z[j])
    freeze = saved & (u[j, 17] < season.cfg.freeze_prob)
    out.new_mode[k[freeze]] = STOP
    state.stop_kind[play.gi[j][freeze]] = len(STOPS) - 1
    if goal.any():
        _score(season, play, j[goal], out)


def _score(season: Season, play: Play, j: np.ndarray, out: Emitted) -> None:
    """Goals on in-play rows `j`: score, faceoff at centre (or game over in overtime).

    A power-play goal ends the earliest minor of the team that conceded it.
    """
    state = season.state
    k = play.i[j]
    scorer_side = out.side[k]
    gg = play.gi[j]
    state.score[gg, scorer_side] += 1
    out.new_mode[k] = np.where(state.period[gg] >= 4, PEND, FACEOFF)
    state.fo_zone[gg] = 3
    state.force[gg] = True
    pp = play.adv[j] > 0
    for g_, s_ in zip(gg[pp].tolist(), (1 - scorer_side[pp]).tolist(), strict=True):
        ends = np.where(state.pen_minor[g_, s_], state.pen_end[g_, s_], np.inf)
        slot = int(np.argmin(ends))
        if np.isfinite(ends[slot]):
            state.pen_end[g_, s_, slot] = np.inf
            state.pen_player[g_, s_, slot] = -1


def _penalty_kind(season: Season, play: Play, j: np.ndarray,
                  who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kind (index into PEN_STICK + PEN_BODY) and length (index into DURATIONS) per row.

    Hitters take more body penalties.
    """
    u = play.u
    body = u[j, 19] < sigmoid(season.traits.team_style["hitting"][who] - 1.0)
    kind = np.where(body, len(PEN_STICK) + np.minimum(
        (u[j, 20][:, None] > PEN_BODY_P).sum(axis=1), len(PEN_BODY) - 1),
        np.minimum((u[j, 20][:, None] > PEN_STICK_P).sum(axis=1), len(PEN_STICK) - 1))
    share = np.cumsum(season.cfg.minor_share)
    length = np.minimum((u[j, 21][:, None] > share[None, :]).sum(axis=1), 2)
    return kind, length


def penalty(season: Season, st: Step, play: Play, j: np.ndarray, on_o_side: bool,
            out: Emitted) -> None:
    """A penalty on rows `j`, on the side without the puck when `on_o_side`.

    The offender goes to the box and the faceoff follows in his zone.
    """
    state, P, Z, u = season.state, play.P, play.Z, play.u
    k = play.i[j]
    gi = play.gi[j]
    off_side = 1 - P[j] if on_o_side else P[j]
    sk_p, sk_o = play.sk_p[j], play.sk_o[j]
    offenders, victims = (sk_o, sk_p) if on_o_side else (sk_p, sk_o)
    who = pick(season.traits.w["pen"], offenders, u[j, 4])
    out.ev[k] = ET["penalty"]
    out.side[k] = off_side
    out.p1[k] = who
    out.p2[k] = np.where(u[j, 18] < 0.85, pick(season.traits.w["one"], victims, u[j, 7]), -1)
    zz = Z[j] if not on_o_side else 2 - Z[j]
    out.x[k], out.y[k] = zone_xy(zz, u[j, 5], u[j, 6])
    kind, length = _penalty_kind(season, play, j, who)
    out.det[k] = D_PEN0 + 3 * kind + length
    for g_, s_, who_, t_, l_ in zip(gi.tolist(), off_side.tolist(), who.tolist(),
                                    st.gs[k].tolist(), length.tolist(), strict=True):
        slot = int(np.argmax(~np.isfinite(state.pen_end[g_, s_])))
        state.pen_end[g_, s_, slot] = t_ + DURATIONS[l_]
        state.pen_player[g_, s_, slot] = who_
        state.pen_minor[g_, s_, slot] = l_ < 2
    state.fo_zone[gi] = np.where(off_side == 0, 0, 2)
    state.force[gi] = True
    out.new_mode[k] = FACEOFF

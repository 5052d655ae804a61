"""Who is on the ice: line and pair rotations on shifts and whistles, and the on-ice slots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hockey_vae.simulate.draws import pick_index
from hockey_vae.simulate.state import Season

__all__ = ["change_lines", "on_ice"]


@dataclass
class _Units:
    """One kind of unit (forward lines or defence pairs) as seen from the active games."""

    end: np.ndarray  # (n_games, 2) game seconds the shift ends; state, updated in place
    cur: np.ndarray  # (n_games, 2) unit on the ice; state, updated in place
    members: np.ndarray  # (n, 2, L, k) players of each unit in the active games
    base: np.ndarray  # (L,) share of shifts per unit
    mean_s: float  # mean shift length, clock seconds
    on_pp: tuple[float, ...]  # weight multipliers per unit on the power play
    on_pk: tuple[float, ...]  # ... and short-handed


def _units(season: Season, kind: str, a: np.ndarray) -> _Units:
    """Forward lines (`kind` "f") or defence pairs ("d") of the games `a`."""
    cfg, state, lu = season.cfg, season.state, season.lineups
    if kind == "f":
        return _Units(state.fend, state.fline, lu.fwd[a], np.array(cfg.line_weights),
                      cfg.forward_shift_s, (1.6, 1.3, 0.6, 0.3), (0.5, 1.0, 1.4, 1.3))
    return _Units(state.dend, state.dpair, lu.dmen[a], np.array(cfg.pair_weights),
                  cfg.defence_shift_s, (1.5, 1.0, 0.5), (0.9, 1.3, 1.1))


def _next_unit_weights(units: _Units, rows: np.ndarray, sides: np.ndarray, a: np.ndarray,
                       boxed: np.ndarray, adv: np.ndarray) -> np.ndarray:
    """(m, L) weights of the next unit for the changing (row, side) pairs.

    Units with a player in the box never go on; power plays favour the top units and
    penalty kills the lower ones; the unit on the ice stays off unless nobody else can go.
    """
    un = units.members[rows, sides]  # (m, L, k)
    inbox = (un[:, :, :, None] == boxed[rows, sides][:, None, None, :]).any(axis=(2, 3))
    n_units = len(units.base)
    pp = adv[rows, sides]
    mult = np.ones((len(rows), n_units))
    mult[pp > 0] = units.on_pp
    mult[pp < 0] = units.on_pk
    wts = units.base[None, :] * mult * ~inbox
    current = np.arange(n_units)[None, :] == units.cur[a[rows], sides][:, None]
    alt = wts * ~current
    wts = np.where(alt.sum(axis=1, keepdims=True) > 0, alt, wts)
    return np.where(wts.sum(axis=1, keepdims=True) > 0, wts, units.base[None, :])


def change_lines(season: Season, rng: np.random.Generator, a: np.ndarray, gs: np.ndarray,
                 is_fo: np.ndarray, skb: np.ndarray) -> None:
    """Rotate forward lines and defence pairs whose shift is over (or at a whistle).

    `a` (n,) are the active games, `gs` (n,) the event's game seconds, `is_fo` (n,) marks
    faceoffs and `skb` (n, 2) the skaters each side may dress by manpower.
    """
    state = season.state
    boxed = state.pen_player[a]  # (n, 2, 2)
    adv = skb - skb[:, ::-1]  # base-skater edge of each side
    for kind in ("f", "d"):
        units = _units(season, kind, a)
        e = units.end[a]
        ch = gs[:, None] >= e
        at_fo = is_fo[:, None] & ~state.no_change[a]
        ch |= at_fo & (state.force[a] | (e - gs[:, None] < 15.0))
        ch &= ~(is_fo[:, None] & state.no_change[a])
        rows, sides = np.nonzero(ch)
        if len(rows) == 0:
            continue
        u = 1.0 - rng.random((len(rows), 2))
        wts = _next_unit_weights(units, rows, sides, a, boxed, adv)
        units.cur[a[rows], sides] = pick_index(wts, u[:, 0])
        units.end[a[rows], sides] = gs[rows] + units.mean_s * (0.6 + 0.8 * u[:, 1])


def on_ice(season: Season, a: np.ndarray, skb: np.ndarray, pulled: np.ndarray) -> np.ndarray:
    """(n, 2, 7) player indices: 5 skater slots by priority, extra attacker, goalie."""
    lu, state = season.lineups, season.state
    n = len(a)
    r = np.arange(n)[:, None]
    s = np.array([[0, 1]])
    f = lu.fwd[a][r, s, state.fline[a]]  # (n, 2, 3)
    d = lu.dmen[a][r, s, state.dpair[a]]  # (n, 2, 2)
    # slot priority: C, D1, W1, D2, W2 (4 skaters drop W2, 3 skaters drop D2 too)
    slots = np.stack([f[..., 0], d[..., 0], f[..., 1], d[..., 1], f[..., 2]], axis=-1)
    slots = np.where(np.arange(5) < skb[..., None], slots, -1)
    top_c = lu.fwd[a][:, :, 0, 0]
    second_c = lu.fwd[a][:, :, 1, 0]
    extra = np.where(state.fline[a] == 0, second_c, top_c)
    extra = np.where(pulled, extra, -1)
    goalie = np.where(pulled, -1, lu.goalie[a])
    return np.concatenate([slots, extra[..., None], goalie[..., None]], axis=-1)


"""The game engine: advances every unfinished game of the season by one event per step.

A step runs the clock, frees expired penalty-box slots, sets manpower (penalties,
overtime, pulled goalies), rotates lines, then lets each game's mode pick its event
(period start, faceoff, stoppage, period end or an in-play event) and records it.
"""

from __future__ import annotations

import numpy as np

from hockey_vae.simulate.config import LeagueConfig
from hockey_vae.simulate.constants import DONE, FACEOFF, INPLAY, NN, NU, PEND, STOP
from hockey_vae.simulate.in_play import in_play
from hockey_vae.simulate.league import League, Lineups
from hockey_vae.simulate.shifts import change_lines, on_ice
from hockey_vae.simulate.state import Emitted, GameState, Season, Step
from hockey_vae.simulate.weights import Traits
from hockey_vae.simulate.whistles import faceoff, period_end, period_start, stoppage

__all__ = ["Engine"]


class Engine:
    """State of every game in the season, advanced one event per unfinished game per step."""

    def __init__(self, league: League, lineups: Lineups, cfg: LeagueConfig,
                 rng: np.random.Generator) -> None:
        self.rng = rng
        self.season = Season(cfg, Traits.from_league(league, cfg), lineups,
                             GameState.start(len(lineups.goalie)))
        self.records: list[dict[str, np.ndarray]] = []  # one dict of (n,) columns per step

    @property
    def state(self) -> GameState:
        """The game state (final scores once `step` returned False)."""
        return self.season.state

    def step(self) -> bool:
        """Emit one event in every unfinished game; False when all games are done."""
        state = self.season.state
        a = np.flatnonzero(state.mode != DONE)
        n = len(a)
        if n == 0:
            return False
        U = 1.0 - self.rng.random((n, NU))  # (0, 1]
        N = self.rng.standard_normal((n, NN))
        st = self._begin(a, U, N)
        rec_score = state.score[a].copy()  # the score before this step's events
        out = Emitted.blank(st.mode)
        period_start(self.season, st, out)
        faceoff(self.season, st, out)
        stoppage(self.season, st, out)
        period_end(self.season, st, out)
        i = np.flatnonzero(st.inplay & ~st.ends)
        if len(i):
            in_play(self.season, st, i, out)
        self.records.append({
            "game": a, "ev": out.ev, "period": st.per, "pclock": st.event_clock,
            "side": out.side, "p1": out.p1, "p2": out.p2, "x": out.x, "y": out.y,
            "det": out.det, "score": rec_score, "sk": st.sk, "onice": st.onice,
        })
        state.mode[a] = out.new_mode
        state.pclock[a] = st.newpc
        state.no_change[a[st.is_fo]] = False
        state.force[a[st.is_fo]] = False
        return True

    def _begin(self, a: np.ndarray, U: np.ndarray, N: np.ndarray) -> Step:
        """Run the clock, free expired box slots, set manpower and lines for the games `a`."""
        cfg, state = self.season.cfg, self.season.state
        mode, per = state.mode[a], state.period[a]
        pc = state.pclock[a]
        plen = np.where(per >= 4, cfg.overtime_s, cfg.period_s)
        inplay = mode == INPLAY
        dt_ = np.where(inplay, -cfg.mean_gap_s * np.log(U[:, 0]), 0.0)
        dt_ = np.where(mode == STOP, 2.0 * U[:, 0], dt_)
        newpc = np.minimum(pc + dt_, plen)
        event_clock = newpc.copy()  # newpc is reset to 0 where a new period starts
        ends = inplay & (pc + dt_ >= plen)
        gs = np.minimum(per - 1, 3) * cfg.period_s + newpc
        is_fo = mode == FACEOFF
        _free_box(state, a, gs)
        skb, pulled = _manpower(cfg, state, a, per, newpc, ends | (mode == PEND))
        change_lines(self.season, self.rng, a, gs, is_fo, skb)
        onice = on_ice(self.season, a, skb, pulled)
        return Step(a=a, U=U, N=N, mode=mode, per=per, newpc=newpc, event_clock=event_clock,
                    ends=ends, gs=gs, is_fo=is_fo, inplay=inplay, skb=skb, pulled=pulled,
                    sk=skb + pulled, onice=onice)


def _free_box(state: GameState, a: np.ndarray, gs: np.ndarray) -> None:
    """Penalties that ran out by game seconds `gs` (n,) free their box slot."""
    expired = state.pen_end[a] <= gs[:, None, None]
    if expired.any():
        pe, pp = state.pen_end[a], state.pen_player[a]
        pe[expired], pp[expired] = np.inf, -1
        state.pen_end[a], state.pen_player[a] = pe, pp


def _manpower(cfg: LeagueConfig, state: GameState, a: np.ndarray, per: np.ndarray,
              newpc: np.ndarray, no_pull: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skaters by penalties and overtime (n, 2), and which sides pulled their goalie (n, 2).

    A team down 1 or 2 late in regulation plays with an extra attacker, except on rows
    `no_pull` (n,) whose period is ending.
    """
    box = np.isfinite(state.pen_end[a]).sum(axis=2)  # (n, 2)
    ot = per >= 4
    skb = np.where(ot[:, None], 3 + np.maximum(box[:, ::-1] - box, 0), 5 - box)
    skb = np.minimum(skb, 5)
    diff = state.score[a] - state.score[a][:, ::-1]
    left = cfg.period_s - newpc
    pull_at = np.where(diff == -1, cfg.pull_goalie_s, 1.6 * cfg.pull_goalie_s)
    pulled = (per == 3)[:, None] & ((diff == -1) | (diff == -2)) & (left[:, None] <= pull_at)
    pulled &= ~no_pull[:, None]
    return skb, pulled

"""The season schedule: who plays whom, at home or away, on which day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hockey_vae.simulate.config import LeagueConfig

__all__ = ["Schedule", "make_schedule"]


@dataclass
class Schedule:
    """Every game of the season in date order (n_games rows; teams as indices)."""

    home: np.ndarray  # (n_games,) home team
    away: np.ndarray  # (n_games,) away team
    day: np.ndarray  # (n_games,) days after the season start


def make_schedule(cfg: LeagueConfig, rng: np.random.Generator) -> Schedule:
    """Home team, away team and date of every game, in date order (circle-method rounds)."""
    n, rounds = cfg.n_teams, cfg.games_per_team
    base = np.arange(n)
    home, away, day = [], [], []
    balance = np.zeros(n, dtype=int)  # home minus away games so far
    per_cycle = n - 1
    for r in range(rounds):
        cycle, k = divmod(r, per_cycle)
        if k == 0:  # fresh team order each cycle, rounds shuffled within the cycle
            order = rng.permutation(n)
            round_ids = rng.permutation(per_cycle)
        rot = round_ids[k]
        ring = np.concatenate([[0], np.roll(base[1:], rot)])
        a_side, b_side = order[ring[: n // 2]], order[ring[::-1][: n // 2]]
        date = int(r * cfg.season_days / max(rounds, 1))
        gap = int((r + 1) * cfg.season_days / max(rounds, 1)) - date
        coin = rng.random(n // 2)
        for a, b, c in zip(a_side.tolist(), b_side.tolist(), coin.tolist(), strict=True):
            # greedy home/away balance; a coin decides ties
            a_home = balance[a] < balance[b] or (balance[a] == balance[b] and c < 0.5)
            h, w = (a, b) if a_home else (b, a)
            balance[h] += 1
            balance[w] -= 1
            home.append(h)
            away.append(w)
            day.append(date + (int(rng.integers(0, 2)) if gap >= 2 else 0))
    home, away, day = np.array(home), np.array(away), np.array(day)
    order = np.lexsort((home, day))
    return Schedule(home[order], away[order], day[order])

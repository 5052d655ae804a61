"""A tiny canonical league for fast model tests: players have event-type and location styles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from hockey_vae.features import Tables, as_tables
from hockey_vae.schema import EVENTS, GAMES, POSITIONS, ROSTERS

__all__ = ["toy_tables"]

_TYPES = ("faceoff", "shot", "hit", "blocked_shot", "giveaway", "stoppage")


def toy_tables(n_games: int = 24, n_teams: int = 4, players_per_team: int = 8,
               events_per_game: int = 40, seed: int = 0) -> Tables:
    """Canonical events/games/rosters for a small league (valid against the schemas)."""
    rng = np.random.default_rng(seed)
    teams = [f"T{i}" for i in range(n_teams)]
    roster = {t: [f"{t}p{j}" for j in range(players_per_team)] for t in teams}
    pos = {p: POSITIONS[j % 4] for t in teams for j, p in enumerate(roster[t])}
    style = {p: rng.dirichlet(np.ones(len(_TYPES) - 1) * 0.5) for t in teams for p in roster[t]}
    xpref = {p: rng.normal(0, 40) for t in teams for p in roster[t]}
    ev_rows, game_rows, roster_rows = [], [], []
    start = dt.date(2020, 10, 1)
    for g in range(n_games):
        home, away = rng.choice(teams, 2, replace=False)
        gid = f"SIM-{g:06d}"
        date = start + dt.timedelta(days=g // 2)
        season = "20202021" if g < n_games * 3 // 4 else "20212022"
        game_rows.append(dict(game_id=gid, league="SIM", season=season, game_date=date,
                              home_team=home, away_team=away, home_goals=1, away_goals=0,
                              winner="home", decided_in="regulation"))
        for t in (home, away):
            for p in roster[t]:
                roster_rows.append(dict(game_id=gid, team=t, player_id=p, player_name=p.upper(),
                                        position=pos[p]))
        for i in range(events_per_game):
            t = home if rng.random() < 0.5 else away
            opp = away if t == home else home
            period = 1 + i * 3 // events_per_game
            if i % 13 == 12:
                row = dict(event_type="stoppage", team=None, opponent=None, is_home=None,
                           player_id=None, player_name=None, x=None, y=None,
                           on_ice_for=None, on_ice_against=None)
            else:
                on_ice = list(rng.choice(roster[t], 6, replace=False))
                ti = rng.integers(len(_TYPES) - 1)
                w = np.array([style[p][ti] for p in on_ice]) + 1e-3
                actor = on_ice[rng.choice(6, p=w / w.sum())]
                x = float(np.clip(xpref[actor] + rng.normal(0, 10), -99, 99))
                row = dict(event_type=_TYPES[ti], team=t, opponent=opp, is_home=bool(t == home),
                           player_id=actor, player_name=actor.upper(), x=x,
                           y=float(rng.uniform(-40, 40)), on_ice_for=on_ice,
                           on_ice_against=list(roster[opp][:6]))
            row.update(game_id=gid, league="SIM", season=season, game_date=date, event_idx=i,
                       period=period, period_seconds=float(i * 30 % 1200),
                       game_seconds=float(i * 30), source_event_type=row["event_type"],
                       player2_id=None, player2_name=None, goals_for=0, goals_against=0,
                       skaters_for=5, skaters_against=5, detail=None)
            ev_rows.append(row)
    return as_tables({
        "events": pa.Table.from_pylist(ev_rows, schema=EVENTS),
        "games": pa.Table.from_pylist(game_rows, schema=GAMES),
        "rosters": pa.Table.from_pylist(roster_rows, schema=ROSTERS),
    })

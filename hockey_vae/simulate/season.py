"""One regular season end to end: league, schedule, lineups, the engine's steps, the tables."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from hockey_vae.simulate.config import LeagueConfig
from hockey_vae.simulate.engine import Engine
from hockey_vae.simulate.league import make_league, make_lineups
from hockey_vae.simulate.schedule import make_schedule
from hockey_vae.simulate.tables import build_tables
from hockey_vae.sources.base import Ingested

__all__ = ["simulate_league", "MAX_STEPS"]

log = logging.getLogger(__name__)

MAX_STEPS = 5000  # a game never needs this many events; guards an endless loop


def simulate_league(
    n_teams: int | None = None,
    games: int | None = None,
    seed: int | None = None,
    config: LeagueConfig | None = None,
    league: str | None = None,
) -> Ingested:
    """Simulate one regular season; the same arguments always give identical tables.

    Parameters
    ----------
    n_teams, games, seed, league
        Teams in the league (even), games per team, random seed, league name; each
        overrides the matching field of `config` (`n_teams`, `games_per_team`, `seed`,
        `league`) when given. Leagues with different names share no game or player ids.
    config
        Everything else (defaults: `LeagueConfig()`, an NHL-like 32-team, 82-game season).

    Returns
    -------
    Ingested with `events`, `games`, `rosters` (canonical schemas) and `players` (ids,
    names, team, position and the true styles in STYLE_COLUMNS).
    """
    cfg = dataclasses.replace(config or LeagueConfig())
    for field, value in (("n_teams", n_teams), ("games_per_team", games), ("seed", seed),
                         ("league", league)):
        if value is not None:
            setattr(cfg, field, value)
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    pool = make_league(cfg, rng)  # teams and players
    schedule = make_schedule(cfg, rng)
    lineups = make_lineups(pool, schedule, cfg, rng)
    engine = Engine(pool, lineups, cfg, rng)
    steps = 0
    while engine.step():
        steps += 1
        if steps > MAX_STEPS:
            raise RuntimeError("simulation did not finish; check the LeagueConfig rates")
    log.debug("simulated %d games in %d steps", len(schedule.home), steps)
    from hockey_vae.sources.normalise import normalise  # the same columns every reader gives
    return normalise(build_tables(pool, cfg, schedule, lineups, engine, rng))

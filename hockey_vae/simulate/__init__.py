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

import dataclasses
import logging

import numpy as np

from hockey_vae.simulate.config import STYLE_COLUMNS, LeagueConfig
from hockey_vae.simulate.engine import Engine
from hockey_vae.simulate.league import make_league, make_lineups
from hockey_vae.simulate.schedule import make_schedule
from hockey_vae.simulate.tables import build_tables
from hockey_vae.simulate.weights import actor_weights
from hockey_vae.sources.base import Ingested

__all__ = ["LeagueConfig", "simulate_league", "actor_weights", "STYLE_COLUMNS"]

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
    return build_tables(pool, cfg, schedule, lineups, engine, rng)

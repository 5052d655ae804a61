"""`hockey-vae simulate`: write a synthetic season (events, games, rosters, players Parquet)."""

from __future__ import annotations

import argparse
import time

from hockey_vae.simulate import LeagueConfig

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `simulate` subcommand."""
    defaults = LeagueConfig()
    parser = subparsers.add_parser(
        "simulate", help="simulate a synthetic league season (true player styles included)",
        description="Simulate one regular season and write events/games/rosters/players "
                    "Parquet into OUT (atomically: a failed run leaves earlier files alone).")
    parser.add_argument("--games", type=int, default=defaults.games_per_team, metavar="N",
                        help="games PER TEAM, half at home (default %(default)s; the league "
                             "plays teams * N / 2 games)")
    parser.add_argument("--teams", type=int, default=defaults.n_teams, metavar="T",
                        help="number of teams, even (default %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, metavar="S",
                        help="random seed; the same seed gives identical tables "
                             "(default %(default)s)")
    parser.add_argument("--league", default=defaults.league, metavar="NAME",
                        help="league name (letters, digits, '_', '-'): the `league` column and "
                             "the id prefix (game NAME-000001, player NAME-S00000; the default "
                             "%(default)s keeps player ids S00000), so leagues simulated under "
                             "different names share no game or player ids")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Simulate, validate, write; print what was written."""
    from hockey_vae.simulate import simulate_league
    from hockey_vae.sources.base import write_tables

    start = time.perf_counter()
    league = simulate_league(n_teams=args.teams, games=args.games, seed=args.seed,
                             league=args.league)
    paths = write_tables(league, args.out)
    seconds = time.perf_counter() - start
    n_games = league.games.num_rows
    print(f"simulated {n_games} games of league {args.league} ({args.teams} teams x "
          f"{args.games} games each, seed {args.seed}): {league.events.num_rows} events, "
          f"{league.players.num_rows} players in {seconds:.1f} s")
    for path in paths.values():
        print(f"  wrote {path}")
    return 0

"""`hockey-vae describe DIR [--json]`: games, events, players and data problems of a folder."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `describe` subcommand."""
    parser = subparsers.add_parser(
        "describe", help="summarise a canonical folder (games, events, players, problems)")
    parser.add_argument("dir", metavar="DIR", help="folder with events/games/rosters.parquet")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the description as text or JSON."""
    from hockey_vae.ingest import describe

    info = describe(args.dir)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{args.dir}: {info['games']} games, {info['events']} events, "
          f"{info['players']} players ({info['acting_players']} acting)")
    print(f"leagues {', '.join(info['leagues'])}; seasons {', '.join(info['seasons'])}")
    print("games decided in: " + ", ".join(f"{k} {v}" for k, v in info["decided_in"].items()))
    print("event types:")
    for name, count in info["event_types"].items():
        print(f"  {name:<18} {count:>9}")
    print("data problems:")
    for name, value in info["problems"].items():
        print(f"  {name.replace('_', ' '):<42} {value}")
    return 0

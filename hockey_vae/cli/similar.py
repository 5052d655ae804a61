"""`hockey-vae similar --run RUN --data DIR PLAYER [--k 10]`: who plays like PLAYER?"""

from __future__ import annotations

import argparse

from hockey_vae.cli._common import add_device, add_threads, load_data, set_threads

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `similar` subcommand."""
    p = subparsers.add_parser(
        "similar", help="nearest players by embedding (who plays like PLAYER?)",
        description="The K players nearest to PLAYER by per-player embedding: cosine distance "
                    "on the mean embeddings, each unit standardised over the players compared. "
                    "Give --run and --data (embeds DIR first), or --embeddings (a per-player "
                    "file written by `embed --per-player`).")
    p.add_argument("player", metavar="PLAYER",
                   help="player id, or name (case-insensitive; a near miss lists close matches)")
    p.add_argument("--run", metavar="RUN", help="run folder of a model that embeds (e.g. cvae)")
    p.add_argument("--data", metavar="DIR", help="canonical tables folder to embed (with --run)")
    p.add_argument("--embeddings", metavar="FILE",
                   help="per-player embeddings (.parquet or .csv) instead of --run/--data")
    p.add_argument("--k", type=int, default=10, help="how many players to list (default 10)")
    p.add_argument("--min-events", type=int, default=5,
                   help="leave out candidates with fewer events (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    add_device(p)
    add_threads(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the nearest players with distance, team, position and event count."""
    from hockey_vae.embed import read_embeddings
    from hockey_vae.similar import player_embeddings, similar_players

    set_threads(args.threads)
    if args.embeddings:
        if args.run or args.data:
            raise ValueError("give either --embeddings or --run with --data, not both")
        players = read_embeddings(args.embeddings)
    elif args.run and args.data:
        from hockey_vae.train import load_run

        players = player_embeddings(load_run(args.run, device=args.device), load_data(args.data))
    else:
        raise ValueError("give --run and --data, or --embeddings FILE")
    out = similar_players(players, args.player, args.k, min_events=args.min_events)
    if args.json:
        print(out.to_json(orient="records", indent=2))
        return 0
    q = out.attrs["query"]
    print(f"players most like {q.get('player_name')} ({q.get('player_id')}, {q.get('team')}, "
          f"{q.get('position')}, {q.get('n_events')} events); distance = cosine distance on "
          "standardised mean embeddings (0 = same direction, 2 = opposite)")
    print(out.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0

"""`hockey-vae embed --run RUN --data DIR --out FILE.parquet|FILE.csv [--per-player] [--fold-in]`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from hockey_vae.cli._common import add_device, add_threads, load_data, set_threads

if TYPE_CHECKING:
    from hockey_vae.foldin_eval import FoldInConfig

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `embed` subcommand."""
    p = subparsers.add_parser("embed", help="export contextual player embeddings "
                              "(cvae or player-latent run)")
    p.add_argument("--run", required=True, metavar="RUN", help="run folder written by train")
    p.add_argument("--data", required=True, metavar="DIR", help="canonical tables folder")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the one embeddings file to write: Parquet or CSV by its suffix "
                        "(.parquet, .csv, .csv.gz)")
    p.add_argument("--per-player", action="store_true",
                   help="one row per player (mean embedding and emb_sd_*, events, team, "
                        "position; for player-latent also the players with a latent but no "
                        "event, such as goalies)")
    p.add_argument("--fold-in", action="store_true",
                   help="player-latent: give each player unseen in training his own q(u) "
                        "fitted on his games so far (per event: games of earlier days; per "
                        "player: every game of DIR), frozen network; adds latent_source, "
                        "n_fit_events, n_fit_games. CPU")
    p.add_argument("--fold-in-steps", type=int, default=40, metavar="N",
                   help="Adam steps per day when fitting the fold-in latents (default 40)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fold-in fit's draws")
    add_device(p)
    add_threads(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Embed every event of DIR and write the table."""
    from hockey_vae.embed import collapse_warning, embed_events, embed_players, write_embeddings
    from hockey_vae.io import FRAME_SUFFIXES
    from hockey_vae.train import load_run

    if not args.out.lower().endswith(FRAME_SUFFIXES):
        raise ValueError(f"--out {args.out}: use a .parquet or .csv file name")
    set_threads(args.threads)
    tables = load_data(args.data)
    run = load_run(args.run, device=args.device)
    fold_in: bool | FoldInConfig = False
    if args.fold_in:
        from hockey_vae.foldin_eval import FoldInConfig

        fold_in = FoldInConfig(steps=args.fold_in_steps)
    events = embed_events(run, tables, fold_in=fold_in, seed=args.seed)
    table = embed_players(events, tables.rosters, run) if args.per_player else events
    write_embeddings(table, args.out)
    print(f"wrote {len(table)} rows to {args.out}")
    if warning := collapse_warning(events):
        print(f"warning: {warning}", file=sys.stderr)
    return 0

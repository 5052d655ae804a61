"""`hockey-vae refine --run RUN --data DIR`: refit a player-latent run's q(u), weights frozen."""

from __future__ import annotations

import argparse

from hockey_vae.cli._common import add_seed, add_threads, load_data, set_threads
from hockey_vae.jsonsafe import dumps_json

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `refine` subcommand (no torch import here: `--help` stays fast)."""
    p = subparsers.add_parser(
        "refine", help="player-latent: fit the players' latents q(u) to convergence on the "
                       "training ELBO with every network weight frozen (writes a new "
                       "checkpoint beside best.pt, never over it)")
    p.add_argument("--run", required=True, metavar="RUN", help="player-latent run folder")
    p.add_argument("--data", required=True, metavar="DIR", help="the run's own tables folder")
    p.add_argument("--out-name", default="refined.pt", metavar="FILE",
                   help="checkpoint file written in RUN (default refined.pt, which "
                        "load_run(RUN, 'refined') reads)")
    p.add_argument("--max-passes", type=int, default=None, metavar="N",
                   help="passes over the training games at most (default: RefineConfig's)")
    p.add_argument("--lr", type=float, default=None, help="Adam step (default: RefineConfig's)")
    p.add_argument("--tol", type=float, default=None,
                   help="stop when the mean objective of a window of passes improves by less "
                        "(nats per event; default: RefineConfig's)")
    p.add_argument("--refit-prior", action="store_true",
                   help="also fit the position prior's mean and sd (empirical Bayes)")
    add_seed(p, "seed of the latent draws and pass order (default 0)")
    add_threads(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Refine, write the checkpoint, print the summary as JSON."""
    from hockey_vae.refine import RefineConfig, refine_run

    set_threads(args.threads)
    given = {k: getattr(args, k) for k in ("max_passes", "lr", "tol")
             if getattr(args, k) is not None}
    cfg = RefineConfig(**given, refit_prior=args.refit_prior, seed=args.seed or 0)
    summary = refine_run(args.run, load_data(args.data), cfg, out_name=args.out_name)
    summary["objective"] = [summary["objective"][0], summary["objective"][-1]]
    print(dumps_json({"run": args.run, "file": args.out_name, **summary}, indent=2))
    return 0

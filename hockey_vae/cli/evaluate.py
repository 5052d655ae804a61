"""`hockey-vae evaluate --run RUN --data DIR [--json]`: held-out metrics of a trained run."""

from __future__ import annotations

import argparse

from hockey_vae.cli._common import load_data
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.reporting import git_commit

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `evaluate` subcommand."""
    p = subparsers.add_parser("evaluate", help="evaluate a trained run on held-out games")
    p.add_argument("--run", required=True, metavar="RUN")
    p.add_argument("--data", required=True, metavar="DIR")
    p.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                   help="which of the run's games (default test)")
    p.add_argument("--samples", type=int, default=None,
                   help="CVAE importance samples k (default from the model config)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help="print the JSON structure")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print a table, or JSON {"data", "split", "commit", "models": {...}}."""
    from hockey_vae.evaluate import evaluate_model
    from hockey_vae.split_check import require_games
    from hockey_vae.train import load_run

    r = load_run(args.run, device=args.device)
    tables = load_data(args.data)
    games = None if args.split == "all" else r.split[args.split]
    enc = r.encoder.transform(tables, games)
    require_games(enc.n_games, args.split, run=args.run, data=args.data)  # no NaN tables
    ev = evaluate_model(r.model, enc, r.encoder.vocab_.counts, name=r.name,
                        n_samples=args.samples, device=r.device)
    if args.json:
        out = {"data": args.data, "split": {"games": args.split, "n_games": enc.n_games},
               "commit": git_commit(), "models": {r.name.replace("-", "_"): ev.to_dict()},
               "unknown": ev.unknown, "n_samples": ev.n_samples}
        print(dumps_json(out, indent=2))  # NaN/inf -> null, listed under "nulls"
        return 0
    print(f"{r.name} on {enc.n_games} {args.split} games of {args.data}")
    print(ev.summary.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    print(f"events by players unseen in training: {ev.unknown['n_events']}")
    return 0

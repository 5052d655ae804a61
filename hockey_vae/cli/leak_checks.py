"""`hockey-vae leak-checks --run RUN --data DIR --out FILE.json`: leak checks of a trained run.

Writes the JSON of `hockey_vae.leak_checks.run_leak_checks` (keyed by check name, plus the
run, data, games, seed and commit under `meta`) and its markdown twin beside it (FILE.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

from hockey_vae.cli._common import load_data

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `leak-checks` subcommand."""
    p = subparsers.add_parser("leak-checks", help="shuffle / ablate / permute inputs of a "
                              "trained run and report how its test log-likelihood moves")
    p.add_argument("--run", required=True, metavar="RUN", help="run folder written by train")
    p.add_argument("--data", required=True, metavar="DIR", help="the run's canonical tables")
    p.add_argument("--out", required=True, metavar="FILE.json",
                   help="JSON file to write (a .md twin is written beside it)")
    p.add_argument("--split", default="test", choices=("val", "test"),
                   help="which of the run's games to score (default test)")
    p.add_argument("--candidates", default="roster", choices=("all", "roster", "on_ice"),
                   help="candidate set of the log-likelihood (default roster)")
    p.add_argument("--reference-run", default=None, metavar="RUN",
                   help="the same model trained without the lineup: the trained reference of "
                        "the shuffled-lineup check")
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffles and permutations")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks, write FILE.json and FILE.md, print one line per check."""
    import torch

    from hockey_vae.features import as_tables
    from hockey_vae.io import atomic_path
    from hockey_vae.jsonsafe import dumps_json
    from hockey_vae.leak_checks import leak_checks_markdown, run_leak_checks
    from hockey_vae.reporting import git_commit
    from hockey_vae.train import load_run

    if args.threads:
        torch.set_num_threads(args.threads)
    commit = git_commit()
    r = load_run(args.run)
    tables = as_tables(load_data(args.data))
    have = set(tables.games["game_id"].astype(str))
    games = [g for g in r.split[args.split] if g in have]
    if not games:
        raise ValueError(f"none of the run's {args.split} games are in {args.data}")
    ref = load_run(args.reference_run) if args.reference_run else None
    result = run_leak_checks(r, tables, games, seed=args.seed, candidates=args.candidates,
                             reference_run=ref)
    command = "hockey-vae " + shlex.join(sys.argv[1:])
    meta = {"run": args.run, "model": r.name, "features": dataclasses.asdict(r.encoder.features),
        "reference_run": args.reference_run, "data": args.data, "split": args.split,
        "n_games": len(games), "seed": args.seed,
        "commit": commit, "command": command}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        tmp.write_text(dumps_json({**result, "meta": meta}, indent=2))
    header = [f"- {k}: `{v}`" for k, v in meta.items()]
    with atomic_path(out.with_suffix(".md")) as tmp:
        tmp.write_text(leak_checks_markdown(result, header))
    for name, row in result.items():
        print(f"{name}: {row['baseline_loglik']:.4f} -> {row['perturbed_loglik']:.4f} "
              f"({row['diff']:+.4f}, {row['n_events']} events): {row['verdict']}")
    print(f"written to {out} and {out.with_suffix('.md')}")
    return 0

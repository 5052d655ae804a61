"""`hockey-vae evaluate --run RUN --data DIR [--json]`: held-out metrics of a trained run."""

from __future__ import annotations

import argparse

from hockey_vae.cli._common import (
    add_device,
    add_quiet,
    add_seed,
    add_threads,
    apply_quiet,
    load_data,
    set_threads,
)
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.reporting import git_commit

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `evaluate` subcommand."""
    p = subparsers.add_parser("evaluate", help="evaluate a trained run on held-out games")
    p.add_argument("--run", required=True, metavar="RUN", help="run folder written by train")
    p.add_argument("--data", required=True, metavar="DIR",
                   help="canonical tables folder (the run's own data, or another season or "
                        "league: then every game the run did not train on is scored)")
    p.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                   help="which of the run's games (default test)")
    p.add_argument("--samples", type=int, default=None,
                   help="CVAE importance samples k (default from the model config)")
    add_device(p)
    add_seed(p, "seed of the CVAE's importance and prior samples (default 0)")
    add_threads(p)
    add_quiet(p)
    p.add_argument("--json", action="store_true", help="print the JSON structure")
    p.add_argument("--fold-in", action="store_true",
                   help="player-latent only: also score the games in date order (one block per "
                        "day), giving each player unseen in training his own latent fitted on "
                        "the earlier days' events, and compare with the cold-start tokens")
    p.add_argument("--fold-in-steps", type=int, default=40, metavar="N",
                   help="Adam steps per day when fitting the fold-in latents (default 40)")
    p.add_argument("--fold-in-warmup", choices=("none", "val"), default="none",
                   help="val: fit the fold-in latents on the run's validation games first "
                        "(not scored), so players seen there start folded in")
    p.add_argument("--fold-in-no-decoder", action="store_true",
                   help="fit the fold-in latents on the identification likelihood only, "
                        "without the event decoder's records (faster)")
    p.add_argument("--fold-in-latents", default=None, metavar="FILE",
                   help="write the fold-in players' final q(u) (mean_i, sd_i) to this Parquet")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print a table, or JSON {"data", "split", "commit", "models": {...}}."""
    from hockey_vae.evaluate import evaluate_model
    from hockey_vae.features import as_tables
    from hockey_vae.split_check import games_to_score, require_games
    from hockey_vae.train import load_run

    set_threads(args.threads)
    apply_quiet(args.quiet)
    r = load_run(args.run, device=args.device)
    tables = as_tables(load_data(args.data))
    games, note = games_to_score(r.split, args.split, tables.games["game_id"].astype(str).tolist())
    require_games(len(games), args.split, run=args.run, data=args.data)  # no NaN tables
    enc = r.encoder.transform(tables, games)
    ev = evaluate_model(r.model, enc, r.encoder.vocab_.counts, name=r.name,
                        n_samples=args.samples, device=r.device, seed=args.seed or 0,
                        progress=not args.quiet)
    fold = _fold_in(args, r, tables, games) if args.fold_in else None
    if args.json:
        out = {"data": args.data, "split": {"games": args.split, "n_games": enc.n_games,
                                            "note": note},
               "commit": git_commit(), "models": {r.name: ev.to_dict()},
               "unknown": ev.unknown, "n_samples": ev.n_samples}
        if fold is not None:
            out["fold_in"] = fold
        print(dumps_json(out, indent=2))  # NaN/inf -> null, listed under "nulls"
        return 0
    print(f"{r.name} on {enc.n_games} games of {args.data}: {note}")
    print(ev.summary.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    print(f"events by players unseen in training: {ev.unknown['n_events']}")
    for kind in ("roster", "on_ice"):  # scored through the cold-start tokens
        row = ev.unknown.get(kind) or {}
        if row.get("n_events"):
            print(f"  unseen players, {kind} candidates: top-1 {row['top1']:.4f}, "
                  f"loglik {row['loglik']:.4f} ({row['n_events']} events)")
    if fold is not None:
        print(f"fold-in ({fold['n_blocks']} day blocks): loglik fold-in minus cold start, "
              "same draws, game-bootstrap 95% interval")
        for kind, groups in fold["summary"].items():
            for g in ("unseen_later", "unseen_first", "all"):
                x = groups[g]
                print(f"  {kind:7s} {g:13s} {x['diff']:+.4f} [{x['lo']:+.4f}, {x['hi']:+.4f}] "
                      f"({x['n_events']} events, {x['n_players']} players)")
    return 0


def _fold_in(args: argparse.Namespace, r: object, tables: object, games: list) -> dict:
    """Run the online fold-in (`--fold-in`) and return its summary for printing / JSON."""
    from hockey_vae.foldin_eval import FoldInConfig, evaluate_foldin, foldin_summary

    cfg = FoldInConfig(steps=args.fold_in_steps, n_samples=args.samples,
                       decoder=not args.fold_in_no_decoder)
    res = evaluate_foldin(r, tables, games, cfg,
                          warmup=r.split.get("val", []) if args.fold_in_warmup == "val" else (),
                          seed=args.seed or 0)
    if args.fold_in_latents:
        from hockey_vae.io import atomic_path

        with atomic_path(args.fold_in_latents) as tmp:
            res.latents.to_parquet(tmp)
    return {"n_blocks": res.n_blocks, "k": res.n_samples,
            "summary": foldin_summary(res.events)}

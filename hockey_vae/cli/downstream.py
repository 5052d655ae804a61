"""`hockey-vae downstream {goals,outcome,all}`: the held-out goal / win-probability benchmark."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hockey_vae.cli._common import add_device, add_quiet, apply_quiet

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["register"]

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `downstream` with its three tasks."""
    parser = subparsers.add_parser(
        "downstream",
        help="goal and game-outcome predictors, with and without player embeddings",
        description="Fit on train games, choose hyper-parameters on validation games, report "
        "test-game metrics with bootstrap intervals (Markdown + JSON + figures).",
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for task, help_text in (
        ("goals", "expected goals: AUC, log loss, Brier (5v5 and all situations)"),
        ("outcome", "in-game and pre-game win probability"),
        ("all", "both, in one report"),
    ):
        sub = tasks.add_parser(task, help=help_text)
        sub.add_argument("--data", required=True, type=Path,
                         help="folder with events/games/rosters.parquet (from ingest or simulate)")
        sub.add_argument("--run", type=Path, default=None,
                         help="trained CVAE run folder; without it (and --embeddings) only the "
                              "baselines run")  # fmt: skip
        sub.add_argument("--embeddings", type=Path, default=None,
                         help="precomputed per-event embedding Parquet (instead of --run)")
        sub.add_argument("--out", required=True, type=Path,
                         help="report path without suffix, e.g. reports/downstream/nhl")
        sub.add_argument("--figures", type=Path, default=None,
                         help="figure folder (default: <out folder>/figures)")
        sub.add_argument("--seed", type=int, default=0,
                         help="seed of the models and the bootstrap (default 0)")
        sub.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples of games")
        sub.add_argument("--val-frac", type=float, default=0.1,
                         help="share of the last season's games, by date, for validation")
        sub.add_argument("--test-frac", type=float, default=0.1,
                         help="share of the last season's games, by date, for the test")
        sub.add_argument("--models", default="logistic,hgb",
                         help="comma-separated model kinds to try: logistic,hgb")
        sub.add_argument("--train-stride", type=int, default=4,
                         help="in-game models train on every k-th event of each game")
        sub.add_argument("--min-activity", type=float, default=0.01,
                         help="drop embedding dimensions whose posterior-mean variance over "
                              "train-game events is below this (collapsed units); 0 keeps all")
        sub.add_argument("--note", action="append", default=[],
                         help="a sentence for the report's notes (repeatable)")
        sub.add_argument("--threads", type=int, default=None,
                         help="cap BLAS/OpenMP threads (gradient boosting busy-waits on a "
                              "shared machine; 1 is best there)")  # fmt: skip
        add_device(sub)
        add_quiet(sub)
        sub.set_defaults(func=_run)


def _load(data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    from hockey_vae.ingest import load_tables

    tables = load_tables(data)
    rosters = tables.rosters.to_pandas() if tables.rosters.num_rows else None
    return tables.events.to_pandas(), tables.games.to_pandas(), rosters


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (every option spelled out)."""
    words = ["hockey-vae", "downstream", args.task, "--data", str(args.data)]
    for flag in ("run", "embeddings", "figures"):
        if getattr(args, flag) is not None:
            words += [f"--{flag}", str(getattr(args, flag))]
    words += ["--out", str(args.out), "--seed", str(args.seed), "--n-boot", str(args.n_boot),
              "--val-frac", str(args.val_frac), "--test-frac", str(args.test_frac),
              "--models", args.models, "--train-stride", str(args.train_stride),
              "--min-activity", str(args.min_activity)]  # fmt: skip
    if args.threads is not None:
        words += ["--threads", str(args.threads)]
    for note in args.note:
        words += ["--note", note]
    return " ".join(shlex.quote(w) for w in words)


def _run(args: argparse.Namespace) -> int:
    apply_quiet(args.quiet)
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=args.threads):
            return _benchmark(args)
    return _benchmark(args)


def _benchmark(args: argparse.Namespace) -> int:
    from hockey_vae.downstream.report import run_downstream_report
    from hockey_vae.downstream.split import split_by_date
    from hockey_vae.downstream.tasks import check_unseen

    if args.run is not None and args.embeddings is not None:
        raise ValueError("give --run or --embeddings, not both")
    kinds = tuple(k.strip() for k in args.models.split(",") if k.strip())
    events, games, rosters = _load(args.data)
    part = split_by_date(games, args.val_frac, args.test_frac)
    embeddings, source, notes = None, "none (baseline only)", list(args.note)
    if args.run is not None:
        from hockey_vae.embed import embed_events
        from hockey_vae.train import load_run

        run = load_run(args.run, device=args.device)
        check_unseen(part, run.split.get("train"))
        print(f"embedding {len(events)} events with {args.run} ...", file=sys.stderr)
        embeddings = embed_events(run, {"events": events, "games": games, "rosters": rosters})
        source = (f"run {args.run} ({run.name}; trained on {len(run.split.get('train', []))} "
                  "games, none of them validation or test games here)")  # fmt: skip
    elif args.embeddings is not None:
        import pandas as pd

        embeddings = pd.read_parquet(args.embeddings)
        source = f"file {args.embeddings} (not checked against the split: no run given)"
        notes.append("Embeddings came from a file; that their model never saw the validation "
                     "and test games could not be checked.")  # fmt: skip
    tasks = ("goals", "outcome") if args.task == "all" else (args.task,)
    meta = {
        "name": args.out.name,
        "command": _command(args),
        "data": str(args.data),
        "embeddings_source": source,
        "split_rule": f"by date; earlier seasons train, last season {1 - args.val_frac - args.test_frac:.0%}"
        f" / {args.val_frac:.0%} / {args.test_frac:.0%} train / val / test",
        "notes": notes,
    }
    report = run_downstream_report(
        events, games, rosters, part, args.out, embeddings, tasks, meta, kinds,
        n_boot=args.n_boot, seed=args.seed, train_stride=args.train_stride,
        figures_dir=args.figures, min_activity=args.min_activity,
    )
    print(f"wrote {args.out}.md, {args.out}.json and {len(report['figures'])} figure(s)")
    return 0

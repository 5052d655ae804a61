"""`hockey-vae benchmark --data DIR --out reports/NAME`: every model under one protocol;
`hockey-vae benchmark-report --runs RUNS/seed0 RUNS/seed1 ... --out reports/NAME`: the
multi-seed report (seed means, paired game-bootstrap intervals, bins, calibration)."""

from __future__ import annotations

import argparse
import shlex
import sys

from hockey_vae.cli._common import CONFIG_HELP, load_data, run_config
from hockey_vae.names import MODEL_NAMES

__all__ = ["register", "run", "run_report"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `benchmark` subcommand."""
    p = subparsers.add_parser(
        "benchmark", help="train and evaluate every model and baseline, write a report",
        description="Writes NAME.md, NAME.json and NAME_*.png; checkpoints go to --runs.")
    p.add_argument("--data", required=True, metavar="DIR", help="canonical tables folder")
    p.add_argument("--out", required=True, metavar="reports/NAME",
                   help="report path without suffix: writes NAME.md, NAME.json, NAME_*.png")
    p.add_argument("--models", default=",".join(MODEL_NAMES),
                   help="comma-separated subset (default all)")
    p.add_argument("--runs", default=None, metavar="DIR",
                   help="where run folders go (default a temporary folder)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help=CONFIG_HELP + '; "model" keyed by model name, e.g. {"cvae": {...}}')
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (overrides the config's train.epochs)")
    p.add_argument("--seed", type=int, default=None, help="random seed (overrides the config's train.seed; default 0)")
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:N, mps")
    p.add_argument("--samples", type=int, default=None, help="CVAE importance samples k")
    p.add_argument("--test-season", default=None, metavar="SEASON",
                   help="hold out this season (e.g. 20182019) whole as the test set; earlier "
                        "seasons train and validate, later ones are left out")
    p.add_argument("--within-last-season", action="store_true",
                   help="earlier seasons all train; 80/10/10 by date within the last season")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--label", default=None, help="data description for the report")
    p.add_argument("--diag-events", type=int, default=2000, metavar="N",
                   help="test events (whole games, earliest first) for the latent models' "
                        "variational diagnostics at k = 10/100/1000 (0: skip; default 2000)")
    p.set_defaults(func=run)
    _register_report(subparsers)


def _register_report(subparsers: argparse._SubParsersAction) -> None:
    """Add the `benchmark-report` subcommand (the multi-seed aggregate)."""
    p = subparsers.add_parser(
        "benchmark-report", help="aggregate several benchmark seeds into one report",
        description="Run one `hockey-vae benchmark --seed N --runs RUNS/seedN --out "
                    "OUT/seedN` per seed (separate processes, e.g. two at once), then this: "
                    "it reads each RUNS/seedN/benchmark.json and predictions/*.parquet and "
                    "writes NAME.json, NAME.md and NAME_reliability.png with seed means and "
                    "sd, paired differences to --reference with 95%% game-level bootstrap "
                    "intervals, bins by training events, calibration and diagnostics.")
    p.add_argument("--runs", nargs="+", required=True, metavar="DIR",
                   help="the --runs folders of the seeds' benchmark runs (folders of the same seed from "
                        "separate invocations, e.g. a model run later, are combined)")
    p.add_argument("--out", required=True, metavar="reports/NAME",
                   help="report path without suffix: writes NAME.json, NAME.md, "
                        "NAME_reliability.png")
    p.add_argument("--reference", default="lstm",
                   help="model the paired differences are taken against (default lstm)")
    p.add_argument("--leak-checks", default=None, metavar="FILE",
                   help="JSON of leak checks to copy under 'leak_checks'")
    p.add_argument("--boot", type=int, default=2000, metavar="B",
                   help="game-bootstrap resamples (>= 1000; default 2000)")
    p.add_argument("--boot-seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--title", default="Player identification benchmark",
                   help="the report's heading")
    p.add_argument("--extra", nargs="*", default=[], metavar="FILE",
                   help="JSON files whose latent_model / probe / probe_coverage keys are "
                        "copied in (e.g. from benchmarks/style_probe.py)")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Aggregate the seeds and print the paired roster differences."""
    from hockey_vae.reporting.seed_report import aggregate_seeds

    report = aggregate_seeds(args.runs, args.out, reference=args.reference,
                             leak_checks=args.leak_checks, n_boot=args.boot,
                             seed=args.boot_seed, title=args.title, extra=args.extra,
                             command="hockey-vae " + shlex.join(sys.argv[1:]))
    for name, keys in report["paired"].items():
        r = keys.get("roster")
        if r:
            print(f"{name} - {report['reference']} (roster): {r['diff']:+.4f} "
                  f"[{r['lo']:+.4f}, {r['hi']:+.4f}] nats/event")
    print(f"report written to {args.out}.md")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print the headline table."""
    import torch

    from hockey_vae.benchmark import run_benchmark

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = run_config(args.config, device=args.device, epochs=args.epochs, seed=args.seed,
                     split_within_last_season=True if args.within_last_season else None,
                     test_season=args.test_season)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = sorted(set(models) - set(MODEL_NAMES))
    if bad:
        raise ValueError(f"--models: unknown model(s) {bad}; choose from {list(MODEL_NAMES)}")
    cfg.check_models(models)  # before the data are read
    report = run_benchmark(load_data(args.data), args.out, data_label=args.label or args.data,
                           models=models, config=cfg,
                           eval_samples=args.samples, runs_dir=args.runs,
                           command="hockey-vae " + shlex.join(sys.argv[1:]),
                           diag_events=args.diag_events)
    for name, sets in report["models"].items():
        print(name + "  " + "  ".join(f"{c}: {100 * v['top1']:.1f}% / {v['loglik']:.3f}"
                                      for c, v in sets.items()))
    print(f"report written to {args.out}.md")
    return 0

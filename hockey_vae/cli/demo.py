"""`hockey-vae demo`: the main job on the embedded synthetic league, stage by stage.

Simulate a small league, write it, read it back, summarise it, then train every model and
baseline, evaluate them on the held-out games, export embeddings and write a report
(`hockey_vae.benchmark.run_pipeline`); the stages live in `hockey_vae.demo`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from hockey_vae.cli._common import add_quiet, add_threads, apply_quiet, set_threads
from hockey_vae.names import MODEL_NAMES

__all__ = ["register", "run", "DEMO_TEAMS", "DEMO_GAMES"]

DEMO_TEAMS = 16  # small league: the whole demo takes well under a minute on 2 cores
DEMO_GAMES = 30  # games per team -> 240 games (hockey_vae.demo has the same defaults)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run the pipeline on a small simulated league (offline)",
        description="Simulate a small league into OUT/data, read it back, summarise it, then "
                    "train, evaluate and embed every model and write OUT/report/player_id.md.")
    parser.add_argument("--out", default="hockey_vae_demo", metavar="DIR",
                        help="output folder (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed (default %(default)s)")
    parser.add_argument("--teams", type=int, default=DEMO_TEAMS, help=argparse.SUPPRESS)
    parser.add_argument("--games", type=int, default=DEMO_GAMES, help=argparse.SUPPRESS)
    parser.add_argument("--models", default=",".join(MODEL_NAMES), help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="config file (features/model/train) merged over the demo preset")
    add_threads(parser)
    add_quiet(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, echo: Callable[[str], None] = print) -> int:
    """Simulate -> write -> read back -> summarise -> train, evaluate, embed, report ->
    player latents probed against the true styles."""
    from hockey_vae.benchmark import DEMO_CONFIG, run_pipeline
    from hockey_vae.config import load_config
    from hockey_vae.demo import (
        format_latent_probe,
        format_results,
        format_summary,
        latent_probe_stage,
        load_stage,
        simulate_stage,
        summarize,
        write_player_embeddings,
    )

    set_threads(getattr(args, "threads", None))
    # the demo prints its own summary; the training logs only with --verbose
    apply_quiet(getattr(args, "quiet", False) or not getattr(args, "verbose", False))
    out = Path(args.out)
    config = getattr(args, "config", None)
    load_config(config, defaults=DEMO_CONFIG)  # refuse a bad file before simulating
    echo(f"[1/5] simulating {args.teams} teams x {args.games} games (seed {args.seed})")
    data_dir = simulate_stage(out, args.seed, args.teams, args.games)
    echo(f"[2/5] reading back {data_dir}")
    data = load_stage(data_dir)
    echo("[3/5] summary")
    echo(format_summary(summarize(data)))
    models = [m for m in args.models.split(",") if m]
    echo(f"[4/5] training, evaluating and embedding {', '.join(models)} (held-out games by date)")
    report = run_pipeline(data, out / "report", seed=args.seed, models=models, config=config,
                          progress=not getattr(args, "quiet", False))
    echo(format_results(report))
    if "player-latent" in models:
        echo("[5/5] player latents: stage 4's player-latent run (a latent per player in the "
             "scores, position-level prior, event decoder) beside the standalone prototype "
             "(the decoder alone, 60 epochs, first 80% of games): how well do they recover "
             "the true styles?")
        run_dir = out / "report" / "runs" / "player-latent"
        echo(format_latent_probe(latent_probe_stage(data, args.seed, run_dir=run_dir),
                                 latent_probe_stage(data, args.seed)))
    else:
        echo("[5/5] player latents (standalone prototype: a latent per player, position-level "
             "prior, event decoder; fit on the first 80% of games): how well do they recover "
             "the true styles?")
        echo(format_latent_probe(latent_probe_stage(data, args.seed)))
    echo("files:")
    echo(f"  data (canonical tables + true styles): {data_dir}")
    echo(f"  report (tables, figures): {out / 'report' / 'player_id.md'}")
    emb_model = next((m for m in ("player-latent", "cvae") if m in models), None)
    if emb_model:
        emb = write_player_embeddings(out / "report" / "runs" / emb_model, data,
                                      out / "embeddings" / "players.parquet")
        echo(f"  per-player embeddings ({emb_model}): {emb}")
    echo(f"  run folders (checkpoints; reload with hockey_vae.load): {out / 'report' / 'runs'}")
    echo("  training logs: rerun as `hockey-vae -v demo`")
    return 0

"""`hockey-vae train --data DIR --model {cvae,lstm,lstm-nohist} --out RUN`: train one model."""

from __future__ import annotations

import argparse

from hockey_vae.cli._common import (
    CONFIG_HELP,
    add_quiet,
    add_threads,
    apply_quiet,
    load_data,
    run_config,
    set_threads,
)
from hockey_vae.names import MODEL_NAMES, model_name

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` subcommand."""
    p = subparsers.add_parser("train", help="train a player-identification model",
                              description="Train on the training games of DIR (split by date), "
                              "early-stop on the validation games, write a run folder.")
    p.add_argument("--data", required=True, metavar="DIR", help="canonical tables folder")
    p.add_argument("--model", required=True, type=model_name, choices=MODEL_NAMES,
                   help="which model to train (lstm_nohist is read as lstm-nohist)")
    p.add_argument("--out", required=True, metavar="RUN",
                   help="run folder to write (config, metrics, checkpoints)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue RUN/checkpoint.pt (same data, model and --config)")
    mode.add_argument("--overwrite", action="store_true",
                      help="replace the run already in RUN (its files go at the first save)")
    p.add_argument("--device", default=None,
                   help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (overrides the config's train.epochs)")
    p.add_argument("--seed", type=int, default=None, help="random seed (overrides the config's train.seed; default 0)")
    p.add_argument("--config", default=None, metavar="FILE", help=CONFIG_HELP)
    add_threads(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train and print the per-epoch metrics."""
    from hockey_vae.distributed import is_main
    from hockey_vae.train import fit

    set_threads(args.threads)
    apply_quiet(args.quiet)
    cfg = run_config(args.config, device=args.device, epochs=args.epochs, seed=args.seed,
                     num_threads=args.threads, progress=False if args.quiet else None)
    kwargs = cfg.fit_kwargs(args.model)  # checked before the data are read
    result = fit(load_data(args.data), args.out, args.model, resume=args.resume,
                 overwrite=args.overwrite, **kwargs)
    if not is_main():  # under torchrun only rank 0 prints
        return 0
    if len(result.history):
        print(result.history.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"run written to {args.out}")
    return 0

"""`hockey-vae toys NAME`: run one generative-core demo, save its figure and report section."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from hockey_vae.jsonsafe import dumps_json

__all__ = ["register", "TOY_NAMES"]

# the demos of hockey_vae.core.toys (a test checks the two agree); listed here so that
# `--help` does not import torch
TOY_NAMES = ("digits", "gan1d", "noise", "pi", "ring8")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `toys` subcommand."""
    p = subparsers.add_parser("toys", help="run a generative-core demo (figure + numbers)",
                              description="Run one demo; the figure goes to "
                              "REPORTS/figures/core_NAME.png and the numbers to REPORTS/core.md.")
    p.add_argument("name", choices=TOY_NAMES, help="which demo")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps (gan1d, ring8, digits; default: the demo's own)")
    p.add_argument("--reports", type=Path, default=Path("reports/core"),
                   help="core reports folder (default ./reports/core)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import torch

    from hockey_vae.core.toys import TOYS, run_toy, write_report_section
    from hockey_vae.io import atomic_path

    kwargs: dict = {"seed": args.seed}
    if args.steps is not None:
        if "steps" not in inspect.signature(TOYS[args.name]).parameters:
            raise ValueError(f"--steps does not apply to toy {args.name!r}")
        kwargs["steps"] = args.steps
    torch.set_num_threads(min(2, torch.get_num_threads()))
    result = run_toy(args.name, **kwargs)
    figure = args.reports / "figures" / f"core_{args.name}.png"
    figure.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(figure) as tmp:
        result.figure.savefig(tmp, dpi=110, format="png")
    write_report_section(args.reports / "core.md", args.name,
                         f"## Demo: {args.name}\n\n![{args.name}](figures/{figure.name})\n\n"
                         f"{result.markdown}\n\n(`hockey-vae toys {args.name} --seed {args.seed}"
                         f"{'' if args.steps is None else f' --steps {args.steps}'}`, "
                         f"{result.seconds:.1f} s)")
    print(dumps_json(result.numbers, indent=1))
    print(f"figure: {figure}\nreport: {args.reports / 'core.md'} (section {args.name})")
    return 0

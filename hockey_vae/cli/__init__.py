"""`hockey-vae` command line: one subcommand per module in this package.

Each module `hockey_vae/cli/<name>.py` defines `register(subparsers)` which adds its
subcommand and sets `func=handler` via `set_defaults`. Handlers parse nothing themselves:
they fill a config and call one library function. Only this package prints.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from hockey_vae import __version__

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand module registered."""
    parser = argparse.ArgumentParser(
        prog="hockey-vae",
        description="Hockey play-by-play -> contextualized player embeddings.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hockey-vae` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as err:  # FileNotFoundError, FileExistsError, ... included
        print(f"hockey-vae {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

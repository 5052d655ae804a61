"""`hockey-vae ingest FORMAT PATH... --out DIR`: raw logs -> canonical Parquet tables."""

from __future__ import annotations

import argparse
from collections import Counter

from hockey_vae.names import INGEST_FORMATS

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `ingest` subcommand."""
    parser = subparsers.add_parser(
        "ingest", help="read play-by-play files into canonical Parquet tables",
        description="Read play-by-play files (files, directories or globs; .gz transparent) "
                    "and write OUT/events.parquet, games.parquet, rosters.parquet.",
    )
    parser.add_argument("format", choices=sorted(INGEST_FORMATS), help="input format")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, directories or globs")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--strict", action="store_true",
                        help="stop at the first bad file or row instead of skipping it")
    parser.add_argument("--positions", nargs="+", metavar="PATH",
                        help="roster Parquet file(s) with player positions (hockey_scraper)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Ingest and print the summary, with skipped files and rows and why."""
    from hockey_vae.ingest import ingest
    from hockey_vae.sources.base import ParseError

    kwargs = {}
    if args.positions:
        kwargs["positions"] = args.positions
    try:
        result = ingest(args.format, args.paths, args.out, strict=args.strict,
                        progress=not args.no_progress, **kwargs)
    except ParseError as err:
        print(f"hockey-vae ingest: error: {err}")
        return 1
    s = result.summary()
    print(f"ingested {s['games']} games, {s['events']} events, {s['rosters']} roster rows "
          f"from {s['files_read']} file(s) into {args.out}")
    print(f"skipped {s['files_skipped']} file(s) and {s['rows_skipped']} row(s); "
          f"{s['problems']} problem(s)")
    if s["shootout_rows_dropped"]:
        print(f"dropped {s['shootout_rows_dropped']} shootout row(s) in "
              f"{s['shootout_games']} game(s) by design: shootouts are not part of event "
              "sequences (the game result still counts the shootout winner)")
    reasons = Counter(p.message.split(":")[0] for p in result.problems)
    for reason, count in reasons.most_common(10):
        print(f"  {count} x {reason}")
    for problem in result.problems[:10]:
        print(f"  - {problem}")
    if len(result.problems) > 10:
        print(f"  ... and {len(result.problems) - 10} more")
    return 0

"""`hockey-vae fetch nhl --season 20232024 --out DIR`: download raw play-by-play, resumably."""

from __future__ import annotations

import argparse

from hockey_vae.names import NHL_API_BASE, NHL_STATS_BASE

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `fetch` subcommand with one sub-subcommand per source (only `nhl` for now)."""
    parser = subparsers.add_parser(
        "fetch", help="download raw play-by-play files from a public API",
        description="Download raw play-by-play files; files already in OUT are not fetched "
                    "again, so an interrupted run resumes.",
    )
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    nhl = sources.add_parser(
        "nhl", help="NHL web API (api-web.nhle.com): schedule + gamecenter play-by-play",
        description="Download a season's schedule and every finished game's play-by-play "
                    "JSON into OUT (pbp_{gameId}.json.gz); then run "
                    "`hockey-vae ingest nhl_api OUT --out DIR`.",
    )
    nhl.add_argument("--season", required=True, help="season as 8 digits, e.g. 20232024")
    nhl.add_argument("--out", required=True, metavar="DIR", help="download folder")
    nhl.add_argument("--game-types", type=int, nargs="+", default=[2], metavar="N",
                     help="1 preseason, 2 regular season, 3 playoffs (default: 2)")
    nhl.add_argument("--base-url", default=NHL_API_BASE, help=f"API root (default {NHL_API_BASE})")
    nhl.add_argument("--rate", type=float, default=0.5, metavar="SECONDS",
                     help="minimum seconds between requests (default 0.5)")
    nhl.add_argument("--retries", type=int, default=5,
                     help="retries per request on 429/5xx, connection errors, deadlines and "
                          "bad bodies (default 5)")
    nhl.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                     help="overall deadline of one attempt: connect, headers and the whole "
                          "body (default 30)")
    nhl.add_argument("--shifts", action="store_true",
                     help="also download shift charts (on-ice players) as shifts_{gameId}.json.gz")
    nhl.add_argument("--shifts-base-url", default=NHL_STATS_BASE,
                     help=f"shift chart API root (default {NHL_STATS_BASE})")
    nhl.add_argument("--refresh-schedule", action="store_true",
                     help="download the schedule again even if cached")
    nhl.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    nhl.set_defaults(func=run_nhl)


def run_nhl(args: argparse.Namespace) -> int:
    """Fetch and print what was downloaded, cached, skipped, refused and failed.

    Exit 1 if any download failed or any schedule entry or path was refused.
    """
    from hockey_vae.fetch import FetchError, fetch_nhl_season

    try:
        result = fetch_nhl_season(
            args.season, args.out, game_types=args.game_types, base_url=args.base_url,
            rate=args.rate, shifts=args.shifts, shifts_base_url=args.shifts_base_url,
            refresh_schedule=args.refresh_schedule, progress=not args.no_progress,
            retries=args.retries, timeout=args.timeout,
        )
    except FetchError as err:
        print(f"hockey-vae fetch nhl: error: {err}")
        return 1
    print(f"season {result.season}: {result.games} game(s); downloaded {result.downloaded} "
          f"file(s), {result.cached} already in {args.out}, {result.not_final} game(s) not "
          f"final yet; {result.requests} request(s); {len(result.problems)} problem(s)")
    _print_some("failed", result.failures)
    _print_some("problem", result.problems)
    return 1 if result.failures or result.problems else 0


def _print_some(label: str, lines: list[str], limit: int = 20) -> None:
    for line in lines[:limit]:
        print(f"  {label}: {line}")
    if len(lines) > limit:
        print(f"  ... and {len(lines) - limit} more")

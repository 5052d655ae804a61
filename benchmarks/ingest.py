"""Benchmark: canonical ingest of the 2018-19 NHL season vs a plain `pandas.read_csv` loop.

Usage: python benchmarks/ingest.py [--data DIR] [--repeats N] [--report reports/ingest/ingest.md]

Both contenders read the same 1,271 gzipped hockey_scraper files (2018020001-2018021271).
The baseline only parses them (`pandas.read_csv` per file, nothing else); the ingest parses,
normalises to the canonical schema, validates and writes events/games/rosters Parquet.
Runs alternate (baseline, ingest, baseline, ...) after one warm-up read of every file so
both see a warm OS file cache; the report gives the median and best of each.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from hockey_vae.ingest import ingest
from hockey_vae.reporting import git_commit

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def season_files(data: Path) -> list[Path]:
    """The 2018-19 regular season files, in game order; fails if any is missing."""
    folder = data / "nhl_hockey_scraper_delara38" / "games"
    files = [folder / f"2018{20000 + i:06d}.csv.gz" for i in range(1, 1272)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"missing {len(missing)} file(s) under {folder}, e.g. {missing[:3]}")
    return files


def time_pandas(files: list[Path]) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, rows) for a plain read_csv loop."""
    start, cpu = time.perf_counter(), time.process_time()
    rows = sum(len(pd.read_csv(f)) for f in files)
    return time.perf_counter() - start, time.process_time() - cpu, rows


def time_ingest(files: list[Path], out: Path, positions: Path | None
                ) -> tuple[float, float, int]:
    """(wall s, CPU s of this process, all threads, events) for the canonical ingest."""
    start, cpu = time.perf_counter(), time.process_time()
    result = ingest("hockey_scraper", files, out, progress=False, positions=positions)
    return time.perf_counter() - start, time.process_time() - cpu, result.events.num_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each contender")
    parser.add_argument("--report", type=Path,
                        default=Path(__file__).resolve().parents[1] / "reports" / "ingest" / "ingest.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    files = season_files(args.data.resolve())
    positions = args.data.resolve() / "nhl_rosters_fastRhockey"
    positions = positions if positions.is_dir() else None
    raw_bytes = sum(f.stat().st_size for f in files)
    for f in files:  # warm the OS file cache for both contenders
        f.read_bytes()

    pandas_s, ingest_s, pandas_cpu, ingest_cpu = [], [], [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            t, c, pandas_rows = time_pandas(files)
            pandas_s.append(t)
            pandas_cpu.append(c)
            t, c, events = time_ingest(files, Path(tmp) / "out", positions)
            ingest_s.append(t)
            ingest_cpu.append(c)
            print(f"run {r + 1}: pandas.read_csv {pandas_s[-1]:.2f} s (cpu {pandas_cpu[-1]:.2f}),"
                  f" ingest {t:.2f} s (cpu {c:.2f})", flush=True)
        parquet_bytes = sum(p.stat().st_size for p in (Path(tmp) / "out").iterdir())

    load_after = os.getloadavg()[0]
    med_p, med_i = statistics.median(pandas_s), statistics.median(ingest_s)
    cpu_p, cpu_i = statistics.median(pandas_cpu), statistics.median(ingest_cpu)
    ratio = med_i / med_p
    cpu_ratio = cpu_i / cpu_p
    verdict = ("met: the canonical ingest is no slower than the plain pandas read"
               if ratio <= 1.0 else
               "MISSED: the canonical ingest is slower than the plain pandas read")
    command = "python benchmarks/ingest.py " + " ".join(argv if argv is not None
                                                        else sys.argv[1:])
    lines = [
        "# Ingest benchmark: NHL 2018-19 (hockey_scraper CSV)",
        "",
        f"- command: `{command.strip()}`",
        f"- commit: {git_commit()}",
        f"- data: `nhl_hockey_scraper_delara38/games/2018020001-2018021271.csv.gz` "
        f"({len(files)} files, {raw_bytes / 1e6:.1f} MB gzipped, {pandas_rows:,} raw rows); "
        f"positions from `nhl_rosters_fastRhockey/`",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPU(s) (shared with other jobs), "
        f"Python {platform.python_version()}, pandas {pd.__version__}",
        f"- repeats: {args.repeats}, alternating, after one warm-up read of every file; "
        f"1-minute load average {load_before:.1f} before, {load_after:.1f} after "
        "(other jobs share the CPUs, so wall times are noisy: CPU times are given too)",
        "- ingest reads files with 2 threads (pyarrow parses without the GIL); output order "
        "does not depend on them",
        "",
        "| contender | median wall s | best wall s | median CPU s | per s (median wall) |",
        "|---|---|---|---|---|",
        f"| `pandas.read_csv` per file (parse only) | {med_p:.2f} | {min(pandas_s):.2f} | "
        f"{cpu_p:.2f} | {pandas_rows / med_p:,.0f} rows/s |",
        f"| `hockey_vae.ingest` (parse, normalise, validate, write Parquet) | {med_i:.2f} | "
        f"{min(ingest_s):.2f} | {cpu_i:.2f} | {events / med_i:,.0f} events/s |",
        "",
        f"Ratio ingest / pandas (median wall): **{ratio:.2f}** -> goal {verdict}. "
        f"Ratio of median CPU times: {cpu_ratio:.2f}.",
        f"Output: {events:,} canonical events (shootout rows dropped), "
        f"{parquet_bytes / 1e6:.1f} MB of Parquet.",
        "",
        "All runs, wall s: pandas " + ", ".join(f"{t:.2f}" for t in pandas_s)
        + "; ingest " + ", ".join(f"{t:.2f}" for t in ingest_s) + ". CPU s: pandas "
        + ", ".join(f"{t:.2f}" for t in pandas_cpu) + "; ingest "
        + ", ".join(f"{t:.2f}" for t in ingest_cpu) + ".",
        "",
    ]
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text("\n".join(lines))
    print("\n".join(lines[8:]))
    print(f"ratio {ratio:.2f} (wall), {cpu_ratio:.2f} (CPU); {events / med_i:,.0f} events/s; "
          f"report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up time of the CLI against a bare interpreter (issue 12: `--help` within 3x).

    python benchmarks/startup.py [--repeats 15] [--out reports/speed/startup]

Times `python -c pass`, `hockey-vae --help` and the quick subcommands' `--help` in fresh
processes, alternating, and reports medians and ratios measured in this one run; also lists
which heavy modules each command imports. Writes OUT.md and OUT.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hockey_vae.jsonsafe import write_json
from hockey_vae.reporting import provenance

HEAVY = ("torch", "sklearn", "scipy", "matplotlib", "pandas", "pyarrow", "numpy")
COMMANDS = ("--help", "describe --help", "ingest --help", "simulate --help", "train --help")


def _median_seconds(argv: list[str], repeats: int) -> float:
    """Median wall time of `argv` in a fresh process."""
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - tic)
    return statistics.median(times)


def _heavy_imports(words: str) -> list[str]:
    """Heavy modules that `hockey-vae WORDS` imports."""
    code = ("import contextlib, io, sys\nfrom hockey_vae.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n"
            f"        main({words.split()!r})\n    except SystemExit:\n        pass\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.split()


def main(argv: list[str] | None = None) -> int:
    """Measure, print and write the report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15, help="runs per command (median)")
    p.add_argument("--out", default="reports/speed/startup", help="report path without suffix")
    args = p.parse_args(argv)
    cli = shutil.which("hockey-vae") or "hockey-vae"
    bare = _median_seconds([sys.executable, "-c", "pass"], args.repeats)
    rows = []
    for words in COMMANDS:
        seconds = _median_seconds([cli, *words.split()], args.repeats)
        rows.append({"command": f"hockey-vae {words}", "seconds": seconds,
                     "ratio_vs_bare_python": seconds / bare, "heavy_imports": _heavy_imports(words)})
    prov = provenance(f"python benchmarks/startup.py --repeats {args.repeats}",
                      "none (start-up only)", repeats=args.repeats)
    report = {**prov.to_dict(), "bare_python_seconds": bare, "commands": rows,
              "goal": "hockey-vae --help within 3x of python -c pass",
              "goal_met": rows[0]["ratio_vs_bare_python"] <= 3.0}
    lines = ["# CLI start-up time", "", *prov.markdown(), "",
             f"Bare interpreter (`python -c pass`): {bare * 1000:.0f} ms (median of "
             f"{args.repeats}); the machine's other jobs make absolute times noisy, the ratios "
             "are measured in the same run.", "",
             "| command | median ms | x bare python | heavy modules imported |", "|---|---|---|---|"]
    lines += [f"| `{r['command']}` | {r['seconds'] * 1000:.0f} | {r['ratio_vs_bare_python']:.1f} | "
              f"{', '.join(r['heavy_imports']) or 'none'} |" for r in rows]
    lines += ["", f"Goal (`hockey-vae --help` within 3x): "
              f"{'met' if report['goal_met'] else 'MISSED'}.", ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(report, out.with_suffix(".json"))
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

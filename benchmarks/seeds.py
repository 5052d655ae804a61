"""Seed spread of player-identification benchmarks: the same config run with several seeds.

    python benchmarks/seeds.py reports/A.json runs/B.json ... --out reports/NAME.md

Each JSON is a `hockey-vae benchmark` output; `X.json+Y.json` joins the models of two runs of
one seed (say a CVAE variant and the LSTM it is compared with), the first one's winning. Per model and candidate set: the test
log-likelihood of every seed, its mean and standard deviation, and per seed the CVAE minus
LSTM difference, so "the CVAE beats the LSTM" can be told apart from seed noise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

SETS = ("roster", "on_ice", "sparse")



def _nan(value: float | None) -> float:
    """A report's number; null (no events in that set, see the report's "nulls") as NaN."""
    return float("nan") if value is None else float(value)

def _merged(arg: str) -> dict:
    """One seed's benchmark JSON; with `a.json+b.json`, b's models are added to a's."""
    parts = [json.loads(Path(f).read_text()) for f in arg.split("+")]
    out = parts[0]
    for extra in parts[1:]:
        if extra.get("seed") != out.get("seed"):
            raise ValueError(f"{arg}: joined runs have different seeds")
        out["models"] = {**extra["models"], **out["models"]}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("reports", nargs="+", help="benchmark JSON files, one per seed (a+b joins)")
    p.add_argument("--out", required=True, help="markdown file to write")
    args = p.parse_args()
    runs = [_merged(arg) for arg in args.reports]
    seeds = [r.get("seed") for r in runs]
    models = [m for m in ("cvae", "lstm", "lstm_nohist") if all(m in r["models"] for r in runs)]
    lines = ["# Seed spread of the player-identification benchmark", "",
             f"- command: `python benchmarks/seeds.py {' '.join(args.reports)} --out {args.out}`",
             f"- data: {runs[0]['data']}",
             f"- split: {runs[0]['split'].get('rule', runs[0]['split'])}",
             f"- seeds: {seeds}; commits: {sorted({r['commit'] for r in runs})}", "",
             "## Test log-likelihood per seed (nats per event, known players)", "",
             "| model | candidates | " + " | ".join(f"seed {s}" for s in seeds)
             + " | mean | sd |", "|---|---|" + "---|" * (len(seeds) + 2)]
    for m in models:
        for c in SETS:
            v = np.array([_nan(r["models"][m][c]["loglik"]) for r in runs])
            lines.append(f"| {m} | {c} | " + " | ".join(f"{x:.3f}" for x in v)
                         + f" | {v.mean():.3f} | {v.std(ddof=1) if len(v) > 1 else 0:.3f} |")
    if {"cvae", "lstm"} <= set(models):
        lines += ["", "## CVAE minus LSTM, same seed (positive: the CVAE is better)", "",
                  "| candidates | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |",
                  "|---|" + "---|" * (len(seeds) + 1)]
        for c in SETS:
            d = np.array([_nan(r["models"]["cvae"][c]["loglik"])
                          - _nan(r["models"]["lstm"][c]["loglik"]) for r in runs])
            lines.append(f"| {c} | " + " | ".join(f"{x:+.3f}" for x in d) + f" | {d.mean():+.3f} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

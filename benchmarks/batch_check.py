"""Validation log-likelihood of training runs per batching setting: is a new default safe?

Reads `RUNS/<setting>/<model>/seed<S>/metrics.csv` (one `hockey-vae train` run folder per
setting, model and seed) and, optionally, a reference protocol's five seeds
`REFERENCE/seed<S>/<model>/metrics.csv` trained at the old setting; writes, per model and
setting, each seed's best validation log-likelihood (the early-stopping score), the epoch it
came from, the median training events/s over epochs, and the training seconds.

    python benchmarks/batch_check.py --runs RUNS --reference REF --out reports/speed/batch_check
        [--label RUNS=RUNS_DIR/S/llcheck --label REF=RUNS_DIR/synthetic]

`--label PATH=NAME` writes NAME for PATH in the report (reports never name local folders).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

import pandas as pd

from hockey_vae.jsonsafe import write_json
from hockey_vae.reporting import git_commit


def best_row(metrics: Path) -> dict[str, Any]:
    """The early-stopping epoch of one run: best validation log-likelihood and its speed."""
    m = pd.read_csv(metrics)
    b = m.loc[m["val_loglik"].idxmax()]
    return {"val_loglik": float(b["val_loglik"]), "val_top1": float(b["val_top1"]),
            "best_epoch": int(b["epoch"]), "epochs": len(m),
            "train_events_per_s": float(m["train_events_per_s"].median()),
            "train_seconds": float(m["seconds"].sum())}


def collect(runs: Path, reference: Path | None) -> list[dict[str, Any]]:
    """One row per (setting, model, seed) found."""
    rows = [{"setting": p.parts[-4], "model": p.parts[-3], "seed": int(p.parts[-2][4:]),
             **best_row(p)} for p in sorted(runs.glob("*/*/seed*/metrics.csv"))]
    if reference is not None:
        rows += [{"setting": "reference (old default, 5 seeds)", "model": p.parts[-2],
                  "seed": int(p.parts[-3][4:]), **best_row(p)}
                 for p in sorted(reference.glob("seed*/*/metrics.csv"))
                 if p.parts[-2] in {r["model"] for r in rows}]
    return rows


def summary(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per model and setting: seeds, mean / min / max best validation log-likelihood."""
    df = pd.DataFrame(rows)
    g = df.groupby(["model", "setting"])
    return pd.DataFrame({
        "seeds": g["seed"].apply(lambda s: ",".join(map(str, sorted(s)))),
        "val_loglik_mean": g["val_loglik"].mean(), "val_loglik_min": g["val_loglik"].min(),
        "val_loglik_max": g["val_loglik"].max(), "best_epoch_mean": g["best_epoch"].mean(),
        "train_events_per_s_median": g["train_events_per_s"].apply(statistics.median),
        "train_seconds_mean": g["train_seconds"].mean()}).reset_index()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", required=True, type=Path)
    p.add_argument("--reference", type=Path, default=None)
    p.add_argument("--label", action="append", default=[], help="PATH=NAME in the report")
    p.add_argument("--note", action="append", default=[], help="a line for the report")
    p.add_argument("--out", default="reports/speed/batch_check")
    args = p.parse_args(argv)
    rows = collect(args.runs, args.reference)
    if not rows:
        raise SystemExit(f"no RUNS/<setting>/<model>/seed<S>/metrics.csv under {args.runs}")
    table = summary(rows)
    command = "python benchmarks/batch_check.py " + " ".join(
        a for a in (argv if argv is not None else __import__("sys").argv[1:]))
    for label in args.label:
        path, name = label.split("=", 1)
        command = command.replace(path, name)
    command = command.split(" --label")[0].split(" --note")[0]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json({"command": command, "commit": git_commit(), "runs": rows,
                "summary": table.to_dict("records"), "notes": args.note},
               out.with_suffix(".json"))
    lines = ["# Batch size and packing: validation log-likelihood per setting", "",
             f"- command: `{command}`", f"- commit (of this summary): `{git_commit()}`",
             *[f"- {n}" for n in args.note], "",
             "| model | setting | seeds | best val log-lik mean | min | max | best epoch "
             "(mean) | train events/s (median) | train seconds (mean) |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.model} | {r.setting} | {r.seeds} | {r.val_loglik_mean:.4f} | "
              f"{r.val_loglik_min:.4f} | {r.val_loglik_max:.4f} | {r.best_epoch_mean:.1f} | "
              f"{r.train_events_per_s_median:,.0f} | {r.train_seconds_mean:.0f} |"
              for r in table.itertuples()]
    lines += ["", "Per run:", "", "| model | setting | seed | best val log-lik | best epoch | "
              "epochs | train events/s |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['setting']} | {r['seed']} | {r['val_loglik']:.4f} | "
              f"{r['best_epoch']} | {r['epochs']} | {r['train_events_per_s']:,.0f} |"
              for r in rows]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Benchmark: do per-player latents improve expected goals beyond a strong baseline and controls?

Usage: python benchmarks/downstream_xg.py [--data /work/out/nhl] [--out reports/downstream/xg_nhl]
           [--seed 0] [--n-boot 500] [--epochs 60] [--latents CACHE.parquet]
           [--latents-run RUN/player-latent]

Split: `hockey_vae.downstream.split_by_date` (earlier seasons and the first 80% of the last
season train, the next 10% validate, the last 10% test; by game). The player-latent model
(`hockey_vae.models.player_latent`) is fit on the training games only; the baseline
(HistGradientBoostingClassifier) is chosen on validation; stage-2 models (empirical-Bayes
control, one-hot ID control, shooter / goalie / both latents) add to the baseline's log-odds,
with L2 strengths chosen on validation. Test: paired game-bootstrap intervals.
Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from hockey_vae.downstream.player_tables import fit_player_table
from hockey_vae.downstream.run_latents import run_player_table, verify_unseen
from hockey_vae.downstream.split import describe_split, split_by_date
from hockey_vae.downstream.xg import xg_features
from hockey_vae.downstream.xg_report import METHOD, mask_report, score_tables, verdicts
from hockey_vae.downstream.xg_study import run_xg_study
from hockey_vae.reporting.provenance import Provenance, provenance


def load(data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """events, rosters, games of a canonical-table folder."""
    return tuple(pd.read_parquet(data / f"{n}.parquet") for n in ("events", "rosters", "games"))


def player_table(args: argparse.Namespace, events: pd.DataFrame, rosters: pd.DataFrame,
                 train_ids: list[str], dressed_span: str) -> tuple[pd.DataFrame, dict]:
    """The latent table: from --latents-run (a player-latent run that never saw the
    validation / test games), else fit on the training games (cached in --latents)."""
    if args.latents_run:
        table, info = run_player_table(args.latents_run)
        info["leak_check"] = verify_unseen(info.pop("split"), args.part)
        return table, info
    cache = Path(args.latents) if args.latents else None
    if cache is not None and cache.exists():
        table = pd.read_parquet(cache)
        return table, {"kind": "player_latent", "read_from_cache": str(cache),
                       "players": int(len(table))}
    table, info = fit_player_table(events, rosters, train_ids, epochs=args.epochs,
                                   seed=args.seed, dressed_span=dressed_span)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(cache)
    return table, info


def method(info: dict) -> list[str]:
    """METHOD, with its last line (where the latents come from) naming a --latents-run."""
    if info.get("kind") != "player-latent run":
        return METHOD
    return [*METHOD[:-1], f"- Latents: the integrated player-latent run {info['run']} (d_u = "
            f"{info['d']}), trained on the training games only (leak check: "
            f"{info['leak_check']})."]


def write(out: Path, prov: Provenance, result: dict[str, Any], meta: dict[str, Any]) -> None:
    """<out>.md and <out>.json."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# Expected goals with player latents: {meta['league']}", "", *prov.markdown(), "",
             "## Verdict on the issue's goals", "", *verdicts(result["scores"]), "",
             "## Method", "", *meta["method"], "", "## Test scores (95% paired game-bootstrap "
             f"intervals, {meta['n_boot']} resamples)", "", *score_tables(result["scores"]),
             "## Chosen on validation", "", "```", json.dumps(result["chosen"], indent=1,
                                                              default=str), "```", ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    payload = {**prov.to_dict(), **{k: v for k, v in meta.items() if k != "method"},
               "method": meta["method"], "shots": result["shots"],
               "scores": result["scores"], "chosen": result["chosen"]}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/out/nhl")
    ap.add_argument("--out", default="reports/downstream/xg_nhl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--latents", default="", help="parquet cache of the latent table")
    ap.add_argument("--latents-run", default="", help="take the latents from this "
                    "player-latent run folder instead of fitting the prototype")
    ap.add_argument("--dressed-span", default="player", choices=("player", "team"))
    ap.add_argument("--val-frac", type=float, default=0.1, help="of the last season")
    ap.add_argument("--test-frac", type=float, default=0.1, help="of the last season")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    threadpool_limits(1)  # HistGradientBoosting and BLAS: one thread on a shared machine
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    events, rosters, games = load(Path(args.data))
    part = split_by_date(games, val_frac=args.val_frac, test_frac=args.test_frac)
    shots = xg_features(events, rosters)
    shots["part"] = shots["game_id"].map(part)
    train_ids = part.index[part == "train"].tolist()
    args.part = part
    table, info = player_table(args, events, rosters, train_ids, args.dressed_span)
    result = run_xg_study(shots, table, n_boot=args.n_boot, seed=args.seed)
    prov = provenance("python benchmarks/downstream_xg.py " + " ".join(argv or sys.argv[1:]),
                      f"canonical tables at {args.data}",
                      split=f"split_by_date: earlier seasons + first "
                      f"{1 - args.val_frac - args.test_frac:.0%} of the last season train, next "
                      f"{args.val_frac:.0%} validation, last {args.test_frac:.0%} test (by game, "
                      "by date)",
                      seeds=[args.seed])
    league = str(games["league"].iloc[0]) if "league" in games else args.data
    write(Path(args.out), prov, result, {"league": league, "n_boot": args.n_boot,
                                         "split_detail": describe_split(part, games),
                                         "latent_table": info, "method": method(info)})
    cache = str(Path(args.latents).parent) if args.latents else ""
    runs = str(Path(args.latents_run).parents[2]) if args.latents_run else ""
    mask_report(Path(args.out), {args.data: "NHL_DIR", cache: "CACHE_DIR", runs: "RUNS_DIR"})
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

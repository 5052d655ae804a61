"""Benchmark: do per-player latents improve expected goals beyond a strong baseline and controls?

Usage: python benchmarks/downstream_xg.py [--data /work/out/nhl] [--out reports/downstream/xg_nhl]
           [--seed 0] [--n-boot 500] [--epochs 60] [--latents CACHE.parquet]

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

from hockey_vae.downstream.player_tables import fit_player_table
from hockey_vae.downstream.split import describe_split, split_by_date
from hockey_vae.downstream.xg import XG_CATEGORICAL, XG_NUMERIC, xg_features
from hockey_vae.downstream.xg_study import md_table, run_xg_study
from hockey_vae.reporting.provenance import Provenance, provenance

ORDER = ["baseline", "eb_control", "id_control", "latent_shooter", "latent_goalie",
         "latent_both"]


def load(data: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """events, rosters, games of a canonical-table folder."""
    return tuple(pd.read_parquet(data / f"{n}.parquet") for n in ("events", "rosters", "games"))


def player_table(args: argparse.Namespace, events: pd.DataFrame, rosters: pd.DataFrame,
                 train_ids: list[str], dressed_span: str) -> tuple[pd.DataFrame, dict]:
    """The latent table fit on the training games (read from --latents when it exists)."""
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


def _fmt(entry: dict, metric: str) -> str:
    lo, hi = entry[f"{metric}_ci"]
    return f"{entry[metric]:.4f} [{lo:.4f}, {hi:.4f}]"


def score_tables(scores: dict[str, Any]) -> list[str]:
    """Markdown: per situation, metrics per model and paired differences vs baseline."""
    lines = []
    for situation, res in scores.items():
        rows = [{"model": m, "AUC": _fmt(res[m], "auc"), "log loss": _fmt(res[m], "log_loss"),
                 "Brier": _fmt(res[m], "brier")} for m in ORDER if m in res]
        diffs = [{"model - baseline": m, "d log loss": _fmt(res[f"{m}_minus_baseline"],
                                                            "log_loss"),
                  "d AUC": _fmt(res[f"{m}_minus_baseline"], "auc")}
                 for m in ORDER[1:] if f"{m}_minus_baseline" in res]
        n = res["baseline"]
        lines += [f"### {situation} ({n['n']} shots, {n['n_games']} test games, goal rate "
                  f"{res['goal_rate']:.4f})", "", md_table(pd.DataFrame(rows)), "",
                  md_table(pd.DataFrame(diffs)), ""]
        if "latent_both_minus_eb_control" in res:
            d = res["latent_both_minus_eb_control"]
            lines += [f"latent_both - eb_control: d log loss {_fmt(d, 'log_loss')}, d AUC "
                      f"{_fmt(d, 'auc')}", ""]
    return lines


def verdicts(scores: dict[str, Any]) -> list[str]:
    """The issue's goals, each answered yes / no with the numbers."""
    s5 = scores["5v5"]
    best = max((m for m in ORDER if m in s5), key=lambda m: s5[m]["auc"])
    lines = [f"- 5v5 AUC >= 0.80 for the best model: best is {best} with "
             f"{s5[best]['auc']:.4f} -> {'met' if s5[best]['auc'] >= 0.80 else 'NOT met'}."]
    if "latent_both_minus_baseline" in s5:
        d, eb = s5["latent_both_minus_baseline"], s5["eb_control_minus_baseline"]
        below = d["log_loss_ci"][1] < 0
        lines.append(f"- Latents (both) lower 5v5 log loss with the paired interval below 0: "
                     f"{_fmt(d, 'log_loss')} -> {'met' if below else 'NOT met'}.")
        lines.append(f"- ... by at least as much as the EB control ({_fmt(eb, 'log_loss')}): "
                     f"{'met' if d['log_loss'] <= eb['log_loss'] else 'NOT met'} (paired "
                     f"latent - EB: {_fmt(s5['latent_both_minus_eb_control'], 'log_loss')}).")
    return lines


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


METHOD = [
    "- Shots: unblocked attempts (shot, missed_shot, goal); one model for all situations, "
    "scored on all and on the 5v5 subset (5 skaters a side, both goalies in).",
    "- Baseline: scikit-learn HistGradientBoostingClassifier on " + ", ".join(
        XG_NUMERIC + XG_CATEGORICAL) + "; settings chosen on validation log loss. Shooter "
    "handedness (and off-wing) is not in the data (neither the canonical tables nor the "
    "fastRhockey rosters carry it), so it is not used.",
    "- Stage 2 on the baseline log-odds o (out-of-fold, 5 game folds, on the training shots): "
    "latent_* = scikit-learn LogisticRegression on [10 o, standardised posterior means of the "
    "shooter's and/or goalie's u_j, missing flags], C chosen on validation; id_control = "
    "the same with one-hot shooter and goalie ids; eb_control = o + log theta_shooter + "
    "log theta_goalie, theta the gamma-Poisson empirical-Bayes ratio of goals to baseline xG "
    "on training shots (prior variance by moments; goalie theta < 1 = saves above expected).",
    "- Latents: `hockey_vae.models.player_latent` (d_u = 16, 60 epochs) fit on the training "
    "games only; validation and test games are unseen by it.",
]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/out/nhl")
    ap.add_argument("--out", default="reports/downstream/xg_nhl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--latents", default="", help="parquet cache of the latent table")
    ap.add_argument("--dressed-span", default="player", choices=("player", "team"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    events, rosters, games = load(Path(args.data))
    part = split_by_date(games)
    shots = xg_features(events, rosters)
    shots["part"] = shots["game_id"].map(part)
    train_ids = part.index[part == "train"].tolist()
    table, info = player_table(args, events, rosters, train_ids, args.dressed_span)
    result = run_xg_study(shots, table, n_boot=args.n_boot, seed=args.seed)
    prov = provenance("python benchmarks/downstream_xg.py " + " ".join(argv or sys.argv[1:]),
                      f"canonical tables at {args.data}",
                      split="split_by_date: earlier seasons + first 80% of the last season "
                      "train, next 10% validation, last 10% test (by game, by date)",
                      seeds=[args.seed])
    league = str(games["league"].iloc[0]) if "league" in games else args.data
    write(Path(args.out), prov, result, {"league": league, "n_boot": args.n_boot,
                                         "split_detail": describe_split(part, games),
                                         "latent_table": info, "method": METHOD})
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

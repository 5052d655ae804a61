"""Benchmark: pre-game P(home win) by rolling origin through 2018-19, lineup latents vs team
identity and home ice.

Usage: python benchmarks/downstream_pregame.py [--data /work/out/nhl] [--start 2018-10-01]
           [--val-end 2018-12-01] [--end 2019-04-08] [--out reports/downstream/pregame_nhl]
           [--seed 0] [--n-boot 1000] [--epochs 60] [--cache-dir DIR]

The player-latent model is refit on the first of every month on all games before that day;
the logistic models are refit every week on all games before the week and predict the week's
games. C per model is chosen on the games from --start to --val-end (validation) and the
test is every game from --val-end to --end. Writes <out>.md and <out>.json.
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

from hockey_vae.downstream.features import game_labels
from hockey_vae.downstream.metrics import evaluate_with_ci
from hockey_vae.downstream.player_tables import fit_player_table
from hockey_vae.downstream.pregame_rolling import choose_on_validation, rolling_predictions
from hockey_vae.downstream.xg_report import mask_report
from hockey_vae.downstream.xg_study import md_table
from hockey_vae.reporting.provenance import provenance

MODELS = ["home_ice", "team", "mean", "position"]


def monthly_tables(events: pd.DataFrame, rosters: pd.DataFrame, labels: pd.DataFrame,
                   args: argparse.Namespace) -> tuple[dict[pd.Timestamp, pd.DataFrame], list]:
    """Latent tables refit on the first of each month from --start, on earlier games only."""
    dates = pd.to_datetime(labels["game_date"])
    tables, infos = {}, []
    for when in pd.date_range(args.start, args.end, freq="MS"):
        ids = labels.loc[dates < when, "game_id"].astype(str).tolist()
        cache = Path(args.cache_dir) / f"pregame_{when.date()}.parquet" if args.cache_dir else None
        if cache is not None and cache.exists():
            tables[when] = pd.read_parquet(cache)
            infos.append({"refit": str(when.date()), "games": len(ids), "cached": True})
            continue
        table, info = fit_player_table(events, rosters, ids, epochs=args.epochs, seed=args.seed)
        if cache is not None:
            table.to_parquet(cache)
        tables[when] = table
        infos.append({"refit": str(when.date()), **info})
    return tables, infos


def score(preds: pd.DataFrame, chosen: dict[str, float], val_end: str, n_boot: int, seed: int
          ) -> dict[str, Any]:
    """Test metrics with game-bootstrap intervals; differences vs home ice and vs team."""
    test = preds[preds["game_date"] >= pd.Timestamp(val_end)]
    picked = {f: test[(test["features"] == f) & (test["C"] == c)].set_index("game_id")
              for f, c in chosen.items()}
    ids = picked["home_ice"].index
    y = picked["home_ice"]["home_win"].to_numpy()
    p = {f: picked[f]["p"].reindex(ids).to_numpy() for f in MODELS}
    metrics = ("accuracy", "log_loss", "auc")
    vs_home = evaluate_with_ci(y, p, ids.to_numpy(), metrics, n_boot, seed, reference="home_ice")
    vs_team = evaluate_with_ci(y, {k: p[k] for k in ("team", "mean", "position")},
                               ids.to_numpy(), metrics, n_boot, seed, reference="team")
    return {**vs_home, **{k: v for k, v in vs_team.items() if k.endswith("_minus_team")}}


def _fmt(e: dict, m: str) -> str:
    return f"{e[m]:.4f} [{e[m + '_ci'][0]:.4f}, {e[m + '_ci'][1]:.4f}]"


def write(out: Path, prov: Any, res: dict[str, Any], meta: dict[str, Any]) -> None:
    """<out>.md and <out>.json."""
    s = res["scores"]
    rows = [{"model": m, "accuracy": _fmt(s[m], "accuracy"), "log loss": _fmt(s[m], "log_loss"),
             "AUC": _fmt(s[m], "auc"), "games": s[m]["n"]} for m in MODELS]
    diffs = [{"difference": k, "d accuracy": _fmt(s[k], "accuracy"),
              "d log loss": _fmt(s[k], "log_loss"), "d AUC": _fmt(s[k], "auc")}
             for k in s if "_minus_" in k]
    lines = ["# Pre-game P(home win), rolling origin through NHL 2018-19: lineup latents vs "
             "team identity and home ice", "", *prov.markdown(), "",
             "Models (`PreGameModel`, scikit-learn LogisticRegression): `home_ice` = the "
             "training home-win rate; `team` = a strength per team + home ice; `mean` = "
             "home-minus-away mean latent of the dressed players; `position` = the same pooled "
             "within forwards, defence, goalies (all dressed goalies). Latents: the "
             "player-latent model refit monthly on all earlier games; logistic models refit "
             "weekly on all earlier games.", "",
             f"Validation (choose C): {meta['val_games']} games from {meta['start']} to "
             f"{meta['val_end']}; chosen C: {res['chosen']}. Test: {meta['test_games']} games "
             f"from {meta['val_end']} to {meta['end']}; {meta['n_boot']} game-bootstrap "
             "resamples (95% intervals; differences paired).", "",
             md_table(pd.DataFrame(rows)), "", md_table(pd.DataFrame(diffs)), "",
             "## Latent refits", "", "```", json.dumps(meta["refits"], indent=1), "```", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines))
    payload = {**prov.to_dict(), **meta, "chosen": res["chosen"],
               "outcome": {"pre_game": s}}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/out/nhl")
    ap.add_argument("--start", default="2018-10-01")
    ap.add_argument("--val-end", default="2018-12-01")
    ap.add_argument("--end", default="2019-04-08")
    ap.add_argument("--out", default="reports/downstream/pregame_nhl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--cache-dir", default="")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    threadpool_limits(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    d = Path(args.data)
    events, rosters, games = (pd.read_parquet(d / f"{n}.parquet")
                              for n in ("events", "rosters", "games"))
    labels = game_labels(games)
    tables, refits = monthly_tables(events, rosters, labels, args)
    preds = rolling_predictions(labels, rosters, tables, args.start, args.end)
    chosen = choose_on_validation(preds, args.val_end)
    res = {"scores": score(preds, chosen, args.val_end, args.n_boot, args.seed),
           "chosen": chosen}
    dates = pd.to_datetime(labels["game_date"])
    meta = {"start": args.start, "val_end": args.val_end, "end": args.end, "n_boot": args.n_boot,
            "val_games": int(((dates >= args.start) & (dates < args.val_end)).sum()),
            "test_games": int(((dates >= args.val_end) & (dates < args.end)).sum()),
            "refits": refits}
    prov = provenance("python benchmarks/downstream_pregame.py " + " ".join(argv or sys.argv[1:]),
                      f"canonical tables at {args.data}", split="rolling origin by date "
                      f"(validation {args.start} to {args.val_end}, test to {args.end})",
                      seeds=[args.seed])
    write(Path(args.out), prov, res, meta)
    mask_report(Path(args.out), {args.data: "NHL_DIR", args.cache_dir: "CACHE_DIR"})
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

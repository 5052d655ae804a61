"""Benchmark: player-level checks of the latents on one NHL season (2018-19 by default).

Usage: python benchmarks/downstream_player_checks.py [--data /work/out/nhl] [--season 20182019]
           [--out reports/downstream/player_checks_nhl] [--seed 0] [--epochs 60]
           [--cache-dir DIR]

(1) From the first half of the season (games by date) predict each skater's second-half
per-game rates with raw first-half rates, rates shrunk to the position mean, and the
player-latent model fit on the first half only; R^2 by first-half event-count tercile.
(2) Re-identification: one player-latent model on the whole season with each player's two
halves as separate identities; top-1 / top-5 nearest latent from the other half, against
the same with box-score rates. Writes <out>.md and <out>.json.
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

from hockey_vae.boxscore import boxscore_rates
from hockey_vae.downstream.player_checks import (
    BOX_REID,
    HALF_SUFFIX,
    box_reid,
    half_season_games,
    rate_predictions,
    rate_r2_table,
    reidentify,
    split_identities,
)
from hockey_vae.downstream.player_tables import fit_player_table, mean_columns
from hockey_vae.downstream.xg_report import mask_report
from hockey_vae.downstream.xg_study import md_table
from hockey_vae.reporting.provenance import provenance

MIN_GAMES = 10


def cached_table(cache: Path | None, events: pd.DataFrame, rosters: pd.DataFrame,
                 ids: list[str], args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
    """fit_player_table on `ids`, read from / written to `cache` when given."""
    if cache is not None and cache.exists():
        table = pd.read_parquet(cache)
        return table, {"read_from_cache": str(cache), "players": int(len(table))}
    table, info = fit_player_table(events, rosters, ids, epochs=args.epochs, seed=args.seed)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(cache)
    return table, info


def terciles(table: pd.DataFrame, players: pd.Index) -> pd.Series:
    """low / mid / high first-half record count among `players`."""
    n = table.set_index(table["player_id"].astype(str))["n_events"].reindex(players)
    return pd.qcut(n.rank(method="first"), 3, labels=["low", "mid", "high"]).astype(str)


def combined_reid(joint: pd.DataFrame, box1: pd.DataFrame, box2: pd.DataFrame,
                  players: list[str]) -> dict[str, Any]:
    """Re-identification on the latents and the box-score features side by side."""
    both = pd.concat([box1, box2.rename(index=lambda p: p + HALF_SUFFIX)])
    pos = pd.get_dummies(both["position"].astype(str), prefix="pos").astype(float)
    emb = joint.set_index(joint["player_id"].astype(str))[mean_columns(joint)]
    feats = both[BOX_REID].join(pos).join(emb, how="inner")
    feats = feats.assign(player_id=feats.index)
    return reidentify(feats.reset_index(drop=True), players,
                      columns=BOX_REID + list(pos) + mean_columns(joint))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both checks; returns the report's payload (tables as records)."""
    data = Path(args.data)
    events = pd.read_parquet(data / "events.parquet")
    rosters = pd.read_parquet(data / "rosters.parquet")
    games = pd.read_parquet(data / "games.parquet")
    h1, h2 = half_season_games(games, args.season)
    cache = Path(args.cache_dir) if args.cache_dir else None
    box1, box2 = boxscore_rates(events, rosters, h1), boxscore_rates(events, rosters, h2)
    table1, info1 = cached_table(cache / f"h1_{args.season}.parquet" if cache else None,
                                 events, rosters, h1, args)
    preds = rate_predictions(box1, box2, table1, min_games=MIN_GAMES, seed=args.seed)
    terc = terciles(table1, pd.Index(preds["player_id"].unique()))
    r2 = rate_r2_table(preds, terc)
    ev2, ro2 = split_identities(events, rosters, h2)
    joint, info2 = cached_table(cache / f"split_{args.season}.parquet" if cache else None,
                                ev2, ro2, h1 + h2, args)
    players = box1.index[box1["games"] >= MIN_GAMES].intersection(
        box2.index[box2["games"] >= MIN_GAMES]).tolist()
    reid = {"latent": reidentify(joint, players), "boxscore": box_reid(box1, box2, players),
            "latent+boxscore": combined_reid(joint, box1, box2, players)}
    return {"r2": r2, "reid": reid, "games": {"first_half": len(h1), "second_half": len(h2)},
            "latent_fits": {"first_half": info1, "split_identities": info2}}


def write(out: Path, prov: Any, res: dict[str, Any]) -> None:
    """<out>.md and <out>.json."""
    r2 = res["r2"]
    wide = r2.pivot_table(index=["target", "tercile"], columns="features", values="r2",
                          sort=False).reset_index()
    n = r2[r2["features"] == "raw"].set_index(["target", "tercile"])["n"]
    wide["players"] = [int(n.get((t, k), 0)) for t, k in zip(wide["target"], wide["tercile"],
                                                             strict=True)]
    reid = pd.DataFrame(res["reid"]).T.reset_index(names="features")
    lines = ["# Player-level checks on one NHL season: second-half rates and re-identification",
             "", *prov.markdown(), "",
             "## Second-half per-game rates from the first half (R^2 over players)", "",
             f"Skaters dressed for >= {MIN_GAMES} games in each half (faceoff %: >= 50 "
             "second-half faceoffs). `raw`, `shrunk`, `latent`: a ridge map (with position "
             "one-hot, alpha by inner CV) fit out-of-fold over 5 player folds (`shrunk+latent`: both "
             "sets together); `*_direct`: the "
             "first-half value itself as the prediction. Terciles: the player's first-half "
             "record count in the latent model. Latents: fit on the first half only.", "",
             md_table(wide, digits=3), "",
             "## Re-identification across halves", "",
             "One player-latent model fit on the whole season, each player's second-half "
             "games under a separate identity; a player's first-half latent is matched to its "
             "nearest (Euclidean, standardised features) among every second-half identity, and "
             "vice versa (both directions pooled). Box score: the same with per-game rates, "
             "faceoff %, shot geometry, goalie rates and position; latent+boxscore: both.", "",
             md_table(reid, digits=3), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines))
    payload = {**prov.to_dict(), "games": res["games"], "latent_fits": res["latent_fits"],
               "player_level": {"rates": r2.to_dict("records"), "reid": res["reid"]}}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/out/nhl")
    ap.add_argument("--season", default="20182019")
    ap.add_argument("--out", default="reports/downstream/player_checks_nhl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--cache-dir", default="")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    threadpool_limits(1)  # HistGradientBoosting and BLAS: one thread on a shared machine
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    prov = provenance("python benchmarks/downstream_player_checks.py "
                      + " ".join(argv or sys.argv[1:]), f"canonical tables at {args.data}",
                      split=f"season {args.season}: games by date, first half / second half",
                      seeds=[args.seed])
    res = run(args)
    write(Path(args.out), prov, res)
    mask_report(Path(args.out), {args.data: "NHL_DIR", args.cache_dir: "CACHE_DIR"})
    print(Path(args.out).with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

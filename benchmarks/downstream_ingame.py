"""Benchmark: in-game win probability with the latents of the players on the ice at each event.

Usage: python benchmarks/downstream_ingame.py [--data /work/out/nhl] [--val-frac 0.2]
           [--test-frac 0.2] [--stride 4] [--out reports/downstream/ingame_nhl] [--seed 0]
           [--n-boot 500] [--epochs 60] [--latents-run RUN/player-latent]

Split by date (`split_by_date`; the validation part is 20% of 2018-19 by default, so that C is
ranked on about 250 games). The player-latent model is fit on the training games only.
`InGameWinModel` (logistic) on the game state, with and without `team_emb_diff_*` (on-ice and
dressed-lineup home-minus-away mean latents, `add_on_ice_latents`); C per model chosen on
validation log loss (every C's validation loss is reported). Training and validation use
every --stride-th event; the test every event. Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import log_loss
from threadpoolctl import threadpool_limits

from hockey_vae.downstream.features import game_states
from hockey_vae.downstream.ingame_onice import add_on_ice_latents
from hockey_vae.downstream.metrics import evaluate_with_ci
from hockey_vae.downstream.outcome import InGameWinModel
from hockey_vae.downstream.player_tables import fit_player_table
from hockey_vae.downstream.run_latents import run_player_table, verify_unseen
from hockey_vae.downstream.split import describe_split, split_by_date
from hockey_vae.downstream.xg_report import mask_report
from hockey_vae.downstream.xg_study import md_table
from hockey_vae.reporting.provenance import provenance

C_GRID = [0.001, 0.01, 0.1, 1.0, 10.0]


def select(parts: dict[str, pd.DataFrame], use: bool) -> tuple[InGameWinModel, dict]:
    """Fit every C on train, keep the lowest validation log loss; returns (model, losses)."""
    losses, best, best_loss = {}, None, np.inf
    for C in C_GRID:
        m = InGameWinModel(model="logistic", use_embeddings=use, C=C)
        m.fit(parts["train"], parts["train"]["home_win"])
        loss = float(log_loss(parts["val"]["home_win"], m.predict_proba(parts["val"])[:, 1],
                              labels=[0, 1]))
        losses[str(C)] = loss
        if loss < best_loss:
            best, best_loss = m, loss
    return best, losses


def _fmt(e: dict, m: str) -> str:
    return f"{e[m]:.4f} [{e[m + '_ci'][0]:.4f}, {e[m + '_ci'][1]:.4f}]"


def write(args: argparse.Namespace, part: pd.Series, games: pd.DataFrame, scores: dict,
          models: dict, n_states: int, info: dict) -> Path:
    """<out>.md and <out>.json; returns <out>."""
    prov = provenance("python benchmarks/downstream_ingame.py " + " ".join(sys.argv[1:]),
                      f"canonical tables at {args.data}", split=f"split_by_date val_frac="
                      f"{args.val_frac} test_frac={args.test_frac}", seeds=[args.seed])
    split = describe_split(part, games)
    rows = [{"model": k, "log loss": _fmt(v, "log_loss"), "accuracy": _fmt(v, "accuracy"),
             "AUC": _fmt(v, "auc")} for k, v in scores.items()]
    chosen = {k: {"C": m.C, "val_log_loss": losses} for k, (m, losses) in models.items()}
    lines = ["# In-game win probability with the on-ice players' latents (NHL)", "",
             *prov.markdown(), "",
             f"Games: train {split['train']['games']}, validation {split['val']['games']} "
             f"(C chosen here; every {args.stride}th event), test {split['test']['games']} "
             f"(every event, {n_states} states). Latents: player-latent model fit on the "
             "training games only. with_latents adds, per event, the home-minus-away mean "
             "latent of the players on the ice at that event and of the dressed lineups (and "
             "both scaled by sqrt(share of regulation left)).", "",
             md_table(pd.DataFrame(rows)), "", "Chosen on validation:", "", "```",
             json.dumps(chosen, indent=1), "```", ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines))
    out.with_suffix(".json").write_text(json.dumps(
        {**prov.to_dict(), "split_detail": split, "latent_table": info, "chosen": chosen,
         "outcome": {"in_game": scores}}, indent=1, default=str))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/out/nhl")
    ap.add_argument("--val-frac", type=float, default=0.2)
    ap.add_argument("--test-frac", type=float, default=0.2)
    ap.add_argument("--stride", type=int, default=4)
    ap.add_argument("--out", default="reports/downstream/ingame_nhl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--latents-run", default="", help="take the latents from this "
                    "player-latent run folder (its split must match --val-frac/--test-frac)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    threadpool_limits(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    d = Path(args.data)
    events, rosters, games = (pd.read_parquet(d / f"{n}.parquet")
                              for n in ("events", "rosters", "games"))
    part = split_by_date(games, val_frac=args.val_frac, test_frac=args.test_frac)
    train_ids = part.index[part == "train"].tolist()
    if args.latents_run:  # the integrated model's latents; refuses a run that saw val / test
        table, info = run_player_table(args.latents_run)
        info["leak_check"] = verify_unseen(info.pop("split"), part)
    else:
        table, info = fit_player_table(events, rosters, train_ids, epochs=args.epochs,
                                       seed=args.seed)
    states = game_states(events, games)
    states["part"] = states["game_id"].map(part)
    keep = (states["part"] == "test") | (states["event_idx"] % args.stride == 0)
    states = add_on_ice_latents(states[keep].reset_index(drop=True), events, rosters, games,
                                table)
    parts = {k: states[states["part"] == k].reset_index(drop=True)
             for k in ("train", "val", "test")}
    base, base_val = select(parts, False)
    emb, emb_val = select(parts, True)
    te = parts["test"]
    scores = evaluate_with_ci(te["home_win"].to_numpy(),
                              {"baseline": base.predict_proba(te)[:, 1],
                               "with_latents": emb.predict_proba(te)[:, 1]},
                              te["game_id"].to_numpy(), ("log_loss", "accuracy", "auc"),
                              args.n_boot, args.seed)
    out = write(args, part, games, scores, {"baseline": (base, base_val),
                                            "with_latents": (emb, emb_val)}, len(te), info)
    runs = str(Path(args.latents_run).parents[2]) if args.latents_run else ""
    mask_report(out, {args.data: "NHL_DIR", runs: "RUNS_DIR"})
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

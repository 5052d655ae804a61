"""Benchmark: do player latents recover the synthetic league's true styles better than box scores?

Usage: python benchmarks/player_latent.py [--teams 32] [--games 82] [--seed 0] [--epochs 60]
                                          [--terms types,choice,shots,faceoffs,usage] [--d-u 16]
                                          [--out reports/player_id/latent_prototype/synthetic]

Simulates a season, fits the player-latent model (`hockey_vae.models.player_latent`) on the
first 80% of games by date, and probes every true style from (a) position alone, (b) box-score
rates of the same games (`hockey_vae.boxscore`), (b') the same plus the logs of the rates and
(c) the posterior means of u_j, each with position one-hot, by ridge regression cross-validated over players (5 folds, the same folds
for every feature set). Also: R^2 by event-count tercile, KL per player, active units, the
information limit for finishing and goaltending, and the 90% posterior-interval coverage of
each player's implied finishing. Writes <out>.md and <out>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae.boxscore import boxscore_rates
from hockey_vae.latent_probe import (
    B_FINISHING,
    B_GOALTENDING,
    B_MISS,
    implied_finishing,
    info_limits,
    interval_coverage,
    probes,
    r2_tables,
    train_games,
)
from hockey_vae.models.latent_events import LatentEvents, build_latent_events
from hockey_vae.models.player_latent import (
    TERMS,
    PlayerLatentConfig,
    PlayerLatentModel,
    fit_player_latent,
    player_embeddings,
)
from hockey_vae.reporting.provenance import Provenance, provenance
from hockey_vae.simulate import LeagueConfig, simulate_league


def md_table(df: pd.DataFrame, index: bool = True) -> str:
    """A pipe table (floats to 3 decimals) without the optional `tabulate` dependency."""
    df = df.reset_index() if index else df

    def cell(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, "|" + "---|" * len(df.columns), *body])


@torch.no_grad()
def finishing_coverage(model: PlayerLatentModel, data: LatentEvents, truth: pd.DataFrame,
                       emb: pd.DataFrame) -> dict[str, float]:
    """90% posterior intervals of each skater's goal log-odds on a standard shot vs truth."""
    dec = model.decoder
    goalies = torch.as_tensor(data.position == 4)
    mean, sd = implied_finishing(dec, model.m.numpy(), model.log_s.exp().numpy(),
                                 model.m[goalies].mean(0).numpy())
    fin = truth["finishing"].reindex(emb["player_id"].astype(str)).to_numpy()
    true_logit = LeagueConfig().goal_logit + B_FINISHING * fin
    shots = emb["n_shots_on_goal"].to_numpy()
    ok = np.isfinite(fin) & (shots > 0)
    cov = interval_coverage(mean[ok], sd[ok], true_logit[ok])
    # goalies: the decoder's own goal log-odds effect, not fit to the truth (a readout)
    gk = truth["goaltending"].reindex(emb["player_id"].astype(str)).to_numpy()
    g_eff = (model.m @ dec.shot_g.weight[2]).numpy()
    g_ok = np.isfinite(gk)
    return {"coverage_90": cov["coverage"], "coverage_90_centred": cov["coverage_centred"],
            "n_players": cov["n_players"], "mean_sd": cov["mean_sd"], "corr_mean_truth": float(
                np.corrcoef(mean[ok], true_logit[ok])[0, 1]),
            "slope_truth_on_mean": float(np.polyfit(mean[ok], true_logit[ok], 1)[0]),
            "goalie_readout_r2": float(np.corrcoef(g_eff[g_ok], gk[g_ok])[0, 1] ** 2),
            "n_goalies": int(g_ok.sum())}


def latent_summary(model: PlayerLatentModel, emb: pd.DataFrame) -> dict[str, Any]:
    """KL per player (by position) and active units (between-player variance of the means)."""
    m = model.m.detach().numpy()
    prior_var = (model.prior_log_sd.detach().exp() ** 2).mean().item()
    ratio = m.var(axis=0) / prior_var
    return {"kl_per_player_mean": float(emb["kl"].mean()),
            "kl_per_player_median": float(emb["kl"].median()),
            "kl_by_position": emb.groupby("position")["kl"].mean().round(2).to_dict(),
            "active_units": int((ratio > 0.01).sum()), "d_u": int(m.shape[1]),
            "between_var_over_prior_var": [round(float(r), 3) for r in ratio]}


def write_report(out: Path, prov: Provenance, res: dict[str, Any]) -> None:
    """<out>.md and <out>.json from `res`: wide, terc, limits, summary, coverage, history, meta."""
    wide, terc, limits = res["wide"], res["terc"], res["limits"]
    summary, coverage, history, meta = res["summary"], res["coverage"], res["history"], res["meta"]
    out.parent.mkdir(parents=True, exist_ok=True)
    obs = wide[wide["boxscore"] >= 0.3]
    gain = float((obs["latent"] - obs["boxscore"]).mean()) if len(obs) else float("nan")
    gain_log = float((obs["latent"] - obs["boxscore_log"]).mean()) if len(obs) else float("nan")
    lines = ["# Player-latent prototype on the synthetic league: probes of the true styles", "",
             *prov.markdown(), "",
             "R^2 is the share of a true style's variance across players that a linear (ridge) "
             "map from the features predicts on players it was not fit on (5-fold "
             "cross-validation over players, the same folds for every feature set; every set "
             "includes position one-hot). 1 = perfect, 0 = no better than the mean.", "",
             "## R^2 by style", "", md_table(wide), "",
             f"Styles the box score shows (R^2 >= 0.3): {len(obs)}; mean latent - boxscore "
             f"on them: {gain:+.3f}; latent - boxscore_log: {gain_log:+.3f}.", "",
             "## R^2 by event-count tercile (records per player in the training games)", "",
             md_table(terc), "",
             "## Information limit (outcome channel only)", "",
             "The best R^2 a predictor could reach from the shot outcomes of the training "
             "games, 1 - mean posterior variance with Fisher information I = b^2 n p (1-p): "
             f"finishing moves the goal log-odds by {B_FINISHING} per sd and the miss "
             f"probability by -{B_MISS}; goaltending the goal log-odds by -{B_GOALTENDING} "
             "(read off `hockey_vae/simulate.py`). With the goal channel alone the limit is "
             "b^2/(b^2 + 1/(n p (1-p))). `limit_skill_known` adds exact knowledge of skill "
             "(finishing = 0.5 skill + 0.87 z), which ice time reveals.", "",
             md_table(limits, index=False), "",
             "## Latents", "", "```", json.dumps(summary, indent=1), "```", "",
             "## Finishing: 90% posterior intervals of the goal log-odds on a standard shot "
             "(30 ft, straight on, 5v5, average goalie) against the simulator's truth", "",
             "`corr_mean_truth`: correlation of the posterior mean with the truth; "
             "`goalie_readout_r2`: squared correlation of each goalie's goal log-odds effect "
             "in the decoder (m_j . g, never fit to the truth) with his true goaltending.", "",
             "```", json.dumps(coverage, indent=1), "```", "",
             "## Training (nats per epoch, summed over records)", "",
             md_table(history, index=False), ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    probe = [{"style": s, "r2": r["latent"], "r2_boxscore": r["boxscore"],
              "r2_boxscore_log": r["boxscore_log"], "r2_position": r["position"],
              "n_players": int(r["n"])}
             for s, r in wide.iterrows()]
    payload = {**prov.to_dict(), "latent_model": "player_latent", **meta,
               "probe": {"player_latent": probe}, "probe_terciles": json.loads(
                   terc.reset_index().to_json(orient="records")),
               "probe_coverage": {"finishing": coverage["coverage_90"]},
               "coverage_detail": coverage, "information_limit": limits.to_dict("records"),
               "latents": summary, "history": history.to_dict("records")}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teams", type=int, default=32)
    ap.add_argument("--games", type=int, default=82)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--terms", default=",".join(TERMS))
    ap.add_argument("--d-u", type=int, default=PlayerLatentConfig.d_u, help="latent size")
    ap.add_argument("--out", default="reports/player_id/latent_prototype/synthetic")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    prov = provenance("python benchmarks/player_latent.py " + " ".join(argv or sys.argv[1:]),
                      f"hockey-vae simulate --teams {args.teams} --games {args.games} "
                      f"--seed {args.seed}",
                      split="games by date: first 80% fit (model and box score); the rest unused",
                      seeds=[args.seed])
    sim = simulate_league(args.teams, args.games, args.seed)
    train = train_games(sim.games.to_pandas())
    events, rosters = sim.events.to_pandas(), sim.rosters.to_pandas()
    data = build_latent_events(events, rosters, train)
    cfg = PlayerLatentConfig(epochs=args.epochs, seed=args.seed, d_u=args.d_u,
                             terms=tuple(args.terms.split(",")))
    t0 = time.process_time()
    model, history = fit_player_latent(data, cfg)
    fit_cpu = time.process_time() - t0
    emb = player_embeddings(model, data)
    box = boxscore_rates(events, rosters, train)
    emb["n_shots_on_goal"] = box["shots_on_goal"].reindex(emb["player_id"].astype(str)).to_numpy()
    truth = sim.players.to_pandas().set_index("player_id")
    preds = probes(emb, box, truth, args.seed)
    wide, terc = r2_tables(preds)
    meta = {"fit_cpu_s": round(fit_cpu, 1), "train_games": len(train),
            "players": data.n_players, "config": {k: getattr(cfg, k) for k in
                                                   ("d_u", "hidden", "epochs", "lr", "lr_players", "terms",
                                                    "batches_per_epoch")}}
    write_report(Path(args.out), prov, {
        "wide": wide, "terc": terc, "limits": info_limits(box, preds),
        "summary": latent_summary(model, emb),
        "coverage": finishing_coverage(model, data, truth, emb),
        "history": history, "meta": meta})
    print(wide.round(3).to_string())
    print(f"fit CPU {fit_cpu:.0f} s")


if __name__ == "__main__":
    main()

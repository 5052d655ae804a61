"""Probe a simulated league's true player styles from the embeddings of benchmark runs.

For each seed's runs folder (`hockey-vae benchmark --runs RUNS/seedN` on a simulated league),
three per-player embeddings, each probed by ridge regression (5-fold cross-validation over
players, position one-hot in every feature set) beside a box-score probe of the same training
games (`hockey_vae.boxscore`):
- `player_latent`: the posterior means of q(u_j) of the `player-latent` run (every player
  dressed in its training games; goalies, who never act, through their own extra latent
  when the run has one, else their position's prior mean);
- `cvae`: the CVAE's per-player mean embeddings on its training games (acting players only);
- `lstm`: the LSTM's `player_emb` rows (its input embedding of the previous actors; a player
  outside its vocabulary, as every goalie, gets his position token's row).
R^2 per style, and per event-count tercile (goalies ranked by shots faced), is averaged over
the seeds. For player-latent also: the information limit for finishing and goaltending
(`hockey_vae.latent_probe.info_limits`) and the 90% posterior-interval coverage of each
skater's implied finishing (`probe_coverage.finishing`). The JSON's `probe`, `latent_model`
and `probe_seeds` keys are copied into the benchmark report by `hockey-vae benchmark-report
--extra FILE`.

    python benchmarks/style_probe.py --data SIM16_DIR --runs RUNS/synthetic/seed0 ... \
        [--latent-runs RUNS3/synthetic/seed0 ...] --out reports/player_id/synthetic_probe
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae.boxscore import boxscore_rates
from hockey_vae.demo import _run_latents
from hockey_vae.embed import embed_events, embed_players
from hockey_vae.features import N_SPECIAL
from hockey_vae.ingest import load_tables
from hockey_vae.latent_probe import (
    B_FINISHING,
    implied_finishing,
    info_limits,
    interval_coverage,
    probes,
    r2_tables,
)
from hockey_vae.reporting import git_commit
from hockey_vae.simulate import LeagueConfig
from hockey_vae.train import load_run

MODELS = ("player_latent", "cvae", "lstm")
G = 4  # POSITIONS index of goalies


def lstm_players(run_dir: Path, rosters: pd.DataFrame, train: list[str]) -> pd.DataFrame:
    """Per dressed training player: the LSTM's `player_emb` row (token row when outside its
    vocabulary), position and training event count, as `_run_latents` lays it out."""
    run = load_run(run_dir)
    weight = run.model.encoder.player_emb.weight.detach().float().numpy()
    vocab = run.encoder.vocab_
    ro = rosters[rosters["game_id"].isin(set(train))].dropna(subset=["player_id"])
    pos = ro.groupby("player_id")["position"].agg(lambda s: s.value_counts().index[0]
                                                  if s.notna().any() else None)
    idx = np.asarray([vocab.index(str(p), q) for p, q in pos.items()], dtype=np.int64)
    emb = pd.DataFrame(weight[idx], columns=[f"emb_{i}" for i in range(weight.shape[1])])
    emb.insert(0, "n_events", np.asarray(vocab.counts, dtype=np.int64)[idx])
    emb.insert(0, "position", pd.Series(pos.to_numpy(), dtype="string"))
    emb.insert(0, "player_id", pd.Series(pos.index.astype(str), dtype="string"))
    return emb


def goalies_by_shots_faced(emb: pd.DataFrame, box: pd.DataFrame) -> pd.DataFrame:
    """`emb` with each goalie's n_events replaced by his shots faced (goalies do not act,
    so their terciles are cut by what informs goaltending)."""
    g = emb["position"] == "G"
    faced = box["shots_faced"].reindex(emb.loc[g, "player_id"].astype(str)).fillna(0)
    out = emb.copy()
    out.loc[g, "n_events"] = faced.to_numpy().astype(np.int64)
    return out


@torch.no_grad()
def finishing_coverage(run_dir: Path, box: pd.DataFrame, truth: pd.DataFrame,
                       which: str = "best") -> dict[str, Any]:
    """90% posterior intervals of each skater's goal log-odds on a standard shot (30 ft,
    straight on, 5v5, on net, against the mean goalie latent) against the simulator's
    goal log-odds of that shot, goal_logit + B_FINISHING * finishing; skaters in the
    vocabulary with a shot on goal in training. Also the goalies' readout: squared
    correlation of each goalie's decoder effect (m_j . g) with his true goaltending;
    `which`: the run's checkpoint (`load_run`'s: best, refined)."""
    run = load_run(run_dir, which)
    model, vocab = run.model, run.encoder.vocab_
    mean, sd = model.player_latents()
    ids = list(vocab.ids)
    levels = model.positions.numpy()
    extra_ids, em, es, el = model.extra_latents()
    mean, sd = np.concatenate([mean, em]), np.concatenate([sd, es])
    ids, levels = ids + extra_ids, np.concatenate([levels, el])
    real = np.arange(len(ids)) >= N_SPECIAL
    goalie = real & (levels == G)
    # the mean goalie latent; a model without goalie latents: the goalies' position prior
    goalie_u = (mean[goalie].mean(0) if goalie.any()
                else model.prior_mu[G].detach().float().numpy())
    lm, ls = implied_finishing(model.decoder, mean, sd, goalie_u)
    fin = truth["finishing"].reindex(ids).to_numpy(np.float64)
    shots = box["shots_on_goal"].reindex(ids).fillna(0).to_numpy()
    sel = real & (levels != G) & np.isfinite(fin) & (shots > 0)
    true_logit = LeagueConfig().goal_logit + B_FINISHING * fin
    cov = interval_coverage(lm[sel], ls[sel], true_logit[sel])
    gk = truth["goaltending"].reindex(ids).to_numpy(np.float64)
    g_eff = mean @ model.decoder.shot_g.weight[2].double().numpy()
    g_ok = goalie & np.isfinite(gk)
    readout = (float(np.corrcoef(g_eff[g_ok], gk[g_ok])[0, 1] ** 2) if g_ok.sum() > 2
               else float("nan"))
    return {**cov, "corr_mean_truth": float(np.corrcoef(lm[sel], true_logit[sel])[0, 1]),
            "goalie_readout_r2": readout, "n_goalies": int(g_ok.sum())}


def seed_probe(tables: Any, runs: Path, latent_runs: Path, seed: int,
               which: str = "best") -> dict[str, Any]:
    """One seed: {wide: {model: R^2 table}, terc: {model: tercile table}, limits, coverage};
    `which`: the player-latent checkpoint (best, or refined by `hockey-vae refine`)."""
    events, rosters = tables.events.to_pandas(), tables.rosters.to_pandas()
    truth = tables.players.to_pandas().set_index("player_id")
    emb_pl, train = _run_latents(latent_runs / "player-latent", rosters, which)
    cvae = load_run(runs / "cvae")
    emb_cvae = embed_players(embed_events(cvae, tables, list(cvae.split["train"])), rosters)
    box = boxscore_rates(events, rosters, train)
    embs = {"player_latent": emb_pl, "cvae": emb_cvae,
            "lstm": lstm_players(runs / "lstm", rosters, train)}
    out: dict[str, Any] = {"wide": {}, "terc": {}}
    for name, emb in embs.items():
        preds = probes(goalies_by_shots_faced(emb, box), box, truth, seed)
        wide, terc = r2_tables(preds)
        out["wide"][name] = wide[["boxscore", "latent", "n"]]
        out["terc"][name] = terc[["boxscore", "latent"]]
        if name == "player_latent":
            r2 = terc["latent"].rename("r2")
            lim = info_limits(box, preds).set_index(["style", "tercile"])
            whole = out["wide"][name]["latent"]
            lim["r2"] = [r2.get(k, np.nan) if k[1] != "all" else whole.get(k[0], np.nan)
                         for k in lim.index]
            out["limits"] = lim
    out["coverage"] = finishing_coverage(latent_runs / "player-latent", box, truth, which)
    return out


def _mean(frames: list[pd.DataFrame]) -> pd.DataFrame:
    stacked = pd.concat(frames)
    return stacked.groupby(level=list(range(stacked.index.nlevels)), sort=False).mean()


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, (float, np.floating)) and np.isfinite(v) else (
        "" if isinstance(v, (float, np.floating)) else str(v))


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(_fmt(v) for v in r) + " |" for r in rows]]


def summarise(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """Seed means: probe rows per model, tercile rows, information limits, coverage."""
    probe, terc = {}, {}
    for m in MODELS:
        frames = [s["wide"][m] for s in per_seed]
        mean = _mean(frames)
        sd = pd.concat(frames).groupby(level=0, sort=False)["latent"].std(ddof=1)
        probe[m] = [{"style": str(st), "r2": float(r.latent), "r2_sd": float(sd.get(st, np.nan)),
                     "r2_boxscore": float(r.boxscore), "n_players": int(r.n)}
                    for st, r in mean.iterrows()]
        t = _mean([s["terc"][m] for s in per_seed])
        terc[m] = [{"style": str(k[0]), "tercile": str(k[1]), "r2": float(r.latent),
                    "r2_boxscore": float(r.boxscore)} for k, r in t.iterrows()]
    limits = _mean([s["limits"] for s in per_seed]).reset_index()
    covs = [s["coverage"] for s in per_seed]
    cov = {k: float(np.mean([c[k] for c in covs])) for k in covs[0]}
    obs = [d for d in probe["player_latent"] if d["r2_boxscore"] >= 0.3]
    gap = float(np.mean([d["r2"] - d["r2_boxscore"] for d in obs])) if obs else float("nan")
    below = [d["style"] for d in obs if d["r2"] < d["r2_boxscore"]]
    return {"probe": probe, "probe_terciles": terc, "information_limit":
            limits.to_dict("records"), "probe_coverage": {"finishing": cov["coverage"]},
            "coverage_detail": {"seed_mean": cov, "per_seed": covs},
            "goals": {"observable_styles": [d["style"] for d in obs],
                      "mean_gain_over_boxscore": gap, "styles_below_boxscore": below}}


def markdown(rep: dict[str, Any]) -> str:
    """The report's Markdown from the JSON payload."""
    probe, goals = rep["probe"], rep["goals"]
    by = {m: {d["style"]: d for d in probe[m]} for m in MODELS}
    rows = [[st, d["r2_boxscore"], f"{d['r2']:.3f} ({d['r2_sd']:.3f})",
             by["cvae"].get(st, {}).get("r2", np.nan), by["lstm"].get(st, {}).get("r2", np.nan),
             d["r2"] - d["r2_boxscore"], d["n_players"]] for st, d in by["player_latent"].items()]
    terc = {m: {(d["style"], d["tercile"]): d for d in rep["probe_terciles"][m]} for m in MODELS}
    trows = [[k[0], k[1], d["r2_boxscore"], d["r2"], terc["cvae"].get(k, {}).get("r2", np.nan),
              terc["lstm"].get(k, {}).get("r2", np.nan), d["r2"] - d["r2_boxscore"]]
             for k, d in terc["player_latent"].items()]
    lrows = [[d["style"], d["tercile"], d["limit"], d["limit_skill_known"], d["r2"], d["n"]]
             for d in rep["information_limit"]]
    cov = rep["coverage_detail"]["seed_mean"]
    lines = ["# Style probe of the benchmark runs' per-player embeddings (synthetic league)", "",
             f"- data: `{rep['data']}`; player-latent runs: "
             f"{', '.join(f'`{r}`' for r in rep['latent_runs'])}; CVAE and LSTM runs: "
             f"{', '.join(f'`{r}`' for r in rep['runs'])} ({rep['probe_seeds']} seeds)",
             f"- commit: `{rep['commit']}`; command: `{rep['command']}`",
             "- split: each run's training games (the benchmark's by-date split); the probe and "
             "the box score read the same games; probe folds seeded by the seed index.",
             "- R^2 = share of a true style's variance across players that a ridge map from "
             "the features predicts for players it was not fit on (5-fold CV over players; "
             "position one-hot in every set); mean (sd) over the seeds. Box score: per-player "
             "counts and rates of the same training games. LSTM: its `player_emb` input rows.",
             "", "## R^2 by style", "",
             *_table(["style", "box score", "player-latent (sd)", "CVAE", "LSTM emb",
                      "player-latent - box", "players"], rows), "",
             f"Styles the box score shows (R^2 >= 0.3): {len(goals['observable_styles'])}; "
             f"mean player-latent minus box score on them: "
             f"{goals['mean_gain_over_boxscore']:+.3f} (goal: >= +0.05, and >= 0 on each); "
             f"below the box score: {', '.join(goals['styles_below_boxscore']) or 'none'}.", "",
             "## R^2 by event-count tercile", "",
             "Terciles of training events among skaters, and of shots faced among goalies.", "",
             *_table(["style", "tercile", "box score", "player-latent", "CVAE", "LSTM emb",
                      "player-latent - box"], trows), "",
             "## Information limit (shot outcomes only)", "",
             "The best R^2 any predictor could reach from the training games' shot outcomes: "
             "1 - mean posterior variance with Fisher information I = b^2 n p (1-p) per player "
             "(finishing: b = 0.3 on the goal log-odds of shots on goal, plus its -0.05 on the "
             "miss probability; goaltending: b = 0.12 on the goal log-odds of shots faced; read "
             "off `hockey_vae/simulate/shots.py`); with the goal channel alone that is the "
             "issue's b^2/(b^2 + 1/(n p (1-p))). `limit_skill_known` adds exact knowledge of "
             "skill (finishing = 0.5 skill + 0.87 z, so skill explains 25% of it; ice time "
             "reveals skill). `r2`: the player-latent probe on the same players.", "",
             *_table(["style", "tercile", "limit", "limit_skill_known", "player-latent r2", "n"],
                     lrows), "",
             "## Calibration: 90% intervals of implied finishing", "",
             "Per skater with a shot on goal in training: the posterior of the goal log-odds of "
             "a standard shot (30 ft, straight on, 5v5, on net, against the mean goalie latent) "
             "through the event decoder's shot head under q(u_j). The head is linear in u, so "
             "the log-odds are exactly Gaussian (no sampling error) and the goal probability's "
             "interval is the sigmoid of theirs. Mapped to the truth's scale with no fit: the "
             "simulator's goal log-odds of that shot, goal_logit + 0.3 finishing "
             "(`LeagueConfig.goal_logit`, average goalie). `coverage_centred` removes the mean "
             "offset between the two first (the scale up to a shift).", "",
             "```", json.dumps({"probe_coverage.finishing": rep["probe_coverage"]["finishing"],
                                **cov}, indent=1), "```", ""]
    return "\n".join(lines)


def placeholder_labeler(pairs: list[str]) -> Callable[[str], str]:
    """`text -> text` with each `PATH=NAME` pair's folder PATH shown as NAME: longest path
    first (runs3 before runs), whole path components only (sim32 is not sim32_runs)."""
    subs = sorted((tuple(x.split("=", 1)) for x in pairs), key=lambda kv: -len(kv[0]))

    def label(text: str) -> str:
        for path, name in subs:
            text = re.sub(re.escape(path.rstrip("/")) + r"(?=/|\s|$)", name, text)
        return text

    return label


def write_report(out: str | Path, rep: dict[str, Any], md: str) -> None:
    """OUT.json (the payload) and OUT.md beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(rep, indent=1))
    out.with_suffix(".md").write_text(md)
    print(f"wrote {out.with_suffix('.md')}")


def _without_placeholders(argv: list[str]) -> list[str]:
    """`argv` less `--placeholder PATH=NAME ...` (the report shows the names instead)."""
    out, skipping = [], False
    for a in argv:
        if a == "--placeholder":
            skipping = True
        elif skipping and not a.startswith("--"):
            continue
        else:
            skipping = False
            out.append(a)
    return out


def main(argv: list[str] | None = None) -> int:
    """Probe every seed, average, write OUT.json and OUT.md."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the simulated league's tables folder")
    p.add_argument("--runs", nargs="+", required=True,
                   help="the seeds' benchmark --runs folders (cvae, lstm)")
    p.add_argument("--latent-runs", nargs="+", default=None,
                   help="the seeds' folders holding player-latent (default: --runs)")
    p.add_argument("--out", required=True, help="report path without suffix")
    p.add_argument("--placeholder", nargs="*", default=[], metavar="PATH=NAME",
                   help="print folder PATH as NAME in the report (e.g. /data/sim16=SIM16_DIR)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    latent_runs = args.latent_runs or args.runs
    if len(latent_runs) != len(args.runs):
        raise ValueError(f"--latent-runs has {len(latent_runs)} folders, --runs {len(args.runs)}")
    tables = load_tables(args.data)
    per_seed = [seed_probe(tables, Path(r), Path(lr), i)
                for i, (r, lr) in enumerate(zip(args.runs, latent_runs, strict=True))]

    label = placeholder_labeler(args.placeholder)
    rep = {"latent_model": "player-latent", **summarise(per_seed),
           "probe_seeds": len(per_seed), "data": label(args.data),
           "runs": [label(r) for r in args.runs], "latent_runs": [label(r) for r in latent_runs],
           "commit": git_commit(),
           "command": label("python benchmarks/style_probe.py " + " ".join(
               _without_placeholders(sys.argv[1:] if argv is None else argv)))}
    write_report(args.out, rep, markdown(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

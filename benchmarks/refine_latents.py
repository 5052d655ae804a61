"""Refine the player latents of `player-latent` runs (`hockey_vae.refine`) and measure it.

Per seed, on COPIES of the benchmark's player-latent run folders (refine writes
`refined.pt` beside `best.pt`, which it never changes): validation and test log-likelihood
of the roster and on-ice candidates, best.pt vs refined.pt on the same events (paired),
the style probe (`benchmarks/style_probe.py`'s `seed_probe`) and the finishing coverage
before and after, and the seconds refinement took.

    python benchmarks/refine_latents.py --data SIM16_DIR --runs RUNS/synthetic/seed0 ... \
        --latent-runs COPIES/synthetic/seed0 ... --out reports/player_id/synthetic_refine
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from style_probe import (  # noqa: E402
    _without_placeholders,
    placeholder_labeler,
    seed_probe,
    summarise,
    write_report,
)

from hockey_vae.evaluate import predict  # noqa: E402
from hockey_vae.features import as_tables  # noqa: E402
from hockey_vae.ingest import load_tables  # noqa: E402
from hockey_vae.refine import RefineConfig, refine_run  # noqa: E402
from hockey_vae.reporting import git_commit  # noqa: E402
from hockey_vae.train import load_run  # noqa: E402

SETS = ("roster", "on_ice")


def paired_loglik(run_dir: Path, tables: Any, split: str, seed: int) -> dict[str, Any]:
    """Per set: mean log-likelihood of known in-set players, best vs refined, same events."""
    runs = {w: load_run(run_dir, w) for w in ("best", "refined")}
    games = list(runs["best"].split[split])
    enc = runs["best"].encoder.transform(tables, games)
    out: dict[str, Any] = {}
    preds = {w: predict(r.model, enc, SETS, n_samples=r.model.cfg.eval_samples,
                        batch_games=8, device=r.device, seed=seed) for w, r in runs.items()}
    for s in SETS:
        d0, d1 = preds["best"].sets[s], preds["refined"].sets[s]
        sel = preds["best"].known & d0["in_set"].astype(bool)
        a, b = np.asarray(d0["ll"])[sel], np.asarray(d1["ll"])[sel]
        out[s] = {"before": float(a.mean()), "after": float(b.mean()),
                  "diff": float((b - a).mean()),
                  "diff_se": float((b - a).std(ddof=1) / np.sqrt(len(a))), "n": int(len(a))}
    return out


def run_seed(raw: Any, runs: Path | None, latent_runs: Path, seed: int, cfg: RefineConfig
             ) -> dict[str, Any]:
    """Refine one seed's copy, then measure everything before and after; `raw` as
    `load_tables` returns it. Without `runs` (data with no true styles, e.g. the NHL) the
    style probe is skipped."""
    pl = latent_runs / "player-latent"
    tables = as_tables(raw)
    summary = refine_run(pl, tables, cfg)
    out = {"refine": {k: summary[k] for k in ("passes", "converged", "seconds",
                                              "val_loglik_before", "val_loglik_after")},
           "objective_first_last": [summary["objective"][0], summary["objective"][-1]]}
    out["val"] = paired_loglik(pl, tables, "val", seed)
    out["test"] = paired_loglik(pl, tables, "test", seed)
    if runs is not None:
        out["probe"] = {w: seed_probe(raw, runs, latent_runs, seed, w)
                        for w in ("best", "refined")}
    return out


def _probe_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Per style: box score, player-latent R^2 before and after."""
    a = {d["style"]: d for d in after["probe"]["player_latent"]}
    return [{"style": d["style"], "r2_boxscore": d["r2_boxscore"], "r2_before": d["r2"],
             "r2_after": a[d["style"]]["r2"], "r2_sd_after": a[d["style"]]["r2_sd"]}
            for d in before["probe"]["player_latent"]]


def report(per_seed: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON payload: seed means, per-seed numbers and the probe tables (when probed)."""
    ll = {split: {st: {k: float(np.mean([s[split][st][k] for s in per_seed]))
                       for k in ("before", "after", "diff")} |
                  {"diff_per_seed": [s[split][st]["diff"] for s in per_seed]}
                  for st in SETS} for split in ("val", "test")}
    out = {**meta, "latent_model": "player-latent", "seeds": len(per_seed), "loglik": ll,
           "refine": [s["refine"] | {"objective_first_last": s["objective_first_last"]}
                      for s in per_seed]}
    if "probe" not in per_seed[0]:
        return out
    summ = {w: summarise([s["probe"][w] for s in per_seed]) for w in ("best", "refined")}
    cov = {w: summ[w]["coverage_detail"]["seed_mean"] for w in summ}
    return {**out, "probe": _probe_rows(summ["best"], summ["refined"]),
            "gap_to_boxscore": {w: summ[w]["goals"]["mean_gain_over_boxscore"] for w in summ},
            "styles_below_boxscore": {w: summ[w]["goals"]["styles_below_boxscore"]
                                      for w in summ},
            "probe_coverage": {"finishing_before": cov["best"]["coverage"],
                               "finishing_after": cov["refined"]["coverage"]},
            "coverage_detail": cov}


def markdown(rep: dict[str, Any]) -> str:
    """The report's Markdown."""
    f = "{:.4f}".format
    where = "the synthetic league" if "probe" in rep else f"`{rep['data']}`"
    probe_runs = (f"; CVAE/LSTM runs for the probe tables: "
                  f"{', '.join(f'`{r}`' for r in rep['runs'])}" if "probe" in rep else "")
    lines = [f"# Refined player latents (post-hoc q(u) fit, frozen network) on {where}", "",
             f"- data: `{rep['data']}`; player-latent runs (copies of): "
             f"{', '.join(f'`{r}`' for r in rep['latent_runs'])}{probe_runs} "
             f"({rep['seeds']} seeds)",
             f"- commit: `{rep['commit']}`; command: `{rep['command']}`",
             f"- refine config: `{json.dumps(rep['refine_config'])}`",
             "- split: each run's by-date split (train 0.8 / val 0.1 / test 0.1); refinement "
             "reads the training games only; log-likelihoods on the same events before and "
             "after (paired), k = the model's eval_samples, seed = the seed index.", "",
             "## Log-likelihood (nats per event, known players; mean over seeds)", "",
             "| split | set | best.pt | refined.pt | paired diff | diff per seed |",
             "|---|---|---|---|---|---|"]
    for split, sets in rep["loglik"].items():
        for st, d in sets.items():
            per = ", ".join(f"{x:+.4f}" for x in d["diff_per_seed"])
            lines.append(f"| {split} | {st} | {f(d['before'])} | {f(d['after'])} | "
                         f"{d['diff']:+.4f} | {per} |")
    if "probe" not in rep:
        return "\n".join(lines + ["", "## Refinement per seed", "", "```",
                                   json.dumps(rep["refine"], indent=1), "```", ""])
    lines += ["", "## Style probe R^2 (ridge, 5-fold CV over players; mean over seeds)", "",
              "| style | box score | before | after (sd) | after - before | after - box |",
              "|---|---|---|---|---|---|"]
    for d in rep["probe"]:
        lines.append(f"| {d['style']} | {d['r2_boxscore']:.3f} | {d['r2_before']:.3f} | "
                     f"{d['r2_after']:.3f} ({d['r2_sd_after']:.3f}) | "
                     f"{d['r2_after'] - d['r2_before']:+.3f} | "
                     f"{d['r2_after'] - d['r2_boxscore']:+.3f} |")
    g, c = rep["gap_to_boxscore"], rep["probe_coverage"]
    lines += ["", f"Mean gap to the box score on the observable styles: before "
              f"{g['best']:+.3f}, after {g['refined']:+.3f}.", "",
              "## Finishing calibration (90% intervals of implied finishing)", "",
              f"Coverage before {c['finishing_before']:.3f}, after {c['finishing_after']:.3f} "
              "(goal 0.85-0.95).", "", "```",
              json.dumps(rep["coverage_detail"], indent=1), "```", "",
              "## Refinement per seed", "", "```", json.dumps(rep["refine"], indent=1), "```",
              ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Refine and measure every seed; write OUT.json and OUT.md."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--runs", nargs="+", default=None,
                   help="folders with cvae and lstm runs (the style probe); leave out for data "
                   "without true styles")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--latent-runs", nargs="+", required=True,
                   help="COPIES of the folders holding player-latent (refined.pt is written)")
    p.add_argument("--out", required=True)
    p.add_argument("--refit-prior", action="store_true")
    p.add_argument("--max-passes", type=int, default=RefineConfig.max_passes)
    p.add_argument("--tol", type=float, default=RefineConfig.tol)
    p.add_argument("--placeholder", nargs="*", default=[], metavar="PATH=NAME")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = RefineConfig(max_passes=args.max_passes, refit_prior=args.refit_prior, tol=args.tol)
    tables = load_tables(args.data)
    probe_runs = args.runs or [None] * len(args.latent_runs)
    per_seed = [run_seed(tables, Path(r) if r else None, Path(lr), i, cfg)
                for i, (r, lr) in enumerate(zip(probe_runs, args.latent_runs, strict=True))]
    label = placeholder_labeler(args.placeholder)
    meta = {"data": label(args.data), "runs": [label(r) for r in args.runs or []],
            "latent_runs": [label(r) for r in args.latent_runs], "commit": git_commit(),
            "refine_config": {f.name: getattr(cfg, f.name) for f in fields(cfg)},
            "command": label("python benchmarks/refine_latents.py " + " ".join(
                _without_placeholders(sys.argv[1:] if argv is None else argv)))}
    rep = report(per_seed, meta)
    write_report(args.out, rep, markdown(rep))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fold-in of players unseen in training: cold start vs online fold-in on held-out games.

For each run folder (a trained `player-latent` run, one per seed), scores the run's test
games in date order with `hockey_vae.evaluate_foldin` (one block per calendar day) and keeps
the per-event frame in WORK/seedN.parquet (reused when present). Then writes OUT.md and
OUT.json: per seed and paired over seeds (per-event differences averaged over the seeds,
game-bootstrap interval), the mean log-likelihood with fold-in minus cold start, on roster and
on-ice candidates, for events of players unseen in training in their first block, after at
least one earlier block, all unseen, known players and all events, with the untouched check.

    python benchmarks/foldin.py --data NHL_DIR --runs RUNS_DIR/nhl_lineup_pl/seed0/player-latent \
        ... --work RUNS_DIR/foldin/nhl --out reports/player_id/nhl_foldin --threads 1
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GROUPS = ("unseen_later", "unseen_first", "unseen", "known", "all", "untouched")
LABELS = {"unseen_later": "unseen, after >= 1 earlier block (the goal)",
          "unseen_first": "unseen, first block (no own latent yet)",
          "unseen": "unseen, all", "known": "players seen in training", "all": "all events",
          "untouched": "lists with no folded-in player (check: 0)"}


def _seed_events(run_dir: str, data: Any, work: Path, cfg: Any, seed: int,
                 split: str = "test", warmup: bool = False) -> pd.DataFrame:
    """The per-event fold-in frame of one run (cached in WORK)."""
    from hockey_vae.foldin_eval import evaluate_foldin
    from hockey_vae.train import load_run

    run = load_run(run_dir, device="cpu")
    s = int(run.train_config.seed)
    path = work / f"seed{s}.parquet"
    if path.exists():
        print(f"reusing {path}", file=sys.stderr)
        return pd.read_parquet(path)
    t0 = time.perf_counter()
    res = evaluate_foldin(run, data, run.split[split], cfg, seed=seed,
                          warmup=run.split["val"] if warmup else ())
    print(f"seed {s}: {time.perf_counter() - t0:.0f} s, {res.n_blocks} blocks",
          file=sys.stderr)
    events = res.events.assign(seed=s, n_blocks=res.n_blocks, k=res.n_samples)
    work.mkdir(parents=True, exist_ok=True)
    events.to_parquet(path)
    res.latents.to_parquet(work / f"seed{s}_latents.parquet")
    return events


def _paired(frames: list[pd.DataFrame], n_boot: int) -> dict[str, dict[str, Any]]:
    """Per set and group: per-event fold-in minus cold start averaged over the seeds, with
    a game-bootstrap interval (events scored in every seed's frame)."""
    from hockey_vae.foldin_eval import foldin_summary

    keys = ["game_id", "event_idx"]
    first = frames[0]
    sets = [c[len("in_set_"):] for c in first.columns if c.startswith("in_set_")]
    avg = first[keys + ["player_id", "known", "prior_blocks"]].copy()
    for c in sets:
        cols = [f"loglik_cold_{c}", f"loglik_fold_{c}"]
        stack = [f.set_index(keys)[cols].reindex(pd.MultiIndex.from_frame(first[keys]))
                 for f in frames]
        for col in cols:
            avg[col] = np.mean([s[col].to_numpy() for s in stack], axis=0)
        ok = np.all([np.isfinite(s[cols].to_numpy()).all(1) for s in stack], axis=0)
        avg[f"in_set_{c}"] = ok
        # untouched in every seed (the per-seed fold-ins are fitted independently)
        n_fold = [f.set_index(keys)[f"n_folded_{c}"].reindex(
            pd.MultiIndex.from_frame(first[keys])).to_numpy() for f in frames]
        avg[f"n_folded_{c}"] = np.max(n_fold, axis=0)
    return foldin_summary(avg, n_boot=n_boot)


def _md(report: dict[str, Any]) -> str:
    """The report in markdown."""
    p = report["provenance"]
    lines = ["# Fold-in of players unseen in training (player-latent)", "",
             f"- command: `{p['command']}`", f"- data: {p['data']}", f"- split: {p['split']}",
             f"- seeds: {', '.join(str(s) for s in p['seeds'])}",
             f"- commit: `{p['commit']}`; created {p['created_utc']} UTC",
             f"- fold-in: {report['method']}", "",
             "Mean natural-log likelihood of the true player (nats per event), fold-in minus "
             "cold start, paired event by event (same k draws); 95% interval from a "
             "game-level bootstrap of the per-event differences averaged over the seeds.", ""]
    for c, groups in report["paired"].items():
        lines += [f"## {c} candidates, {len(report['seeds'])} seeds paired", "",
                  "| events | n events | players | cold start | fold-in | difference [95% CI] |",
                  "|---|---|---|---|---|---|"]
        for g in GROUPS:
            r = groups[g]
            lines.append(f"| {LABELS[g]} | {r['n_events']} | {r['n_players']} | "
                         f"{_f(r['cold'])} | {_f(r['fold'])} | {_f(r['diff'], 4)} "
                         f"[{_f(r['lo'], 4)}, {_f(r['hi'], 4)}] |")
        lines += ["", f"Per seed ({c}; difference, unseen after >= 1 earlier block / first "
                  "block / all events; max |difference| on untouched lists):", "",
                  "| seed | blocks | later | first | all | untouched max |", "|---|---|---|---|---|---|"]
        for s, r in report["per_seed"].items():
            g = r["summary"][c]
            lines.append(f"| {s} | {r['n_blocks']} | {_f(g['unseen_later']['diff'], 4)} | "
                         f"{_f(g['unseen_first']['diff'], 4)} | {_f(g['all']['diff'], 4)} | "
                         f"{g['untouched']['max_abs_diff']:.1e} |")
        lines.append("")
    lines += ["## Notes", "", *report["notes"], ""]
    return "\n".join(lines)


def _f(x: Any, d: int = 3) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.{d}f}" if d > 3 else f"{x:.{d}f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--data-label", default="NHL_DIR", help="placeholder naming --data")
    p.add_argument("--runs", nargs="+", required=True, help="player-latent run folders")
    p.add_argument("--work", required=True, help="folder for the per-seed event frames")
    p.add_argument("--out", required=True, help="report path without suffix")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--samples", type=int, default=None, help="k when scoring")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--boot", type=int, default=2000)
    p.add_argument("--split", default="test", choices=("val", "test"),
                   help="which of each run's games to score (val: for choosing --steps/--lr)")
    p.add_argument("--command", default=None, help="command line to print in the report")
    p.add_argument("--no-decoder", action="store_true",
                   help="fit on the identification likelihood only, not on the event "
                        "decoder's records of the earlier days")
    p.add_argument("--warmup-val", action="store_true",
                   help="fit on the run's validation games first (not scored)")
    args = p.parse_args(argv)
    if args.warmup_val and args.split == "val":
        p.error("--warmup-val needs --split test")

    import torch

    from hockey_vae.features import as_tables
    from hockey_vae.foldin_eval import FoldInConfig, foldin_summary
    from hockey_vae.ingest import load_tables
    from hockey_vae.jsonsafe import dumps_json
    from hockey_vae.reporting import git_commit

    torch.set_num_threads(args.threads)
    data = as_tables(load_tables(args.data))
    cfg = FoldInConfig(steps=args.steps, lr=args.lr, n_samples=args.samples,
                       decoder=not args.no_decoder)
    work = Path(args.work)
    frames = [_seed_events(r, data, work, cfg, seed=0, split=args.split,
                           warmup=args.warmup_val) for r in args.runs]
    per_seed = {str(int(f["seed"].iloc[0])): {
        "n_blocks": int(f["n_blocks"].iloc[0]), "k": int(f["k"].iloc[0]),
        "summary": foldin_summary(f, n_boot=args.boot)} for f in frames}
    games = frames[0]["game_id"].unique()
    dates = pd.to_datetime(data.games.set_index("game_id").loc[games, "game_date"])
    report = {
        "provenance": {"command": args.command or "python benchmarks/foldin.py " + " ".join(
            shlex.quote(a) for a in (argv or sys.argv[1:])), "data": args.data_label,
            "split": f"each run's {args.split} games ({len(games)} games, "
                     f"{dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}); "
                     "scored in date order, one block per calendar day"
                     + ("; the validation games come first as warm-up blocks (fitted on, not "
                        "scored)" if args.warmup_val else ""),
            "seeds": [int(s) for s in per_seed], "commit": git_commit(),
            "created_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())},
        "method": (f"Adam, {cfg.steps} steps per block (warm start), lr {cfg.lr}, "
                   f"{cfg.fit_samples} draws of u per step; k = {frames[0]['k'].iloc[0]} draws "
                   "when scoring; identification likelihood of roster and on-ice lists"
                   + (" plus the event decoder's records of the earlier days' games "
                      "(decoder_weight as trained)" if cfg.decoder else
                      ", event decoder not used")),
        "seeds": sorted(per_seed), "per_seed": per_seed,
        "paired": _paired(frames, args.boot), "notes": NOTES}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(dumps_json(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(_md(report))
    print(out.with_suffix(".md").read_text())
    return 0


NOTES = [
    "- Cold start: a player unseen in training is scored through his position's token, whose "
    "latent is the position prior and whose mass is split among the unseen players of that "
    "position in the list (today's `evaluate`). Fold-in: before each day's games, every "
    "unseen player listed or acting on an earlier day gets q(u) = N(m, s^2) fitted on those "
    "days' events (all network weights frozen), and his own entry: the token's logit draw "
    "minus log(count) plus q(h).(m - mu_pos), sd from s.",
    "- The first-block row is not exactly 0: the player has no latent yet, but other unseen "
    "players of his position folded in beside him in the same list change how the token's "
    "mass is shared. The untouched row (no folded-in player in the list) is the exact check.",
    "- Known players' events move too: a folded-in player's entry takes mass from, or gives "
    "mass to, the others in the list.",
    "- Choices: 40 Adam steps per day at lr 0.05 were fixed before any test number was seen. "
    "On seed 0's validation games (only 79 events by 9 unseen players after an earlier day) "
    "the identification-only fit moved the log-likelihood by -0.004 [-0.022, +0.016] "
    "(15, 40 or 100 steps, lr 0.05 or 0.15: all within 0.004 of each other) and the fit with "
    "the event decoder's records by +0.012 [-0.013, +0.041]; the decoder was made the default "
    "after seed 0's test numbers had been seen (+0.106 with it, +0.065 without; "
    "`nhl_foldin_ident.md` has all five seeds without it) and because it is the ELBO the "
    "model was trained on.",
]

if __name__ == "__main__":
    raise SystemExit(main())

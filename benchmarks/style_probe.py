"""Probe a simulated league's true player styles from the embeddings of benchmark runs.

For each seed's runs folder (`hockey-vae benchmark --runs RUNS/seedN` on a simulated league):
the per-player posterior means of the `player-latent` run (every player dressed in its
training games; one who never acted in training gets his position's prior mean) and the
CVAE's per-player mean embeddings on its training games, each probed by ridge regression
(5-fold cross-validation over players, position one-hot in every feature set) beside a
box-score probe of the same training games (`hockey_vae.boxscore`). R^2 per style is
averaged over the seeds. The JSON's `probe`, `latent_model` and `probe_seeds` keys are
copied into the benchmark report by `hockey-vae benchmark-report --extra FILE`.

    python benchmarks/style_probe.py --data SIM16_DIR --runs RUNS/synthetic/seed0 ... \
        --out reports/player_id/synthetic_probe
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hockey_vae.boxscore import boxscore_rates
from hockey_vae.demo import _run_latents
from hockey_vae.embed import embed_events, embed_players
from hockey_vae.ingest import load_tables
from hockey_vae.latent_probe import probes, r2_tables
from hockey_vae.reporting import git_commit
from hockey_vae.train import load_run

MODELS = ("player_latent", "cvae")


def seed_probe(tables, runs: Path, seed: int) -> dict[str, pd.DataFrame]:
    """{model: wide R^2 table (columns boxscore, latent, n)} for one seed's runs folder."""
    events, rosters = tables.events.to_pandas(), tables.rosters.to_pandas()
    truth = tables.players.to_pandas().set_index("player_id")
    emb_pl, train = _run_latents(runs / "player-latent", rosters)
    cvae = load_run(runs / "cvae")
    emb_cvae = embed_players(embed_events(cvae, tables, list(cvae.split["train"])), rosters)
    box = boxscore_rates(events, rosters, train)
    out = {}
    for name, emb in (("player_latent", emb_pl), ("cvae", emb_cvae)):
        wide, _ = r2_tables(probes(emb, box, truth, seed))
        out[name] = wide[["boxscore", "latent", "n"]]
    return out


def main(argv: list[str] | None = None) -> int:
    """Probe every seed, average, write OUT.json and OUT.md."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the simulated league's tables folder")
    p.add_argument("--runs", nargs="+", required=True, help="the seeds' benchmark --runs folders")
    p.add_argument("--out", required=True, help="report path without suffix")
    args = p.parse_args(argv)
    tables = load_tables(args.data)
    per_seed = [seed_probe(tables, Path(r), i) for i, r in enumerate(args.runs)]
    probe, rows = {}, []
    for m in MODELS:
        stacked = pd.concat([s[m] for s in per_seed])
        mean = stacked.groupby(level=0, sort=False).mean()
        sd = stacked.groupby(level=0, sort=False)["latent"].std(ddof=1)
        probe[m] = [{"style": str(st), "r2": float(r.latent), "r2_sd": float(sd.get(st, np.nan)),
                     "r2_boxscore": float(r.boxscore), "n_players": int(r.n)}
                    for st, r in mean.iterrows()]
        rows += [(m, d) for d in probe[m]]
    report = {"latent_model": "player-latent", "probe": probe, "probe_seeds": len(per_seed),
              "data": args.data, "runs": args.runs, "commit": git_commit(),
              "command": "python benchmarks/style_probe.py " + " ".join(sys.argv[1:])}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    observable = [d["style"] for d in probe["player_latent"] if d["r2_boxscore"] >= 0.3]
    gap = np.mean([d["r2"] - d["r2_boxscore"] for d in probe["player_latent"]
                   if d["style"] in observable]) if observable else float("nan")
    lines = ["# Style probe of the benchmark runs' per-player embeddings", "",
             f"- data: `{args.data}`; runs: {', '.join(f'`{r}`' for r in args.runs)}",
             f"- commit: `{report['commit']}`; command: `{report['command']}`",
             "- R^2 = share of a true style's variance across players that a ridge map from "
             "the features predicts for players it was not fit on (5-fold CV over players; "
             "position one-hot in every set); mean (sd) over the seeds' runs. Box score: per-"
             "player counts and rates of the same training games.", "",
             "| model | style | R^2 embedding | sd | R^2 box score | players |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {m} | {d['style']} | {d['r2']:.3f} | {d['r2_sd']:.3f} | "
              f"{d['r2_boxscore']:.3f} | {d['n_players']} |" for m, d in rows]
    lines += ["", f"Styles the box score shows (R^2 >= 0.3): {len(observable)}; mean "
              f"player-latent minus box score on them: {gap:+.3f}.", ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

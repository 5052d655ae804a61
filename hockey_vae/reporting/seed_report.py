"""Write the multi-seed benchmark report: `OUT.json`, `OUT.md`, `OUT_reliability.png`.

`aggregate_seeds(run_dirs, out)` is what `hockey-vae benchmark-report` calls; the numbers
come from `hockey_vae.reporting.aggregate.summarize_seeds`, the provenance (data, split,
commits, commands, config, tuning budget) from the seeds' own reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.reporting.aggregate import load_seed, merge_same_seed, summarize_seeds
from hockey_vae.reporting.bins import PAIRED_BINS
from hockey_vae.reporting.calibration import plot_reliability_panels
from hockey_vae.reporting.provenance import git_commit

__all__ = ["aggregate_seeds", "tuning_budget"]


def tuning_budget(train_config: dict[str, Any]) -> str:
    """The sentence stating the tuning budget every model shared."""
    tc = train_config
    return ("the same for every model: one shared config (below), no per-model search; "
            f"neural models train at most {tc.get('epochs')} epochs (lr {tc.get('lr')}, "
            f"{tc.get('batch_games')} games per batch) with early stopping on the validation "
            f"games' roster log-likelihood (patience {tc.get('patience')}); count baselines "
            "have no tuning, their priors are fit by marginal likelihood on the training games")


def _provenance(seeds: list, command: str) -> dict[str, Any]:
    first = seeds[0].report
    prov = {
        "data": first.get("data", ""),
        "split": first.get("split", {}),
        "seed_list": [s.report.get("seed") for s in seeds],
        "seed_runs": [s.where for s in seeds],
        "commit": git_commit(),
        "seed_commits": sorted({str(s.report.get("commit")) for s in seeds}),
        "command": command,
        "seed_commands": [s.report.get("command", "") for s in seeds],
        "config": first.get("config", {}),
        "tuning_budget": tuning_budget(first.get("train_config", {})),
        "cvae_k": first.get("cvae_k"),
    }
    splits = {json.dumps(s.report.get("split", {}).get("n_games"), sort_keys=True)
              for s in seeds}
    if len(splits) > 1:
        raise ValueError(f"the seeds' splits differ ({sorted(splits)}): aggregate runs of one "
                         "data set and split only")
    if first.get("test_season"):
        prov["test_season"] = first["test_season"]
    return prov


def aggregate_seeds(run_dirs: Sequence[str | Path], out: str | Path, *,
                    reference: str = "lstm", leak_checks: str | Path | None = None,
                    command: str = "", n_boot: int = 2000, seed: int = 0,
                    title: str = "Player identification benchmark",
                    extra: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Read the seeds' runs folders, write OUT.json / OUT.md / OUT_reliability.png and
    return the JSON dict. `leak_checks` is an optional JSON file (e.g. from the leak-check
    benchmark) copied under "leak_checks"; `extra` JSON files (e.g. the style probe of
    `benchmarks/style_probe.py`) have their keys in EXTRA_KEYS copied to the top level.
    `n_boot` cluster-bootstrap resamples (seeded by `seed`). Report labels are keywords,
    hence nine parameters."""
    if n_boot < 1000:
        raise ValueError(f"n_boot={n_boot}: use at least 1000 bootstrap resamples")
    seeds = merge_same_seed([load_seed(d) for d in run_dirs])
    if not seeds:
        raise ValueError("no seed runs folders given")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = _provenance(seeds, command)
    numbers, reliability = summarize_seeds(seeds, reference=reference, n_boot=n_boot, seed=seed)
    report.update(numbers)
    report["bootstrap"] = {"unit": "game", "resamples": n_boot, "seed": seed, "level": 0.95}
    report["leak_checks"] = {}  # filled from the leak-check file when one is given
    if leak_checks:
        path = Path(leak_checks)
        if not path.is_file():
            raise FileNotFoundError(f"--leak-checks {path}: no such file")
        report["leak_checks"] = json.loads(path.read_text())
    report.update(_extra_keys(extra))
    if "latent_model" not in report and LATENT_MODEL_KEY in report.get("models", {}):
        report["latent_model"] = LATENT_MODEL_KEY.replace("_", "-")
    fig = out.with_name(out.name + "_reliability.png")
    plot_reliability_panels(reliability, fig)
    report["figures"] = [fig.name]
    with atomic_path(out.with_name(out.name + ".json")) as tmp:
        tmp.write_text(dumps_json(report, indent=2))
    with atomic_path(out.with_name(out.name + ".md")) as tmp:
        tmp.write_text(markdown(report, title))
    return report


LATENT_MODEL_KEY = "player_latent"  # the report key of the model whose latents carry the player
EXTRA_KEYS = ("latent_model", "probe", "probe_coverage", "probe_seeds")


def _extra_keys(files: Sequence[str | Path]) -> dict[str, Any]:
    """The EXTRA_KEYS of each JSON file, plus `extra_sources` (their commands and commits)."""
    out: dict[str, Any] = {}
    sources = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise FileNotFoundError(f"--extra {path}: no such file")
        data = json.loads(path.read_text())
        found = {k: data[k] for k in EXTRA_KEYS if k in data}
        if not found:
            raise ValueError(f"--extra {path}: none of the keys {EXTRA_KEYS}")
        out.update(found)
        sources.append({"file": path.name, "command": data.get("command"),
                        "commit": data.get("commit")})
    if sources:
        out["extra_sources"] = sources
    return out


def _probe_md(r: dict[str, Any]) -> list[str]:
    """The style-probe section (simulated leagues, from an --extra file)."""
    if not r.get("probe"):
        return []
    src = r.get("extra_sources", [{}])[0]
    lines = ["## Style probe: per-player embedding -> the simulator's true styles", "",
             "R^2 of a ridge map from the embedding (or the box score) for players it was not "
             f"fit on, mean over {r.get('probe_seeds', '?')} seed runs; from "
             f"`{src.get('command')}` (commit `{src.get('commit')}`).", ""]
    rows = [[m, d["style"], _f(d["r2"]), _f(d["r2_boxscore"]), str(d["n_players"])]
            for m, ds in r["probe"].items() for d in ds]
    return lines + _table(["model", "style", "R^2 embedding", "R^2 box score", "players"],
                          rows) + [""]


def _f(x: Any, d: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{d}f}"


def _ci(r: dict[str, Any] | None) -> str:
    return "–" if not r else f"{_f(r['diff'])} [{_f(r['lo'])}, {_f(r['hi'])}]"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(r) + " |" for r in rows), ""]


def markdown(r: dict[str, Any], title: str) -> str:
    """The `.md` twin: provenance, then one table per section, each with a legend line."""
    models = list(r["models"])
    sets = [c for c in next(iter(r["models"].values())) if c != "sparse"]
    lines = _header(r, title)
    lines += ["## Headline: known players and everyone (roster candidates)", "",
              "Seed-mean top-1 % and log-likelihood (nats/event); *everyone* adds players "
              "unseen in training, scored through the cold-start tokens.", ""]
    lines += _table(["model", "known top-1", "known loglik", "everyone top-1",
                     "everyone loglik", "everyone events"],
                    [[m, _f(100 * r["models"][m]["roster"]["top1"], 1),
                      _f(r["models"][m]["roster"]["loglik"]),
                      _f(100 * r["everyone"][m]["roster"]["top1"], 1),
                      _f(r["everyone"][m]["roster"]["loglik"]),
                      str(r["everyone"][m]["roster"]["n_events"])] for m in models])
    lines += ["## All candidate sets (known players, seed mean ± sd of the loglik)", "",
              "Top-1 % / log-likelihood mean ± seed sd (n seeds) per candidate set.", ""]
    lines += _table(["model", *sets, "sparse"],
                    [[m, *(f"{_f(100 * r['models'][m][c]['top1'], 1)} / "
                           f"{_f(r['seeds'][m][c]['mean'])} ± {_f(r['seeds'][m][c]['sd'])} "
                           f"({r['seeds'][m][c]['n']})" for c in sets),
                      _f(r["models"][m].get("sparse", {}).get("loglik"))] for m in models])
    keys = [*sets, *PAIRED_BINS, "everyone"]
    lines += [f"## Paired difference to `{r['reference']}` (nats/event)", "",
              "diff [lo, hi]: model minus reference log-likelihood per event, averaged over "
              "seeds; bins and *everyone* on roster candidates; > 0 means better than the "
              "reference.", ""]
    lines += _table(["model", *keys], [[m, *(_ci(r["paired"][m].get(k)) for k in keys)]
                                       for m in r["paired"]])
    bins = list(PAIRED_BINS)
    lines += ["## Bins by the acting player's training events (roster candidates)", "",
              "log-likelihood / top-1 % per bin; the events row counts one seed's events.", ""]
    rows = [[m, *(f"{_f(r['bins'][m][b]['loglik'])} / {_f(100 * r['bins'][m][b]['top1'], 1)}"
                  for b in bins)] for m in models]
    rows.append(["events", *(str(r["bins"][models[0]][b]["n_events"]) for b in bins)])
    lines += _table(["model", *bins], rows)
    types = list(r["by_event_type"][models[0]])
    lines += ["## Per event type (roster candidates, known players, loglik)", "",
              "Seed-mean log-likelihood per event type; per-bin values are in the JSON.", ""]
    rows = [[m, *(_f(r["by_event_type"][m].get(t, {}).get("loglik")) for t in types)]
            for m in models]
    rows.append(["events", *(str(r["by_event_type"][models[0]][t]["n_events"]) for t in types)])
    lines += _table(["model", *types], rows)
    lines += ["## Calibration of the top-1 probability (roster candidates)", "",
              "Expected calibration error over 10 equal-width bins, seed mean ± sd; 0 is "
              f"perfect. Figure: `{r['figures'][0]}` (one panel per model, bars = events).", ""]
    lines += _table(["model", "ECE"], [[m, f"{_f(c['ece'], 4)} ± {_f(c['ece_sd'], 4)}"]
                                       for m, c in r["calibration"].items()])
    lines += _diagnostics_md(r)
    return "\n".join(lines)


def _header(r: dict[str, Any], title: str) -> list[str]:
    """Title and provenance lines."""
    split = r["split"]
    lines = [f"# {title} ({len(r['seed_list'])} seeds)", "",
             f"- data: {r['data']}",
             f"- split: {split.get('rule')}; games train/val/test = "
             + "/".join(str(split.get("n_games", {}).get(k)) for k in ("train", "val", "test")),
             *( [f"- test season: {r['test_season']}"] if r.get("test_season") else []),
             f"- seeds: {r['seed_list']}; seed runs: {', '.join(r['seed_runs'])}",
             f"- commit (aggregate): `{r['commit']}`; seed commits: "
             + ", ".join(f"`{c}`" for c in r["seed_commits"]),
             f"- command: `{r['command']}`; seed commands: "
             + "; ".join(f"`{c}`" for c in r["seed_commands"]),
             f"- tuning budget: {r['tuning_budget']}",
             f"- reference model for paired differences: `{r['reference']}`; intervals: 95%, "
             f"game-level cluster bootstrap, {r['bootstrap']['resamples']} resamples, "
             f"seed {r['bootstrap']['seed']}",
             f"- config: `{json.dumps(r['config'], separators=(',', ':'))}`", ""]
    return lines


def _diagnostics_md(r: dict[str, Any]) -> list[str]:
    lines = []
    if r["diagnostics"]:
        d0 = next(iter(r["diagnostics"].values()))
        lines += ["## Variational diagnostics (latent models)", "",
                  f"Importance-sampled roster log-likelihood at k = 10/100/1000, KL(q‖p) per "
                  f"event (nats), active units (posterior-mean variance > 0.01); on "
                  f"{d0.get('subset', 'a subset of test events')}, seed mean.", ""]
        extra = sorted({k for d in r["diagnostics"].values() for k in d} -
                       {"loglik_k10", "loglik_k100", "loglik_k1000", "kl_per_event",
                        "active_units", "subset", "n_seeds", "n_events"})
        lines += _table(["model", "k=10", "k=100", "k=1000", "KL/event", "active units",
                         "events", *extra],
                        [[m, _f(d.get("loglik_k10")), _f(d.get("loglik_k100")),
                          _f(d.get("loglik_k1000")), _f(d.get("kl_per_event")),
                          _f(d.get("active_units"), 1), str(d.get("n_events")),
                          *(_f(d.get(k)) for k in extra)] for m, d in r["diagnostics"].items()])
    lines += _probe_md(r)
    if r.get("leak_checks"):
        lines += ["## Leak checks", "", "As given by the leak-check file (JSON copied "
                  "under `leak_checks`).", "", "```",
                  json.dumps(r["leak_checks"], indent=1)[:4000], "```", ""]
    return lines

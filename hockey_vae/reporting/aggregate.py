"""Several benchmark seeds -> one report: seed means, paired intervals, bins, calibration.

Each seed is one `hockey-vae benchmark --seed N --runs RUNS/seedN` process; its runs folder
holds `benchmark.json` (the seed's report) and `predictions/MODEL.parquet` (per-event test
predictions, `hockey_vae.evaluate.prediction_frame`). `aggregate_seeds` reads them all and
writes `OUT.json` + `OUT.md` (+ `OUT_reliability.png`). The test split is by date, so every
seed scores the same test events, which is what lets differences be paired per event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.reporting.bins import bin_masks, bin_metrics
from hockey_vae.reporting.calibration import (
    expected_calibration_error,
    reliability_bins,
)
from hockey_vae.reporting.paired import cluster_bootstrap

__all__ = ["SeedRun", "load_seed", "summarize_seeds"]

log = logging.getLogger(__name__)

KEYS = ("game_id", "event_idx")
HEADLINE = "roster"  # candidate set of the bins, calibration and the "everyone" interval


class SeedRun:
    """One seed's report (`benchmark.json`) and per-model prediction frames."""

    def __init__(self, report: dict[str, Any], frames: dict[str, pd.DataFrame], where: str):
        self.report, self.frames, self.where = report, frames, where


def load_seed(run_dir: str | Path) -> SeedRun:
    """Read RUN_DIR/benchmark.json and RUN_DIR/predictions/*.parquet (clear errors when a
    file is missing: the folder must be a `hockey-vae benchmark --runs` folder)."""
    run_dir = Path(run_dir)
    path = run_dir / "benchmark.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: pass the --runs folder of a "
                                "`hockey-vae benchmark` run (one per seed)")
    report = json.loads(path.read_text())
    frames = {}
    for model in report.get("predictions", {}):
        f = run_dir / "predictions" / f"{model}.parquet"
        if not f.is_file():
            raise FileNotFoundError(f"{f} not found (listed in {path})")
        frames[model] = pd.read_parquet(f)
    if not frames:
        raise ValueError(f"{path} lists no per-event predictions (a report written before "
                         "they were kept: rerun that seed)")
    return SeedRun(report, frames, str(run_dir))


def merge_same_seed(seeds: Sequence[SeedRun]) -> list[SeedRun]:
    """One SeedRun per seed: runs of the same seed from several `benchmark` invocations (e.g.
    a model benchmarked later with `--models NEW`) are combined, their commits joined by
    " + " and commands by " ; "; a model in two of them, or runs whose splits differ, is an
    error rather than a silent choice."""
    by_seed: dict[Any, SeedRun] = {}
    for s in seeds:
        key = s.report.get("seed")
        if key not in by_seed:
            by_seed[key] = SeedRun(dict(s.report), dict(s.frames), s.where)
            continue
        first = by_seed[key]
        both = sorted(set(first.frames) & set(s.frames))
        if both:
            raise ValueError(f"seed {key}: model(s) {both} in both {first.where} and {s.where}")
        if first.report.get("split", {}).get("n_games") != s.report.get("split", {}).get(
                "n_games"):
            raise ValueError(f"seed {key}: {first.where} and {s.where} used different splits")
        first.frames.update(s.frames)
        for part in ("diagnostics", "training", "predictions"):
            merged = {**first.report.get(part, {}), **s.report.get(part, {})}
            first.report[part] = merged
        commits = [*str(first.report.get("commit")).split(" + "), str(s.report.get("commit"))]
        first.report["commit"] = " + ".join(dict.fromkeys(commits))
        first.report["command"] = " ; ".join(
            c for c in (first.report.get("command", ""), s.report.get("command", "")) if c)
        first.where = f"{first.where} + {s.where}"
    return list(by_seed.values())


def _sets(frame: pd.DataFrame) -> list[str]:
    return [c[len("loglik_"):] for c in frame.columns if c.startswith("loglik_")]


def _metrics(frame: pd.DataFrame, c: str, sel: np.ndarray) -> dict[str, float]:
    n = int(sel.sum())
    def f(col: str) -> float:
        return float(frame[col].to_numpy()[sel].mean()) if n else float("nan")

    return {"top1": f(f"top1_{c}"), "top5": f(f"top5_{c}"), "loglik": f(f"loglik_{c}"),
            "n_events": n}


def _seed_metrics(frame: pd.DataFrame, everyone: bool = False) -> dict[str, dict[str, float]]:
    """Per candidate set (and `sparse` = roster restricted to sparse players): metrics over
    known players (everyone=True: known and unseen) whose truth is in the set."""
    known = np.ones(len(frame), bool) if everyone else frame["known"].to_numpy(bool)
    out = {c: _metrics(frame, c, known & frame[f"in_set_{c}"].to_numpy(bool))
           for c in _sets(frame)}
    if not everyone and "roster" in out:
        out["sparse"] = _metrics(frame, "roster", frame["sparse"].to_numpy(bool)
                                 & frame["in_set_roster"].to_numpy(bool))
    return out


def _mean_nested(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    """Key-wise mean of nested dicts of numbers (n_events: the first seed's count)."""
    out: dict[str, Any] = {}
    for k, v in dicts[0].items():
        if isinstance(v, dict):
            out[k] = _mean_nested([d[k] for d in dicts if k in d])
        elif k == "n_events" or not isinstance(v, (int, float)):
            out[k] = v
        else:
            vals = np.array([d[k] for d in dicts if k in d], dtype=float)
            out[k] = float(vals[np.isfinite(vals)].mean()) if np.isfinite(vals).any() \
                else float("nan")
    return out


def _paired(seeds: list[SeedRun], model: str, reference: str, *, n_boot: int,
            seed: int) -> dict[str, dict[str, float]]:
    """{KEY: {diff, lo, hi, n_events, n_seeds}}: model minus reference log-likelihood per
    event (nats), per-event differences averaged over the seeds that ran both, 95% interval
    from a game-level cluster bootstrap. KEY: candidate sets (known players), the bins and
    "everyone" (roster, known and unseen)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    n_seeds = 0
    for s in seeds:
        if model not in s.frames or reference not in s.frames:
            continue
        n_seeds += 1
        a, b = s.frames[model], s.frames[reference].set_index(list(KEYS))
        b = b.reindex(pd.MultiIndex.from_frame(a[list(KEYS)]))
        known = a["known"].to_numpy(bool)
        masks = {c: known & a[f"in_set_{c}"].to_numpy(bool) for c in _sets(a)}
        masks.update(bin_masks(a, HEADLINE))
        masks["everyone"] = a[f"in_set_{HEADLINE}"].to_numpy(bool)
        for key, m in masks.items():
            c = key if key in _sets(a) else HEADLINE
            diff = a[f"loglik_{c}"].to_numpy() - b[f"loglik_{c}"].to_numpy()
            m = m & np.isfinite(diff)
            parts.setdefault(key, []).append(
                pd.DataFrame({"game_id": a["game_id"].to_numpy()[m],
                              "event_idx": a["event_idx"].to_numpy()[m], "diff": diff[m]}))
    out = {}
    for key, frames in parts.items():
        per_event = pd.concat(frames).groupby(list(KEYS), sort=False)["diff"].mean().reset_index()
        d, lo, hi = cluster_bootstrap(per_event["diff"].to_numpy(),
                                      per_event["game_id"].to_numpy(), n_boot=n_boot, seed=seed)
        out[key] = {"diff": d, "lo": lo, "hi": hi, "n_events": len(per_event),
                    "n_seeds": n_seeds}
    return out


def _by_type(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """{event type: {loglik, top1, n_events, bins: {BIN: ...}}} on roster candidates."""
    out = {}
    for t, sub in frame.groupby("event_type"):
        sel = sub["known"].to_numpy(bool) & sub[f"in_set_{HEADLINE}"].to_numpy(bool)
        m = _metrics(sub, HEADLINE, sel)
        out[str(t)] = {"loglik": m["loglik"], "top1": m["top1"], "n_events": m["n_events"],
                       "bins": bin_metrics(sub, HEADLINE)}
    return out


def _calibration(frames: list[pd.DataFrame]) -> tuple[dict[str, Any], pd.DataFrame]:
    """ECE of the top-1 probability per seed (mean, sd) and the pooled reliability table."""
    sel = [f["known"].to_numpy(bool) & f[f"in_set_{HEADLINE}"].to_numpy(bool) for f in frames]
    eces = [expected_calibration_error(f[f"ptop_{HEADLINE}"].to_numpy()[m],
                                       f[f"top1_{HEADLINE}"].to_numpy()[m])
            for f, m in zip(frames, sel, strict=True)]
    p = np.concatenate([f[f"ptop_{HEADLINE}"].to_numpy()[m] for f, m in zip(frames, sel,
                                                                             strict=True)])
    hit = np.concatenate([f[f"top1_{HEADLINE}"].to_numpy()[m] for f, m in zip(frames, sel,
                                                                               strict=True)])
    table = reliability_bins(p, hit)
    return ({"ece": float(np.mean(eces)), "ece_sd": float(np.std(eces, ddof=1))
             if len(eces) > 1 else float("nan"), "candidates": HEADLINE,
             "reliability": table.to_dict("records")}, table)


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")


def _seed_spread(per_seed: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{CANDIDATES: {mean, sd, n, top1_mean, top1_sd}} of the seeds' log-likelihoods."""
    out = {}
    for c in per_seed[0]:
        ll = np.array([s[c]["loglik"] for s in per_seed])
        t1 = np.array([s[c]["top1"] for s in per_seed])
        out[c] = {"mean": float(ll.mean()), "sd": _sd(ll), "n": len(ll),
                  "top1_mean": float(t1.mean()), "top1_sd": _sd(t1)}
    return out


def summarize_seeds(seeds: Sequence[SeedRun], *, reference: str = "lstm", n_boot: int = 2000,
                    seed: int = 0) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The aggregate report's numbers (see `aggregate_seeds`) and the reliability tables."""
    seeds = list(seeds)
    models = list(dict.fromkeys(m for s in seeds for m in s.frames))
    reference = reference.replace("-", "_")
    if reference not in models:
        raise ValueError(f"reference model {reference!r} is in no seed; models: {models}")
    out: dict[str, Any] = {k: {} for k in ("models", "everyone", "seeds", "paired", "bins",
                                           "by_event_type", "calibration", "diagnostics")}
    out["reference"] = reference
    reliability = {}
    for m in models:
        frames = [s.frames[m] for s in seeds if m in s.frames]
        per_seed = [_seed_metrics(f) for f in frames]
        out["models"][m] = _mean_nested(per_seed)
        out["everyone"][m] = _mean_nested([_seed_metrics(f, everyone=True) for f in frames])
        out["seeds"][m] = _seed_spread(per_seed)
        out["bins"][m] = _mean_nested([bin_metrics(f, HEADLINE) for f in frames])
        out["by_event_type"][m] = _mean_nested([_by_type(f) for f in frames])
        out["calibration"][m], reliability[m] = _calibration(frames)
        diags = [s.report.get("diagnostics", {}).get(m) for s in seeds]
        diags = [d for d in diags if d]
        if diags:
            out["diagnostics"][m] = {**_mean_nested(diags), "n_seeds": len(diags)}
        if m != reference:
            out["paired"][m] = _paired(seeds, m, reference, n_boot=n_boot, seed=seed)
    return out, reliability

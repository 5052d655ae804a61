"""Every model and baseline under one protocol: same split, inputs, candidate sets; one report.

`run_benchmark(tables, out, config=...)` trains each model on the training games (early
stopping on the validation games), evaluates all of them on the test games, exports the
embeddings of every model that has them, and writes `out.md` (tables + what data/split/seeds/command/commit made them), `out.json` (all
numbers) and figures `out_*.png`. `run_pipeline` is the same with a fast preset, for the
synthetic-league demo.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.config import RunConfig, load_config
from hockey_vae.embed import embed_events, embed_players, plot_embedding_map, probe_styles
from hockey_vae.evaluate import Evaluation, evaluate_model, plot_reliability
from hockey_vae.features import Tables, as_tables, iterate_batches
from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.models import MODEL_NAMES, config_to_dict
from hockey_vae.reporting import git_commit
from hockey_vae.split_check import check_split
from hockey_vae.train import Run, TrainConfig, fit, training_split

__all__ = ["run_benchmark", "run_pipeline", "DEMO_CONFIG"]

log = logging.getLogger(__name__)

# Fast preset for the demo (synthetic league, under a minute on 2 cores for everything), in the
# config schema; a demo `--config` file is merged over it. 4 games per batch, not 8: in 4
# epochs, 8 left the player latents under-trained (demo probe, seed 0: discipline R^2 .15 vs
# .30, roster log-lik -2.294 vs -2.246) for 10% less time.
DEMO_CONFIG: dict[str, Any] = {
    "train": {"epochs": 4, "batch_games": 4, "patience": 2, "val_samples": 5},
    "model": {
        "cvae": {"d_z": 8, "d_hidden": 64, "eval_samples": 50, "prior_samples": 8,
                 "encoder": {"hidden": 64, "d_context": 64}},
        "lstm": {"hidden": 64, "d_context": 64},
        "lstm-nohist": {"hidden": 64, "d_context": 64},
        "player-latent": {"eval_samples": 16, "encoder": {"hidden": 64, "d_context": 64}},
    },
}


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def _key(name: str) -> str:
    return name.replace("-", "_")


def _md_table(df: pd.DataFrame) -> str:
    """A pipe table (floats to 3 decimals) without the optional `tabulate` dependency."""
    def cell(v: Any) -> str:
        return _fmt(v) if isinstance(v, (float, np.floating)) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _markdown(report: dict[str, Any], evals: dict[str, Evaluation], title: str) -> str:
    sets = ["all", "roster", "on_ice", "sparse"]
    lines = [f"# {title}", "",
             f"- data: {report['data']}",
             f"- split: {report['split']['rule']}; games train/val/test = "
             f"{report['split']['n_games']['train']}/{report['split']['n_games']['val']}/"
             f"{report['split']['n_games']['test']}; test dates "
             f"{report['split']['dates']['test'][0]} .. {report['split']['dates']['test'][1]}",
             f"- seed: {report['seed']}; commit: `{report['commit']}`",
             f"- command: `{report['command']}`",
             f"- test events with an acting player: {report['unknown']['n_total']}, of which "
             f"{report['unknown']['n_events']} by players not in the training vocabulary "
             "(scored through the cold-start tokens, reported separately below)",
             f"- CVAE log-likelihood: importance sampling with the posterior as proposal, "
             f"k = {report.get('cvae_k', '–')}; accuracy from p(player | context) averaged "
             "over prior samples",
             f"- config: `{json.dumps(report['config'], separators=(',', ':'))}`", "",
             "## Test results (known players; accuracy %, mean natural-log likelihood)", "",
             "| model | " + " | ".join(f"{s} top-1 | {s} top-5 | {s} loglik" for s in sets) + " |",
             "|---|" + "---|" * (3 * len(sets))]
    for name, ev in evals.items():
        s = ev.summary.set_index("candidates")
        cells = []
        for c in sets:
            if c in s.index:
                r = s.loc[c]
                cells += [_fmt(100 * r.top1, 1), _fmt(100 * r.top5, 1), _fmt(r.loglik)]
            else:
                cells += ["–"] * 3
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Events per candidate set: " + ", ".join(
        f"{r.candidates} {int(r.n_events)} ({int(r.n_not_in_set)} with the true player missing "
        "from the list, excluded)" for r in next(iter(evals.values())).summary.itertuples()), ""]
    for name, ev in evals.items():
        if ev.n_samples <= 1:
            continue
        lines += [f"## Importance-sampling check ({name})", "",
                  "| candidates | loglik k/10 | loglik k | change |", "|---|---|---|---|"]
        for r in ev.summary.itertuples():
            lines.append(f"| {r.candidates} | {_fmt(r.loglik_k10, 4)} | {_fmt(r.loglik, 4)} | "
                         f"{_fmt(r.loglik - r.loglik_k10, 4)} |")
        lines.append("")
    lines += _md_details(report, evals)
    if report.get("diagnostics"):
        lines += ["", "## Variational diagnostics (roster candidates, known players)", "",
                  "| model | k=10 | k=100 | k=1000 | KL/event | active units | subset |",
                  "|---|---|---|---|---|---|---|"]
        for name, d in report["diagnostics"].items():
            lines.append(f"| {name} | {_fmt(d.get('loglik_k10'))} | {_fmt(d.get('loglik_k100'))}"
                         f" | {_fmt(d.get('loglik_k1000'))} | {_fmt(d.get('kl_per_event'))} | "
                         f"{d.get('active_units')} | {d.get('subset', '')} |")
    lines += ["", "Per-event test predictions (for `hockey-vae benchmark-report`): "
              + ", ".join(f"`{p}`" for p in report.get("predictions", {}).values())]
    lines += ["", "Figures: " + ", ".join(f"`{f}`" for f in report["figures"]), ""]
    return "\n".join(lines)


def _md_details(report: dict[str, Any], evals: dict[str, Evaluation]) -> list[str]:
    """The report's sections after the headline table: cold start, event types, training,
    style probe."""
    lines: list[str] = []
    lines += ["## Players unseen in training (cold-start tokens)", "",
              "| model | candidates | top-1 | loglik | events |", "|---|---|---|---|---|"]
    for name, ev in evals.items():
        for c in ("roster", "on_ice"):
            r = ev.unknown.get(c)
            if r and r["n_events"]:
                lines.append(f"| {name} | {c} | {_fmt(100 * r['top1'], 1)} | "
                             f"{_fmt(r['loglik'])} | {r['n_events']} |")
    lines += ["", "## Per event type (roster candidates, loglik)", ""]
    bt = pd.concat([ev.by_type.assign(model=n) for n, ev in evals.items() if len(ev.by_type)])
    bt = bt[bt["candidates"] == "roster"].pivot_table(index="event_type", columns="model",
                                                      values="loglik")
    counts = next(iter(evals.values())).by_type
    counts = counts[counts["candidates"] == "roster"].set_index("event_type")["n_events"]
    bt.insert(0, "events", counts.reindex(bt.index))
    lines += [_md_table(bt.reset_index()), ""]
    lines += ["## Training", "", "| model | epochs | best epoch | val loglik (roster) | "
              "train events/s | seconds |", "|---|---|---|---|---|---|"]
    for name, tr in report["training"].items():
        lines.append(f"| {name} | {tr['epochs']} | {tr['best_epoch']} | "
                     f"{_fmt(tr['best_val_loglik'])} | {_fmt(tr['events_per_s'], 0)} | "
                     f"{_fmt(tr['seconds'], 0)} |")
    if report.get("probe"):
        lines += ["", "## Linear probe: per-player embedding -> true style (held-out players)",
                  "", "| style | R^2 | train players | test players |", "|---|---|---|---|"]
        for r in report["probe"]:
            lines.append(f"| {r['style']} | {_fmt(r['r2'])} | {r['n_train']} | {r['n_test']} |")
    return lines


def _fit_and_evaluate(t: Tables, run_dir: Path, name: str, run_cfg: RunConfig,
                      split: dict[str, list[str]], *, eval_samples: int | None,
                      progress: bool) -> tuple[Run, Evaluation, dict[str, Any]]:
    """Train model `name` into `run_dir`, evaluate it on the test games; (run, evaluation,
    the report's training row)."""
    tic = time.perf_counter()
    cfg = run_cfg.train
    run = fit(t, run_dir, name, split=split, overwrite=True,  # the benchmark owns its runs
              **run_cfg.fit_kwargs(name))
    hist = run.history
    test = run.encoder.transform(t, split["test"])
    ev = evaluate_model(run.model, test, run.encoder.vocab_.counts, name=name,
                        n_samples=eval_samples, batch_games=cfg.batch_games, device=run.device,
                        seed=cfg.seed, progress=progress)
    has_val = len(hist) and hist["val_loglik"].notna().any()
    row = {
        "epochs": len(hist), "best_epoch": int(hist["val_loglik"].idxmax()) if has_val else -1,
        "best_val_loglik": float(hist["val_loglik"].max()) if len(hist) else float("nan"),
        "events_per_s": float(hist["train_events_per_s"].median()) if len(hist) else float("nan"),
        "seconds": time.perf_counter() - tic,
        "model_config": config_to_dict(run.model.cfg),
    }
    log.info("%s done in %.0f s", name, time.perf_counter() - tic)
    log.debug("%s summary:\n%s", name, ev.summary)
    return run, ev, row


def _figures(t: Tables, out: Path, evals: dict[str, Evaluation], fitted: dict[str, Run],
             split: dict[str, list[str]]) -> tuple[list[str], list[dict] | None]:
    """Write the reliability diagram and, for the first model with embeddings (the cvae),
    the embedding map; (figure names, style-probe rows or None)."""
    figures = []
    rel = {n: e.reliability for n, e in evals.items() if len(e.reliability)}
    if rel:
        plot_reliability(rel, out.with_name(out.name + "_reliability.png"))
        figures.append(out.name + "_reliability.png")
    probe = None
    embedders = [n for n, r in fitted.items() if r.model.embeds]
    if embedders:
        ev_emb = embed_events(fitted[embedders[0]], t,
                              split["train"] + split["val"] + split["test"])
        players = embed_players(ev_emb, t.rosters)
        plot_embedding_map(players, out.with_name(out.name + "_embedding_map.png"))
        figures.append(out.name + "_embedding_map.png")
        if t.players is not None:
            try:
                probe = probe_styles(players, t.players).to_dict("records")
            except ValueError as err:
                log.warning("style probe skipped: %s", err)
    return figures, probe


def _diagnostics(run: Run, t: Tables, test_ids: list[str], n_events: int,
                 seed: int) -> dict[str, Any]:
    """`latent_diagnostics` of a latent model on the first test games (by date) holding at
    least `n_events` target events; {} for models without a latent."""
    import torch

    from hockey_vae.models import PlayerModel

    if (not n_events or not test_ids
            or type(run.model).latent_diagnostics is PlayerModel.latent_diagnostics):
        return {}
    enc = run.encoder.transform(t, test_ids)
    cum = np.cumsum([int(enc.target[a:b].sum()) for a, b in zip(enc.offsets[:-1],
                                                                  enc.offsets[1:], strict=True)])
    n_games = int(np.searchsorted(cum, n_events) + 1) if len(cum) else 0
    gen = torch.Generator(device=run.device).manual_seed(seed)
    batches = (b.to(run.device) for b in iterate_batches(enc, run.train_config.batch_games,
                                                         range(min(n_games, enc.n_games))))
    out = run.model.latent_diagnostics(batches, (10, 100, 1000), generator=gen)
    if out:
        out["subset"] = (f"the first {min(n_games, enc.n_games)} test games by date, known "
                         "players on roster candidates")
    return out


def _keep_predictions(runs: Path, name: str, ev: Evaluation) -> str:
    """Write the model's per-event test predictions to RUNS/predictions/NAME.parquet."""
    path = runs / "predictions" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        ev.events.to_parquet(tmp, index=False)
    return str(path)


def _split_info(t: Tables, cfg: TrainConfig, split: dict[str, list[str]]) -> dict[str, Any]:
    """The report's description of the split: rule, games and date range per part."""
    dates = t.games.set_index("game_id")["game_date"].astype(str)
    rule = ("earlier seasons + first {:.0%} of the last season by date / next {:.0%} / last "
            "{:.0%}" if cfg.split_within_last_season else
            "games by date: first {:.0%} / next {:.0%} / last {:.0%}")
    rule = rule.format(*cfg.split_fractions)
    if cfg.test_season:
        f = cfg.split_fractions
        rule = (f"season {cfg.test_season} held out whole as the test set; the seasons before "
                f"it split by date {f[0] / (f[0] + f[1]):.0%} train / {f[1] / (f[0] + f[1]):.0%} "
                "validation; later seasons left out")
    return {"rule": rule,
            "n_games": {k: len(v) for k, v in split.items()},
            "dates": {k: [dates[v].min(), dates[v].max()] if v else [None, None]
                      for k, v in split.items()}}


def run_benchmark(tables: Any, out: str | Path, *, data_label: str = "",
                  models: Sequence[str] = MODEL_NAMES,
                  config: RunConfig | dict[str, Any] | str | None = None,
                  eval_samples: int | None = None, runs_dir: str | Path | None = None,
                  command: str = "", title: str = "Player identification benchmark",
                  progress: bool = False, diag_events: int = 2000) -> dict[str, Any]:
    """Train, evaluate and report every model in `models`; returns the JSON dict.

    `config` is the run config (`hockey_vae.config`; `model` keyed by model name), checked
    before the data are touched. `out` is the report path without suffix (`reports/NAME`);
    run folders (checkpoints) go to `runs_dir` (default: a temporary folder), never next to
    the report. `eval_samples` overrides a sampling model's importance samples. Each model's
    per-event test predictions go to `RUNS/predictions/MODEL.parquet` and the report's JSON
    also to `RUNS/benchmark.json`, which `hockey_vae.reporting.aggregate_seeds` reads;
    latent models' variational diagnostics use about `diag_events` test events (0: none).
    The keyword options are the report's labels, hence more than eight parameters.
    """
    bad = [m for m in models if m not in MODEL_NAMES]
    if bad:
        raise ValueError(f"unknown model(s) {bad}; choose from {MODEL_NAMES}")
    commit = git_commit()  # before any output: the report's own figures are tracked files
    run_cfg = load_config(config)
    run_cfg.check_models(models)
    cfg = run_cfg.train
    out = Path(out)
    t = as_tables(tables)
    split = training_split(t.games, cfg)
    # too little data: one clear error before any training or any file is written
    check_split(split, ("train", "val", "test"), what="benchmark", fractions=cfg.split_fractions)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs = Path(runs_dir) if runs_dir else Path(tempfile.mkdtemp(prefix="hockey_vae_runs_"))
    evals: dict[str, Evaluation] = {}
    training: dict[str, Any] = {}
    fitted: dict[str, Run] = {}
    predictions: dict[str, str] = {}
    diagnostics: dict[str, Any] = {}
    for name in models:
        fitted[name], evals[name], training[_key(name)] = _fit_and_evaluate(
            t, runs / name, name, run_cfg, split, eval_samples=eval_samples, progress=progress)
        predictions[_key(name)] = _keep_predictions(runs, _key(name), evals[name])
        if diag := _diagnostics(fitted[name], t, split["test"], diag_events, cfg.seed):
            diagnostics[_key(name)] = diag
    figures, probe = _figures(t, out, evals, fitted, split)
    first = next(iter(evals.values()))
    report: dict[str, Any] = {
        "data": data_label,
        "split": _split_info(t, cfg, split),
        "commit": commit,
        "seed": cfg.seed,
        "command": command,
        "train_config": run_cfg.to_dict()["train"],
        "config": run_cfg.to_dict(),
        "models": {_key(n): e.to_dict() for n, e in evals.items()},
        "loglik_k10": {_key(n): {r.candidates: r.loglik_k10 for r in e.summary.itertuples()}
                       for n, e in evals.items() if e.n_samples > 1},
        "unknown": first.unknown,
        "unknown_by_model": {_key(n): e.unknown for n, e in evals.items()},
        "not_in_set": {r.candidates: int(r.n_not_in_set) for r in first.summary.itertuples()},
        "by_event_type": {_key(n): e.by_type.to_dict("records") for n, e in evals.items()},
        "training": training,
        "probe": probe,
        "figures": figures,
        "diagnostics": diagnostics,
        "predictions": predictions,
    }
    if cfg.test_season:
        report["test_season"] = cfg.test_season
    sampled = [e.n_samples for e in evals.values() if e.n_samples > 1]
    if sampled:
        report["cvae_k"] = sampled[0]
    _write(report, evals, out, runs, title)
    return report


def _write(report: dict[str, Any], evals: dict[str, Evaluation], out: Path, runs: Path,
           title: str) -> None:
    """OUT.json, OUT.md, and RUNS/benchmark.json (what the multi-seed aggregate reads)."""
    with atomic_path(out.with_name(out.name + ".json")) as tmp:
        tmp.write_text(dumps_json(report, indent=2))  # NaN/inf -> null, listed in "nulls"
    with atomic_path(out.with_name(out.name + ".md")) as tmp:
        tmp.write_text(_markdown(report, evals, title))
    with atomic_path(runs / "benchmark.json") as tmp:
        tmp.write_text(dumps_json({**report, "report": str(out)}, indent=2))


def run_pipeline(tables: Any, out_dir: str | Path, *, seed: int = 0,
                 models: Sequence[str] = MODEL_NAMES, command: str = "hockey-vae demo",
                 config: dict[str, Any] | str | None = None,
                 progress: bool = False) -> dict[str, Any]:
    """Train, evaluate, embed and report on (synthetic) tables with the fast demo preset
    `DEMO_CONFIG`, with `config` (a dict in the schema or a file) merged over it.

    Writes `out_dir/player_id.{md,json}` and figures; run folders go to `out_dir/runs`.
    """
    out_dir = Path(out_dir)
    cfg = load_config(config, defaults=DEMO_CONFIG).with_train(seed=seed, progress=progress)
    return run_benchmark(tables, out_dir / "player_id", data_label="synthetic league",
                         models=models, config=cfg,
                         runs_dir=out_dir / "runs", command=command,
                         title="Player identification on the synthetic league", progress=progress)

"""Run the downstream benchmark end to end and write its report (Markdown + JSON twin).

The JSON has the shape the issue fixes: {"goals": {"5v5": {"baseline": {...},
"with_embeddings": {...}}, "all": {...}}, "outcome": {"in_game": {...}, "pre_game": {...}}}
plus "meta" (command, data, split, seeds, commit) and extra detail (CIs, chosen models).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import sklearn

from hockey_vae.downstream.base import MODEL_KINDS
from hockey_vae.downstream.diagnostics import ACTIVITY_THRESHOLD, active_units, embedding_shift
from hockey_vae.downstream.features import as_frame
from hockey_vae.downstream.figures import calibration_figure, rink_figure, win_probability_figure
from hockey_vae.downstream.split import describe_split
from hockey_vae.downstream.tasks import DEFAULT_GRIDS, evaluate_goals, evaluate_outcome
from hockey_vae.io import atomic_path
from hockey_vae.jsonsafe import dumps_json
from hockey_vae.reporting import git_commit

__all__ = ["run_downstream_report", "render_markdown", "write_report", "TASKS"]

log = logging.getLogger(__name__)
TASKS = ("goals", "outcome")
HOCKEYR = {"auc": 0.844, "log_loss": 0.169}  # hockeyR's published 5v5 xG test metrics


def run_downstream_report(
    events: pd.DataFrame | pa.Table,
    games: pd.DataFrame | pa.Table,
    rosters: pd.DataFrame | pa.Table | None,
    part: pd.Series,
    out: Path,
    event_embeddings: pd.DataFrame | None = None,
    tasks: Sequence[str] = TASKS,
    meta: dict | None = None,
    kinds: tuple[str, ...] = ("logistic", "hgb"),
    n_boot: int = 200,
    seed: int = 0,
    train_stride: int = 4,
    figures_dir: Path | None = None,
    min_activity: float = ACTIVITY_THRESHOLD,
) -> dict:
    """Evaluate `tasks`, draw figures into `figures_dir`, write `out`.md/.json; return the dict.

    Nothing is written until every evaluation has succeeded (a failed run keeps old reports).
    Embedding dimensions whose posterior mean varies less than `min_activity` over the
    train games' events (collapsed units) are dropped before any model sees them.

    The keyword options are the report's knobs (tasks, models, bootstrap, stride, figures),
    each a CLI flag, hence more than eight parameters.
    """
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown task(s) {unknown}; expected some of {list(TASKS)}")
    bad = [k for k in kinds if k not in MODEL_KINDS]
    if bad or not kinds:
        raise ValueError(f"models={list(kinds)}; expected one or more of {list(MODEL_KINDS)}")
    events, games = as_frame(events, "events"), as_frame(games, "games")
    rosters = None if rosters is None else as_frame(rosters, "rosters")
    out = Path(out)
    figures_dir = Path(figures_dir) if figures_dir is not None else out.parent / "figures"
    name = out.name
    report: dict = {"meta": {
        **(meta or {}),
        "commit": git_commit(),
        "created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "seed": seed, "bootstrap_resamples": n_boot, "bootstrap_unit": "game",
        "models_tried": list(kinds), "grids": DEFAULT_GRIDS,
        "split": describe_split(part, games),
        "embeddings": event_embeddings is not None,
        "sklearn": sklearn.__version__,
    }, "figures": {}}  # fmt: skip
    drawings = []
    if event_embeddings is not None:
        active, activity = active_units(event_embeddings, part.index[part == "train"],
                                        min_activity)  # fmt: skip
        dropped = [c for c in activity if c not in active]
        report["embedding_diagnostics"] = {
            **embedding_shift(event_embeddings[[c for c in event_embeddings.columns
                                                if c not in dropped]], part, seed=seed),
            "activity": activity, "active_units": active, "min_activity": min_activity,
        }  # fmt: skip
        event_embeddings = event_embeddings.drop(columns=dropped)
    if "goals" in tasks:
        goals, shots, models = evaluate_goals(events, rosters, part, event_embeddings, kinds,
                                              n_boot=n_boot, seed=seed)  # fmt: skip
        report["goals"] = goals
        drawings.append(("goals", shots, models))
    if "outcome" in tasks:
        outcome, states = evaluate_outcome(events, games, rosters, part, event_embeddings, kinds,
                                           n_boot=n_boot, seed=seed, train_stride=train_stride)
        report["outcome"] = outcome
        drawings.append(("outcome", states, None))
    for task, frame, models in drawings:
        report["figures"].update(_draw(task, frame, models, games, figures_dir, name, seed))
    for key, path in report["figures"].items():
        report["figures"][key] = _relative(path, out.parent)
    write_report(report, out)
    return report


def _relative(path: Path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _draw(task: str, frame: pd.DataFrame, models: dict | None, games: pd.DataFrame,
          folder: Path, name: str, seed: int) -> dict[str, Path]:
    models_p = {c[2:]: c for c in frame.columns if c.startswith("p_")}
    paths: dict[str, Path] = {}
    if task == "goals":
        for situation, sub in (("5v5", frame.loc[frame["is_5v5"] == 1]), ("all", frame)):
            curves = {k: (sub["goal"].to_numpy(), sub[c].to_numpy()) for k, c in models_p.items()}
            paths[f"goals_calibration_{situation}"] = calibration_figure(
                curves, folder / f"{name}_goals_calibration_{situation}.png",
                f"Expected goals, test games, {situation}")
        paths["goals_rink"] = rink_figure(
            models["baseline"], frame, folder / f"{name}_goals_rink.png",
            "Baseline xG of a typical 5v5 wrist shot by location")
    else:
        curves = {k: (frame["home_win"].to_numpy(), frame[c].to_numpy())
                  for k, c in models_p.items()}  # fmt: skip
        paths["in_game_calibration"] = calibration_figure(
            curves, folder / f"{name}_in_game_calibration.png",
            "In-game P(home wins), test-game events")
        paths["win_probability"] = win_probability_figure(
            frame, games, folder / f"{name}_win_probability.png", n_games=3, seed=seed)
    return paths


def write_report(report: dict, out: Path) -> tuple[Path, Path]:
    """Write `out`.json and `out`.md atomically; return both paths."""
    out = Path(out)
    json_path, md_path = out.with_name(out.name + ".json"), out.with_name(out.name + ".md")
    text = dumps_json(report, indent=1)
    with atomic_path(json_path) as tmp:
        tmp.write_text(text + "\n")
    with atomic_path(md_path) as tmp:
        tmp.write_text(render_markdown(report))
    return md_path, json_path


# ---------------------------------------------------------------------------- markdown


def _fmt(entry: dict | None, metric: str, digits: int = 3) -> str:
    if not entry or entry.get(metric) is None or _nan(entry.get(metric)):
        return "n/a"
    value = f"{entry[metric]:.{digits}f}"
    ci = entry.get(f"{metric}_ci")
    if ci and not any(_nan(c) for c in ci):
        value += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return value


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _verdict(diff: dict | None, metric: str = "log_loss", lower_is_better: bool = True,
             subject: str = "the embeddings") -> str:
    """Plain words on a paired difference (e.g. with embeddings minus baseline)."""
    if not diff:
        return "not run (no embeddings were given)"
    lo, hi = diff[f"{metric}_ci"]
    if _nan(lo):
        return "not measurable"
    better = hi < 0 if lower_is_better else lo > 0
    worse = lo > 0 if lower_is_better else hi < 0
    if better:
        return f"{subject} help: {metric} changes by {diff[metric]:+.4f}, CI [{lo:+.4f}, {hi:+.4f}] excludes 0"
    if worse:
        return f"{subject} hurt: {metric} changes by {diff[metric]:+.4f}, CI [{lo:+.4f}, {hi:+.4f}]"
    return (f"{subject} do not measurably help: {metric} changes by {diff[metric]:+.4f}, "
            f"CI [{lo:+.4f}, {hi:+.4f}] includes 0")  # fmt: skip


def render_markdown(report: dict) -> str:
    """The human-readable twin of the JSON report."""
    meta = report["meta"]
    lines = [f"# Downstream benchmark: {meta.get('name', 'report')}", ""]
    lines += [
        f"- Command: `{meta.get('command', 'n/a')}`",
        f"- Data: {meta.get('data', 'n/a')}",
        f"- Embeddings: {meta.get('embeddings_source', 'none (baseline only)')}",
        f"- Commit: `{meta['commit']}`; created {meta['created_utc']} UTC; scikit-learn {meta['sklearn']}",
        f"- Seed {meta['seed']} (models and bootstrap); {meta['bootstrap_resamples']} bootstrap "
        "resamples of test games (95% percentile intervals in brackets; differences are paired).",
        f"- Split ({meta.get('split_rule', 'by date')}):",
    ]
    for part, info in meta["split"].items():
        lines.append(f"  - {part}: {info['games']} games, {info['first_date']} to "
                     f"{info['last_date']}, seasons {', '.join(info['seasons'])}")
    lines.append("- Overtime and shootout games count for their final winner.")
    lines.append("")
    lines += _summary_markdown(report)
    if "goals" in report:
        lines += _goals_markdown(report["goals"], meta["split"])
    if "outcome" in report:
        lines += _outcome_markdown(report["outcome"])
    if "embedding_diagnostics" in report:
        lines += _diagnostics_markdown(report["embedding_diagnostics"])
    lines += _method_markdown()
    if report.get("figures"):
        lines += ["## Figures", ""]
        lines += [f"![{key}]({path})" for key, path in report["figures"].items()]
        lines.append("")
    if meta.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in meta["notes"]] + [""]
    return "\n".join(lines) + "\n"


def _summary_markdown(report: dict) -> list[str]:
    """One plain sentence per task: do the embeddings help on the test games?"""
    lines = ["## Summary: do the embeddings help?", ""]
    if "goals" in report:
        for situation in ("5v5", "all"):
            diff = report["goals"][situation].get("with_embeddings_minus_baseline")
            if report["goals"][situation]["baseline"]["n"]:
                lines.append(f"- Expected goals, {situation}: {_verdict(diff)}.")
    if "outcome" in report:
        in_game = report["outcome"]["in_game"].get("with_embeddings_minus_baseline")
        lines.append(f"- In-game win probability: {_verdict(in_game)}.")
        pre = report["outcome"]["pre_game"].get("with_embeddings_minus_home_ice")
        lines.append(f"- Pre-game (mean pooling vs home ice): {_verdict(pre)}.")
    lines.append("")
    return lines


def _diagnostics_markdown(diag: dict) -> list[str]:
    auc = diag["domain_auc"]
    activity = ", ".join(f"{v:.2g}" for v in diag["activity"].values())
    lines = ["## Embeddings: active units, seen vs unseen games", "",
             f"Active units (variance of the posterior mean over train-game events above "
             f"{diag['min_activity']}, as in Burda et al. 2016): {len(diag['active_units'])} of "
             f"{len(diag['activity'])} ({', '.join(diag['active_units'])}); variances per "
             f"dimension: {activity}. Only the active units are used downstream: a collapsed "
             "unit carries no information, and standardising it turns numerical noise into "
             "features a model overfits.", "",
             "| part | events | mean norm | mean per-dim std |", "|---|---|---|---|"]  # fmt: skip
    for part, info in diag["parts"].items():
        norm = "n/a" if info["mean_norm"] is None else f"{info['mean_norm']:.3f}"
        std = "n/a" if info["mean_dim_std"] is None else f"{info['mean_dim_std']:.3f}"
        lines.append(f"| {part} | {info['events']} | {norm} | {std} |")
    fmt = {k: ("n/a" if _nan(v) else f"{v:.3f}") for k, v in auc.items()}
    lines += [
        "",
        "Domain classifier (logistic regression on the embedding alone, 4 folds split by "
        f"game, ROC AUC; 0.5 = indistinguishable): train vs test {fmt['train_vs_test']}, "
        f"val vs test {fmt['val_vs_test']}, train vs val {fmt['train_vs_val']}. The embedding "
        "model saw the train games and neither of the others, and the downstream models are "
        "fit on train-game embeddings: a train-vs-test AUC well above val-vs-test means the "
        "posterior means of seen games differ from those of unseen games, so a downstream "
        "model learns on one distribution and is scored on another.",
        "",
    ]
    return lines


def _method_markdown() -> list[str]:
    return [
        "## Method",
        "",
        "- Every model is fit on the train games only; hyper-parameters and the model kind "
        "(logistic regression with splines, or HistGradientBoostingClassifier) are chosen by "
        "log loss on the validation games only; the test games are scored once.",
        "- Shots: unblocked attempts (shot on goal, missed shot, goal); blocked shots are left "
        "out because canonical blocked-shot rows carry the blocker and the block location. "
        "Baseline features: distance and angle to the attacked net (89, 0), shot type, "
        "rebound (same team's attempt within 3 s), rush (previous event outside the offensive "
        "zone within 4 s), time and distance from the previous event, manpower, score state "
        "(clipped to +-3), period and clock, empty net (from roster positions; unknown where "
        "the on-ice lists do not name goalies). 5v5 = five skaters a side with both goalies "
        "in (an unknown empty net counts as in); the 5v5 rows are scored with the one "
        "all-situations model.",
        "- Shooter embedding: his contextual embedding (posterior mean) at his latest earlier "
        "event of the same game, never the shot's own, whose context includes the event type "
        "and would leak the label; else his static embedding (mean over train games only); "
        "else a zero vector with a `missing` indicator. Goalie: static embedding, same "
        "fallback.",
        "- In-game state after each event: score difference, regulation time left, overtime, "
        "manpower difference, home ice (intercept); with embeddings, the home-minus-away mean "
        "contextual embedding of each team's events so far, shrunk toward zero by 20 "
        "pseudo-events (sum / (n + 20)) to damp the first minutes' noise; events without an "
        "embedding do not count.",
        "- Pre-game: home ice only (training home-win rate); team identity (a logistic "
        "strength per team plus home ice); dressed lineups' static embeddings (train games "
        "only), home minus away, pooled by mean and by position group (forwards, defence, "
        "goalies); players without an embedding are left out of the pools (their share is "
        "reported, not used: every training-game player has an embedding, so a model could "
        "only extrapolate on it). Train-game lineups include the game's own events in their "
        "static means (about 1/80 of each), test-game lineups never do.",
        "- The embedding model must never have seen the validation or test games: with "
        "`--run`, the run's training games are checked against the split and the command "
        "fails otherwise.",
        "",
    ]


def _goals_markdown(goals: dict, split: dict) -> list[str]:
    lines = ["## Expected goals (unblocked shot attempts -> goal)", ""]
    lines += ["| situation | features | AUC | log loss | Brier | shots | games |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for situation in ("5v5", "all"):
        for variant in ("baseline", "with_embeddings"):
            entry = goals[situation].get(variant)
            if entry is None:
                lines.append(f"| {situation} | {variant} | not run | | | | |")
                continue
            lines.append(f"| {situation} | {variant} | {_fmt(entry, 'auc')} | "
                         f"{_fmt(entry, 'log_loss')} | {_fmt(entry, 'brier')} | {entry['n']} | "
                         f"{entry['n_games']} |")  # fmt: skip
    lines.append("")
    for situation in ("5v5", "all"):
        diff = goals[situation].get("with_embeddings_minus_baseline")
        if goals[situation]["baseline"]["n"] == 0:
            lines.append(f"- {situation}: no test shots in this situation (manpower or goalies "
                         "unknown in these data).")  # fmt: skip
            continue
        lines.append(f"- {situation}: {_verdict(diff)}.")
        if diff:
            lines.append(f"  AUC difference {_fmt(diff, 'auc', 4)}, Brier difference "
                         f"{_fmt(diff, 'brier', 4)}.")  # fmt: skip
    lines.append(f"- Models chosen on validation games: {goals['chosen']}.")
    lines.append(f"- Shots per part: {goals['shots']}; test goal rate {goals['goal_rate_test']:.4f}.")
    if "embedding_coverage_test" in goals:
        lines.append(f"- Embedding coverage of test shots: {goals['embedding_coverage_test']}.")
    base = goals["5v5"].get("baseline") or {}
    lines += [
        "",
        f"For scale: hockeyR's published NHL 5v5 xG model reports test AUC {HOCKEYR['auc']} and "
        f"log loss {HOCKEYR['log_loss']}. Ours (5v5, baseline): AUC {_fmt(base, 'auc')}, "
        f"log loss {_fmt(base, 'log_loss')}. Reasons the numbers differ: hockeyR trains "
        "XGBoost on 2010-2022 (over a million shots) and scores later seasons, while we train "
        f"on {split['train']['games']} games ({goals['shots']['train']} shots) and test on "
        f"{split['test']['games']} games ({split['test']['first_date']} to "
        f"{split['test']['last_date']}); hockeyR's 5v5 model "
        "is fit on 5v5 shots only while ours is one all-situations model scored on the 5v5 "
        "subset; feature definitions (rebound and rush windows, shooter handedness, which "
        "hockeyR has and we do not) and the goal rate of the test sample (log loss scales "
        "with it) differ; our test set is small, so see the intervals.",
        "",
    ]
    return lines


def _outcome_markdown(outcome: dict) -> list[str]:
    in_game = outcome["in_game"]
    lines = ["## In-game win probability (every event of the test games)", ""]
    lines += ["| bucket | features | log loss | accuracy | events | games |", "|---|---|---|---|---|---|"]
    buckets = [("all", in_game)] + list(in_game.get("by_bucket", {}).items())
    for bucket, scored in buckets:
        for variant in ("baseline", "with_embeddings"):
            entry = scored.get(variant)
            if entry is None:
                lines.append(f"| {bucket} | {variant} | not run | | | |")
                continue
            lines.append(f"| {bucket} | {variant} | {_fmt(entry, 'log_loss')} | "
                         f"{_fmt(entry, 'accuracy')} | {entry['n']} | {entry['n_games']} |")
    lines += ["", "Buckets: period_1/2/3 by period; last_5_min = the final five regulation "
              "minutes (a subset of period_3); overtime = period 4+ (shootouts are not events).",
              f"- Overall: {_verdict(in_game.get('with_embeddings_minus_baseline'))}.",
              f"- Models chosen on validation games: {in_game['chosen']}.",
              f"- States per part (train/val every 4th event): {in_game['states']}.", ""]  # fmt: skip
    pre = outcome["pre_game"]
    lines += ["## Pre-game P(home wins)", ""]
    lines += ["| model | accuracy | log loss | AUC | games |", "|---|---|---|---|---|"]
    for variant in ("home_ice", "team", "with_embeddings", "with_embeddings_position"):
        entry = pre.get(variant)
        if entry is None:
            lines.append(f"| {variant} | not run | | | |")
            continue
        lines.append(f"| {variant} | {_fmt(entry, 'accuracy')} | {_fmt(entry, 'log_loss')} | "
                     f"{_fmt(entry, 'auc')} | {entry['n']} |")
    n_test = pre["games"]["test"]
    lines += [
        "",
        f"- With embeddings (mean pooling) vs home ice: {_verdict(pre.get('with_embeddings_minus_home_ice'))}.",
        "- With embeddings (position pooling) vs home ice: "
        f"{_verdict(pre.get('with_embeddings_position_minus_home_ice'))}.",
        f"- Team identity vs home ice: {_verdict(pre.get('team_minus_home_ice'), subject='team strengths')}.",
        f"- Home-win rate per part: { {k: round(v, 3) for k, v in pre['home_win_rate'].items()} }.",
        f"- Sample size: {n_test} test games. A 95% interval on an accuracy near 0.55 from "
        f"{n_test} games is about +-{1.96 * math.sqrt(0.25 / max(n_test, 1)):.3f}, wider than "
        "the gap between a coin flip and the best published NHL pre-game models (about 60% "
        "accuracy; about 62% argued as the ceiling for a single game), so these numbers "
        "cannot rank pre-game models finely.",
        f"- Models chosen on validation games: {pre['chosen']}.",
        "",
    ]
    return lines

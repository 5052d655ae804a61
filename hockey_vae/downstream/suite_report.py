"""Markdown twin of the consolidated downstream report (`run_suite`'s payload)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from hockey_vae.downstream.suite_outcome import IN_GAME_C_GRID as IN_GAME_GRID
from hockey_vae.downstream.xg_report import METHOD as XG_METHOD
from hockey_vae.downstream.xg_study import md_table

__all__ = ["fmt", "headline", "method_lines", "suite_markdown"]

GOAL_ROWS = ["baseline", "eb_control", "id_control", "latent_shooter", "latent_goalie",
             "with_embeddings"]


def fmt(entry: dict[str, Any] | None, metric: str, digits: int = 4) -> str:
    """'value [lo, hi]' of one metric of an entry ('n/a' when absent)."""
    if not entry or metric not in entry or entry[metric] is None:
        return "n/a"
    lo, hi = entry.get(f"{metric}_ci", [float("nan")] * 2)
    return f"{entry[metric]:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _paired(p: dict[str, Any]) -> str:
    return f"{p['diff']:+.4f} [{p['lo']:+.4f}, {p['hi']:+.4f}]"


def _verdict(p: dict[str, Any], better: str = "lower") -> str:
    if p["hi"] < 0:
        return "helps" if better == "lower" else "hurts"
    if p["lo"] > 0:
        return "hurts" if better == "lower" else "helps"
    return "no measurable difference"


def headline(payload: dict[str, Any]) -> list[str]:
    """The issue's questions answered in one line each, with the intervals."""
    lines, g = [], payload["goals"]
    for sit in ("5v5", "all"):
        s = g.get(sit)
        if not s:
            continue
        best = max((m for m in GOAL_ROWS if m in s), key=lambda m: s[m]["auc"])
        lines.append(f"- Expected goals, {sit}: baseline AUC {fmt(s['baseline'], 'auc')}; best "
                     f"{best} AUC {s[best]['auc']:.4f}. Latents (shooter + goalie) - baseline "
                     f"log loss {_paired(s['paired'])} ({_verdict(s['paired'])}); EB control - "
                     f"baseline {_paired(s['paired_eb'])}; latents - EB control "
                     f"{_paired(s['paired_vs_eb'])}.")
    ig = payload["outcome"]["in_game"]["with_embeddings_minus_baseline"]
    lines.append(f"- In-game win probability: on-ice + lineup latents - game state, log loss "
                 f"{fmt(ig, 'log_loss')} ({_verdict(_as_paired(ig))}).")
    pg = payload["outcome"]["pre_game"]
    lines.append(f"- Pre-game: lineup latents (mean) accuracy {fmt(pg['mean'], 'accuracy')}, "
                 f"AUC {fmt(pg['mean'], 'auc')}; mean - team identity log loss "
                 f"{fmt(pg['mean_minus_team'], 'log_loss')}; mean - home ice "
                 f"{fmt(pg['mean_minus_home_ice'], 'log_loss')}.")
    rates = payload["player_level"]["rates"]
    if rates:
        r2 = pd.DataFrame(rates["records"])
        r2 = r2[r2["tercile"] == "all"].pivot(index="target", columns="features", values="r2")
        lines.append("- Later per-game rates, R^2 over players (raw / shrunk / latent): "
                     + "; ".join(f"{t} {row.get('raw', float('nan')):.2f} / "
                                 f"{row.get('shrunk', float('nan')):.2f} / "
                                 f"{row.get('latent', float('nan')):.2f}"
                                 for t, row in r2.iterrows()) + ".")
    reid = payload["player_level"].get("reid")
    if reid:
        lines.append(f"- Re-identification across halves: top-1 {reid['top1']:.3f}, top-5 "
                     f"{reid['top5']:.3f} ({reid['n']} players, {reid['candidates']} "
                     f"candidates; chance top-1 {reid['chance_top1']:.4f})"
                     + (f"; box-score rates: top-1 {reid['boxscore']['top1']:.3f}, top-5 "
                        f"{reid['boxscore']['top5']:.3f}." if reid.get("boxscore") else "."))
    return lines


def _as_paired(e: dict[str, Any], metric: str = "log_loss") -> dict[str, float]:
    return {"diff": e[metric], "lo": e[f"{metric}_ci"][0], "hi": e[f"{metric}_ci"][1]}


def _goal_lines(goals: dict[str, Any]) -> list[str]:
    lines = []
    for sit in ("5v5", "all"):
        s = goals.get(sit)
        if not s:
            continue
        rows = [{"model": m, "AUC": fmt(s[m], "auc"), "log loss": fmt(s[m], "log_loss"),
                 "Brier": fmt(s[m], "brier")} for m in GOAL_ROWS if m in s]
        diffs = [{"difference": p["models"], "d log loss": _paired(p)}
                 for p in (s["paired"], s["paired_eb"], s["paired_id"], s["paired_vs_eb"])]
        b = s["baseline"]
        lines += [f"### {sit} ({b['n']} shots, {b['n_games']} test games, goal rate "
                  f"{s['goal_rate']:.4f})", "", md_table(pd.DataFrame(rows)), "",
                  md_table(pd.DataFrame(diffs)), ""]
    return lines


def _outcome_lines(outcome: dict[str, Any]) -> list[str]:
    ig, pg = outcome["in_game"], outcome["pre_game"]
    rows = [{"model": k, "log loss": fmt(ig[k], "log_loss"), "accuracy": fmt(ig[k], "accuracy"),
             "AUC": fmt(ig[k], "auc")} for k in ("baseline", "with_embeddings",
                                                  "with_embeddings_minus_baseline")]
    plain = ig["plain_test_only"]["with_embeddings_minus_baseline"]
    pre = [{"model": k, "accuracy": fmt(pg[k], "accuracy"), "log loss": fmt(pg[k], "log_loss"),
            "AUC": fmt(pg[k], "auc")} for k in pg if k in ("home_ice", "team", "mean",
                                                           "position") or "_minus_" in k]
    chosen = {k: {f: v["C"] for f, v in folds.items()} for k, folds in ig["chosen"].items()}
    pchosen = {k: {f: v["C"] for f, v in folds.items()} for k, folds in pg["chosen"].items()}
    return ["### In-game (every event of the scored games)", "",
            f"Scored games: {ig['scored_games']}; states {ig['states']}. C cross-fitted "
            f"(chosen on the other part): {chosen}."
            + (f" Caveat: {ig['caveat']}." if ig.get("caveat") else ""), "",
            md_table(pd.DataFrame(rows)), "",
            f"Plain protocol (C on validation, test games only): with - baseline log loss "
            f"{fmt(plain, 'log_loss')}.", "",
            "### Pre-game (weekly refits on all earlier games)", "",
            f"Scored games: {pg['scored_games']}; C cross-fitted: {pchosen}.", "",
            md_table(pd.DataFrame(pre)), ""]


def _player_lines(pl: dict[str, Any]) -> list[str]:
    lines = []
    rates = pl.get("rates")
    if rates:
        r2 = pd.DataFrame(rates["records"])
        wide = r2.pivot_table(index=["target", "tercile"], columns="features", values="r2",
                              sort=False).reset_index()
        lines += ["### Later per-game rates from earlier ones (R^2 over players)", "",
                  f"{rates['design']}. {rates['players']} skaters; earlier "
                  f"{rates['earlier_games']} games, later {rates['later_games']} games.", "",
                  md_table(wide, digits=3), ""]
    reid = pl.get("reid")
    if reid:
        cols = ("top1", "top5", "n", "candidates", "chance_top1", "median_rank")
        keep = [{"features": "latent", **{k: reid[k] for k in cols}}]
        if reid.get("boxscore"):
            keep.append({"features": "box score + position",
                         **{k: reid["boxscore"][k] for k in cols}})
        lines += ["### Re-identification across the halves of the last season", "",
                  f"Source: {reid['source']}; season {reid['season']}, halves "
                  f"{reid['halves_games']} games.", "", md_table(pd.DataFrame(keep), digits=3),
                  ""]
    return lines


def method_lines(payload: dict[str, Any]) -> list[str]:
    """How each piece was made (the xG study's method plus the other pieces)."""
    ig = payload["outcome"]["in_game"]
    return [*XG_METHOD[:-1],
            "- Latents: the per-player posterior means of q(u_j) of the latent run named above "
            "(its vocabulary maps them to player ids); a player it never saw has none "
            "(missing flag).",
            "- In-game: scikit-learn LogisticRegression (`InGameWinModel`) on the game state "
            "(score, score x time, time left, overtime, manpower) vs the same plus, per event, "
            "the home-minus-away mean latent of the players on the ice at that event and of "
            f"the dressed lineups (and both x sqrt(share of regulation left)); fit on every "
            f"{ig['states']['stride']}th event of the training games, scored on every event "
            "of the validation and test games, C from "
            f"{IN_GAME_GRID} cross-fitted (chosen on validation to score test and on test to "
            "score validation).",
            "- Pre-game: `PreGameModel` (logistic) refit weekly on every earlier game: home "
            "ice, team identity + home ice, and the dressed lineups' home-minus-away mean "
            "latent (`mean`; `position` pools within forwards / defence / goalies); C "
            "cross-fitted the same way. The latents are those of the one run (trained on the "
            "games before validation), so no scored game is seen by them.",
            "- Later rates and re-identification: see their sections."]


def suite_markdown(payload: dict[str, Any], prov_lines: list[str], title: str) -> list[str]:
    """The whole report: provenance, latent source and leak check, headline, sections."""
    src = payload["latents"]
    lines = [f"# {title}", "", *prov_lines, "",
             f"Latents: {src['kind']} `{src['run']}` ({src['players']} players, d = {src['d']}, "
             f"best epoch {src['best_epoch']}; positions {src['positions']}).",
             f"Leak check: {json.dumps(payload['leak_check'])}.", "",
             "## Headline", "", *headline(payload), "", "## Method", "",
             *method_lines(payload), "",
             "## Expected goals (95% paired game-bootstrap intervals)", "",
             *_goal_lines(payload["goals"]), "## Win probability", "",
             *_outcome_lines(payload["outcome"]), "## Player-level checks", "",
             *_player_lines(payload["player_level"])]
    if payload.get("recovery"):
        rec = pd.DataFrame(payload["recovery"])
        lines += ["## Recovery of the simulated finishing and goalie effects", "",
                  "Each model's implied per-player goal log-odds shift against the simulator's "
                  "(slope 1 = the full effect recovered, 0 = none).", "",
                  md_table(rec, digits=3), ""]
    if payload.get("latent_probe"):
        lines += ["## Latents against the simulated styles", "",
                  "Ridge (penalty by CV) from a player's latent to the style, fit on 70% of "
                  "the players with >= 10 training events, R^2 on the other 30% "
                  "(`hockey_vae.embed.probe_styles`).", "",
                  md_table(pd.DataFrame(payload["latent_probe"]), digits=3), ""]
    if payload.get("figures"):
        lines += ["## Figures", "", *[f"![{k}]({v})" for k, v in payload["figures"].items()],
                  ""]
    if payload["nulls"]:
        lines += ["## Null entries", "", *[f"- `{k}`: {v}" for k, v in
                                           payload["nulls"].items()], ""]
    if payload.get("notes"):
        lines += ["## Notes", "", *[f"- {n}" for n in payload["notes"]], ""]
    return lines

"""Run every piece of the consolidated downstream report on one dataset and one latent source.

`run_suite` takes the canonical tables, the downstream split and a per-player latent table
(from an integrated `player-latent` run via `run_player_table`, or any table of the same
layout) and returns the report payload: `goals`, `outcome`, `player_level`, on simulated
data `recovery`, and `nulls` (dotted key -> why that piece is null for this dataset).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hockey_vae.downstream.suite import Nulls, rates_section, run_goals
from hockey_vae.downstream.suite_outcome import in_game_section, pre_game_section

__all__ = ["SuiteOptions", "run_suite", "reid_section"]

log = logging.getLogger(__name__)


@dataclass
class SuiteOptions:
    """Knobs of `run_suite`: bootstrap size, seed, in-game training stride, the rate check's
    minimum games per part, where figures go (`figures_dir`/<name>_*.png; none if empty),
    and re-identification: `reid` "integrated" (a split-identity
    refit of `latents_run`'s model in `reid_run_dir`, `reid_epochs` at most), "prototype"
    (the standalone model, `fit_player_table`) or "none"."""

    n_boot: int = 500
    seed: int = 0
    stride: int = 4
    min_games: int = 10
    reid: str = "integrated"
    reid_epochs: int = 60
    latents_run: str = ""
    reid_run_dir: str = ""
    figures_dir: str = ""
    name: str = "suite"


def _timed(name: str, timings: dict[str, float], fn: Any, *args: Any, **kw: Any) -> Any:
    t0 = time.process_time()
    out = fn(*args, **kw)
    timings[name] = round(time.process_time() - t0, 1)
    log.info("%s done (%.0f CPU s)", name, timings[name])
    return out


def _reid_table(events: pd.DataFrame, rosters: pd.DataFrame, games: pd.DataFrame,
                halves: tuple[list[str], list[str]], opts: SuiteOptions
                ) -> tuple[pd.DataFrame, dict[str, Any], str]:
    """(split-identity player table, fit info, source description) per `opts.reid`."""
    h1, h2 = halves
    if opts.reid == "integrated":
        from hockey_vae.downstream.reid_run import fit_split_identity_run

        table, info = fit_split_identity_run(events, rosters, games, h1, h2, opts.latents_run,
                                             opts.reid_run_dir, epochs=opts.reid_epochs)
        return table, info, ("the integrated player-latent model refit with the latent run's "
                             "settings on the last season, each player's second-half games "
                             "under a separate identity (every 20th game held out for early "
                             f"stopping; epochs capped at {info['epochs']}, best epoch "
                             f"{info['best_epoch']})")
    from hockey_vae.downstream.player_checks import split_identities
    from hockey_vae.downstream.player_tables import fit_player_table

    ev2, ro2 = split_identities(events, rosters, h2)
    span = "team" if str(games["league"].iloc[0]) == "SIM" else "player"
    table, info = fit_player_table(ev2, ro2, h1 + h2, epochs=opts.reid_epochs, seed=opts.seed,
                                   dressed_span=span)
    return table, info, ("the standalone player-latent prototype (fit_player_table) on the "
                         "last season, each player's second-half games under a separate "
                         "identity")


def reid_section(events: pd.DataFrame, rosters: pd.DataFrame, games: pd.DataFrame,
                 opts: SuiteOptions) -> dict[str, Any]:
    """Re-identification across the halves of the last season (`reidentify`): a player's
    first-half latent against every second-half identity, both directions."""
    from hockey_vae.boxscore import boxscore_rates
    from hockey_vae.downstream.player_checks import (
        HALF_SUFFIX,
        box_reid,
        half_season_games,
        reidentify,
    )

    season = str(games["season"].astype(str).max())
    h1, h2 = half_season_games(games, season)
    joint, info, source = _reid_table(events, rosters, games, (h1, h2), opts)
    box1, box2 = boxscore_rates(events, rosters, h1), boxscore_rates(events, rosters, h2)
    ids = set(joint["player_id"].astype(str))
    players = [p for p in box1.index[box1["games"] >= opts.min_games].intersection(
        box2.index[box2["games"] >= opts.min_games]) if p in ids and p + HALF_SUFFIX in ids]
    res = reidentify(joint, players)  # box score on the same players: a like-for-like baseline
    return {**res, "boxscore": box_reid(box1, box2, players), "season": season, "halves_games": [len(h1), len(h2)],
            "min_games": opts.min_games, "latent_fit": info, "source": source}


def run_suite(tables: dict[str, pd.DataFrame], part: pd.Series, table: pd.DataFrame,
              opts: SuiteOptions) -> dict[str, Any]:
    """Every piece on `tables` (events, rosters, games[, players]) split by `part`."""
    ev, ro, ga = tables["events"], tables["rosters"], tables["games"]
    nulls, timings = Nulls(), {}
    goals, xg = _timed("goals", timings, run_goals, ev, ro, part, table, nulls,
                       n_boot=opts.n_boot, seed=opts.seed)
    outcome = {"in_game": _timed("in_game", timings, in_game_section, ev, ro, ga, part, table,
                                 stride=opts.stride, n_boot=opts.n_boot, seed=opts.seed),
               "pre_game": _timed("pre_game", timings, pre_game_section, ga, ro, part, table,
                                  n_boot=opts.n_boot, seed=opts.seed)}
    if ev["on_ice_for"].notna().mean() < 0.5:
        outcome["in_game"]["caveat"] = (
            f"on-ice lists on only {ev['on_ice_for'].notna().mean():.1%} of events: the "
            "on-ice latents are mostly carried forward from the last listed event")
    player_level: dict[str, Any] = {
        "rates": _timed("rates", timings, rates_section, ev, ro, ga, part, table,
                        min_games=opts.min_games, seed=opts.seed)}
    if opts.reid != "none":
        player_level["reid"] = _timed("reid", timings, reid_section, ev, ro, ga, opts)
    else:
        player_level["reid"] = None
        nulls.add("player_level.reid", "not run (--reid none)")
    payload: dict[str, Any] = {"goals": goals, "outcome": outcome, "player_level": player_level}
    if "players" in tables:
        from hockey_vae.downstream.recovery import recovery

        truth = tables["players"]
        rec = recovery(xg["fitted"], xg["train_shots"],
                       truth.set_index(truth["player_id"].astype(str)))
        payload["recovery"] = rec.to_dict("records")
        payload["latent_probe"] = _probe(table, truth, nulls)
    if opts.figures_dir:
        payload["figures"] = _figures(payload, xg["predictions"], opts)
    payload["nulls"] = dict(nulls)
    payload["cpu_seconds"] = timings
    return payload



def _probe(table: pd.DataFrame, truth: pd.DataFrame, nulls: Nulls) -> list[dict[str, Any]]:
    """Held-out ridge R^2 from the latents to the simulated finishing and goaltending
    (`probe_styles`); a style without any player in the table is null with the reason."""
    from hockey_vae.embed import probe_styles

    styles = [c for c in ("finishing", "goaltending") if c in truth.columns]
    probe = probe_styles(table, truth, style_columns=styles)
    for style in styles:
        if style not in set(probe.get("style", [])):
            nulls.add(f"latent_probe.{style}", "too few players with this style have a "
                      "latent (the simulator's goalies never act, so the run has none)")
    return probe.to_dict("records")


def _figures(payload: dict[str, Any], predictions: pd.DataFrame, opts: SuiteOptions
             ) -> dict[str, str]:
    """The paired-difference and xG calibration figures; {what: path relative to the report}."""
    from pathlib import Path

    from hockey_vae.downstream.suite_figures import goals_calibration_figure, paired_figure

    folder = Path(opts.figures_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = {"paired": folder / f"{opts.name}_paired.png",
           "goals_calibration": folder / f"{opts.name}_goals_calibration.png"}
    paired_figure(payload, out["paired"], f"{opts.name}: what the latents change")
    goals_calibration_figure(predictions, out["goals_calibration"],
                             f"{opts.name}: expected goals on the test shots")
    return {k: f"{folder.name}/{v.name}" for k, v in out.items()}

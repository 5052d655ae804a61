"""The demo's stages on the embedded synthetic league: simulate, read back, summarise, report.

`hockey-vae demo` (hockey_vae/cli/demo.py) runs them in order; each is a small function on
plain objects so a notebook can run them one by one too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from hockey_vae.ingest import load_tables
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import Ingested, write_tables

__all__ = ["simulate_stage", "load_stage", "summarize", "format_summary", "format_results",
           "DEMO_TEAMS", "DEMO_GAMES"]

DEMO_TEAMS = 16  # small league: the whole demo takes well under a minute on 2 cores
DEMO_GAMES = 30  # games per team -> 240 games


def simulate_stage(out: Path, seed: int, teams: int = DEMO_TEAMS,
                   games: int = DEMO_GAMES) -> Path:
    """Simulate the league and write its tables into `out/data`; return that folder."""
    data_dir = Path(out) / "data"
    write_tables(simulate_league(n_teams=teams, games=games, seed=seed), data_dir)
    return data_dir


def load_stage(data_dir: Path) -> Ingested:
    """Read the canonical tables back (validated), as every later stage does."""
    return load_tables(data_dir)


def summarize(data: Ingested) -> dict:
    """Counts an analyst checks first: games, events, players, event types, goals, home wins."""
    games = data.games
    n_games = games.num_rows
    home = games.column("home_goals").to_numpy().astype(float)
    away = games.column("away_goals").to_numpy().astype(float)
    types = pc.value_counts(data.events.column("event_type")).to_pylist()
    decided = pc.value_counts(games.column("decided_in")).to_pylist()
    winner = games.column("winner").to_numpy(zero_copy_only=False)
    return {
        "games": n_games,
        "events": data.events.num_rows,
        "events_per_game": data.events.num_rows / max(n_games, 1),
        "players": pc.count_distinct(data.rosters.column("player_id")).as_py(),
        "event_types": {t["values"]: t["counts"]
                        for t in sorted(types, key=lambda t: -t["counts"])},
        "goals_per_game": float(np.mean(home + away)) if n_games else 0.0,
        "home_win_share": float(np.mean(winner == "home")) if n_games else 0.0,
        "decided_in": {d["values"]: d["counts"] for d in decided},
    }


def format_summary(summary: dict) -> str:
    """The summary as a few readable lines."""
    lines = [
        f"{summary['games']} games, {summary['events']} events "
        f"({summary['events_per_game']:.0f} per game), {summary['players']} players",
        f"goals per game {summary['goals_per_game']:.2f} (shootout winners counted), "
        f"home win share {summary['home_win_share']:.3f}",
        "decided in: " + ", ".join(f"{k} {v}" for k, v in summary["decided_in"].items()),
        "event types:",
    ]
    lines += [f"  {name:<14} {count:>8}" for name, count in summary["event_types"].items()]
    return "\n".join(lines)


def format_results(report: dict) -> str:
    """Held-out accuracy and log-likelihood per model and candidate set, one line each."""
    lines = [f"{'model':<12} {'candidates':<8} {'top1':>6} {'top5':>6} {'loglik':>8} {'events':>7}"]
    for model, sets in report["models"].items():
        for name in ("all", "roster", "on_ice", "sparse"):
            r = sets.get(name)
            if r and r.get("n_events"):
                lines.append(f"{model:<12} {name:<8} {r['top1']:>6.3f} {r['top5']:>6.3f} "
                             f"{r['loglik']:>8.3f} {r['n_events']:>7}")
    for probe in report.get("probe") or []:
        lines.append(f"embedding -> true {probe['style']}: held-out R^2 {probe['r2']:.2f}")
    return "\n".join(lines)

"""`hockey-vae demo`: the main job on the embedded synthetic league, stage by stage.

Simulate a small league, write it, read it back, summarise it, then train every model and
baseline, evaluate them on the held-out games, export embeddings and write a report
(`hockey_vae.benchmark.run_pipeline`). Each stage is a small function on plain objects.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from hockey_vae.benchmark import DEMO_CONFIG, run_pipeline
from hockey_vae.config import load_config
from hockey_vae.ingest import load_tables
from hockey_vae.models import MODEL_NAMES
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import Ingested, write_tables

__all__ = ["register", "run", "simulate_stage", "load_stage", "summarize", "format_summary",
           "format_results",
           "DEMO_TEAMS", "DEMO_GAMES"]

DEMO_TEAMS = 16  # small league: the whole demo takes well under a minute on 2 cores
DEMO_GAMES = 30  # games per team -> 240 games


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run the pipeline on a small simulated league (offline)",
        description="Simulate a small league into OUT/data, read it back, summarise it, then "
                    "train, evaluate and embed every model and write OUT/report/player_id.md.")
    parser.add_argument("--out", default="hockey_vae_demo", metavar="DIR",
                        help="output folder (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="random seed (default %(default)s)")
    parser.add_argument("--teams", type=int, default=DEMO_TEAMS, help=argparse.SUPPRESS)
    parser.add_argument("--games", type=int, default=DEMO_GAMES, help=argparse.SUPPRESS)
    parser.add_argument("--models", default=",".join(MODEL_NAMES), help=argparse.SUPPRESS)
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="config file (features/model/train) merged over the demo preset")
    parser.set_defaults(func=run)


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


def run(args: argparse.Namespace, echo: Callable[[str], None] = print) -> int:
    """Simulate -> write -> read back -> summarise -> train, evaluate, embed, report."""
    out = Path(args.out)
    config = getattr(args, "config", None)
    load_config(config, defaults=DEMO_CONFIG)  # refuse a bad file before simulating
    echo(f"[1/4] simulating {args.teams} teams x {args.games} games (seed {args.seed})")
    data_dir = simulate_stage(out, args.seed, args.teams, args.games)
    echo(f"[2/4] reading back {data_dir}")
    data = load_stage(data_dir)
    echo("[3/4] summary")
    echo(format_summary(summarize(data)))
    models = [m for m in args.models.split(",") if m]
    echo(f"[4/4] training, evaluating and embedding {', '.join(models)} (held-out games by date)")
    report = run_pipeline(data, out / "report", seed=args.seed, models=models, config=config,
                          progress=True)
    echo(format_results(report))
    echo(f"report: {out / 'report' / 'player_id.md'}; runs: {out / 'report' / 'runs'}")
    return 0

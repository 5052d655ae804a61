"""The demo's stages on the embedded synthetic league: simulate, read back, summarise, report.

`hockey-vae demo` (hockey_vae/cli/demo.py) runs them in order; each is a small function on
plain objects so a notebook can run them one by one too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from hockey_vae.ingest import load_tables
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import Ingested, write_tables

__all__ = ["simulate_stage", "load_stage", "summarize", "format_summary", "format_results",
           "latent_probe_stage", "format_latent_probe", "DEMO_TEAMS", "DEMO_GAMES"]

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


RESULTS_LEGEND = ("top-1 = share of held-out events whose acting player is the model's first "
                  "pick; loglik = mean natural-log probability of the true player (higher is "
                  "better; a uniform guess over a dressed roster of ~19 is -2.94); roster = "
                  "candidates are the acting team's dressed players, on ice = the players on "
                  "the ice, sparse = roster events by players in the bottom quarter of "
                  "training events")


def format_results(report: dict) -> str:
    """Held-out accuracy and log-likelihood, one line per model, with a one-line legend."""
    sets = ("roster", "on_ice", "sparse")
    head = f"{'model':<18}" + "".join(f" {s + ' top-1':>13} {s + ' loglik':>14}" for s in sets)
    lines = [RESULTS_LEGEND, head]
    for model, by_set in report["models"].items():
        cells = []
        for name in sets:
            r = by_set.get(name) or {}
            ok = bool(r.get("n_events"))
            cells.append(f" {100 * r['top1']:>12.1f}% {r['loglik']:>14.3f}" if ok
                         else f" {'-':>13} {'-':>14}")
        lines.append(f"{model.replace('_', '-'):<18}" + "".join(cells))
    # the benchmark probes the first model with embeddings, in the order the models ran
    probed = next((m for m in report["models"] if m in ("cvae", "player_latent")), "latent")
    probes = report.get("probe") or []
    if probes:
        lines.append(f"{probed.replace('_', '-')} per-player embedding -> true style, held-out "
                     "R^2: " + ", ".join(f"{p['style']} {p['r2']:.2f}" for p in probes))
    return "\n".join(lines)


def write_player_embeddings(run_dir: Path, data: Ingested, out: Path) -> Path:
    """Per-player embeddings (posterior mean emb_* and sd emb_sd_*) of a trained run, over
    all its games, written to `out` (Parquet or CSV by suffix)."""
    from hockey_vae.embed import embed_events, embed_players, write_embeddings
    from hockey_vae.train import load_run

    run = load_run(run_dir)
    players = embed_players(embed_events(run, data), data.rosters)
    return write_embeddings(players, out)


def latent_probe_stage(data: Ingested, seed: int, epochs: int = 60,
                       run_dir: Path | None = None) -> pd.DataFrame:
    """Probe every true style from per-player latent means, beside a box-score probe of the
    same training games; R^2 per style (columns boxscore, latent, n).

    With `run_dir` (a `player-latent` run, as stage 4 trains it) the latents are that
    integrated model's posterior means of u_j on its training games; without it the
    standalone prototype (`models.player_latent`) is fit on the first 80% of games.
    """
    from hockey_vae.boxscore import boxscore_rates
    from hockey_vae.latent_probe import probes, r2_tables, train_games

    events, rosters = data.events.to_pandas(), data.rosters.to_pandas()
    if run_dir is not None:
        emb, train = _run_latents(run_dir, rosters)
    else:
        from hockey_vae.models.latent_events import build_latent_events
        from hockey_vae.models.player_latent import (
            PlayerLatentConfig,
            fit_player_latent,
            player_embeddings,
        )

        train = train_games(data.games.to_pandas())
        latent = build_latent_events(events, rosters, train)
        model, _ = fit_player_latent(latent, PlayerLatentConfig(epochs=epochs, seed=seed))
        emb = player_embeddings(model, latent)
    box = boxscore_rates(events, rosters, train)
    truth = data.players.to_pandas().set_index("player_id")
    wide, _ = r2_tables(probes(emb, box, truth, seed))
    return wide[["boxscore", "latent", "n"]]


def _run_latents(run_dir: Path, rosters: pd.DataFrame, which: str = "best"
                 ) -> tuple[pd.DataFrame, list[str]]:
    """(per-player table: player_id, position, n_events (training), emb_* = posterior means
    of u_j; the run's training games) of a trained `player-latent` run, for every player
    dressed in its training games: one outside its vocabulary (never acted in training, as
    the simulator's goalies) gets his own extra latent when the model has one, else his
    position token's latent, the prior mean. `which`: the checkpoint (`load_run`'s)."""
    from hockey_vae.train import load_run

    run = load_run(run_dir, which)
    mean, _ = run.model.player_latents()
    vocab = run.encoder.vocab_
    train = list(run.split["train"])
    ro = rosters[rosters["game_id"].isin(set(train))].dropna(subset=["player_id"])
    pos = ro.groupby("player_id")["position"].agg(lambda s: s.value_counts().index[0]
                                                  if s.notna().any() else None)
    extra_ids, extra_mean, _, _ = (run.model.extra_latents()
                                   if hasattr(run.model, "extra_latents") else ([], None, 0, 0))
    if extra_ids:  # players with a latent of their own outside the vocabulary (goalies)
        mean = np.concatenate([mean, extra_mean])
    extra = {pid: len(vocab) + i for i, pid in enumerate(extra_ids)}
    idx = np.asarray([extra.get(str(p), vocab.index(str(p), q)) for p, q in pos.items()],
                     dtype=np.int64)
    emb = pd.DataFrame(mean[idx], columns=[f"emb_{i}" for i in range(mean.shape[1])])
    counts = np.concatenate([np.asarray(vocab.counts, dtype=np.int64),
                             np.zeros(len(extra_ids), np.int64)])
    emb.insert(0, "n_events", counts[idx])
    emb.insert(0, "position", pd.Series(pos.to_numpy(), dtype="string"))
    emb.insert(0, "player_id", pd.Series(pos.index.astype(str), dtype="string"))
    return emb, train


def format_latent_probe(wide: pd.DataFrame, prototype: pd.DataFrame | None = None) -> str:
    """The probe table with a line saying what R^2 means; with `prototype` (another
    `latent_probe_stage` table), its latent column beside."""
    lines = ["R^2 = share of a true style's variance across players that a linear map predicts "
             "for players it was not fit on (5-fold cross-validation over players); 1 is "
             "perfect, 0 no better than the league mean.",
             f"{'style':<14} {'box score':>9} {'player latent':>13} "
             + (f"{'prototype':>9} " if prototype is not None else "") + f"{'players':>7}"]
    for style, r in wide.iterrows():
        proto = ""
        if prototype is not None:
            v = prototype["latent"].get(style, float("nan"))
            proto = f"{v:>9.2f} "
        lines.append(f"{style:<14} {r.boxscore:>9.2f} {r.latent:>13.2f} {proto}{int(r.n):>7}")
    return "\n".join(lines)

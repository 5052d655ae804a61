"""Benchmark: simulate a full synthetic season; time it and check how NHL-like it looks.

Usage: python benchmarks/simulate.py [--teams 32] [--games 82] [--seed 0]
                                     [--report reports/simulate/simulate.md]

One timed run of `simulate_league` (single process, numpy only, no torch), one timed
write of its four Parquet tables, then league-level statistics, how strongly the true
styles show up in per-player rates, and a style oracle for player identification: among
the acting team's on-ice skaters, guess the actor from the simulator's true weights for
the event type alone (`actor_weights`), the ceiling for a model that sees only the type.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae.reporting import git_commit
from hockey_vae.simulate import actor_weights, simulate_league
from hockey_vae.sources.base import write_tables

SHOT_ATTEMPTS = ["shot", "missed_shot", "goal"]


def league_stats(ev: pd.DataFrame, games: pd.DataFrame) -> dict[str, float]:
    """League-level counts and rates to compare with the NHL (goals, shots, manpower ...)."""
    n = len(games)
    team = ev[ev.team.notna()]
    on_net = ev.event_type.isin(["shot", "goal"]).sum()
    goals = (ev.event_type == "goal").sum()
    per_game = ev.groupby("game_id").size()
    manpower = team.skaters_for.astype(int).astype(str) + "v" + \
        team.skaters_against.astype(int).astype(str)
    return {
        "games": n,
        "events": len(ev),
        "events per game (mean)": len(ev) / n,
        "events per game (min / max)": f"{per_game.min()} / {per_game.max()}",
        "goals per game, final score (shootout winner +1)":
            (games.home_goals + games.away_goals).mean(),
        "goals per game, goal events": goals / n,
        "shot attempts per game (shot, missed, blocked, goal)":
            ev.event_type.isin(SHOT_ATTEMPTS + ["blocked_shot"]).sum() / n,
        "save share of shots on goal": 1 - goals / on_net,
        "home win share": (games.winner == "home").mean(),
        "decided in regulation / overtime / shootout": " / ".join(
            f"{(games.decided_in == d).mean():.3f}"
            for d in ("regulation", "overtime", "shootout")),
        "empty-net goals per game":
            ((ev.event_type == "goal") & (ev.skaters_against == 6)).sum() / n,
        "power-play goal share": ((ev.event_type == "goal")
                                  & (ev.skaters_for > ev.skaters_against)
                                  & (ev.skaters_against < 6)).sum() / goals,
        "team events at 5v5 / 5v4+4v5 / other": " / ".join(
            f"{s:.3f}" for s in (
                (manpower == "5v5").mean(), manpower.isin(["5v4", "4v5"]).mean(),
                (~manpower.isin(["5v5", "5v4", "4v5"])).mean())),
    }


def style_signal(ev: pd.DataFrame, pl: pd.DataFrame) -> dict[str, float]:
    """Spearman correlation between per-player rates in the data and the true styles."""
    def rate(kinds: list[str], who: pd.Index) -> pd.Series:
        sub = ev[ev.event_type.isin(kinds)]
        made = sub.player_id.value_counts().reindex(who, fill_value=0)
        return (made / sub.on_ice_for.explode().value_counts().reindex(who)).dropna()

    fwd = pl.index[pl.position.isin(["C", "LW", "RW"])]
    skaters = pl.index[pl.position != "G"]
    fo = ev[ev.event_type == "faceoff"]
    won = fo.player_id.value_counts()
    taken = won.add(fo.player2_id.value_counts(), fill_value=0)
    centres = pl.index[pl.position == "C"].intersection(taken.index[taken >= 100])
    shots = ev[ev.event_type.isin(SHOT_ATTEMPTS) & (ev.x > 25)]
    dist = np.hypot(89.0 - shots.x, shots.y).groupby(shots.player_id).mean()
    dist = dist[dist.index.isin(fwd)]
    out = {}
    for label, r, style in (
        ("shot attempts per on-ice attempt (F) vs shooting", rate(SHOT_ATTEMPTS, fwd),
         "shooting"),
        ("hits per on-ice hit vs hitting", rate(["hit"], skaters), "hitting"),
        ("takeaways per on-ice takeaway vs defense", rate(["takeaway"], skaters), "defense"),
        ("penalties per on-ice penalty vs discipline", rate(["penalty"], skaters),
         "discipline"),
        ("faceoff win rate (C, >= 100 draws) vs faceoff",
         (won.reindex(centres, fill_value=0) / taken[centres]), "faceoff"),
        ("mean shot distance (F) vs shot_distance", dist, "shot_distance"),
    ):
        out[label] = r.corr(pl[style].reindex(r.index), method="spearman")
    return out


def oracle(ev: pd.DataFrame, pl: pd.DataFrame) -> pd.DataFrame:
    """Top-1 accuracy and mean log-likelihood of the true actor under the true weights."""
    weights = actor_weights(pl.reset_index().pipe(_to_arrow))
    sub = ev[ev.event_type.isin(weights.columns)].reset_index(drop=True)
    flat = sub.on_ice_for.explode().rename("player").rename_axis("row").reset_index()
    kinds = sub.event_type.to_numpy()[flat.row]
    w = weights.to_numpy()[weights.index.get_indexer(flat.player),
                           weights.columns.get_indexer(kinds)]
    flat["w"] = w
    flat = flat[flat.w > 0]  # skaters only (goalies have weight 0)
    flat["p"] = flat.w / flat.groupby("row").w.transform("sum")
    flat["n"] = flat.groupby("row").w.transform("size")
    flat["actor"] = flat.player.to_numpy() == sub.player_id.to_numpy()[flat.row]
    best = flat.sort_values("p", ascending=False).drop_duplicates("row")
    true = flat[flat.actor].set_index("row")
    table = pd.DataFrame({
        "events": sub.groupby("event_type").size().astype(object),
        "chance top-1": (1.0 / true.n).groupby(sub.event_type[true.index].to_numpy()).mean(),
        "oracle top-1": best.set_index("row").actor.groupby(
            sub.event_type[best.row].to_numpy()).mean(),
        "chance log-lik": np.log(1.0 / true.n).groupby(
            sub.event_type[true.index].to_numpy()).mean(),
        "oracle log-lik": np.log(true.p).groupby(sub.event_type[true.index].to_numpy()).mean(),
    })
    total = {
        "events": len(sub), "chance top-1": (1.0 / true.n).mean(),
        "oracle top-1": best.actor.mean(), "chance log-lik": np.log(1.0 / true.n).mean(),
        "oracle log-lik": np.log(true.p).mean(),
    }
    table.loc["all (no faceoffs)"] = total
    return table


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table, index dropped."""
    return pa.Table.from_pandas(frame, preserve_index=False)


def frame_markdown(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table, floats to 3 decimals."""
    head = "| " + " | ".join([frame.index.name or ""] + list(frame.columns)) + " |"
    lines = [head, "|" + "---|" * (len(frame.columns) + 1)]
    for idx, row in frame.iterrows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join([str(idx)] + cells) + " |")
    return "\n".join(lines)


def markdown_table(rows: dict[str, object]) -> str:
    """A quantity -> value mapping as a two-column Markdown table."""
    lines = ["| quantity | value |", "|---|---|"]
    for k, v in rows.items():
        lines.append(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
    return "\n".join(lines)


def _report(command: str, args: argparse.Namespace, sections: dict[str, dict],
            orc: pd.DataFrame) -> str:
    """The Markdown report: provenance, then one section per block of numbers."""
    return "\n\n".join([
        "# Synthetic league: speed and realism",
        f"Command: `{command}`  \nCommit: `{git_commit()}`  \n"
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores "
        f"(shared with other jobs while measured), Python {platform.python_version()}, "
        f"numpy {np.__version__}  \nData: `simulate_league(n_teams={args.teams}, "
        f"games={args.games}, seed={args.seed})`, default `LeagueConfig`.",
        "## Speed (single run)\n\n" + markdown_table(sections["timing"]),
        "## League\n\n" + markdown_table(sections["stats"]),
        "## Event types per game\n\n" + markdown_table(sections["types"]),
        "## True styles in the data (Spearman over players)\n\n"
        + markdown_table(sections["signal"]),
        "## Identification oracle\n\nAmong the acting team's on-ice skaters, the actor under "
        "the simulator's true weights for the event type alone (`actor_weights`; location "
        "ignored, faceoffs excluded). Chance = uniform over those skaters. Log-likelihoods "
        "are natural logs of the true actor's probability.\n\n"
        + frame_markdown(orc),
    ]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Simulate, time, summarise, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--games", type=int, default=82, help="games per team")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=Path,
                        default=Path(__file__).resolve().parents[1] / "reports" / "simulate" / "simulate.md")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    league = simulate_league(n_teams=args.teams, games=args.games, seed=args.seed)
    sim_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_tables(league, tmp)
        write_s = time.perf_counter() - start
        size_mb = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
    ev = league.events.to_pandas()
    games = league.games.to_pandas()
    pl = league.players.to_pandas().set_index("player_id")

    timing = {
        "simulate_league (one run)": f"{sim_s:.2f} s",
        "events per second": f"{len(ev) / sim_s:,.0f}",
        "write_tables (validate + 4 Parquet files)": f"{write_s:.2f} s ({size_mb:.1f} MiB)",
    }
    stats = league_stats(ev, games)
    types = (ev.event_type.value_counts() / len(games)).round(2)
    signal = style_signal(ev, pl)
    orc = oracle(ev, pl)

    print(f"season: {args.teams} teams x {args.games} games per team, seed {args.seed}")
    for block in (timing, stats, signal):
        for k, v in block.items():
            print(f"  {k}: {v:.3f}" if isinstance(v, float) else f"  {k}: {v}")
    print("event types per game:\n" + types.to_string())
    print("identification oracle (on-ice skaters of the acting team, type only):")
    print(orc.round(3).to_string())

    command = "python benchmarks/simulate.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    sections = {"timing": timing, "stats": stats, "types": types.to_dict(), "signal": signal}
    report = _report(command.strip(), args, sections, orc)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report)
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

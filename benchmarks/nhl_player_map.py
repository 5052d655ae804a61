"""The NHL per-player embedding map, named, and well-known players' nearest neighbours.

Issue 14 asks for the map (coloured by position, the most active players named) and five
well-known players with their neighbours. Beside the lists, two checks say whether the
neighbours mean anything: how often a player's ten nearest share his position (against the
position mix), and how much two seeds' runs agree on each player's ten nearest (against
what two random lists of ten would share).

    python benchmarks/nhl_player_map.py --data NHL_DIR --runs RUNS_DIR/nhl_lineup_pl/seed0 \
        RUNS_DIR/nhl_lineup_pl/seed1 --out reports/player_id/nhl_player_map
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hockey_vae.features import as_tables
from hockey_vae.ingest import load_tables
from hockey_vae.plots import embedding_map, figure_title, save_figure
from hockey_vae.reporting import git_commit
from hockey_vae.schema import embedding_columns
from hockey_vae.similar import player_embeddings, similar_players
from hockey_vae.split_check import games_to_score
from hockey_vae.train import load_run

WELL_KNOWN = ("Connor McDavid", "Sidney Crosby", "Alex Ovechkin", "Patrice Bergeron",
              "Erik Karlsson")
K = 10
MIN_EVENTS = 200  # players compared in the checks: regulars, whose means are not noise


def training_players(run_dir: str, data: str) -> tuple[pd.DataFrame, int]:
    """Per-player embeddings of the run's training games, and how many games those are."""
    run = load_run(run_dir, device="cpu")
    tables = as_tables(load_tables(data))
    games, _ = games_to_score(run.split, "train", tables.games["game_id"].astype(str).tolist())
    tables.events = tables.events[tables.events["game_id"].isin(games)].reset_index(drop=True)
    tables.games = tables.games[tables.games["game_id"].isin(games)].reset_index(drop=True)
    return player_embeddings(run, tables), len(games)


def neighbour_ids(players: pd.DataFrame, k: int = K) -> dict[str, list[str]]:
    """Each regular's k nearest regulars (cosine on standardised means), by player id."""
    regs = players[players["n_events"] >= MIN_EVENTS].reset_index(drop=True)
    X = regs[embedding_columns(regs)].to_numpy(np.float64)
    Z = (X - X.mean(0)) / np.where(X.std(0) > 1e-12, X.std(0), 1.0)
    Z /= np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
    cos = Z @ Z.T
    np.fill_diagonal(cos, -np.inf)
    order = np.argsort(-cos, axis=1)[:, :k]
    ids = regs["player_id"].astype(str).to_numpy()
    return {ids[i]: list(ids[order[i]]) for i in range(len(ids))}


def position_agreement(players: pd.DataFrame, nbrs: dict[str, list[str]]) -> dict[str, float]:
    """Share of each regular's neighbours at his position, against the position mix's chance."""
    pos = players.set_index(players["player_id"].astype(str))["position"].astype(str)
    same = [np.mean([pos[n] == pos[p] for n in ns]) for p, ns in nbrs.items()]
    mix = pos[list(nbrs)].value_counts(normalize=True)
    return {"same_position": float(np.mean(same)), "chance": float((mix ** 2).sum()),
            "n_players": len(nbrs)}


def seed_agreement(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, float]:
    """Mean overlap of two runs' k-nearest lists per shared regular, and chance's."""
    shared = sorted(set(a) & set(b))
    overlap = [len(set(a[p]) & set(b[p])) / K for p in shared]
    return {"overlap": float(np.mean(overlap)), "chance": K / max(len(shared) - 1, 1),
            "n_players": len(shared)}


def neighbour_table(players: pd.DataFrame) -> tuple[list[dict], list[str]]:
    """The well-known players' neighbour lists (missing names are reported, not guessed)."""
    out, missing = [], []
    for name in WELL_KNOWN:
        try:
            near = similar_players(players, name, k=5, min_events=MIN_EVENTS)
        except ValueError:
            missing.append(name)
            continue
        query = near.attrs["query"]
        out.append({"player": name, "position": str(query.get("position")),
                    "n_events": int(query.get("n_events", 0)),
                    "neighbours": [{"name": str(r.player_name), "team": str(r.team),
                                    "position": str(r.position), "n_events": int(r.n_events),
                                    "distance": round(float(r.distance), 3)}
                                   for r in near.itertuples()]})
    return out, missing


def write_markdown(path: Path, report: dict) -> None:
    """The report's markdown twin."""
    pa, sa = report["position_agreement"], report["seed_agreement"]
    lines = [
        "# NHL per-player embeddings: the map and five well-known players' neighbours", "",
        f"- command: `{report['command']}`",
        f"- data: `{report['data']}`; games: the runs' training games ({report['n_games']}; "
        "each player's embedding is the posterior mean of his latent u_j, which training "
        "fit on these games)",
        f"- model: `{report['latent_model']}` (runs {', '.join(report['runs'])}); commit "
        f"`{report['commit']}`",
        "- distance: cosine on the posterior means, each unit standardised over the players "
        f"compared; players compared: those with >= {MIN_EVENTS} training events.", "",
        f"![map]({Path(report['figure']).name})", "",
        "## Do the neighbours mean anything?", "",
        f"- Position: {pa['same_position']:.1%} of a regular's {K} nearest play his position "
        f"(chance from the position mix: {pa['chance']:.1%}; {pa['n_players']} regulars, "
        "first run).",
        f"- Stability: two seeds' runs share {sa['overlap']:.1%} of each regular's {K} "
        f"nearest (chance: {sa['chance']:.1%}; {sa['n_players']} regulars). A neighbour list "
        "that seeds do not reproduce says little about the player.", "",
        "## Five well-known players (first run)", ""]
    for entry in report["neighbours"]:
        near = "; ".join(f"{n['name']} ({n['position']}, {n['team']}, {n['distance']:.2f})"
                         for n in entry["neighbours"])
        lines.append(f"- **{entry['player']}** ({entry['position']}, {entry['n_events']} "
                     f"events): {near}")
    if report["missing"]:
        lines.append(f"- not found in the training games: {', '.join(report['missing'])}")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Embed, draw, list and check; write OUT.md, OUT.json and OUT_map.png."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="NHL canonical tables folder")
    ap.add_argument("--runs", nargs=2, required=True,
                    help="two benchmark run folders of player-latent, different seeds")
    ap.add_argument("--out", required=True, help="report path prefix")
    ap.add_argument("--data-label", default="NHL_DIR")
    ap.add_argument("--runs-label", nargs=2, default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model_dirs = [str(Path(r) / "player-latent") for r in args.runs]
    (first, n_games), (second, _) = (training_players(d, args.data) for d in model_dirs)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure = out.with_name(out.name + "_map.png")
    title = figure_title("Player embeddings (PCA)", model="player-latent",
                         data=args.data_label, split=f"train ({n_games} games)")
    save_figure(embedding_map(first, title=title, n_labels=15, min_events=MIN_EVENTS), figure)
    near, missing = neighbour_table(first)
    nbr_first = neighbour_ids(first)
    runs = args.runs_label or args.runs
    command = ("python benchmarks/nhl_player_map.py --data " + args.data_label + " --runs "
               + " ".join(runs) + f" --out {args.out}")
    report = {"latent_model": "player-latent", "command": command, "data": args.data_label,
              "runs": list(runs), "commit": git_commit(), "n_games": n_games,
              "figure": str(figure), "neighbours": near, "missing": missing,
              "position_agreement": position_agreement(first, nbr_first),
              "seed_agreement": seed_agreement(nbr_first, neighbour_ids(second))}
    out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    write_markdown(out.with_suffix(".md"), report)
    print(out.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

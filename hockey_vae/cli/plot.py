"""`hockey-vae plot embedding-map|rink ...`: a named embedding map, or a rink plot of shots."""

from __future__ import annotations

import argparse
from pathlib import Path

from hockey_vae.cli._common import add_device, add_threads, load_data, set_threads

__all__ = ["register", "run_map", "run_rink"]

_SPLITS = ("all", "train", "val", "test")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `plot` subcommand with its two figures."""
    p = subparsers.add_parser("plot", help="figures: embedding map, rink plot of shots",
                              description="Write one figure (PNG, SVG or PDF by --out's "
                                          "suffix), titled with the model, data and split.")
    kinds = p.add_subparsers(dest="figure", metavar="FIGURE", required=True)
    m = kinds.add_parser("embedding-map", help="2-D map of per-player embeddings, named",
                         description="PCA or t-SNE of the per-player mean embeddings, coloured "
                                     "by position, the most active players named.")
    m.add_argument("--run", required=True, metavar="RUN", help="run folder of a model that embeds")
    m.add_argument("--data", required=True, metavar="DIR", help="canonical tables folder")
    m.add_argument("--split", default="all", choices=_SPLITS,
                   help="which of the run's games to embed (default all games of DIR)")
    m.add_argument("--method", default="pca", choices=("pca", "tsne"),
                   help="projection to 2-D (default pca)")
    m.add_argument("--labels", type=int, default=15, metavar="N",
                   help="name the N players with the most events (default 15)")
    m.add_argument("--min-events", type=int, default=5,
                   help="leave out players with fewer events (default 5)")
    m.add_argument("--seed", type=int, default=0, help="t-SNE seed (default 0)")
    m.add_argument("--out", required=True, metavar="FILE", help="the figure file to write")
    add_device(m)
    add_threads(m)
    m.set_defaults(func=run_map)
    r = kinds.add_parser("rink", help="one player's or one game's shots on a rink",
                         description="Shots coloured by outcome (saved, missed, blocked), goals "
                                     "as large stars. A player's shots all attack to the right; "
                                     "in a game the home team shoots right.")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--player", metavar="PLAYER", help="player id or name (case-insensitive)")
    who.add_argument("--game", metavar="GAME_ID", help="canonical game id")
    r.add_argument("--data", required=True, metavar="DIR", help="canonical tables folder")
    r.add_argument("--run", metavar="RUN",
                   help="a run folder: --split then picks its games and the title names it")
    r.add_argument("--split", default="all", choices=_SPLITS,
                   help="the run's games to draw from (default all; needs --run otherwise)")
    r.add_argument("--out", required=True, metavar="FILE", help="the figure file to write")
    r.set_defaults(func=run_rink)


def _games(run: object | None, split: str, all_games: list[str]) -> tuple[list[str], str]:
    """(game ids, split label) of `split` under `run` (all games without a run)."""
    from hockey_vae.split_check import games_to_score, require_games

    if run is None:
        if split != "all":
            raise ValueError(f"--split {split} needs --run (the split is the run's)")
        return all_games, "all games"
    games, note = games_to_score(run.split, split, all_games)
    require_games(len(games), split)
    return games, f"{split} ({len(games)} games)"


def run_map(args: argparse.Namespace) -> int:
    """Embed the chosen games, project, label and write the map."""
    from hockey_vae.features import as_tables
    from hockey_vae.plots import embedding_map, figure_title, save_figure
    from hockey_vae.similar import player_embeddings
    from hockey_vae.train import load_run

    set_threads(args.threads)
    run = load_run(args.run, device=args.device)
    tables = as_tables(load_data(args.data))
    games, label = _games(run, args.split, tables.games["game_id"].astype(str).tolist())
    keep = tables.events["game_id"].isin(games)
    tables.events = tables.events[keep].reset_index(drop=True)
    tables.games = tables.games[tables.games["game_id"].isin(games)].reset_index(drop=True)
    players = player_embeddings(run, tables)
    title = figure_title(f"Player embeddings ({args.method.upper()})", model=run.name,
                         data=Path(args.data).name, split=label)
    fig = embedding_map(players, title=title, method=args.method, n_labels=args.labels,
                        min_events=args.min_events, seed=args.seed)
    save_figure(fig, args.out)
    print(f"wrote {args.out}")
    return 0


def run_rink(args: argparse.Namespace) -> int:
    """Select the shots and draw them on the rink."""
    from hockey_vae.features import as_tables
    from hockey_vae.plots import figure_title, rink_plot, save_figure, shot_events
    from hockey_vae.similar import find_player

    tables = as_tables(load_data(args.data))
    run = None
    if args.run:
        from hockey_vae.train import load_run

        run = load_run(args.run, device="cpu")
    games, label = _games(run, args.split, tables.games["game_id"].astype(str).tolist())
    events = tables.events[tables.events["game_id"].isin(games)]
    if args.player is not None:
        acting = tables.events.dropna(subset=["player_id"])
        people = acting.groupby("player_id", as_index=False).agg(
            player_name=("player_name", "first"), team=("team", "first"))
        row = people.iloc[find_player(people, args.player)]
        shots = shot_events(events, player=str(row["player_id"]))
        what = f"Shots of {row['player_name']} ({row['team']})"
    else:
        if args.game not in set(games):
            raise ValueError(f"game {args.game!r} is not among the {label} of {args.data}")
        shots = shot_events(events, game=args.game)
        g = tables.games.set_index("game_id").loc[args.game]
        what = f"Shots in {g['away_team']} at {g['home_team']}, {args.game} (home shoots right)"
    title = figure_title(what, model=run.name if run else None, data=Path(args.data).name,
                         split=label)
    save_figure(rink_plot(shots, title=title, half=args.player is not None), args.out)
    print(f"wrote {args.out} ({len(shots)} shots)")
    return 0

"""Benchmark: the consolidated downstream report (issue 11) on one dataset, latents from a
trained integrated `player-latent` run (or the standalone prototype fit on training games).

Usage: python benchmarks/downstream_suite.py --data DIR --name nhl|synthetic|pwhl
           [--latents-run RUN/player-latent] [--out-dir reports/downstream] [--seed 0]
           [--n-boot 500] [--stride 4] [--min-games 10] [--reid integrated|prototype|none]
           [--reid-epochs 60] [--reid-run-dir DIR] [--note TEXT ...]

Split: `split_by_date` (earlier seasons and the first 80% of the last season train, 10%
validation, 10% test, by game); the run's own training games are compared with it and any
validation or test game the run trained on stops the benchmark. Writes
<out-dir>/<name>.json and .md with the keys `goals.<5v5|all>.{baseline, with_embeddings,
eb_control, id_control, paired}`, `outcome.{in_game, pre_game}`, `player_level.{rates, reid}`,
`recovery` (simulated data) and `nulls`.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import tempfile
from pathlib import Path

import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from hockey_vae.downstream.player_tables import fit_player_table
from hockey_vae.downstream.run_latents import run_player_table, verify_unseen
from hockey_vae.downstream.split import describe_split, split_by_date
from hockey_vae.downstream.suite_report import suite_markdown
from hockey_vae.downstream.suite_run import SuiteOptions, run_suite
from hockey_vae.downstream.xg_report import mask_report
from hockey_vae.jsonsafe import json_safe
from hockey_vae.reporting.provenance import provenance

PLACEHOLDER = {"nhl": "NHL_DIR", "synthetic": "SIM16_DIR", "pwhl": "PWHL_DIR"}


def load(data: Path) -> dict[str, pd.DataFrame]:
    """The canonical tables of `data` (players.parquet too where it exists: simulated)."""
    names = ["events", "rosters", "games"] + (["players"] if (data / "players.parquet")
                                               .exists() else [])
    return {n: pd.read_parquet(data / f"{n}.parquet") for n in names}


def latents(args: argparse.Namespace, tables: dict[str, pd.DataFrame], part: pd.Series
            ) -> tuple[pd.DataFrame, dict, dict]:
    """(table, source info, leak check): from --latents-run, else the prototype on train."""
    if args.latents_run:
        table, info = run_player_table(args.latents_run)
        check = verify_unseen(info.pop("split"), part)
        return table, info, check
    train = part.index[part == "train"].tolist()
    span = "team" if "players" in tables else "player"
    table, info = fit_player_table(tables["events"], tables["rosters"], train, seed=args.seed,
                                   dressed_span=span)
    info = {**info, "run": "standalone prototype (fit_player_table) on the training games",
            "best_epoch": None, "positions": table["position"].value_counts().to_dict()}
    return table, info, {"fit_on": "the downstream training games only"}


def strict_json(payload: dict) -> str:
    """JSON text with NaN as null: the suite's own `nulls` (reasons) plus `json_safe`'s."""
    reasons = dict(payload.get("nulls", {}))
    clean, replaced = json_safe({k: v for k, v in payload.items() if k != "nulls"})
    clean["nulls"] = {**reasons, **{k: f"{why} replaced by null" for k, why in replaced.items()}}
    return json.dumps(clean, indent=1, allow_nan=False)


def replot(out_dir: Path, name: str) -> None:
    """Redraw <out_dir>/figures/<name>_paired.png from the numbers of <out_dir>/<name>.json."""
    from hockey_vae.downstream.suite_figures import paired_figure

    payload = json.loads((out_dir / f"{name}.json").read_text())
    paired_figure(payload, out_dir / "figures" / f"{name}_paired.png",
                  f"{name}: what the latents change")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="", help="canonical tables (required unless --replot)")
    ap.add_argument("--name", required=True, choices=sorted(PLACEHOLDER))
    ap.add_argument("--latents-run", default="", help="a player-latent run folder")
    ap.add_argument("--out-dir", default="reports/downstream")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--stride", type=int, default=4, help="in-game: every k-th training event")
    ap.add_argument("--min-games", type=int, default=10, help="player checks: games per part")
    ap.add_argument("--reid", default="integrated", choices=("integrated", "prototype", "none"),
                    help="re-identification latents (integrated needs --latents-run)")
    ap.add_argument("--reid-epochs", type=int, default=60)
    ap.add_argument("--reid-run-dir", default="", help="where the split-identity run goes "
                    "(default: a temporary folder)")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--replot", action="store_true", help="only redraw the paired-difference "
                    "figure from <out-dir>/<name>.json")
    return ap


def main(argv: list[str] | None = None) -> None:
    ap = parser()
    args = ap.parse_args(argv)
    if args.replot:
        replot(Path(args.out_dir), args.name)
        return
    if not args.data:
        ap.error("--data is required")
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = Path(args.data)
    tables = load(data)
    cmd = "python benchmarks/downstream_suite.py " + shlex.join(
        argv if argv is not None else sys.argv[1:])
    prov = provenance(cmd, f"canonical tables at {args.data}", split="split_by_date: earlier "
                      "seasons + first 80% of the last season train, next 10% validation, "
                      "last 10% test (by game, by date)", seeds=[args.seed])
    part = split_by_date(tables["games"])
    table, info, check = latents(args, tables, part)
    if args.reid == "integrated" and not args.latents_run:
        ap.error("--reid integrated needs --latents-run (or use --reid prototype)")
    with tempfile.TemporaryDirectory() as tmp:
        opts = SuiteOptions(n_boot=args.n_boot, seed=args.seed, stride=args.stride,
                            min_games=args.min_games, reid=args.reid,
                            reid_epochs=args.reid_epochs, latents_run=args.latents_run,
                            reid_run_dir=args.reid_run_dir or str(Path(tmp) / "reid"),
                            figures_dir=str(Path(args.out_dir) / "figures"), name=args.name)
        payload = run_suite(tables, part, table, opts)
    payload = {**prov.to_dict(), "name": args.name, "split_detail": describe_split(
        part, tables["games"]), "latents": info, "leak_check": check, "notes": args.note,
        "n_boot": args.n_boot, **payload}
    out = Path(args.out_dir) / args.name
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"Downstream benchmark ({args.name}): what the player latents are worth"
    out.with_suffix(".md").write_text("\n".join(suite_markdown(payload, prov.markdown(),
                                                               title)))
    out.with_suffix(".json").write_text(strict_json(payload))
    run_root = str(Path(args.latents_run).parents[2]) if args.latents_run else ""
    mask_report(out, {args.data: PLACEHOLDER[args.name], run_root: "RUNS_DIR",
                      args.reid_run_dir: "REID_RUN_DIR"})
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

"""hockeyR / fastRhockey play-by-play (CSV or Parquet, many games per file) -> canonical tables.

Two dialects, told apart by their columns:

- hockeyR (`load_pbp`, `scrape_game`; NHL): `event_type` in capitals (FACEOFF, SHOT, ...),
  `event_player_1_id/_name` (for BLOCKED_SHOT the shooter, as hockeyR swaps them, with
  `event_team` the shooting team), `x_fixed`/`y_fixed` (home team shoots right), `home_score`
  and `away_score` after the event, `home_skaters`/`away_skaters`, `secondary_type`,
  `period_type`, integer `game_id`. The canonical game id is "NHL-<game_id>", as from the NHL
  API reader, so the two join. On-ice players are names only in hockeyR and are left null.
- fastRhockey PWHL (`load_pwhl_pbp`): `event` (shot, goal, faceoff, penalty), `player_id`,
  `period_of_game`, `time_of_period`, `x_coord`/`y_coord` (feet, arena orientation),
  `team_id`, `home_team_id`; handled by `hockey_vae.sources.hockeyr_pwhl`.

Shootout rows are dropped by design (counted). Rows of other types (shift changes, game
scheduled ...) are not events of play and are dropped; unknown types are listed as problems.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.io import PathLike, open_binary
from hockey_vae.sources.base import Ingested, ParseError, Problem, read_many

__all__ = ["read", "read_file", "HOCKEYR_TYPES", "frame_to_table", "clean_xy"]

HOCKEYR_TYPES: dict[str, str] = {
    "FACEOFF": "faceoff", "SHOT": "shot", "MISSED_SHOT": "missed_shot",
    "BLOCKED_SHOT": "blocked_shot", "GOAL": "goal", "HIT": "hit", "GIVEAWAY": "giveaway",
    "TAKEAWAY": "takeaway", "PENALTY": "penalty", "STOP": "stoppage",
    "PERIOD_START": "period_start", "PERIOD_END": "period_end", "GAME_END": "game_end",
    "CHALLENGE": "challenge", "DELAYED_PENALTY": "delayed_penalty",
}
_NOT_PLAY = {"CHANGE", "GAME_SCHEDULED", "PERIOD_READY", "PERIOD_OFFICIAL", "GAME_OFFICIAL",
             "EARLY_INT_START", "EARLY_INT_END", "SHOOTOUT_COMPLETE", "EMERGENCY_GOALTENDER"}
_SUFFIXES = (".csv", ".parquet")


def read(paths: PathLike | Iterable[PathLike], *, strict: bool = False,
         progress: bool = True) -> Ingested:
    """Read hockeyR or fastRhockey play-by-play files (files, folders or globs; .gz as well)."""
    return read_many(paths, partial(read_file, strict=strict), suffixes=_SUFFIXES,
                     strict=strict, progress=progress, desc="hockeyr")


def _frame(path: Path) -> pd.DataFrame:
    """The file's rows: Parquet or CSV by name (R's "NA" is null)."""
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    with open_binary(path) as fh:
        return pd.read_csv(fh, low_memory=False)


def read_file(path: PathLike, *, strict: bool = False) -> Ingested:
    """One file of either dialect; ParseError naming the file and the missing columns."""
    path = Path(path)
    df = _frame(path)
    if {"event_type", "event_player_1_name"} <= set(df.columns) or \
            {"event_type", "event_player_1_id"} <= set(df.columns):
        return _hockeyr(path, df)
    if {"event", "period_of_game", "x_coord"} <= set(df.columns):
        from hockey_vae.sources.hockeyr_pwhl import read_frame

        return read_frame(path, df)
    raise ParseError(path, "neither hockeyR play-by-play (event_type, event_player_1_id) nor "
                           "fastRhockey PWHL play-by-play (event, period_of_game, x_coord) "
                           f"columns; found {sorted(df.columns)[:12]}")


def require(path: Path, df: pd.DataFrame, columns: Iterable[str]) -> None:
    """ParseError naming the first missing column."""
    for c in columns:
        if c not in df.columns:
            raise ParseError(path, "missing column", field=c)


def _ids(values: pd.Series) -> pd.Series:
    """Numeric ids (floats from blanks) as strings; null stays null."""
    num = pd.to_numeric(values, errors="coerce").astype("Int64")
    return num.astype("string").astype(object).where(num.notna(), None)


def clean_xy(df: pd.DataFrame) -> list[Problem]:
    """Null coordinates beyond the rink (the schema refuses them); no problem is raised."""
    over = (df["x"].abs() > schema.RINK_HALF_LENGTH_FT + 1) | \
        (df["y"].abs() > schema.RINK_HALF_WIDTH_FT + 1)
    df.loc[over, ["x", "y"]] = np.nan
    return []


def frame_to_table(df: pd.DataFrame, sch: pa.Schema) -> pa.Table:
    """A pyarrow table of `sch` from the columns of `df` that it has (others null)."""
    arrays = []
    for f in sch:
        if f.name not in df.columns:
            arrays.append(pa.nulls(len(df), f.type))
            continue
        col = df[f.name]
        if pa.types.is_date32(f.type):
            col = pd.to_datetime(col, errors="coerce").dt.date
        col = col.astype(object).where(col.notna(), None)
        arrays.append(pa.array(col.tolist(), type=f.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def _sides(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(home code, away code, acting-team-is-home) per row, the shooter's side for blocks."""
    home = df["home_abbreviation"] if "home_abbreviation" in df else pd.Series(None, df.index)
    away = df["away_abbreviation"] if "away_abbreviation" in df else pd.Series(None, df.index)
    if {"event_team", "home_name"} <= set(df.columns):
        team, is_home = df["event_team"], df["event_team"] == df["home_name"]
    elif "event_team_type" in df:
        team = df["event_team_type"]
        is_home = df["event_team_type"].astype(str).str.lower() == "home"
    else:
        team, is_home = df["event_team_abbr"], df["event_team_abbr"] == home
    return home, away, is_home.astype("boolean").mask(team.isna())


def _hockeyr(path: Path, raw: pd.DataFrame) -> Ingested:
    """Canonical tables of a hockeyR file (NHL)."""
    require(path, raw, ("game_id", "event_type", "period"))
    df = raw.assign(_row=np.arange(len(raw)), _gid=pd.to_numeric(raw["game_id"], errors="coerce"))
    problems: list[Problem] = []
    bad = df["_gid"].isna()
    if bad.any():
        problems.append(Problem(str(path), "game_id is not a number: row(s) dropped",
                                int(np.flatnonzero(bad)[0]), "game_id", rows=int(bad.sum())))
    df = df[~bad].sort_values(["_gid", "_row"], kind="stable").reset_index(drop=True)
    g = df.groupby("_gid", sort=False)
    for side in ("home", "away"):  # score before the event = the row before's score after
        col = f"{side}_score"
        df[f"_{side}_before"] = (g[col].shift(1).fillna(0) if col in df else np.nan)
    shootout = (df["period_type"].astype(str).str.upper() == "SHOOTOUT") if "period_type" in df \
        else pd.to_numeric(df["period"], errors="coerce").ge(5) & df.get("season_type", "R").eq("R")
    n_shootout, so_games = int(shootout.sum()), df.loc[shootout, "_gid"].unique()
    so_goals = df[shootout & (df["event_type"] == "GOAL")]
    kind = df["event_type"].astype(str).str.upper()
    known = kind.map(HOCKEYR_TYPES)
    unknown = known.isna() & ~kind.isin(_NOT_PLAY) & ~shootout
    for label, count in kind[unknown].value_counts().items():
        problems.append(Problem(str(path), f"unknown event type {label!r}: {count} row(s) "
                                "dropped", field="event_type", rows=int(count)))
    games = _hockeyr_games(df, so_games, so_goals)
    df = df[known.notna() & ~shootout].assign(event_type=known)
    events = _hockeyr_events(path, df, problems)
    rosters = _rosters(events)
    return Ingested(events=frame_to_table(events, schema.EVENTS),
                    games=frame_to_table(games[games["game_id"].isin(events["game_id"])],
                                         schema.GAMES),
                    rosters=frame_to_table(rosters, schema.ROSTERS), problems=problems,
                    shootout_rows=n_shootout, shootout_games=len(so_games))


def _hockeyr_events(path: Path, df: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """The canonical event columns of hockeyR rows already typed and filtered."""
    home, away, shooter_home = _sides(df)
    block = (df["event_type"] == "blocked_shot").to_numpy()
    valid = shooter_home.notna().to_numpy()
    h = shooter_home.fillna(False).to_numpy(bool) ^ block  # for a block the blocker acts
    p1 = [_ids(df.get(f"event_player_{i}_id", pd.Series(None, df.index))) for i in (1, 2)]
    n1 = [df.get(f"event_player_{i}_name", pd.Series(None, df.index)) for i in (1, 2)]
    out = pd.DataFrame({
        "game_id": "NHL-" + df["_gid"].astype("int64").astype(str), "league": "NHL",
        "season": _season(df) if "season" in df else None,
        "game_date": df.get("game_date"), "event_type": df["event_type"],
        "source_event_type": df["event_type"].map({v: k for k, v in HOCKEYR_TYPES.items()}),
        "period": pd.to_numeric(df["period"], errors="coerce"),
        "period_seconds": pd.to_numeric(df.get("period_seconds"), errors="coerce"),
        "game_seconds": pd.to_numeric(df.get("game_seconds"), errors="coerce"),
        "is_home": np.where(valid, h, None),
        "team": np.where(h, home, away), "opponent": np.where(h, away, home),
        "player_id": np.where(block, p1[1], p1[0]), "player_name": np.where(block, n1[1], n1[0]),
        "player2_id": np.where(block, p1[0], p1[1]), "player2_name": np.where(block, n1[0], n1[1]),
        "detail": df.get("secondary_type"),
    })
    out.loc[~valid, ["team", "opponent"]] = None
    sign = np.where(h, 1.0, -1.0)  # x_fixed: the home team shoots right
    if "x_fixed" in df:
        out["x"] = pd.to_numeric(df["x_fixed"], errors="coerce").to_numpy() * sign
        out["y"] = pd.to_numeric(df["y_fixed"], errors="coerce").to_numpy() * sign
        clean_xy(out)
    else:
        problems.append(Problem(str(path), "no x_fixed/y_fixed columns: coordinates left null",
                                field="x_fixed"))
    hb, ab = df["_home_before"].to_numpy(), df["_away_before"].to_numpy()
    out["goals_for"], out["goals_against"] = np.where(h, hb, ab), np.where(h, ab, hb)
    if {"home_skaters", "away_skaters"} <= set(df.columns):
        hs, as_ = df["home_skaters"].to_numpy(), df["away_skaters"].to_numpy()
        out["skaters_for"], out["skaters_against"] = np.where(h, hs, as_), np.where(h, as_, hs)
    out.loc[~valid, ["goals_for", "goals_against", "skaters_for",
                                        "skaters_against"]] = np.nan
    out = out.reset_index(drop=True)
    out["event_idx"] = out.groupby("game_id", sort=False).cumcount()
    return out


def _season(df: pd.DataFrame) -> pd.Series:
    """hockeyR's season ("20202021", or the number from a CSV) as a string."""
    return pd.to_numeric(df["season"], errors="coerce").astype("Int64").astype("string")


def _hockeyr_games(df: pd.DataFrame, so_games: np.ndarray, so_goals: pd.DataFrame
                   ) -> pd.DataFrame:
    """One row per game: teams, final score (a shootout adds one to its winner), outcome."""
    home, away, is_home = _sides(df)
    df = df.assign(_home=home, _away=away)
    last = df.groupby("_gid", sort=True).agg(
        league=("_gid", lambda s: "NHL"), season=("season", "first") if "season" in df else
        ("_gid", lambda s: None), game_date=("game_date", "first") if "game_date" in df else
        ("_gid", lambda s: None), home_team=("_home", "first"), away_team=("_away", "first"),
        home_goals=("home_score", "max"), away_goals=("away_score", "max"),
        periods=("period", "max"))
    so_home = so_goals.assign(h=is_home.reindex(so_goals.index).fillna(False).astype(int) * 2
                              - 1).groupby("_gid")["h"].sum()
    shootout = last.index.isin(so_games)
    tied = last["home_goals"] == last["away_goals"]
    extra = so_home.reindex(last.index).fillna(0)
    last.loc[shootout & tied & (extra > 0), "home_goals"] += 1
    last.loc[shootout & tied & (extra < 0), "away_goals"] += 1
    last["winner"] = np.select([last["home_goals"] > last["away_goals"],
                                last["home_goals"] < last["away_goals"]], ["home", "away"], None)
    last["decided_in"] = np.select(
        [shootout, pd.to_numeric(last["periods"], errors="coerce") >= 4,
         last["winner"].notna()], ["shootout", "overtime", "regulation"], None)
    last["season"] = _season(last) if "season" in df else None
    out = last.reset_index()
    out["game_id"] = "NHL-" + out["_gid"].astype("int64").astype(str)
    return out


def _rosters(events: pd.DataFrame) -> pd.DataFrame:
    """Players seen acting in each game with the acting team; positions unknown (null)."""
    rows = events.dropna(subset=["player_id", "team"])[
        ["game_id", "team", "player_id", "player_name"]]
    return rows.drop_duplicates(["game_id", "player_id"]).sort_values(
        ["game_id", "team", "player_id"]).reset_index(drop=True)

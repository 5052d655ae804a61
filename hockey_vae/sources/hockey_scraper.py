"""NHL play-by-play CSVs written by the `hockey_scraper` package (one file per game).

Each file is read with pyarrow's CSV reader; all files are then normalised in one
vectorised pass (no per-row Python): event types mapped onto `schema.EVENT_TYPES`,
coordinates rotated per (game, period, team) so the acting team attacks toward +x,
strength and score turned to the acting team's view, on-ice players kept as lists.

Known quirks of the format handled here (see data/README):
- `BLOCK`: `Ev_Team` is the *shooting* team, while `p1` (the blocker) and `Ev_Zone`
  belong to the blocking team, so the acting team is the blocker's.
- `Strength` holds junk such as `0x0`, `1x0`, `5x9`: kept as unknown (null) manpower.
- Period 5 of a regular-season game is the shootout: dropped from the events, counted in
  the game result (+1 goal to the shootout winner).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths, open_binary
from hockey_vae.sources.base import Ingested, ParseError, Problem

__all__ = ["read", "EVENT_MAP", "read_positions"]

log = logging.getLogger(__name__)

LEAGUE = "NHL"

# Raw `Event` label -> canonical event type.
EVENT_MAP: dict[str, str] = {
    "FAC": "faceoff",
    "SHOT": "shot",
    "MISS": "missed_shot",
    "BLOCK": "blocked_shot",
    "GOAL": "goal",
    "HIT": "hit",
    "GIVE": "giveaway",
    "TAKE": "takeaway",
    "PENL": "penalty",
    "DELPEN": "delayed_penalty",
    "STOP": "stoppage",
    "EISTR": "stoppage",  # early intermission start
    "EIEND": "stoppage",  # early intermission end
    "EGPID": "stoppage",  # emergency goaltender entry (one row in 2017-19)
    "PSTR": "period_start",
    "PEND": "period_end",
    "GEND": "game_end",
    "GOFF": "game_end",  # game official
    "PGSTR": "game_start",  # pre-game start
    "PGEND": "game_start",
    "ANTHEM": "game_start",
    "CHL": "challenge",
    "SOC": "shootout_attempt",  # shootout complete; only in shootouts, which are dropped
    "SPC": "stoppage",  # special (e.g. video review)
}

_SHOT_EVENTS = ("SHOT", "MISS", "GOAL")
_SIDES = ("home", "away")
_ON_ICE = {s: [f"{s}Player{i}_id" for i in range(1, 7)] for s in _SIDES}
_ON_ICE_NAMES = {s: [f"{s}Player{i}" for i in range(1, 7)] for s in _SIDES}

# Columns we read, with their arrow types. Ids are float in the source (blanks).
_COLUMNS: dict[str, pa.DataType] = {
    "Date": pa.string(),
    "Period": pa.int64(),
    "Event": pa.string(),
    "Seconds_Elapsed": pa.float64(),
    "Strength": pa.string(),
    "Ev_Zone": pa.string(),
    "Type": pa.string(),
    "Ev_Team": pa.string(),
    "Away_Team": pa.string(),
    "Home_Team": pa.string(),
    "p1_name": pa.string(),
    "p1_ID": pa.float64(),
    "p2_name": pa.string(),
    "p2_ID": pa.float64(),
    "p3_name": pa.string(),
    "p3_ID": pa.float64(),
    "Away_Score": pa.float64(),
    "Home_Score": pa.float64(),
    "xC": pa.float64(),
    "yC": pa.float64(),
    **{c: pa.float64() for s in _SIDES for c in _ON_ICE[s]},
    **{c: pa.string() for s in _SIDES for c in _ON_ICE_NAMES[s]},
}
_REQUIRED = (
    "Period", "Event", "Seconds_Elapsed", "Strength", "Ev_Team", "Away_Team", "Home_Team",
    "p1_ID", "Away_Score", "Home_Score", "xC", "yC",
)
_READ_THREADS = 2
_GAME_ID = re.compile(r"(\d{10})")
_POSITION_MAP = {"C": "C", "L": "LW", "R": "RW", "D": "D", "G": "G",
                 "LW": "LW", "RW": "RW", "LD": "D", "RD": "D", "F": None}


def _game_id(path: Path) -> str:
    match = _GAME_ID.search(path.name)
    if not match:
        raise ParseError(path, "cannot take the 10-digit NHL game id from the file name",
                         field="file name")
    return f"{LEAGUE}-{match.group(1)}"


def _read_file(path: Path) -> pa.Table:
    """One game's raw table (only the columns we use, missing optional ones as nulls)."""
    with open_binary(path) as fh:
        data = fh.read()
    if not data.strip():
        raise ParseError(path, "empty file")
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(first)))
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ParseError(path, f"missing required column(s) {missing}", row=0, field=missing[0])
    present = [c for c in _COLUMNS if c in header]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=False),
            convert_options=pacsv.ConvertOptions(
                include_columns=present,
                column_types={c: _COLUMNS[c] for c in present},
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as err:
        # pyarrow names the row and column of a malformed value
        raise ParseError(path, f"malformed CSV: {err}") from err
    n = table.num_rows
    for name, typ in _COLUMNS.items():
        if name not in present:
            table = table.append_column(name, pa.nulls(n, typ))
    return table.select(list(_COLUMNS))


def read_positions(paths: PathLike | Iterable[PathLike]) -> dict[str, str]:
    """player id -> canonical position from fastRhockey roster Parquet files.

    Later seasons (and later files) win when a player's listed position changed.
    """
    frames = []
    for order, path in enumerate(expand_paths(paths, (".parquet",))):
        df = pq.read_table(path).to_pandas()
        if "player_id" not in df or "position_code" not in df:
            raise ParseError(path, "roster file needs columns 'player_id' and 'position_code'",
                             field="position_code")
        season = df["season"] if "season" in df else pd.Series(-1, index=df.index)
        frames.append(pd.DataFrame({"player_id": df["player_id"], "pos": df["position_code"],
                                    "season": pd.to_numeric(season, errors="coerce"),
                                    "order": order}))
    if not frames:
        return {}
    df = pd.concat(frames).dropna(subset=["player_id", "pos"])
    df = df.sort_values(["season", "order"], kind="stable", na_position="first")
    df["player_id"] = df["player_id"].astype("int64").astype(str)
    df["pos"] = df["pos"].astype(str).str.upper().map(_POSITION_MAP)
    df = df.dropna(subset=["pos"]).drop_duplicates("player_id", keep="last")
    return dict(zip(df["player_id"], df["pos"], strict=True))


def _ids_to_str(values: np.ndarray) -> pa.Array:
    """Float player ids (NaN for blank) -> string array with nulls.

    Ids repeat a lot (a season has ~1,000 players), so only the distinct ones are
    formatted and the strings are gathered by code.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pc.cast(pa.array(np.asarray(uniques).astype(np.int64)), pa.string())
    return text.take(pa.array(codes, mask=codes < 0))


def _list_column(ids: np.ndarray, null: np.ndarray) -> pa.Array:
    """(n, k) float id matrix with NaN blanks -> list<string> array, blanks dropped.

    Rows where `null` is true become null lists.
    """
    present = ~np.isnan(ids)
    offsets = np.zeros(len(ids) + 1, dtype=np.int32)
    np.cumsum(present.sum(axis=1), out=offsets[1:])
    values = _ids_to_str(ids[present])
    return pa.ListArray.from_arrays(pa.array(offsets, mask=np.append(null, False)), values)


def _num(raw: pa.Table, column: str) -> np.ndarray:
    """A numeric column as float64 numpy, NaN for nulls."""
    return raw.column(column).to_numpy().astype(np.float64, copy=False)


def _codes(raw: pa.Table, column: str) -> tuple[np.ndarray, list]:
    """A string column as (codes, distinct values); code -1 for null."""
    col = raw.column(column)
    uniques = pc.unique(col).drop_null()
    codes = pc.fill_null(pc.index_in(col, value_set=uniques), -1).to_numpy()
    return codes.astype(np.int64, copy=False), uniques.to_pylist()


def _lookup(codes: np.ndarray, values: list, fill: float = np.nan) -> np.ndarray:
    """Map codes through `values` (one per distinct value); -1 -> fill."""
    table = np.append(np.asarray(values, dtype=float), fill)
    return table[codes]


def _directions(game: np.ndarray, period: np.ndarray, x: np.ndarray, is_shot: np.ndarray,
                shooter_home: np.ndarray, acting_home: np.ndarray, off: np.ndarray
                ) -> np.ndarray:
    """+1/-1 per row: the sign that turns raw x into the acting team's attacking direction.

    Decided per (game, period, team) from the median raw x of the team's own shots (for a
    blocked shot, the shooting team is the blocker's opponent); a team-period without shots
    takes the opposite of its opponent's; failing that, the team's offensive-zone events.
    NaN where nothing decides (coordinates then become null).
    """
    base = (game * 64 + period.clip(0, 31)) * 2
    shooter_key = base + shooter_home.clip(0, 1)
    own_key = base + acting_home.clip(0, 1)
    sign = pd.Series(x[is_shot]).groupby(shooter_key[is_shot]).median()
    sign = np.sign(sign[sign != 0])
    zone_sign = np.sign(pd.Series(x[off]).groupby(own_key[off]).median())
    keys = pd.Series(own_key)
    own = keys.map(sign).to_numpy(dtype=float)
    opp = -(keys ^ 1).map(sign).to_numpy(dtype=float)
    by_zone = keys.map(zone_sign).to_numpy(dtype=float)
    out = np.where(np.isnan(own), np.where(np.isnan(opp), by_zone, opp), own)
    out[out == 0] = np.nan
    return np.where(acting_home >= 0, out, np.nan)


def _parse_strength(codes: np.ndarray, values: list) -> tuple[np.ndarray, np.ndarray]:
    """`HxA` -> (home, away) skaters as float arrays; NaN for junk like 0x0, 1x0, 5x9."""
    home, away = [], []
    for text in values:
        match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", str(text))
        h, a = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
        ok = 3 <= h <= 6 and 3 <= a <= 6
        home.append(h if ok else np.nan)
        away.append(a if ok else np.nan)
    return _lookup(codes, home), _lookup(codes, away)


def _int_array(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    mask = np.isnan(values)
    return pa.array(np.where(mask, 0, values).astype(np.int64), mask=mask).cast(typ)


def _row_problems(mask: np.ndarray, game: np.ndarray, row: np.ndarray, files: list[str],
                  message, field: str, strict: bool, rows_skipped: bool) -> list[Problem]:
    """One Problem per file for the rows in `mask` (ParseError under strict)."""
    out = []
    hit_games, first = np.unique(game[mask], return_index=True)
    counts = np.bincount(game[mask])[hit_games]
    for g, i, count in zip(hit_games, first, counts, strict=True):
        first_row = int(row[mask][i])
        text = message(int(g), int(count))
        if strict:
            raise ParseError(files[g], text, row=first_row, field=field)
        out.append(Problem(files[g], text, first_row, field, rows=int(count) if rows_skipped else 0))
    return out


def _normalise(raw: pa.Table, files: list[str], game_ids: list[str], strict: bool,
               positions: dict[str, str]) -> Ingested:
    """All games at once: raw hockey_scraper columns -> canonical tables."""
    n = raw.num_rows
    game = raw.column("_game").to_numpy()
    row = raw.column("_row").to_numpy()
    game_id_arr = np.array(game_ids, dtype=object)
    regular = np.array([g[8:10] == "02" for g in game_ids], dtype=bool)
    period = _num(raw, "Period")
    shootout = regular[game] & (period == 5)

    # --- event types: unknown labels are skipped (or fatal under strict)
    ev_codes, ev_values = _codes(raw, "Event")
    mapped_values = [EVENT_MAP.get(v) for v in ev_values]
    known = np.append(np.array([m is not None for m in mapped_values], dtype=bool), False)[ev_codes]
    labels = np.append(np.asarray(ev_values, dtype=object), None)

    def unknown_message(g: int, count: int) -> str:
        kinds = sorted(set(labels[ev_codes[(game == g) & ~known]].tolist()), key=str)
        return f"unknown event type(s) {kinds[:5]}: {count} row(s) skipped"

    problems = _row_problems(~known, game, row, files, unknown_message, "Event", strict, True)

    def is_event(label: str) -> np.ndarray:
        return ev_codes == (ev_values.index(label) if label in ev_values else -2)

    # --- acting team (BLOCK: the blocker's team, i.e. not Ev_Team)
    teams = pc.unique(pa.concat_arrays([raw.column(c).combine_chunks()
                                        for c in ("Home_Team", "Away_Team")])).drop_null()

    def team_codes(column: str) -> np.ndarray:
        codes = pc.index_in(raw.column(column), value_set=teams)
        return pc.fill_null(codes, -1).to_numpy().astype(np.int64)

    home_code, away_code, ev_code = (team_codes(c) for c in ("Home_Team", "Away_Team",
                                                              "Ev_Team"))
    ev_home = np.where((ev_code == home_code) & (ev_code >= 0), 1,
                       np.where((ev_code == away_code) & (ev_code >= 0), 0, -1))
    is_block = is_event("BLOCK")
    p1 = _num(raw, "p1_ID")
    home_ice = np.column_stack([_num(raw, c) for c in _ON_ICE["home"]])
    away_ice = np.column_stack([_num(raw, c) for c in _ON_ICE["away"]])
    p1_home = (home_ice == p1[:, None]).any(axis=1)
    p1_away = (away_ice == p1[:, None]).any(axis=1)
    block_home = np.where(p1_home, 1, np.where(p1_away, 0, np.where(ev_home >= 0, 1 - ev_home, -1)))
    acting_home = np.where(is_block, block_home, ev_home).astype(np.int64)
    has_team = acting_home >= 0
    ah = acting_home == 1

    # --- coordinates, rotated; out-of-range raw values become null
    x_raw = _num(raw, "xC")
    y_raw = _num(raw, "yC")
    keep = known & ~shootout
    out_of_range = keep & ((np.abs(np.nan_to_num(x_raw)) > schema.RINK_HALF_LENGTH_FT + 1) | (
        np.abs(np.nan_to_num(y_raw)) > schema.RINK_HALF_WIDTH_FT + 1))
    if out_of_range.any():
        problems += _row_problems(
            out_of_range, game, row, files,
            lambda g, c: f"{c} coordinate(s) outside the rink set to null", "xC", strict, False)
        x_raw = np.where(out_of_range, np.nan, x_raw)
        y_raw = np.where(out_of_range, np.nan, y_raw)
    shots = is_event("SHOT") | is_event("MISS") | is_event("GOAL") | is_block
    shooter_home = np.where(is_block, 1 - acting_home, acting_home)
    is_shot = shots & has_team & keep & ~np.isnan(x_raw)
    off = (pc.fill_null(pc.equal(raw.column("Ev_Zone"), "Off"), False).to_numpy()
           & has_team & (np.abs(np.nan_to_num(x_raw)) > 25))
    direction = _directions(game, period.astype(np.int64), x_raw, is_shot, shooter_home,
                            acting_home, off)
    x = x_raw * direction
    y = y_raw * direction

    # --- manpower and score from the acting team's view
    sk_home, sk_away = _parse_strength(*_codes(raw, "Strength"))
    score_home = _num(raw, "Home_Score")
    score_away = _num(raw, "Away_Score")

    def view(home_vals: np.ndarray, away_vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = np.where(ah, home_vals, away_vals)
        a = np.where(ah, away_vals, home_vals)
        return np.where(has_team, f, np.nan), np.where(has_team, a, np.nan)

    skaters_for, skaters_against = view(sk_home, sk_away)
    goals_for, goals_against = view(score_home, score_away)

    # --- on-ice lists from the acting team's view (null for team-less events)
    no_team = ~has_team[:, None]
    on_for = _list_column(np.where(no_team, np.nan, np.where(ah[:, None], home_ice, away_ice)),
                          ~has_team)
    on_against = _list_column(np.where(no_team, np.nan,
                                       np.where(ah[:, None], away_ice, home_ice)), ~has_team)
    home_team = raw.column("Home_Team").combine_chunks()
    away_team = raw.column("Away_Team").combine_chunks()
    team_code = np.where(ah, home_code, away_code)
    opp_code = np.where(ah, away_code, home_code)
    team = teams.take(pa.array(team_code, mask=~has_team | (team_code < 0)))
    opponent = teams.take(pa.array(opp_code, mask=~has_team | (opp_code < 0)))
    period_seconds = _num(raw, "Seconds_Elapsed")
    game_seconds = (period - 1) * 1200.0 + period_seconds

    date_codes, date_values = _codes(raw, "Date")
    parsed = pd.to_datetime(pd.Series(date_values, dtype=object), errors="coerce")
    dates = pa.array(list(parsed.dt.date) + [None], pa.date32(), from_pandas=True)
    game_date = dates.take(pa.array(np.where(date_codes < 0, len(date_values), date_codes)))

    season = np.array([f"{g[4:8]}{int(g[4:8]) + 1}" for g in game_ids], dtype=object)
    mapped = pa.array(mapped_values + [None], pa.string()).take(
        pa.array(np.where(ev_codes < 0, len(ev_values), ev_codes)))
    events = pa.table({
        "game_id": pa.array(game_id_arr[game], pa.string()),
        "league": pa.array(np.full(n, LEAGUE, dtype=object), pa.string()),
        "season": pa.array(season[game], pa.string()),
        "game_date": game_date,
        "event_idx": pa.array(np.zeros(n, dtype=np.int32)),
        "period": _int_array(period, pa.int8()),
        "period_seconds": pa.array(period_seconds, pa.float32(), from_pandas=True),
        "game_seconds": pa.array(game_seconds, pa.float32(), from_pandas=True),
        "event_type": mapped,
        "source_event_type": raw.column("Event"),
        "team": team,
        "opponent": opponent,
        "is_home": pa.array(ah, pa.bool_(), mask=~has_team),
        "player_id": _ids_to_str(p1),
        "player_name": raw.column("p1_name"),
        "player2_id": _ids_to_str(_num(raw, "p2_ID")),
        "player2_name": raw.column("p2_name"),
        "x": pa.array(x, pa.float32(), from_pandas=True),
        "y": pa.array(y, pa.float32(), from_pandas=True),
        "goals_for": _int_array(goals_for, pa.int16()),
        "goals_against": _int_array(goals_against, pa.int16()),
        "skaters_for": _int_array(skaters_for, pa.int8()),
        "skaters_against": _int_array(skaters_against, pa.int8()),
        "detail": raw.column("Type"),
        "on_ice_for": on_for,
        "on_ice_against": on_against,
    })
    events = events.filter(pa.array(keep))
    # 0-based index within each game, in file order (rows are grouped by game already)
    kept_game = game[keep]
    starts = np.r_[0, np.flatnonzero(kept_game[1:] != kept_game[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(kept_game)])
    event_idx = np.arange(len(kept_game)) - np.repeat(starts, counts)
    events = events.set_column(events.schema.get_field_index("event_idx"), "event_idx",
                               pa.array(event_idx.astype(np.int32)))
    events = events.cast(schema.EVENTS)

    goal = is_event("GOAL")
    first = np.r_[0, np.flatnonzero(game[1:] != game[:-1]) + 1]
    games = _games(game, game_ids, shootout, goal, ev_home, period, score_home, score_away,
                   home_team.take(pa.array(first)), away_team.take(pa.array(first)),
                   game_date.take(pa.array(first)))
    p2_home = np.where(goal, acting_home, 1 - acting_home)
    rosters = _rosters(raw, game, game_ids, home_ice, away_ice,
                       [("p1", acting_home), ("p2", p2_home), ("p3", acting_home)],
                       games.column("home_team").combine_chunks(),
                       games.column("away_team").combine_chunks(), positions)
    return Ingested(events=events, games=games, rosters=rosters, problems=problems)


def _games(game: np.ndarray, game_ids: list[str], shootout: np.ndarray, goal: np.ndarray,
           ev_home: np.ndarray, period: np.ndarray, score_home: np.ndarray,
           score_away: np.ndarray, home_team: pa.Array, away_team: pa.Array,
           game_date: pa.Array) -> pa.Table:
    """One row per game: teams, final score (+1 to a shootout winner), winner, decided_in.

    Every game has at least one row, so per-game arrays line up with `game_ids`.
    """
    n_games = len(game_ids)
    # final score outside the shootout = max over rows of the score after the event
    home_after = np.where(shootout, -1, np.nan_to_num(score_home, nan=-1) + (goal & (ev_home == 1)))
    away_after = np.where(shootout, -1, np.nan_to_num(score_away, nan=-1) + (goal & (ev_home == 0)))
    home = np.full(n_games, -1.0)
    away = np.full(n_games, -1.0)
    np.maximum.at(home, game, home_after)
    np.maximum.at(away, game, away_after)
    home, away = home.clip(0), away.clip(0)
    so_home = np.bincount(game, goal & shootout & (ev_home == 1), n_games)
    so_away = np.bincount(game, goal & shootout & (ev_home == 0), n_games)
    had_shootout = np.bincount(game, shootout, n_games) > 0
    had_ot = np.bincount(game, ~shootout & (period >= 4), n_games) > 0
    so_winner = np.sign(so_home - so_away)
    shootout_decided = (home == away) & had_shootout & (so_winner != 0)
    home = home + (shootout_decided & (so_winner > 0))
    away = away + (shootout_decided & (so_winner < 0))
    winner = np.where(home > away, "home", np.where(away > home, "away", ""))
    decided = np.where(shootout_decided, "shootout", np.where(had_ot, "overtime", "regulation"))
    decided = np.where(winner == "", "", decided)
    seasons = [f"{g[4:8]}{int(g[4:8]) + 1}" for g in game_ids]
    table = pa.table({
        "game_id": pa.array(game_ids, pa.string()),
        "league": pa.array([LEAGUE] * n_games, pa.string()),
        "season": pa.array(seasons, pa.string()),
        "game_date": game_date,
        "home_team": home_team,
        "away_team": away_team,
        "home_goals": pa.array(home.astype(np.int16)),
        "away_goals": pa.array(away.astype(np.int16)),
        "winner": pa.array(winner.astype(object), pa.string(), mask=winner == ""),
        "decided_in": pa.array(decided.astype(object), pa.string(), mask=decided == ""),
    })
    return table.cast(schema.GAMES)


def _rosters(raw: pa.Table, game: np.ndarray, game_ids: list[str], home_ice: np.ndarray,
             away_ice: np.ndarray, roles: list[tuple[str, np.ndarray]], home_team: pa.Array,
             away_team: pa.Array, positions: dict[str, str]) -> pa.Table:
    """Players seen in each game (on ice, or as p1-p3), per team, with known positions.

    roles: (prefix, 1 if the player is on the home team, 0 away, -1 unknown) per p-column.
    home_team/away_team: one value per game. Rows come sorted by game, home before away,
    then numeric player id.
    """
    n = len(game)
    name_cols = _ON_ICE_NAMES["home"] + _ON_ICE_NAMES["away"] + [f"{r}_name" for r, _ in roles]
    ids = np.concatenate([home_ice.T.ravel(), away_ice.T.ravel()]
                         + [_num(raw, f"{r}_ID") for r, _ in roles])
    away = np.concatenate([np.zeros(6 * n, np.int8), np.ones(6 * n, np.int8)]
                          + [(1 - h).astype(np.int8) for _, h in roles])
    ok = np.flatnonzero(~np.isnan(ids) & (away <= 1))
    # players as sorted codes; a (game, side, player) bitmap dedupes without sorting rows
    codes, uniques = pd.factorize(ids[ok], sort=True)
    seen = np.zeros((len(game_ids), 2, len(uniques)), dtype=bool)
    seen[game[ok % n], away[ok], codes] = True
    g, side, code = np.nonzero(seen)
    # a player's name from the first cell naming them (numpy keeps the last write)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = ok[::-1]
    names = pa.concat_arrays([raw.column(c).combine_chunks() for c in name_cols])
    player_names = names.take(pa.array(first))
    id_text = [str(int(u)) for u in uniques]
    team = pc.if_else(pa.array(side == 0), home_team.take(pa.array(g)), away_team.take(
        pa.array(g)))
    return pa.table({
        "game_id": pa.array(np.array(game_ids, dtype=object)[g], pa.string()),
        "team": team,
        "player_id": pa.array(id_text, pa.string()).take(pa.array(code)),
        "player_name": player_names.take(pa.array(code)),
        "position": pa.array([positions.get(i) for i in id_text], pa.string()).take(
            pa.array(code)),
    }).cast(schema.ROSTERS)


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    positions: PathLike | Iterable[PathLike] | None = None,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read hockey_scraper game CSVs (files, directories or globs; .gz transparent).

    `positions`: fastRhockey roster Parquet file(s) giving each player's position; without
    them roster positions are null. Under `strict` the first problem raises ParseError;
    otherwise bad files and rows are skipped and listed in `Ingested.problems` (rows are
    0-based data rows, as in the file's unnamed index column). Files are read by two
    threads; the output is sorted by game id and does not depend on the thread timing.
    """
    files = expand_paths(paths, (".csv",))
    position_map = read_positions(positions) if positions is not None else {}
    tables: list[pa.Table] = []
    names: list[str] = []
    game_ids: list[str] = []
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    def load(path: Path) -> tuple[str, pa.Table] | ParseError:
        try:
            gid = _game_id(path)
            table = _read_file(path)
            if table.num_rows == 0:
                raise ParseError(path, "header-only file: no events", row=0)
            return gid, table
        except ParseError as err:
            return err

    # pyarrow parses without the GIL: two threads read files, results come back in order
    with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
        loaded = pool.map(load, files)
        for path, item in tqdm(zip(files, loaded, strict=True), total=len(files),
                               desc="hockey_scraper", unit="file",
                               disable=not progress or len(files) < 2):
            if not isinstance(item, ParseError) and item[0] in seen:
                item = ParseError(path, f"duplicate game {item[0]} already read from "
                                        f"{seen[item[0]]}", field="game_id")
            if isinstance(item, ParseError):
                if strict:
                    raise item
                problems.append(item.to_problem())
                log.warning("skipped %s", item)
                continue
            gid, table = item
            n = table.num_rows
            table = table.append_column("_game", pa.array(np.full(n, len(game_ids), np.int64)))
            table = table.append_column("_row", pa.array(np.arange(n, dtype=np.int64)))
            seen[gid] = str(path)
            game_ids.append(gid)
            names.append(str(path))
            tables.append(table)
    skipped = len(problems)
    order = sorted(range(len(game_ids)), key=game_ids.__getitem__)
    if order != list(range(len(game_ids))):  # deterministic output: games sorted by id
        tables = [tables[i].set_column(tables[i].schema.get_field_index("_game"), "_game",
                                       pa.array(np.full(tables[i].num_rows, k, np.int64)))
                  for k, i in enumerate(order)]
        game_ids = [game_ids[i] for i in order]
        names = [names[i] for i in order]
    if not tables:
        out = Ingested(problems=problems)
    else:
        out = _normalise(pa.concat_tables(tables), names, game_ids, strict, position_map)
        out.problems = problems + out.problems
    out.files_read = len(tables)
    out.files_skipped = skipped
    return out

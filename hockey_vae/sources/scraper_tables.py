"""hockey_scraper: the event vocabulary, the games and rosters tables, roster positions,
attacking directions and the array helpers of the vectorised pass.

Split from `hockey_scraper` to keep each module short; everything here works on the raw
table of all games at once (numpy/pyarrow, no per-row Python).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths
from hockey_vae.sources.base import ParseError, Problem

__all__ = ["LEAGUE", "EVENT_MAP", "ON_ICE", "ON_ICE_NAMES", "ids_to_str", "list_column", "num",
           "int_array", "factorize_ids", "games_table", "rosters_table", "read_positions", "directions",
           "codes", "lookup", "parse_dates", "parse_strength", "row_problems"]

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
_SIDES = ("home", "away")
ON_ICE = {s: [f"{s}Player{i}_id" for i in range(1, 7)] for s in _SIDES}
ON_ICE_NAMES = {s: [f"{s}Player{i}" for i in range(1, 7)] for s in _SIDES}
_POSITION_MAP = {"C": "C", "L": "LW", "R": "RW", "D": "D", "G": "G",
                 "LW": "LW", "RW": "RW", "LD": "D", "RD": "D", "F": None}


def factorize_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float ids (NaN for blank) -> (codes, -1 for blank; sorted distinct ids).

    Player ids are whole numbers within a span of a few hundred thousand, so a dense
    lookup table does it in linear time; other values go through pandas' hash table.
    """
    finite = ~np.isnan(values)
    present_values = values[finite]
    if len(present_values) == 0:
        return np.full(len(values), -1, np.int64), np.empty(0)
    low, high = present_values.min(), present_values.max()
    if high - low >= 1 << 22 or not (present_values == np.floor(present_values)).all():
        import pandas as pd  # odd ids only: ingest otherwise never loads pandas

        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=np.float64)
    offset = (present_values - low).astype(np.int64)
    present = np.zeros(int(high - low) + 1, dtype=bool)
    present[offset] = True
    rank = np.cumsum(present) - 1
    codes = np.full(len(values), -1, np.int64)
    codes[finite] = rank[offset]
    return codes, np.flatnonzero(present) + low


def ids_to_str(values: np.ndarray) -> pa.Array:
    """Float player ids (NaN for blank) -> string array with nulls.

    Ids repeat a lot (a season has ~1,000 players), so only the distinct ones are
    formatted and the strings are gathered by code.
    """
    codes, uniques = factorize_ids(values)
    text = pc.cast(pa.array(uniques.astype(np.int64)), pa.string())
    return text.take(pa.array(codes, mask=codes < 0))


def list_column(ids: np.ndarray, null: np.ndarray) -> pa.Array:
    """(n, k) float id matrix with NaN blanks -> list<string> array, blanks dropped.

    Rows where `null` is true become null lists.
    """
    present = ~np.isnan(ids)
    offsets = np.zeros(len(ids) + 1, dtype=np.int32)
    np.cumsum(present.sum(axis=1), out=offsets[1:])
    values = ids_to_str(ids[present])
    return pa.ListArray.from_arrays(pa.array(offsets, mask=np.append(null, False)), values)


def num(raw: pa.Table, column: str) -> np.ndarray:
    """A numeric column as float64 numpy, NaN for nulls."""
    return raw.column(column).to_numpy().astype(np.float64, copy=False)


def int_array(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    """Float values (NaN for null) -> integer array of `typ` with nulls."""
    mask = np.isnan(values)
    return pa.array(np.where(mask, 0, values).astype(np.int64), mask=mask).cast(typ)


def games_table(game: np.ndarray, game_ids: list[str], shootout: np.ndarray, goal: np.ndarray,
           ev_home: np.ndarray, period: np.ndarray, score_home: np.ndarray,
           score_away: np.ndarray, home_team: pa.Array, away_team: pa.Array,
           game_date: pa.Array) -> pa.Table:
    """One row per game: teams, final score (+1 to a shootout winner), winner, decided_in.

    Every game has at least one row, so per-game arrays line up with `game_ids`.

    It takes the normaliser's columns one by one (ids, teams, scores, dates) rather than a
    frame, hence more than eight parameters.
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


def rosters_table(raw: pa.Table, game: np.ndarray, game_ids: list[str], home_ice: np.ndarray,
             away_ice: np.ndarray, roles: list[tuple[str, np.ndarray]], home_team: pa.Array,
             away_team: pa.Array, positions: dict[str, str]) -> pa.Table:
    """Players seen in each game (on ice, or as p1-p3), per team, with known positions.

    roles: (prefix, 1 if the player is on the home team, 0 away, -1 unknown) per p-column.
    home_team/away_team: one value per game. Rows come sorted by game, home before away,
    then numeric player id.

    It takes the normaliser's columns one by one rather than a frame, hence nine parameters.
    """
    n = len(game)
    name_cols = ON_ICE_NAMES["home"] + ON_ICE_NAMES["away"] + [f"{r}_name" for r, _ in roles]
    # on-ice cells: only rows where a side's six change (most events repeat the last shift)
    keep = [_new_rows(ice, game) for ice in (home_ice, away_ice)]
    ids = np.concatenate([ice[rows, j] for ice, rows in zip((home_ice, away_ice), keep,
                                                            strict=True) for j in range(6)]
                         + [num(raw, f"{r}_ID") for r, _ in roles])
    cell = np.concatenate([(6 * s + j) * n + rows for s, rows in enumerate(keep)
                           for j in range(6)]
                          + [(12 + i) * n + np.arange(n) for i in range(len(roles))])
    away = np.concatenate([np.full(6 * len(rows), s, np.int8) for s, rows in enumerate(keep)]
                          + [(1 - h).astype(np.int8) for _, h in roles])
    ok = np.flatnonzero(~np.isnan(ids) & (away <= 1))
    # players as sorted codes; a (game, side, player) bitmap dedupes without sorting rows
    codes, uniques = factorize_ids(ids[ok])
    seen = np.zeros((len(game_ids), 2, len(uniques)), dtype=bool)
    seen[game[cell[ok] % n], away[ok], codes] = True
    g, side, code = np.nonzero(seen)
    # a player's name from the first cell naming them (numpy keeps the last write)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = cell[ok][::-1]
    player_names = _names_at(raw, name_cols, first, n)
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


def _new_rows(ice: np.ndarray, game: np.ndarray) -> np.ndarray:
    """Rows whose (n, 6) on-ice ids differ from the previous row's (or start a game)."""
    same = (ice[1:] == ice[:-1]) | (np.isnan(ice[1:]) & np.isnan(ice[:-1]))
    repeat = same.all(axis=1) & (game[1:] == game[:-1])
    return np.flatnonzero(~np.r_[False, repeat])


def _names_at(raw: pa.Table, columns: list[str], cells: np.ndarray, n: int) -> pa.Array:
    """The names at flat cell positions (column k, row r at k * n + r) of `columns`."""
    column, row = np.divmod(cells, n)
    out = np.empty(len(cells), dtype=object)
    for k in np.unique(column):
        picked = np.flatnonzero(column == k)
        out[picked] = raw.column(columns[k]).take(pa.array(row[picked])).to_numpy(
            zero_copy_only=False)
    return pa.array(out, pa.string(), from_pandas=True)


def read_positions(paths: PathLike | Iterable[PathLike]) -> dict[str, str]:
    """player id -> canonical position from fastRhockey roster Parquet files.

    Later seasons (and later files) win when a player's listed position changed.
    """
    found: list[tuple[float, int, float, str]] = []  # (season, file order, id, position)
    for order, path in enumerate(expand_paths(paths, (".parquet",))):
        try:
            # ParquetFile rather than read_table: read_table imports pyarrow.dataset (~0.3 s
            # of a fresh ingest's start-up) for what is one small file
            reader = pq.ParquetFile(path)
            keep = [c for c in ("player_id", "position_code", "season")
                    if c in reader.schema_arrow.names]
            table = reader.read(columns=keep)
        except (pa.ArrowException, OSError) as err:
            raise ParseError(path, f"unreadable roster Parquet: {err}") from err
        if "player_id" not in table.column_names or "position_code" not in table.column_names:
            raise ParseError(path, "roster file needs columns 'player_id' and 'position_code'",
                             field="position_code")
        ids = _numbers(table.column("player_id"), path, "player_id", coerce=False)
        seasons = (_numbers(table.column("season"), path, "season", coerce=True)
                   if "season" in table.column_names else np.full(len(ids), -1.0))
        found += zip(seasons.tolist(), [order] * len(ids), ids.tolist(),
                     table.column("position_code").to_pylist(), strict=True)
    out: dict[str, str] = {}
    # seasons in order (unknown first), then files; later entries overwrite earlier ones
    for _, _, pid, pos in sorted(found, key=lambda r: (0, 0.0, r[1]) if np.isnan(r[0])
                                 else (1, r[0], r[1])):
        mapped = _POSITION_MAP.get(str(pos).upper()) if pos is not None else None
        if mapped is not None and not np.isnan(pid):
            out[str(int(pid))] = mapped
    return out


def _numbers(column: pa.ChunkedArray, path: PathLike, name: str, coerce: bool) -> np.ndarray:
    """A column as float64 (NaN for null); text that is not a number is NaN under `coerce`,
    else a ParseError naming the file and field."""
    try:
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        if not coerce:
            raise ParseError(path, f"column {name!r} is not numeric: {err}", field=name) from err
    out = []
    for value in column.to_pylist():
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            out.append(np.nan)
    return np.array(out, dtype=float)


def parse_dates(values: list) -> list[dt.date | None]:
    """Date strings -> dates (None when unreadable): ISO dates directly, anything else the
    way pandas reads it."""
    out: list[dt.date | None] = []
    odd = []
    for i, value in enumerate(values):
        try:
            out.append(dt.date.fromisoformat(str(value)[:10]) if len(str(value)) == 10
                       else dt.datetime.fromisoformat(str(value)).date())
        except ValueError:
            out.append(None)
            odd.append(i)
    if odd:
        import pandas as pd  # rare formats only

        parsed = pd.to_datetime(pd.Series([values[i] for i in odd], dtype=object),
                                errors="coerce")
        for i, stamp in zip(odd, parsed, strict=True):
            out[i] = None if pd.isna(stamp) else stamp.date()
    return out


def _group_median(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, median of `values` per key)."""
    order = np.lexsort((values, keys))
    k, v = keys[order], values[order]
    starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1] if len(k) else np.zeros(0, int)
    counts = np.diff(np.r_[starts, len(k)])
    return k[starts], (v[starts + (counts - 1) // 2] + v[starts + counts // 2]) / 2


def _lookup_keys(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[keys == q] per query (keys sorted and distinct); NaN where absent."""
    if len(keys) == 0:
        return np.full(len(query), np.nan)
    at = np.searchsorted(keys, query).clip(0, len(keys) - 1)
    return np.where(keys[at] == query, values[at], np.nan)


def directions(game: np.ndarray, period: np.ndarray, x: np.ndarray, is_shot: np.ndarray,
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
    shot_keys, shot_median = _group_median(shooter_key[is_shot], x[is_shot])
    nonzero = shot_median != 0
    shot_keys, shot_sign = shot_keys[nonzero], np.sign(shot_median[nonzero])
    zone_keys, zone_median = _group_median(own_key[off], x[off])
    own = _lookup_keys(shot_keys, shot_sign, own_key)
    opp = -_lookup_keys(shot_keys, shot_sign, own_key ^ 1)
    by_zone = _lookup_keys(zone_keys, np.sign(zone_median), own_key)
    out = np.where(np.isnan(own), np.where(np.isnan(opp), by_zone, opp), own)
    out[out == 0] = np.nan
    return np.where(acting_home >= 0, out, np.nan)


def codes(raw: pa.Table, column: str) -> tuple[np.ndarray, list]:
    """A string column as (codes, distinct values); code -1 for null."""
    col = raw.column(column)
    uniques = pc.unique(col).drop_null()
    codes = pc.fill_null(pc.index_in(col, value_set=uniques), -1).to_numpy()
    return codes.astype(np.int64, copy=False), uniques.to_pylist()


def lookup(codes: np.ndarray, values: list, fill: float = np.nan) -> np.ndarray:
    """Map codes through `values` (one per distinct value); -1 -> fill."""
    table = np.append(np.asarray(values, dtype=float), fill)
    return table[codes]


def parse_strength(codes: np.ndarray, values: list) -> tuple[np.ndarray, np.ndarray]:
    """`HxA` -> (home, away) skaters as float arrays; NaN for junk like 0x0, 1x0, 5x9."""
    home, away = [], []
    for text in values:
        match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", str(text))
        h, a = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
        ok = 3 <= h <= 6 and 3 <= a <= 6
        home.append(h if ok else np.nan)
        away.append(a if ok else np.nan)
    return lookup(codes, home), lookup(codes, away)


def row_problems(mask: np.ndarray, game: np.ndarray, row: np.ndarray, files: list[str],
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

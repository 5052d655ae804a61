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

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm.auto import tqdm

from hockey_vae import schema
from hockey_vae.io import PathLike, expand_paths
from hockey_vae.progress import bar_disable
from hockey_vae.sources.base import (
    READ_ERRORS,
    Ingested,
    ParseError,
    Problem,
    as_parse_error,
    concat_ingested,
)
from hockey_vae.sources.scraper_batch import Collector, Piece, prepare
from hockey_vae.sources.scraper_tables import (
    EVENT_MAP,
    LEAGUE,
    ON_ICE,
    codes,
    directions,
    games_table,
    ids_to_str,
    int_array,
    list_column,
    num,
    parse_dates,
    parse_strength,
    read_positions,
    rosters_table,
    row_problems,
)

__all__ = ["read", "EVENT_MAP", "read_positions"]

log = logging.getLogger(__name__)


_READ_THREADS = 2  # decompress and check files while pyarrow parses
_AHEAD = 64  # files decompressed ahead of the parser (bounds memory)


def _normalise(raw: pa.Table, files: list[str], game_ids: list[str], strict: bool,
               positions: dict[str, str]) -> Ingested:
    """All games at once: raw hockey_scraper columns -> canonical tables."""
    return _Normaliser(raw, files, game_ids, strict).run(positions)


class _Normaliser:
    """One vectorised pass over the raw rows of all games; each step is a method."""

    def __init__(self, raw: pa.Table, files: list[str], game_ids: list[str], strict: bool):
        self.raw, self.files, self.game_ids, self.strict = raw, files, game_ids, strict
        self.game = raw.column("_game").to_numpy()
        self.row = raw.column("_row").to_numpy()
        regular = np.array([g[8:10] == "02" for g in game_ids], dtype=bool)
        self.period = num(raw, "Period")
        self.shootout = regular[self.game] & (self.period == 5)
        self.problems: list[Problem] = []

    def _report(self, mask: np.ndarray, message, field: str, skipped: bool) -> None:
        self.problems += row_problems(mask, self.game, self.row, self.files, message, field,
                                      self.strict, skipped)

    def is_event(self, label: str) -> np.ndarray:
        return self.ev_codes == (self.ev_values.index(label) if label in self.ev_values else -2)

    def kinds(self) -> None:
        """Event types; rows with an impossible period or an unknown label are dropped."""
        bad_period = ~((self.period >= 1) & (self.period <= 20))  # NaN included
        self._report(bad_period, lambda g, c: (
            f"{c} row(s) with a missing or impossible period (not 1-20) skipped"), "Period", True)
        self.ev_codes, self.ev_values = codes(self.raw, "Event")
        self.mapped_values = [EVENT_MAP.get(v) for v in self.ev_values]
        known = np.append(np.array([m is not None for m in self.mapped_values], dtype=bool),
                          False)[self.ev_codes]
        labels = np.append(np.asarray(self.ev_values, dtype=object), None)

        def unknown_message(g: int, count: int) -> str:
            kinds = sorted(set(labels[self.ev_codes[(self.game == g) & ~known]].tolist()),
                           key=str)
            return f"unknown event type(s) {kinds[:5]}: {count} row(s) skipped"

        self._report(~known & ~bad_period, unknown_message, "Event", True)
        self.keep = known & ~self.shootout & ~bad_period

    def acting(self) -> None:
        """Acting team per row (BLOCK: the blocker's team, i.e. not Ev_Team)."""
        raw = self.raw
        self.teams = pc.unique(pa.concat_arrays([raw.column(c).combine_chunks()
                                                 for c in ("Home_Team", "Away_Team")])).drop_null()

        def team_codes(column: str) -> np.ndarray:
            found = pc.index_in(raw.column(column), value_set=self.teams)
            return pc.fill_null(found, -1).to_numpy().astype(np.int64)

        self.home_code, self.away_code, ev_code = (team_codes(c) for c in (
            "Home_Team", "Away_Team", "Ev_Team"))
        self.ev_home = np.where((ev_code == self.home_code) & (ev_code >= 0), 1,
                                np.where((ev_code == self.away_code) & (ev_code >= 0), 0, -1))
        self.is_block = self.is_event("BLOCK")
        self.p1 = num(raw, "p1_ID")
        self.home_ice = np.column_stack([num(raw, c) for c in ON_ICE["home"]])
        self.away_ice = np.column_stack([num(raw, c) for c in ON_ICE["away"]])
        p1_home = (self.home_ice == self.p1[:, None]).any(axis=1)
        p1_away = (self.away_ice == self.p1[:, None]).any(axis=1)
        block_home = np.where(p1_home, 1, np.where(p1_away, 0, np.where(
            self.ev_home >= 0, 1 - self.ev_home, -1)))
        self.acting_home = np.where(self.is_block, block_home, self.ev_home).astype(np.int64)
        self.has_team = self.acting_home >= 0
        self.ah = self.acting_home == 1

    def coordinates(self) -> None:
        """x, y rotated toward the acting team's attack; out-of-range raw values -> null."""
        x_raw, y_raw, keep = num(self.raw, "xC"), num(self.raw, "yC"), self.keep
        out_of_range = keep & ((np.abs(np.nan_to_num(x_raw)) > schema.RINK_HALF_LENGTH_FT + 1)
                               | (np.abs(np.nan_to_num(y_raw)) > schema.RINK_HALF_WIDTH_FT + 1))
        if out_of_range.any():
            self._report(out_of_range, lambda g, c: (
                f"{c} coordinate(s) outside the rink set to null"), "xC", False)
            x_raw = np.where(out_of_range, np.nan, x_raw)
            y_raw = np.where(out_of_range, np.nan, y_raw)
        shots = self.is_event("SHOT") | self.is_event("MISS") | self.is_event("GOAL")
        shooter_home = np.where(self.is_block, 1 - self.acting_home, self.acting_home)
        is_shot = (shots | self.is_block) & self.has_team & keep & ~np.isnan(x_raw)
        off = (pc.fill_null(pc.equal(self.raw.column("Ev_Zone"), "Off"), False).to_numpy()
               & self.has_team & (np.abs(np.nan_to_num(x_raw)) > 25))
        direction = directions(self.game, self.period.astype(np.int64), x_raw, is_shot,
                               shooter_home, self.acting_home, off)
        self.x, self.y = x_raw * direction, y_raw * direction

    def scores(self) -> None:
        """Manpower and score; a score outside 0-99 becomes null with a Problem."""
        self.sk_home, self.sk_away = parse_strength(*codes(self.raw, "Strength"))
        home, away = num(self.raw, "Home_Score"), num(self.raw, "Away_Score")
        bad = self.keep & ((np.abs(np.nan_to_num(home)) > 99) | (home < 0)
                           | (np.abs(np.nan_to_num(away)) > 99) | (away < 0))
        if bad.any():
            self._report(bad, lambda g, c: f"{c} score(s) outside 0-99 set to null",
                         "Home_Score", False)
        self.score_home = np.where(bad, np.nan, home)
        self.score_away = np.where(bad, np.nan, away)

    def view(self, home_vals: np.ndarray, away_vals: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        """(for, against) from the acting team's view; NaN for team-less rows."""
        f = np.where(self.ah, home_vals, away_vals)
        a = np.where(self.ah, away_vals, home_vals)
        return np.where(self.has_team, f, np.nan), np.where(self.has_team, a, np.nan)

    def dates(self) -> pa.Array:
        """Game date per row; an unreadable date is null with a Problem."""
        date_codes, date_values = codes(self.raw, "Date")
        parsed = parse_dates(date_values)
        unreadable = np.append([d is None for d in parsed], False)[date_codes] & self.keep
        if unreadable.any():
            self._report(unreadable, lambda g, c: f"{c} unreadable date(s) left null", "Date",
                         False)
        days = pa.array(parsed + [None], pa.date32())
        return days.take(pa.array(np.where(date_codes < 0, len(date_values), date_codes)))

    def events(self, game_date: pa.Array) -> pa.Table:
        """The canonical events table of the kept rows, event_idx per game in file order.

        Rows are dropped before the columns are built (cheaper than filtering the table).
        """
        raw, k = self.raw, np.flatnonzero(self.keep)
        taken = pa.array(k)
        game, ah, has_team, period = self.game[k], self.ah[k], self.has_team[k], self.period[k]
        sk_for, sk_against = self.view(self.sk_home, self.sk_away)
        goals_for, goals_against = self.view(self.score_home, self.score_away)
        no_team = ~has_team[:, None]
        home_ice, away_ice = self.home_ice[k], self.away_ice[k]
        on_for = list_column(np.where(no_team, np.nan, np.where(ah[:, None], home_ice,
                                                                 away_ice)), ~has_team)
        on_against = list_column(np.where(no_team, np.nan, np.where(ah[:, None], away_ice,
                                                                     home_ice)), ~has_team)
        team_code = np.where(ah, self.home_code[k], self.away_code[k])
        opp_code = np.where(ah, self.away_code[k], self.home_code[k])
        period_seconds = num(raw, "Seconds_Elapsed")[k]
        period_seconds = np.where(np.isfinite(period_seconds), period_seconds, np.nan)
        seasons = [f"{g[4:8]}{int(g[4:8]) + 1}" for g in self.game_ids]
        ev_codes = self.ev_codes[k]
        starts = np.r_[0, np.flatnonzero(game[1:] != game[:-1]) + 1]  # grouped by game
        event_idx = np.arange(len(k)) - np.repeat(starts, np.diff(np.r_[starts, len(k)]))
        events = pa.table({
            "game_id": pa.array(self.game_ids, pa.string()).take(pa.array(game)),
            "league": pa.repeat(pa.scalar(LEAGUE, pa.string()), len(k)),
            "season": pa.array(seasons, pa.string()).take(pa.array(game)),
            "game_date": game_date.take(taken),
            "event_idx": pa.array(event_idx.astype(np.int32)),
            "period": int_array(period, pa.int8()),
            "period_seconds": pa.array(period_seconds, pa.float32(), from_pandas=True),
            "game_seconds": pa.array((period - 1) * 1200.0 + period_seconds, pa.float32(),
                                     from_pandas=True),
            "event_type": pa.array(self.mapped_values + [None], pa.string()).take(
                pa.array(np.where(ev_codes < 0, len(self.ev_values), ev_codes))),
            "source_event_type": raw.column("Event").take(taken),
            "team": self.teams.take(pa.array(team_code, mask=~has_team | (team_code < 0))),
            "opponent": self.teams.take(pa.array(opp_code, mask=~has_team | (opp_code < 0))),
            "is_home": pa.array(ah, pa.bool_(), mask=~has_team),
            "player_id": ids_to_str(self.p1[k]),
            "player_name": raw.column("p1_name").take(taken),
            "player2_id": ids_to_str(num(raw, "p2_ID")[k]),
            "player2_name": raw.column("p2_name").take(taken),
            "x": pa.array(self.x[k], pa.float32(), from_pandas=True),
            "y": pa.array(self.y[k], pa.float32(), from_pandas=True),
            "goals_for": int_array(goals_for[k], pa.int16()),
            "goals_against": int_array(goals_against[k], pa.int16()),
            "skaters_for": int_array(sk_for[k], pa.int8()),
            "skaters_against": int_array(sk_against[k], pa.int8()),
            "detail": raw.column("Type").take(taken),
            "on_ice_for": on_for,
            "on_ice_against": on_against,
        })
        return events.cast(schema.EVENTS)

    def run(self, positions: dict[str, str]) -> Ingested:
        """Every step, then the events, games and rosters tables."""
        self.kinds()
        self.acting()
        self.coordinates()
        self.scores()
        game_date = self.dates()
        events = self.events(game_date)
        game, goal = self.game, self.is_event("GOAL")
        first = pa.array(np.r_[0, np.flatnonzero(game[1:] != game[:-1]) + 1])
        games = games_table(game, self.game_ids, self.shootout, goal, self.ev_home, self.period,
                            self.score_home, self.score_away,
                            self.raw.column("Home_Team").combine_chunks().take(first),
                            self.raw.column("Away_Team").combine_chunks().take(first),
                            game_date.take(first))
        p2_home = np.where(goal, self.acting_home, 1 - self.acting_home)
        rosters = rosters_table(self.raw, game, self.game_ids, self.home_ice, self.away_ice,
                                [("p1", self.acting_home), ("p2", p2_home),
                                 ("p3", self.acting_home)],
                                games.column("home_team").combine_chunks(),
                                games.column("away_team").combine_chunks(), positions)
        return Ingested(events=events, games=games, rosters=rosters, problems=self.problems,
                        shootout_rows=int(self.shootout.sum()),
                        shootout_games=len(np.unique(game[self.shootout])))


def read(
    paths: PathLike | Iterable[PathLike],
    *,
    positions: PathLike | Iterable[PathLike] | None = None,
    strict: bool = False,
    progress: bool = True,
) -> Ingested:
    """Read hockey_scraper CSVs: one game per file (the 10-digit game id in the file name)
    or season files with many games (`Game_Id` and `Date` columns); files, directories or
    globs; .gz transparent.

    `positions`: fastRhockey roster Parquet file(s) giving each player's position; without
    them roster positions are null. Under `strict` the first problem raises ParseError;
    otherwise bad files and rows are skipped and listed in `Ingested.problems` (rows are
    0-based data rows, as in the file's unnamed index column). Worker threads decompress
    and check files while pyarrow parses batches of them in one call; the output is sorted
    by game id and does not depend on the thread timing.
    """
    files = expand_paths(paths, (".csv",))
    position_map = read_positions(positions) if positions is not None else {}
    collector = Collector(strict)
    with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
        for item in tqdm(_prepared(pool, files), total=len(files), desc="hockey_scraper",
                         unit="file", disable=bar_disable(progress and len(files) >= 2)):
            collector.add(item)
        raw = collector.finish()
    if raw is None:
        out = Ingested(problems=collector.problems + collector.cell_problems)
    else:
        out = _normalise_safely(raw, collector.names, collector.game_ids, strict, position_map)
        out.problems = collector.problems + collector.cell_problems + out.problems
    out.files_read = len(collector.game_ids) - out.files_skipped  # failed to normalise
    out.files_skipped += collector.skipped
    from hockey_vae.sources.normalise import normalise  # ids that join across sources
    return normalise(out)


def _prepared(pool: ThreadPoolExecutor, files: list[Path]) -> Iterator[Piece | ParseError]:
    """`prepare` of each file in order, at most `_AHEAD` files decompressed ahead."""
    pending: deque = deque()
    for path in files:
        pending.append(pool.submit(_prepare_safely, path))
        if len(pending) > _AHEAD:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _prepare_safely(path: Path) -> Piece | ParseError:
    try:
        return prepare(path)
    except ParseError as err:
        return err
    except READ_ERRORS as err:
        return as_parse_error(path, err)


def _normalise_safely(raw: pa.Table, names: list[str], game_ids: list[str],
                      strict: bool, positions: dict[str, str]) -> Ingested:
    """`_normalise` of all games at once; if that fails, game by game, so one game that
    cannot be normalised is reported (file named) and the others are kept."""
    try:
        return _checked(_normalise(raw, names, game_ids, strict, positions), names, game_ids,
                        strict)
    except ParseError:
        if strict or len(game_ids) == 1:
            raise
    except (*READ_ERRORS, schema.SchemaError):
        if strict or len(game_ids) == 1:
            raise ParseError(names[0] if len(game_ids) == 1 else ", ".join(names[:3]),
                             "cannot normalise the game(s)") from None
    game = raw.column("_game").to_numpy()
    starts = np.searchsorted(game, np.arange(len(game_ids) + 1))
    parts, failed = [], []
    for k, (name, gid) in enumerate(zip(names, game_ids, strict=True)):
        table = raw.slice(starts[k], starts[k + 1] - starts[k])
        table = table.set_column(table.schema.get_field_index("_game"), "_game",
                                 pa.array(np.zeros(table.num_rows, np.int64)))
        try:
            parts.append(_checked(_normalise(table, [name], [gid], False, positions), [name],
                                  [gid], False))
        except (ParseError, *READ_ERRORS) as err:
            err = as_parse_error(name, err)
            failed.append(Problem(err.file, err.message, err.row, err.field, fatal=True))
            log.warning("skipped %s (game %d of %d)", err, k + 1, len(game_ids))
    out = concat_ingested(parts)
    out.problems += failed
    out.files_skipped += len(failed)
    return out


def _checked(out: Ingested, names: list[str], game_ids: list[str], strict: bool) -> Ingested:
    """Validate; drop games left without events (each named by its file)."""
    try:
        out.validate()
    except schema.SchemaError as err:
        raise ParseError(names[0] if len(names) == 1 else ", ".join(names[:3]),
                         f"invalid after reading: {err}") from err
    with_events = set(out.events.column("game_id").to_pylist())
    empty = [g for g in out.games.column("game_id").to_pylist() if g not in with_events]
    for g in empty:
        problem = Problem(names[game_ids.index(g)], f"game {g} has no events: dropped",
                          field="game_id")
        if strict:
            raise ParseError(problem.file, problem.message, field=problem.field)
        out.problems.append(problem)
    if empty:
        out.games = out.games.filter(pc.invert(pc.is_in(out.games.column("game_id"),
                                                        pa.array(empty))))
        out.rosters = out.rosters.filter(pc.invert(pc.is_in(out.rosters.column("game_id"),
                                                            pa.array(empty))))
    return out

"""IDs that join across sources: one team-code standard, one name case, the source's game id.

Every reader ends with `normalise(ingested)` (and `write_tables` and `load_tables` apply it
too, so folders written earlier come back the same way). It is idempotent and:

- maps team codes to one standard per league with `TEAM_CODES` (NHL: hockey_scraper's
  "S.J", "L.A", "N.J", "T.B" become the NHL API's "SJS", "LAK", "NJD", "TBL"), in events
  (`team`, `opponent`), games (`home_team`, `away_team`) and rosters (`team`);
- writes player names in one case, `str.title` of the source's spelling ("ARTTURI LEHKONEN"
  and "Artturi Lehkonen" both become "Artturi Lehkonen"; "McDavid" reads "Mcdavid" in every
  source alike, so names join), keeping the source's spelling in rosters'
  `source_player_name`;
- keeps the source's own numeric game id as the int64 column `source_game_id` of games: the
  trailing digits of the canonical id ("NHL-2018020001" -> 2018020001, "PWHL-110" -> 110),
  null where the id has none.

The extra columns are listed in `EXTRA_COLUMNS`; they sit after the canonical schema's
columns, and the schema checks ignore them.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["normalise", "TEAM_CODES", "PWHL_TEAM_IDS", "EXTRA_COLUMNS", "team_code",
           "with_extra_columns"]

# league -> {code a source writes: the standard code}. One table for every reader.
TEAM_CODES: dict[str, dict[str, str]] = {
    "NHL": {"S.J": "SJS", "L.A": "LAK", "N.J": "NJD", "T.B": "TBL",
            "SJ": "SJS", "LA": "LAK", "NJ": "NJD", "TB": "TBL"},
}
# HockeyTech team id -> the PWHL's abbreviation (what the raw summaries call each team)
PWHL_TEAM_IDS: dict[int, str] = {1: "BOS", 2: "MIN", 3: "MTL", 4: "NY", 5: "OTT", 6: "TOR",
                                 8: "SEA", 9: "VAN"}

# table -> columns added after the canonical ones
EXTRA_COLUMNS: dict[str, tuple[pa.Field, ...]] = {
    "games": (pa.field("source_game_id", pa.int64()),),
    "rosters": (pa.field("source_player_name", pa.string()),),
}


def team_code(league: str | None, code: str | None) -> str | None:
    """The standard code of `code` in `league` (unchanged when already standard)."""
    if code is None:
        return None
    return TEAM_CODES.get(league or "", {}).get(code, code)


def with_extra_columns(schema: pa.Schema, table: str) -> pa.Schema:
    """`schema` with the extra columns of `table` appended (for reading a folder back)."""
    for f in EXTRA_COLUMNS.get(table, ()):
        if f.name not in schema.names:
            schema = schema.append(f)
    return schema


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """`table` with column `name` replaced (or appended)."""
    i = table.schema.get_field_index(name)
    if i < 0:
        return table.append_column(name, values)
    return table.set_column(i, name, values)


def _map_codes(column: pa.ChunkedArray, league: pa.ChunkedArray) -> pa.ChunkedArray:
    """Team codes of `column` mapped by `TEAM_CODES` for the league of each row."""
    out = column
    for lg, mapping in TEAM_CODES.items():
        in_league = pc.fill_null(pc.equal(league, lg), False)
        for old, new in mapping.items():
            hit = pc.and_(in_league, pc.fill_null(pc.equal(out, old), False))
            if pc.any(hit).as_py():
                out = pc.if_else(hit, pa.scalar(new, pa.string()), out)
    return out


def _title(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_title(column)


def _league_of_rosters(rosters: pa.Table, games: pa.Table) -> pa.ChunkedArray:
    """Each roster row's league, through its game."""
    idx = pc.index_in(rosters.column("game_id"), value_set=games.column("game_id"))
    return pc.take(games.column("league"), idx)


def _source_ids(game_ids: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trailing digits of each canonical game id as int64 (null when none)."""
    digits = pc.extract_regex(game_ids, r"(?P<n>\d{1,18})$")
    return pc.cast(pc.struct_field(digits, "n"), pa.int64())


def normalise(ingested: object) -> object:
    """Standard team codes, title-case names (source spelling kept) and `source_game_id`.

    Takes and returns an `Ingested` (changed in place and returned); idempotent.
    """
    ev, games, ro = ingested.events, ingested.games, ingested.rosters
    for col in ("team", "opponent"):
        ev = _set(ev, col, _map_codes(ev.column(col), ev.column("league")))
    for col in ("home_team", "away_team"):
        games = _set(games, col, _map_codes(games.column(col), games.column("league")))
    ro = _set(ro, "team", _map_codes(ro.column("team"), _league_of_rosters(ro, games)))
    for col in ("player_name", "player2_name"):
        ev = _set(ev, col, _title(ev.column(col)))
    if "source_player_name" in ro.column_names:
        source = pc.coalesce(ro.column("source_player_name"), ro.column("player_name"))
    else:
        source = ro.column("player_name")
    ro = _set(ro, "source_player_name", source)
    ro = _set(ro, "player_name", _title(ro.column("player_name")))
    if "source_game_id" in games.column_names:
        known = games.column("source_game_id")
        games = _set(games, "source_game_id",
                     pc.coalesce(known, _source_ids(games.column("game_id"))))
    else:
        games = _set(games, "source_game_id", _source_ids(games.column("game_id")))
    ingested.events, ingested.games, ingested.rosters = ev, games, ro
    return ingested

"""Canonical CSV/Parquet loader: round trips, casting and bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from hockey_vae import schema
from hockey_vae.schema import validate_events
from hockey_vae.sources import tabular
from hockey_vae.sources.base import ParseError, write_tables


def _events(game_ids=("G-1", "G-2"), n: int = 4) -> pa.Table:
    rows = []
    for g in game_ids:
        for i in range(n):
            home = i % 2 == 0
            rows.append({
                "game_id": g, "league": "TST", "season": "20202021",
                "game_date": dt.date(2020, 10, 1), "event_idx": i, "period": 1,
                "period_seconds": 10.0 * i, "game_seconds": 10.0 * i,
                "event_type": ("faceoff", "shot", "hit", "goal")[i % 4],
                "source_event_type": "raw", "team": "AAA" if home else "BBB",
                "opponent": "BBB" if home else "AAA", "is_home": home,
                "player_id": f"p{i}", "player_name": f"Player {i}", "player2_id": None,
                "player2_name": None, "x": 50.0 - i, "y": -3.0, "goals_for": 0,
                "goals_against": 0, "skaters_for": 5, "skaters_against": 5, "detail": None,
                "on_ice_for": [f"p{i}", "q"], "on_ice_against": None,
            })
    return pa.Table.from_pylist(rows, schema=schema.EVENTS)


def _to_csv(table: pa.Table, path: Path) -> Path:
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            col = pa.array([None if v is None else "[" + ";".join(v) + "]"
                            for v in col.to_pylist()], pa.string())
        cols[name] = col
    pacsv.write_csv(pa.table(cols), path)
    return path


def test_parquet_and_csv_round_trip(tmp_path: Path) -> None:
    events = _events()
    pq.write_table(events, tmp_path / "events.parquet")
    out = tabular.read(tmp_path / "events.parquet", progress=False)
    assert out.events.equals(events)
    csv_out = tabular.read(_to_csv(events, tmp_path / "mine.csv"), progress=False)
    validate_events(csv_out.events)
    assert csv_out.events.equals(events)
    games = csv_out.games.to_pylist()
    assert [(g["game_id"], g["home_team"], g["away_team"]) for g in games] == [
        ("G-1", "AAA", "BBB"), ("G-2", "AAA", "BBB")]
    assert games[0]["winner"] is None  # not invented
    assert csv_out.rosters.num_rows == 8 and csv_out.rosters.column("position").null_count == 8


def test_folder_with_all_tables(tmp_path: Path) -> None:
    events = _events()
    games = pa.Table.from_pylist([
        {"game_id": g, "home_team": "AAA", "away_team": "BBB", "home_goals": 2,
         "away_goals": 1, "winner": "home", "decided_in": "regulation"} for g in ("G-1", "G-2")])
    rosters = pa.Table.from_pylist([{"game_id": "G-1", "team": "AAA", "player_id": "p0",
                                     "position": "C"}])
    pq.write_table(events, tmp_path / "events.parquet")
    pq.write_table(games, tmp_path / "games.parquet")
    _to_csv(rosters, tmp_path / "rosters.csv")
    out = tabular.read(tmp_path, progress=False)
    out.validate()
    assert out.files_read == 3
    assert out.games.column("home_goals").to_pylist() == [2, 2]
    assert out.games.column("league").null_count == 2  # absent optional column -> null
    assert out.rosters.to_pylist()[0]["position"] == "C"


def test_missing_required_column(tmp_path: Path) -> None:
    path = _to_csv(_events().drop_columns(["event_type"]), tmp_path / "ev.csv")
    with pytest.raises(ParseError, match=r"ev.csv.*field 'event_type'.*missing required"):
        tabular.read(path, strict=True, progress=False)
    out = tabular.read(path, progress=False)
    assert out.files_skipped == 1 and out.events.num_rows == 0


def test_bad_value_names_column(tmp_path: Path) -> None:
    path = _to_csv(_events(), tmp_path / "ev.csv")
    text = path.read_text().splitlines()
    header = text[0].split(",")
    cells = text[2].split(",")
    cells[header.index('"x"')] = '"far"'
    path.write_text("\n".join([text[0], text[1], ",".join(cells)] + text[3:]) + "\n")
    with pytest.raises(ParseError, match=r"ev.csv, row 1, field 'x'.*'far'"):
        tabular.read(path, strict=True, progress=False)
    out = tabular.read(path, progress=False)  # the cell is nulled, the row and file kept
    assert out.events.num_rows == 8 and out.events.column("x").null_count == 1
    assert [(p.row, p.field, p.rows) for p in out.problems] == [(1, "x", 0)]


def test_empty_required_value(tmp_path: Path) -> None:
    table = _events()
    ids = table.column("game_id").to_pylist()
    ids[3] = None
    table = table.set_column(0, pa.field("game_id", pa.string()), pa.array(ids))
    pq.write_table(table, tmp_path / "ev.parquet")
    with pytest.raises(ParseError, match=r"row 3, field 'game_id'"):
        tabular.read(tmp_path / "ev.parquet", strict=True, progress=False)


def test_unknown_event_type_and_out_of_range(tmp_path: Path) -> None:
    rows = _events().to_pylist()
    rows[1]["event_type"] = "zamboni"
    rows[2]["x"] = 150.0
    rows[3]["y"] = None  # missing coordinates are fine
    path = tmp_path / "ev.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema.EVENTS), path)
    out = tabular.read(path, progress=False)
    validate_events(out.events)
    assert out.events.num_rows == 7
    fields = {p.field: p for p in out.problems}
    assert fields["event_type"].rows == 1 and fields["event_type"].row == 1
    assert "beyond" in fields["x"].message
    assert out.events.column("x").null_count == 1
    with pytest.raises(ParseError, match="zamboni"):
        tabular.read(path, strict=True, progress=False)


def test_duplicate_games_empty_and_header_only(tmp_path: Path) -> None:
    pq.write_table(_events(), tmp_path / "a.parquet")
    pq.write_table(_events(("G-2", "G-3")), tmp_path / "b.parquet")
    (tmp_path / "c.csv").write_text("")
    _to_csv(_events().slice(0, 0), tmp_path / "d.csv")
    out = tabular.read(tmp_path, progress=False)
    validate_events(out.events)
    assert sorted(set(out.events.column("game_id").to_pylist())) == ["G-1", "G-2", "G-3"]
    assert out.events.num_rows == 12
    messages = {Path(p.file).name: p.message for p in out.problems}
    assert "duplicate" in messages["b.parquet"] and "empty" in messages["c.csv"]
    assert "header only" in messages["d.csv"]
    with pytest.raises(ParseError, match="duplicate"):
        tabular.read([tmp_path / "a.parquet", tmp_path / "b.parquet"], strict=True,
                     progress=False)


def test_reads_an_ingest_folder(tmp_path: Path) -> None:
    from hockey_vae.sources.base import Ingested

    source = Ingested(events=_events())
    source.games = tabular.read(_to_csv(_events(), tmp_path / "x.csv"), progress=False).games
    write_tables(source, tmp_path / "out")
    back = tabular.read(tmp_path / "out", progress=False)
    assert back.events.equals(source.events) and back.games.equals(source.games)

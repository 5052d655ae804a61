"""Table sets: written together, read back only as one complete set of one run."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from hockey_vae import io as hv_io
from hockey_vae.cli import main
from hockey_vae.ingest import load_tables
from hockey_vae.io import SET_KEY, TableSetError, read_table_set, write_table_set
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import Ingested, write_tables


def _league(seed: int) -> Ingested:
    return simulate_league(n_teams=4, games=2, seed=seed)


def _ingested(seed: int) -> Ingested:
    """Tables as an ingest writes them: no players table."""
    league = _league(seed)
    return Ingested(events=league.events, games=league.games, rosters=league.rosters)


def _same(a: Ingested, b: Ingested) -> bool:
    return all(getattr(a, n).equals(getattr(b, n)) for n in ("events", "games", "rosters"))


def _same_players(a: Ingested, b: Ingested) -> bool:
    return a.players.to_pandas().equals(b.players.to_pandas())  # NaN styles compare equal


def test_set_round_trip_records_the_kind(tmp_path: Path) -> None:
    league = _league(1)
    paths = write_tables(league, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.parquet", "games.parquet", "players.parquet", "rosters.parquet"]
    assert set(paths) == {"events", "games", "rosters", "players"}
    found = read_table_set(tmp_path, {"events": None, "games": None, "rosters": None,
                                      "players": None})
    assert found.kind == "simulate" and len(found.set_id) == 32
    assert SET_KEY not in (found.tables["events"].schema.metadata or {})
    back = load_tables(tmp_path)
    assert _same(back, league) and _same_players(back, league)


def test_failure_on_third_write_keeps_the_previous_set(tmp_path: Path, monkeypatch) -> None:
    first = _league(1)
    write_tables(first, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_write, calls = pq.write_table, []

    def failing_write(table, where, **kwargs):
        calls.append(where)
        if len(calls) == 3:
            raise OSError("disk full (injected)")
        real_write(table, where, **kwargs)

    monkeypatch.setattr(hv_io.pq, "write_table", failing_write)
    with pytest.raises(OSError, match="injected"):
        write_tables(_league(2), tmp_path)
    monkeypatch.setattr(hv_io.pq, "write_table", real_write)
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp files
    back = load_tables(tmp_path)
    assert _same(back, first) and _same_players(back, first)


def test_failure_between_renames_is_refused_not_mixed(tmp_path: Path, monkeypatch) -> None:
    write_tables(_league(1), tmp_path)
    real_replace, calls = hv_io.os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("killed between renames (injected)")
        real_replace(src, dst)

    monkeypatch.setattr(hv_io.os, "replace", failing_replace)
    with pytest.raises(OSError, match="injected"):
        write_tables(_league(2), tmp_path)
    monkeypatch.setattr(hv_io.os, "replace", real_replace)
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    with pytest.raises(TableSetError, match=r"games\.parquet was written by another run"):
        load_tables(tmp_path)  # new events beside old games: refused, never returned


def test_ingest_over_a_simulate_folder_drops_its_players(tmp_path: Path) -> None:
    write_tables(_league(1), tmp_path)
    stale = tmp_path / "players.parquet"
    kept = tmp_path.parent / "stale_players.parquet"
    shutil.copy(stale, kept)
    ingested = _ingested(2)
    write_tables(ingested, tmp_path)
    assert not stale.exists()
    back = load_tables(tmp_path)
    assert back.players is None and _same(back, ingested)
    assert read_table_set(tmp_path, {"events": None, "games": None,
                                     "rosters": None}).kind == "ingest"
    # a write killed before its clean-up leaves the old players file: still never returned
    shutil.copy(kept, stale)
    assert load_tables(tmp_path).players is None


def test_mixed_set_is_refused_and_describe_says_why(tmp_path: Path, capsys) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_tables(_ingested(1), one)
    write_tables(_ingested(2), two)
    shutil.copy(two / "rosters.parquet", one / "rosters.parquet")  # one file of another run
    with pytest.raises(TableSetError, match=r"rosters\.parquet was written by another run"):
        load_tables(one)
    assert main(["describe", str(one)]) == 2
    err = capsys.readouterr().err
    assert "not one complete table set" in err and "rosters.parquet" in err
    assert main(["describe", str(two)]) == 0


def test_missing_member_and_wrong_row_count_are_refused(tmp_path: Path) -> None:
    write_tables(_league(1), tmp_path)
    (tmp_path / "players.parquet").unlink()
    with pytest.raises(TableSetError, match=r"players\.parquet is missing"):
        load_tables(tmp_path)
    write_tables(_league(1), tmp_path)
    record = pq.read_metadata(tmp_path / "events.parquet").metadata[SET_KEY]
    games = pq.read_table(tmp_path / "games.parquet").slice(0, 3)
    meta = dict(games.schema.metadata or {})
    meta[SET_KEY] = record  # same set id, fewer rows than recorded
    pq.write_table(games.replace_schema_metadata(meta), tmp_path / "games.parquet")
    with pytest.raises(TableSetError, match=r"games\.parquet has 3 rows, the set records 4"):
        load_tables(tmp_path)


def test_truncated_file_is_named(tmp_path: Path) -> None:
    write_tables(_ingested(1), tmp_path)
    path = tmp_path / "games.parquet"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(TableSetError, match=r"games\.parquet: not a readable Parquet file"):
        load_tables(tmp_path)


def _write_legacy(ingested: Ingested, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("events", "games", "rosters", "players"):
        table = getattr(ingested, name)
        if table is not None:
            pq.write_table(table, folder / f"{name}.parquet")


def test_legacy_folder_is_read_with_a_warning(tmp_path: Path, caplog) -> None:
    league = _league(1)
    _write_legacy(league, tmp_path)
    with caplog.at_level(logging.WARNING, logger="hockey_vae.io"):
        back = load_tables(tmp_path)
    assert "without a set record" in caplog.text
    assert _same(back, league) and _same_players(back, league)


def test_legacy_folder_with_stale_players_or_mixed_games(tmp_path: Path, caplog) -> None:
    league, other = _league(1), _league(2)
    folder = tmp_path / "stale"
    stale = other.players.filter(pc.invert(pc.is_in(
        other.players.column("player_id"), value_set=league.rosters.column("player_id"))))
    _write_legacy(Ingested(events=league.events, games=league.games, rosters=league.rosters,
                           players=stale), folder)
    with caplog.at_level(logging.WARNING, logger="hockey_vae.io"):
        assert load_tables(folder).players is None
    assert "ignoring players.parquet" in caplog.text
    mixed = tmp_path / "mixed"  # games of a smaller run beside events of a bigger one
    _write_legacy(Ingested(events=league.events, games=league.games.slice(0, 2),
                           rosters=league.rosters), mixed)
    with pytest.raises(TableSetError, match=r"events\.parquet names 2 game\(s\) missing"):
        load_tables(mixed)


def test_unknown_table_name_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown table name"):
        write_table_set({"shots": _league(1).games}, tmp_path, "ingest")
    with pytest.raises(FileNotFoundError, match=r"missing events\.parquet"):
        load_tables(tmp_path / "nowhere")

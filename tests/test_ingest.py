"""Ingest orchestration: registry, atomic writes, load_tables, describe and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _scraper_fixture import game_rows, write_game

from hockey_vae import ingest as ingest_mod
from hockey_vae.cli import main
from hockey_vae.ingest import FORMATS, describe, get_reader, ingest, load_tables
from hockey_vae.schema import SchemaError, validate_events
from hockey_vae.sources.base import Ingested, ParseError


@pytest.fixture
def nhl_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    write_game(folder / "2018020001.csv.gz", game_rows(shootout=True))
    write_game(folder / "2018020002.csv", game_rows())
    return folder


def test_registry() -> None:
    assert {"hockey_scraper", "pwhl", "tabular"} <= set(FORMATS)
    for name in ("hockey_scraper", "pwhl", "tabular"):
        assert callable(get_reader(name))
    with pytest.raises(ValueError, match="unknown format 'xml'.*hockey_scraper"):
        get_reader("xml")


def test_ingest_writes_and_loads(nhl_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ingest("hockey_scraper", nhl_dir, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["events.parquet", "games.parquet",
                                                    "rosters.parquet"]
    back = load_tables(out)
    validate_events(back.events)
    assert back.events.equals(result.events) and back.games.equals(result.games)
    assert back.rosters.equals(result.rosters)


def test_failed_run_leaves_earlier_output(nhl_dir: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    ingest("hockey_scraper", nhl_dir, out, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad"
    bad.mkdir()
    write_game(bad / "2018020003.csv", [])  # header-only
    with pytest.raises(ParseError, match="header-only"):
        ingest("hockey_scraper", bad, out, strict=True, progress=False)
    with pytest.raises(ValueError, match="nothing ingested"):
        ingest("hockey_scraper", bad, out, progress=False)

    def broken(paths, **kwargs) -> Ingested:  # a reader whose events break the schema
        good = get_reader("hockey_scraper")(nhl_dir, progress=False)
        events = good.events.set_column(0, "game_id", pa.array(
            sorted(good.events.column("game_id").to_pylist(), reverse=True)))
        return Ingested(events=events, games=good.games, rosters=good.rosters)

    monkeypatch.setattr(ingest_mod, "get_reader", lambda name: broken)
    with pytest.raises(SchemaError):
        ingest("broken", nhl_dir, out, progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp files left


def test_unknown_option_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'pwhl' does not take option.*positions"):
        ingest("pwhl", tmp_path, tmp_path / "out", positions="x.parquet")


def test_load_tables_names_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing events.parquet"):
        load_tables(tmp_path)


def test_describe_counts_problems(nhl_dir: Path, tmp_path: Path) -> None:
    result = ingest("hockey_scraper", nhl_dir, tmp_path / "out", progress=False)
    info = describe(tmp_path / "out")
    assert {k: v for k, v in describe(result).items() if k != "read_problems"} == info
    assert info["games"] == 2 and info["events"] == result.events.num_rows
    assert info["event_types"]["goal"] == 4
    assert info["decided_in"] == {"shootout": 1, "unknown": 1}
    problems = info["problems"]
    assert problems["player_events_without_player"] == 2  # one PENL row per game has no p1
    assert problems["unknown_manpower_share"] > 0  # the 5x9 row
    assert problems["games_without_result"] == 1  # the 1-1 game never ended
    json.dumps(info)


def test_cli_ingest_and_describe(nhl_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture) -> None:
    write_game(nhl_dir / "2018020003.csv", [])
    out = tmp_path / "out"
    assert main(["ingest", "hockey_scraper", str(nhl_dir), "--out", str(out),
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "ingested 2 games" in text and "skipped 1 file(s)" in text
    assert "header-only" in text
    assert main(["ingest", "hockey_scraper", str(nhl_dir), "--out", str(out), "--strict",
                 "--no-progress"]) == 1
    assert "2018020003.csv" in capsys.readouterr().out
    assert main(["describe", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["games"] == 2
    assert main(["describe", str(out)]) == 0
    assert "event types" in capsys.readouterr().out
    assert main(["describe", str(tmp_path / "nowhere")]) == 2


def test_cli_positions(nhl_dir: Path, tmp_path: Path) -> None:
    pq.write_table(pa.table({"player_id": [101], "position_code": ["D"]}),
                   tmp_path / "pos.parquet")
    assert main(["ingest", "hockey_scraper", str(nhl_dir), "--out", str(tmp_path / "o"),
                 "--positions", str(tmp_path / "pos.parquet"), "--no-progress"]) == 0
    r = load_tables(tmp_path / "o").rosters.to_pandas().set_index("player_id")
    assert set(r.loc["101", "position"]) == {"D"}


@pytest.mark.real_data
def test_real_ingest_round_trip(shared_data: Path, tmp_path: Path) -> None:
    games = shared_data / "nhl_hockey_scraper_delara38" / "games"
    paths = [games / f"20180200{i:02d}.csv.gz" for i in range(1, 6)]
    result = ingest("hockey_scraper", paths, tmp_path / "nhl", progress=False,
                    positions=shared_data / "nhl_rosters_fastRhockey")
    info = describe(tmp_path / "nhl")
    assert info["games"] == 5 and info["events"] == result.events.num_rows
    assert info["problems"]["unknown_manpower_share"] < 0.01
    again = ingest("tabular", tmp_path / "nhl", tmp_path / "copy", progress=False)
    assert again.events.equals(result.events) and again.games.equals(result.games)
    assert ingest_mod.load_tables(tmp_path / "copy").rosters.equals(result.rosters)

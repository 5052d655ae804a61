"""hockey_scraper season files (many games in one file) and the batched fast path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _scraper_fixture import HEADER, game_rows, write_game

from hockey_vae.sources import hockey_scraper
from hockey_vae.sources.base import ParseError
from hockey_vae.sources.scraper_batch import parse_batch, prepare, read_piece

# (Game_Id, Date): the January game belongs to the season that began in 2018
GAMES = [(20001, "2018-10-03"), (20002, "2018-10-04"), (20417, "2019-01-15")]


def _rows(game_id: int, date: str, shootout: bool) -> list[dict]:
    rows = game_rows(shootout=shootout)
    for r in rows:
        r.update({"Game_Id": game_id, "Date": date})
    return rows


def _both_forms(tmp_path: Path) -> tuple[Path, Path]:
    """The same three games as per-game files and as one season file (games out of order)."""
    per_game, season = tmp_path / "games", tmp_path / "season"
    per_game.mkdir()
    season.mkdir()
    everything: list[dict] = []
    for k, (gid, date) in enumerate(GAMES):
        rows = _rows(gid, date, shootout=k == 1)
        write_game(per_game / f"2018{gid:06d}.csv.gz", rows)
        everything = rows + everything  # the file lists the last game first
    write_game(season / "nhl_pbp.csv", everything)
    return per_game, season


def test_season_file_gives_the_same_tables_as_per_game_files(tmp_path: Path) -> None:
    per_game, season = _both_forms(tmp_path)
    one = hockey_scraper.read(per_game, progress=False)
    two = hockey_scraper.read(season, progress=False)
    assert one.games.column("game_id").to_pylist() == [
        "NHL-2018020001", "NHL-2018020002", "NHL-2018020417"]
    assert one.events.equals(two.events)
    assert one.games.equals(two.games)
    assert one.rosters.equals(two.rosters)
    assert two.problems == [] and two.shootout_games == one.shootout_games == 1


def test_season_from_file_name_and_ten_digit_ids(tmp_path: Path) -> None:
    rows = _rows(20001, "2020-09-20", shootout=False)  # named season wins over the date
    write_game(tmp_path / "nhl_pbp_20192020.csv", rows)
    out = hockey_scraper.read(tmp_path / "nhl_pbp_20192020.csv", progress=False)
    assert out.games.column("game_id").to_pylist() == ["NHL-2019020001"]
    rows = _rows(2017030111, "2018-04-12", shootout=False)
    write_game(tmp_path / "playoffs.csv", rows)
    out = hockey_scraper.read(tmp_path / "playoffs.csv", progress=False)
    assert out.games.column("game_id").to_pylist() == ["NHL-2017030111"]
    assert out.games.column("season").to_pylist() == ["20172018"]


def test_season_file_bad_game_id_rows_are_skipped_and_named(tmp_path: Path) -> None:
    rows = _rows(20001, "2018-10-03", shootout=False) + _rows(20002, "2018-10-04", False)
    rows[3]["Game_Id"] = "twenty"
    path = write_game(tmp_path / "season.csv", rows)
    out = hockey_scraper.read(path, progress=False)
    assert out.games.num_rows == 2
    [problem] = [p for p in out.problems if p.field == "Game_Id"]
    assert (problem.row, problem.rows) == (3, 1)
    with pytest.raises(ParseError, match=r"season.csv, row 3, field 'Game_Id'"):
        hockey_scraper.read(path, strict=True, progress=False)


def test_batched_parse_equals_the_careful_per_file_reader(tmp_path: Path) -> None:
    paths = []
    for k, (gid, date) in enumerate(GAMES):
        paths.append(write_game(tmp_path / f"2018{gid:06d}.csv", _rows(gid, date, k == 2)))
    pieces = [prepare(p) for p in paths]
    batched = parse_batch(pieces)
    assert batched is not None
    for piece, (table, rows, found) in zip(pieces, batched, strict=True):
        careful, careful_rows, careful_found = read_piece(piece)
        assert table.equals(careful)
        np.testing.assert_array_equal(rows, careful_rows)
        assert found == careful_found == []


def test_a_bad_cell_sends_the_batch_to_the_careful_reader(tmp_path: Path) -> None:
    rows = _rows(20002, "2018-10-04", False)
    rows[2]["xC"] = "eighty"
    good = write_game(tmp_path / "2018020001.csv", _rows(20001, "2018-10-03", False))
    bad = write_game(tmp_path / "2018020002.csv", rows)
    assert parse_batch([prepare(good), prepare(bad)]) is None
    out = hockey_scraper.read(tmp_path, progress=False)
    assert out.games.num_rows == 2 and out.files_skipped == 0
    [problem] = out.problems
    assert (Path(problem.file).name, problem.row, problem.field) == ("2018020002.csv", 2, "xC")


def test_rows_that_do_not_line_up_are_not_trusted(tmp_path: Path) -> None:
    path = write_game(tmp_path / "2018020001.csv", _rows(20001, "2018-10-03", False))
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n")  # a blank line inside
    other = write_game(tmp_path / "2018020002.csv", _rows(20002, "2018-10-04", False))
    assert parse_batch([prepare(path), prepare(other)]) is None
    no_index = write_game(tmp_path / "2018020003.csv", _rows(20003, "2018-10-05", False),
                          [h for h in HEADER if h != ""])
    assert parse_batch([prepare(no_index)]) is None
    out = hockey_scraper.read(tmp_path, progress=False)
    assert out.games.num_rows == 3 and out.problems == []

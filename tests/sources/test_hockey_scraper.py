"""hockey_scraper CSV loader: tiny hand-built games plus a few real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _scraper_fixture import AWAY, HEADER, HOME, game_rows, row, write_game

from hockey_vae.schema import validate_events, validate_games, validate_rosters
from hockey_vae.sources import hockey_scraper
from hockey_vae.sources.base import ParseError


@pytest.fixture
def game_file(tmp_path: Path) -> Path:
    return write_game(tmp_path / "2018020001.csv.gz", game_rows(shootout=True))


def test_reads_game_into_canonical_tables(game_file: Path) -> None:
    out = hockey_scraper.read(game_file, progress=False)
    validate_events(out.events)
    validate_games(out.games)
    validate_rosters(out.rosters)
    ev = out.events.to_pandas()
    assert ev["game_id"].unique().tolist() == ["NHL-2018020001"]
    assert ev["season"].iloc[0] == "20182019"
    assert (ev["event_idx"] == np.arange(len(ev))).all()
    assert 5 not in ev["period"].tolist()  # shootout dropped
    assert len(ev) == len(game_rows(shootout=False)) - 1  # shootout rows (and its GEND) dropped
    goal = ev[(ev["event_type"] == "goal") & (ev["team"] == "TOR")].iloc[0]
    assert goal["player_id"] == "103" and goal["player2_id"] == "101"
    assert goal["x"] == 85 and goal["y"] == 2  # TOR attacks +x in period 1
    assert goal["goals_for"] == 0 and goal["goals_against"] == 0
    assert sorted(goal["on_ice_for"]) == [str(i) for i in HOME]
    assert sorted(goal["on_ice_against"]) == [str(i) for i in AWAY]
    assert goal["is_home"] and goal["opponent"] == "MTL"


def test_block_acts_for_the_blockers_team(game_file: Path) -> None:
    ev = hockey_scraper.read(game_file, progress=False).events.to_pandas()
    block = ev[ev["event_type"] == "blocked_shot"].iloc[0]
    assert block["team"] == "TOR" and block["player_id"] == "102"
    assert block["player2_id"] == "202"  # the shooter
    # MTL shoots toward raw -x in period 1, so the block (raw x=70) is in TOR's own end
    assert block["x"] == pytest.approx(-70)


def test_rotation_and_fallback(game_file: Path) -> None:
    ev = hockey_scraper.read(game_file, progress=False).events.to_pandas()
    miss = ev[ev["event_type"] == "missed_shot"].iloc[0]
    assert miss["team"] == "MTL" and miss["x"] == 75 and miss["y"] == -10
    hit = ev[ev["event_type"] == "hit"].iloc[0]
    assert hit["x"] == -60 and hit["y"] == -40
    # period 2: TOR has no shot; direction is the opposite of MTL's (which shoots to +x)
    take = ev[(ev["event_type"] == "takeaway")].iloc[0]
    assert take["x"] == -40
    # events with a zone of 'Off' end up in the attacking half
    assert (ev.loc[ev["event_type"].isin(["shot", "goal", "missed_shot"]), "x"] > 25).all()


def test_strength_and_score_from_acting_view(game_file: Path) -> None:
    ev = hockey_scraper.read(game_file, progress=False).events.to_pandas()
    give = ev[(ev["event_type"] == "giveaway") & (ev["team"] == "MTL")].iloc[0]
    assert (give["skaters_for"], give["skaters_against"]) == (4, 5)  # 5x4: home has 5
    assert (give["goals_for"], give["goals_against"]) == (0, 1)
    take = ev[ev["event_type"] == "takeaway"].iloc[0]
    assert (take["skaters_for"], take["skaters_against"]) == (4, 5)
    junk = ev[(ev["event_type"] == "giveaway") & (ev["team"] == "TOR")].iloc[0]
    assert pd.isna(junk["skaters_for"]) and pd.isna(junk["skaters_against"])  # 5x9
    stop = ev[ev["event_type"] == "stoppage"].iloc[0]
    assert pd.isna(stop["team"]) and pd.isna(stop["skaters_for"])


def test_penalty_without_player_is_kept(game_file: Path) -> None:
    ev = hockey_scraper.read(game_file, progress=False).events.to_pandas()
    pen = ev[ev["event_type"] == "penalty"]
    assert len(pen) == 1 and pd.isna(pen["player_id"].iloc[0]) and pd.isna(pen["x"].iloc[0])
    assert pen["detail"].iloc[0] == "Tripping(2 min)"


def test_shootout_counts_in_game_result(game_file: Path) -> None:
    games = hockey_scraper.read(game_file, progress=False).games.to_pylist()
    assert games == [{
        "game_id": "NHL-2018020001", "league": "NHL", "season": "20182019",
        "game_date": games[0]["game_date"], "home_team": "TOR", "away_team": "MTL",
        "home_goals": 1, "away_goals": 2, "winner": "away", "decided_in": "shootout",
        "source_game_id": 2018020001,
    }]
    assert str(games[0]["game_date"]) == "2018-10-03"


def test_regulation_and_playoff_overtime(tmp_path: Path) -> None:
    rows = game_rows()[:-1] + [row(4, "GOAL", 100, "TOR", 101, "", 80, 0, "Off", score=(1, 1))]
    write_game(tmp_path / "2018020002.csv", rows)
    # in the playoffs period 5 is overtime, not a shootout
    playoff = game_rows()[:-1] + [row(5, "GOAL", 10, "TOR", 101, "", 80, 0, "Off",
                                        score=(1, 1))]
    write_game(tmp_path / "2018030111.csv", playoff)
    out = hockey_scraper.read(tmp_path, progress=False)
    validate_events(out.events)
    games = out.games.to_pandas().set_index("game_id")
    assert games.loc["NHL-2018020002", "decided_in"] == "overtime"
    assert games.loc["NHL-2018020002", "home_goals"] == 2
    assert games.loc["NHL-2018030111", "decided_in"] == "overtime"
    assert 5 in out.events.column("period").to_pylist()


def test_rosters_and_positions(game_file: Path, tmp_path: Path) -> None:
    pos = pd.DataFrame({"player_id": [101, 102, 205, 101], "position_code": ["C", "L", "G", "R"],
                        "season": [2017, 2017, 2018, 2018]})
    pos.to_parquet(tmp_path / "rosters_2018.parquet")
    out = hockey_scraper.read(game_file, positions=tmp_path / "rosters_2018.parquet",
                              progress=False)
    validate_rosters(out.rosters)
    r = out.rosters.to_pandas().set_index("player_id")
    assert len(r) == 12
    assert r.loc["101", "position"] == "RW"  # the later season wins
    assert r.loc["102", "position"] == "LW" and r.loc["205", "position"] == "G"
    assert r.loc["205", "team"] == "MTL" and r.loc["100", "team"] == "TOR"
    assert pd.isna(r.loc["103", "position"]) and r.loc["103", "player_name"] == "Player 103"
    assert r.loc["103", "source_player_name"] == "PLAYER 103"  # the source's spelling kept


def test_header_only_and_empty_files_are_problems(tmp_path: Path, game_file: Path) -> None:
    write_game(tmp_path / "2018020002.csv", [])
    (tmp_path / "2018020003.csv").write_text("")
    out = hockey_scraper.read(tmp_path, progress=False)
    validate_events(out.events)
    assert out.games.num_rows == 1 and out.files_skipped == 2
    messages = {Path(p.file).name: p.message for p in out.problems}
    assert "header-only" in messages["2018020002.csv"]
    assert "empty" in messages["2018020003.csv"]
    with pytest.raises(ParseError, match="2018020002.csv.*header-only"):
        hockey_scraper.read(tmp_path, strict=True, progress=False)


def test_missing_required_column_names_file_and_field(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Strength"]
    write_game(tmp_path / "2018020004.csv", game_rows(), header)
    with pytest.raises(ParseError, match=r"2018020004.csv.*Strength"):
        hockey_scraper.read(tmp_path, strict=True, progress=False)
    out = hockey_scraper.read(tmp_path, progress=False)
    assert out.problems[0].field == "Strength" and out.events.num_rows == 0


def test_malformed_csv_and_bad_values(tmp_path: Path) -> None:
    rows = game_rows()
    rows[2]["xC"] = "eighty"
    write_game(tmp_path / "2018020005.csv", rows)
    with pytest.raises(ParseError, match=r"2018020005.csv, row 2, field 'xC'.*eighty"):
        hockey_scraper.read(tmp_path, strict=True, progress=False)
    out = hockey_scraper.read(tmp_path, progress=False)  # the cell is nulled, the game kept
    assert out.files_skipped == 0 and out.events.num_rows == len(rows)
    [problem] = out.problems
    assert (problem.row, problem.field, problem.rows) == (2, "xC", 0)
    shot = out.events.to_pandas().query("event_type == 'shot'").iloc[0]
    assert pd.isna(shot["x"]) and shot["player_id"] == "101"


def test_unknown_event_and_out_of_range_coordinates(tmp_path: Path) -> None:
    rows = game_rows()
    rows[3]["Event"] = "ZAMBONI"
    rows[5]["xC"] = 250
    path = write_game(tmp_path / "2018020006.csv", rows)
    out = hockey_scraper.read(path, progress=False)
    validate_events(out.events)
    assert out.events.num_rows == len(rows) - 1
    assert "ZAMBONI" not in out.events.column("source_event_type").to_pylist()
    problems = {p.field: p for p in out.problems}
    assert problems["Event"].rows == 1 and problems["Event"].row == 3  # 0-based data row
    assert "outside the rink" in problems["xC"].message
    hit = out.events.to_pandas().query("event_type == 'hit'").iloc[0]
    assert pd.isna(hit["x"]) and pd.isna(hit["y"])
    with pytest.raises(ParseError, match="ZAMBONI"):
        hockey_scraper.read(path, strict=True, progress=False)


def test_duplicate_games_and_bad_file_names(tmp_path: Path) -> None:
    write_game(tmp_path / "2018020001.csv", game_rows())
    write_game(tmp_path / "2018020001.csv.gz", game_rows())
    # no id in the name but Game_Id and Date columns: a season file, its one game a duplicate
    write_game(tmp_path / "game.csv", game_rows())
    # no id in the name and no Game_Id column: refused, naming the file name
    write_game(tmp_path / "notes.csv", game_rows(), [h for h in HEADER if h != "Game_Id"])
    out = hockey_scraper.read(tmp_path, progress=False)
    validate_events(out.events)
    assert out.games.num_rows == 1 and out.files_skipped == 3
    duplicates = [Path(p.file).name for p in out.problems if "duplicate game" in p.message]
    assert sorted(duplicates) == ["2018020001.csv.gz", "game.csv"]
    [named] = [p for p in out.problems if p.field == "file name"]
    assert Path(named.file).name == "notes.csv" and "10-digit" in named.message
    with pytest.raises(ParseError, match="duplicate"):
        hockey_scraper.read([tmp_path / "2018020001.csv", tmp_path / "2018020001.csv.gz"],
                            strict=True, progress=False)


def test_output_is_sorted_and_deterministic(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_game(tmp_path / "b" / "2018020001.csv", game_rows())
    write_game(tmp_path / "a" / "2018020009.csv", game_rows())
    one = hockey_scraper.read([tmp_path / "a", tmp_path / "b"], progress=False)
    two = hockey_scraper.read([tmp_path / "b", tmp_path / "a"], progress=False)
    assert one.games.column("game_id").to_pylist() == ["NHL-2018020001", "NHL-2018020009"]
    assert one.events.equals(two.events)
    validate_events(one.events)


# ---------------------------------------------------------------- real data (a few files)

REAL = [f"20180200{i:02d}.csv.gz" for i in range(1, 11)] + ["2017020001.csv.gz", "2017020006.csv.gz"]


@pytest.mark.real_data
def test_real_files(shared_data: Path) -> None:
    folder = shared_data / "nhl_hockey_scraper_delara38" / "games"
    paths = sorted(folder / name for name in REAL)
    out = hockey_scraper.read(paths, positions=shared_data / "nhl_rosters_fastRhockey",
                              progress=False)
    out.validate()
    assert out.files_read == len(REAL) and not out.problems
    raw = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    regular_so = raw["Period"] == 5
    ev = out.events.to_pandas()
    assert len(ev) == (~regular_so).sum()
    # rotation: offensive-zone events end up beyond the attacking blue line
    zone = raw.loc[~regular_so, "Ev_Zone"].to_numpy()
    x = ev["x"].to_numpy()
    off = (zone == "Off") & ~np.isnan(x)
    assert (x[off] > 25).mean() >= 0.95
    assert (x[(zone == "Def") & ~np.isnan(x)] < -25).mean() >= 0.95
    # ids unique; one games row per file; shootouts decided by one goal
    games = out.games.to_pandas()
    assert games["game_id"].is_unique and len(games) == len(REAL)
    assert (out.rosters.to_pandas().groupby(["game_id", "team", "player_id"]).size() == 1).all()
    so = games[games["decided_in"] == "shootout"]
    assert len(so) >= 1 and ((so["home_goals"] - so["away_goals"]).abs() == 1).all()
    # the opener: TOR beat MTL 3-2 in overtime
    opener = games.set_index("game_id").loc["NHL-2018020001"]
    assert (opener["home_team"], opener["home_goals"], opener["away_goals"]) == ("TOR", 3, 2)
    assert opener["decided_in"] == "overtime" and opener["winner"] == "home"
    # final score = goals in the event table (outside shootouts)
    goals = ev[ev["event_type"] == "goal"].groupby(["game_id", "is_home"]).size().unstack(
        fill_value=0)
    reg = games[games["decided_in"] != "shootout"].set_index("game_id")
    assert (goals.loc[reg.index, True] == reg["home_goals"]).all()
    assert (goals.loc[reg.index, False] == reg["away_goals"]).all()
    # positions known for nearly everyone; manpower unknown only rarely
    assert out.rosters.column("position").null_count / out.rosters.num_rows < 0.02
    team_ev = ev[ev["team"].notna()]
    assert team_ev["skaters_for"].isna().mean() < 0.01
    assert (team_ev["on_ice_for"].map(len) >= 1).mean() > 0.98


@pytest.mark.real_data
def test_real_file_written_to_parquet(shared_data: Path, tmp_path: Path) -> None:
    from hockey_vae.sources.base import write_tables

    path = shared_data / "nhl_hockey_scraper_delara38" / "games" / "2018020001.csv.gz"
    out = hockey_scraper.read(path, progress=False)
    write_tables(out, tmp_path)
    back = pq.read_table(tmp_path / "events.parquet")
    assert back.equals(out.events)


def test_rare_raw_events_are_mapped(tmp_path: Path) -> None:
    rows = game_rows()
    rows[8:8] = [row(1, label, 81, score=(0, 1)) for label in
                 ("DELPEN", "CHL", "EISTR", "EIEND", "EGPID", "GOFF")]
    out = hockey_scraper.read(write_game(tmp_path / "2018020007.csv", rows), progress=False)
    validate_events(out.events)
    assert not out.problems
    ev = out.events.to_pandas().set_index("source_event_type")["event_type"]
    assert ev["DELPEN"] == "delayed_penalty" and ev["CHL"] == "challenge"
    assert ev["EISTR"] == ev["EIEND"] == ev["EGPID"] == "stoppage"
    assert ev["GOFF"] == "game_end"

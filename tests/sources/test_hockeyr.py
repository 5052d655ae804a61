"""hockeyR / fastRhockey play-by-play: fixtures built from the packages' documented columns."""

import pandas as pd
import pytest

from hockey_vae.ingest import ingest, load_tables
from hockey_vae.sources import hockeyr
from hockey_vae.sources.base import ParseError

GAME = 2020020420


def _hockeyr_rows() -> pd.DataFrame:
    """One game as hockeyR writes it (scrape_game's documented columns; shooter first on
    BLOCKED_SHOT with event_team the shooting team; scores after the event)."""
    base = dict(game_id=GAME, season=20202021, season_type="R", game_date="2021-03-01",
                home_name="San Jose Sharks", away_name="Los Angeles Kings",
                home_abbreviation="SJS", away_abbreviation="LAK", period_type="REGULAR")
    rows = [  # event_type, team (name), p1 id/name, p2 id/name, x_fixed, y_fixed, score h/a, period
        ("FACEOFF", "San Jose Sharks", 1, "LOGAN COUTURE", 2, "ANZE KOPITAR", 0, 0, 0, 0, 1),
        ("CHANGE", "San Jose Sharks", None, None, None, None, None, None, 0, 0, 1),
        ("SHOT", "Los Angeles Kings", 2, "ANZE KOPITAR", 9, "MARTIN JONES", -80, 5, 0, 0, 1),
        ("BLOCKED_SHOT", "San Jose Sharks", 1, "LOGAN COUTURE", 3, "DREW DOUGHTY", 60, -10,
         0, 0, 1),
        ("GOAL", "San Jose Sharks", 1, "LOGAN COUTURE", 4, "ERIK KARLSSON", 85, 2, 1, 0, 2),
        ("PENALTY", "Los Angeles Kings", 3, "DREW DOUGHTY", 1, "LOGAN COUTURE", 0, 30, 1, 0, 2),
        ("MYSTERY", "Los Angeles Kings", 3, "DREW DOUGHTY", None, None, None, None, 1, 0, 2),
        ("GOAL", "Los Angeles Kings", 2, "ANZE KOPITAR", None, None, -70, 0, 1, 1, 3),
        ("PERIOD_END", None, None, None, None, None, None, None, 1, 1, 4),
        ("GOAL", "San Jose Sharks", 1, "LOGAN COUTURE", None, None, 80, 0, 2, 1, 5),
    ]
    out = []
    for i, (kind, team, p1, n1, p2, n2, x, y, hs, as_, period) in enumerate(rows):
        out.append({**base, "event_type": kind, "event": kind.title(), "event_team": team,
                    "event_idx": i, "event_player_1_id": p1, "event_player_1_name": n1,
                    "event_player_2_id": p2, "event_player_2_name": n2, "x_fixed": x,
                    "y_fixed": y, "home_score": hs, "away_score": as_, "period": period,
                    "period_seconds": 10.0 * i, "game_seconds": 10.0 * i + 1200 * (period - 1),
                    "home_skaters": 5, "away_skaters": 4 if kind == "PENALTY" else 5,
                    "secondary_type": "Wrist Shot" if kind in ("SHOT", "GOAL") else None})
    out[-1]["period_type"] = "SHOOTOUT"
    return pd.DataFrame(out)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_hockeyr_file_becomes_canonical_events(tmp_path, suffix):
    path = tmp_path / f"pbp_2021{suffix}"
    df = _hockeyr_rows()
    df.to_parquet(path) if suffix == ".parquet" else df.to_csv(path, index=False)
    out = hockeyr.read(path, progress=False)
    ev = out.events.to_pandas()
    assert ev["event_type"].tolist() == ["faceoff", "shot", "blocked_shot", "goal", "penalty",
                                         "goal", "period_end"]
    assert ev["event_idx"].tolist() == list(range(7)) and set(ev.game_id) == {f"NHL-{GAME}"}
    block = ev.iloc[2]  # the blocker acts, for his team, facing his attack direction
    assert (block.player_id, block.player2_id, block.team, block.is_home) == ("3", "1", "LAK",
                                                                                False)
    assert (block.x, block.y) == (-60.0, 10.0)
    shot = ev.iloc[1]  # away team: x_fixed turned so the shooter attacks toward +x
    assert (shot.team, shot.x, shot.player2_id, shot.detail) == ("LAK", 80.0, "9", "Wrist Shot")
    goals = ev[ev.event_type == "goal"]  # score before the event, from the scorer's side
    assert goals[["goals_for", "goals_against"]].values.tolist() == [[0, 0], [0, 1]]
    pen = ev.iloc[4]
    assert (pen.skaters_for, pen.skaters_against, pen.player_name) == (4, 5, "Drew Doughty")
    games = out.games.to_pylist()[0]
    assert (games["home_team"], games["away_team"], games["home_goals"], games["away_goals"],
            games["winner"], games["decided_in"], games["source_game_id"]) == (
        "SJS", "LAK", 2, 1, "home", "shootout", GAME)
    assert out.shootout_rows == 1 and "unknown event type 'MYSTERY'" in str(out.problems[0])
    ro = out.rosters.to_pandas().set_index("player_id")
    assert ro.loc["1", "source_player_name"] == "LOGAN COUTURE"
    assert ro.loc["1", "player_name"] == "Logan Couture" and ro.loc["3", "team"] == "LAK"


def test_many_games_in_one_file_and_ingest(tmp_path):
    one = _hockeyr_rows()
    two = one.assign(game_id=GAME + 1)
    pd.concat([one, two]).to_csv(tmp_path / "season.csv", index=False)
    ingest("hockeyr", tmp_path / "season.csv", tmp_path / "out", progress=False)
    back = load_tables(tmp_path / "out")
    assert back.games.column("source_game_id").to_pylist() == [GAME, GAME + 1]
    assert back.events.num_rows == 14


def test_unknown_columns_name_the_file(tmp_path):
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(ParseError, match=r"x\.csv: neither hockeyR"):
        hockeyr.read(tmp_path / "x.csv", strict=True, progress=False)
    pd.DataFrame({"event_type": ["SHOT"], "event_player_1_id": [1]}).to_csv(
        tmp_path / "y.csv", index=False)
    with pytest.raises(ParseError, match=r"y\.csv.*field 'game_id'"):
        hockeyr.read(tmp_path / "y.csv", strict=True, progress=False)


def _pwhl_rows() -> pd.DataFrame:
    """fastRhockey's PWHL play-by-play columns (a few of its ~95)."""
    base = dict(game_id=7, home_team_id=6, away_team_id=4, home_team="PWHL Toronto",
                away_team="PWHL New York", game_date="Monday, January 01, 2024", game_season=2024)
    rows = [  # event, team_id, player, player_two, home_win, goal, x, period
        ("faceoff", None, 76, None, 0, None, 0.0, "1"),
        ("shot", 4, 44, None, None, False, 60.0, "1"),
        ("shot", 4, 44, None, None, True, 70.0, "1"),
        ("goal", 4, 44, 34, None, None, 70.0, "1"),
        ("shot", 6, 76, None, None, False, -50.0, "1"),
        ("faceoff", None, 76, 44, 1, None, 0.0, "2"),
    ]
    return pd.DataFrame([{**base, "event": e, "team_id": t, "player_id": p,
                          "player_name_first": f"F{p}", "player_name_last": "L",
                          "player_two_id": p2, "home_win": hw, "goal": g, "x_coord": x,
                          "y_coord": 3.0, "period_of_game": per, "time_of_period": f"0:{10 + i}",
                          "sec_from_start": 10 + i, "goalie_id": 64, "player_position": "LD"}
                         for i, (e, t, p, p2, hw, g, x, per) in enumerate(rows)])


def test_fastrhockey_pwhl_dialect(tmp_path):
    _pwhl_rows().to_parquet(tmp_path / "play_by_play_2024.parquet")
    out = hockeyr.read(tmp_path, progress=False)
    ev = out.events.to_pandas()
    assert ev.event_type.tolist() == ["faceoff", "shot", "goal", "shot", "faceoff"]  # no dup
    assert ev.game_id.unique().tolist() == ["PWHL-7"] and ev.season.iloc[0] == "20232024"
    assert pd.isna(ev.player_id.iloc[0]) and ev.team.iloc[0] == "NY"  # visitor won, unnamed
    assert (ev.player_id.iloc[4], ev.player2_id.iloc[4], ev.team.iloc[4]) == ("76", "44", "TOR")
    assert ev.x.iloc[1] == 60.0 and ev.x.iloc[3] == 50.0  # each team attacks toward +x
    assert ev.goals_for.tolist()[1:4] == [0, 0, 0] and ev.goals_against.iloc[3] == 1
    assert out.games.to_pylist()[0]["winner"] == "away"
    assert set(out.rosters.column("position").to_pylist()) == {"D"}


@pytest.mark.real_data
def test_real_fastrhockey_pwhl_files(shared_data):
    files = sorted((shared_data / "pwhl_pbp_fastRhockey").glob("*.parquet"))
    if not files:
        pytest.skip("no fastRhockey PWHL files")
    out = hockeyr.read(files[:1], progress=False)
    assert out.games.num_rows > 50 and not out.problems
    shots = out.events.to_pandas().query("event_type in ['shot', 'goal']")
    assert (shots.x.dropna() > 0).mean() > 0.9  # oriented toward the attacked net

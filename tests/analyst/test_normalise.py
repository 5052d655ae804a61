"""IDs that join: one team-code standard, names in one case (source kept), source game ids."""

import pyarrow as pa
import pytest

from hockey_vae.ingest import load_tables
from hockey_vae.schema import EVENTS, GAMES, ROSTERS
from hockey_vae.simulate import simulate_league
from hockey_vae.sources.base import Ingested, write_tables
from hockey_vae.sources.normalise import normalise, team_code


def _as_nhl(codes: dict[str, str], league: str = "NHL") -> Ingested:
    """A simulated game relabelled as `league` with team codes replaced by `codes`."""
    sim = simulate_league(n_teams=2, games=1, seed=3)
    ev, ga, ro = (sim.events.to_pandas(), sim.games.to_pandas(), sim.rosters.to_pandas())
    ev["league"] = ga["league"] = league
    for df, cols in ((ev, ("team", "opponent")), (ga, ("home_team", "away_team")),
                     (ro, ("team",))):
        for c in cols:
            df[c] = df[c].map(lambda t: codes.get(t, t))
    ev["player_name"] = ev["player_name"].str.upper()
    ro["player_name"] = ro["player_name"].str.upper()
    ga["game_id"] = ev["game_id"] = ro["game_id"] = "NHL-2018020004"
    return Ingested(events=pa.Table.from_pandas(ev, schema=EVENTS, preserve_index=False),
                    games=pa.Table.from_pandas(ga[[f.name for f in GAMES]], schema=GAMES,
                                               preserve_index=False),
                    rosters=pa.Table.from_pandas(ro[[f.name for f in ROSTERS]], schema=ROSTERS,
                                                 preserve_index=False))


def test_team_codes_names_and_source_game_id():
    sim = simulate_league(n_teams=2, games=1, seed=3)
    home, away = sim.games.column("home_team")[0].as_py(), sim.games.column("away_team")[0].as_py()
    raw = _as_nhl({home: "S.J", away: "L.A"})
    names = raw.rosters.column("player_name").to_pylist()
    out = normalise(raw)
    assert out.games.column("home_team").to_pylist() == ["SJS"]
    assert out.games.column("away_team").to_pylist() == ["LAK"]
    assert set(out.events.column("team").drop_null().to_pylist()) == {"SJS", "LAK"}
    assert set(out.events.column("opponent").drop_null().to_pylist()) == {"SJS", "LAK"}
    assert set(out.rosters.column("team").to_pylist()) == {"SJS", "LAK"}
    assert out.games.column("source_game_id").to_pylist() == [2018020004]
    assert out.rosters.column("source_player_name").to_pylist() == names  # upper, as given
    assert out.rosters.column("player_name").to_pylist() == [n.title() for n in names]
    assert all(n == n.title() for n in out.events.column("player_name").drop_null().to_pylist())
    again = normalise(Ingested(out.events, out.games, out.rosters))
    assert again.rosters.equals(out.rosters) and again.games.equals(out.games)


def test_codes_change_only_in_their_league_and_ids_without_digits_are_null():
    assert team_code("NHL", "T.B") == "TBL" and team_code("NHL", "TOR") == "TOR"
    assert team_code("PWHL", "S.J") == "S.J" and team_code("NHL", None) is None
    sim = simulate_league(n_teams=2, games=1, seed=3)
    home = sim.games.column("home_team")[0].as_py()
    out = normalise(_as_nhl({home: "S.J"}, league="OTHER"))
    assert out.games.column("home_team").to_pylist() == ["S.J"]
    ga = out.games.to_pandas().drop(columns="source_game_id")
    ga["game_id"] = ["BDC-20240101-A-at-B"]
    bdc = normalise(Ingested(events=EVENTS.empty_table(), rosters=ROSTERS.empty_table(),
                             games=pa.Table.from_pandas(ga, schema=GAMES, preserve_index=False)))
    assert bdc.games.column("source_game_id").to_pylist() == [None]


def test_load_tables_normalises_a_folder_written_before(tmp_path):
    import pyarrow.parquet as pq

    raw = _as_nhl({})
    for name in ("events", "games", "rosters"):  # an old folder: no set record, no extras
        pq.write_table(getattr(raw, name), tmp_path / f"{name}.parquet")
    back = load_tables(tmp_path)
    assert back.games.column("source_game_id").to_pylist() == [2018020004]
    assert back.rosters.column("source_player_name").to_pylist() == \
        raw.rosters.column("player_name").to_pylist()
    write_tables(back, tmp_path / "again")
    assert load_tables(tmp_path / "again").rosters.equals(back.rosters)


@pytest.mark.real_data
def test_real_hockey_scraper_game_uses_nhl_api_codes(shared_data, tmp_path):
    from hockey_vae.sources import hockey_scraper

    path = shared_data / "nhl_hockey_scraper_delara38" / "games" / "2018020004.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    out = hockey_scraper.read(path, progress=False)
    teams = {*out.games.column("home_team").to_pylist(), *out.games.column("away_team").to_pylist()}
    assert "S.J" not in teams and teams & {"SJS", "ANA"}
    assert out.games.column("source_game_id").to_pylist() == [2018020004]
    names = out.rosters.column("player_name").to_pylist()
    assert all(n == n.title() for n in names)
    assert any(s.isupper() for s in out.rosters.column("source_player_name").to_pylist())

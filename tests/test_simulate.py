"""The synthetic league: schema, determinism, schedule, game invariants, styles in the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hockey_vae import schema
from hockey_vae.cli import main
from hockey_vae.simulate import STYLE_COLUMNS, LeagueConfig, actor_weights, simulate_league
from hockey_vae.sources.normalise import with_extra_columns

TEAMS, GAMES, SEED = 8, 16, 7
SHOT_ATTEMPTS = ("shot", "missed_shot", "goal")


@pytest.fixture(scope="module")
def league():
    return simulate_league(n_teams=TEAMS, games=GAMES, seed=SEED)


@pytest.fixture(scope="module")
def events(league) -> pd.DataFrame:
    return league.events.to_pandas()


@pytest.fixture(scope="module")
def players(league) -> pd.DataFrame:
    return league.players.to_pandas().set_index("player_id")


def test_tables_conform_to_the_canonical_schemas(league):
    league.validate()
    assert league.events.schema.equals(schema.EVENTS)
    # plus the columns every reader's `normalise` adds
    assert league.games.schema.equals(with_extra_columns(schema.GAMES, "games"))
    assert league.rosters.schema.equals(with_extra_columns(schema.ROSTERS, "rosters"))
    cols = league.players.column_names
    assert cols[:4] == ["player_id", "player_name", "team", "position"]
    assert tuple(cols[4:]) == STYLE_COLUMNS
    assert set(league.players.column("position").to_pylist()) == set(schema.POSITIONS)


def test_same_seed_same_tables_other_seed_differs():
    a = simulate_league(n_teams=4, games=4, seed=3)
    b = simulate_league(n_teams=4, games=4, seed=3)
    c = simulate_league(n_teams=4, games=4, seed=4)
    for name in ("events", "games", "rosters"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.players.to_pandas().equals(b.players.to_pandas())  # NaN-aware
    assert not a.events.equals(c.events)
    assert not a.players.equals(c.players)


def test_schedule_every_team_plays_its_games_home_and_away_balanced(league):
    games = league.games.to_pandas()
    assert len(games) == TEAMS * GAMES // 2
    home = games.home_team.value_counts()
    away = games.away_team.value_counts()
    total = home.add(away, fill_value=0)
    assert len(total) == TEAMS and (total == GAMES).all()
    assert (home.sub(away, fill_value=0).abs() <= 2).all()
    assert (games.home_team != games.away_team).all()
    # ids follow dates, and the season spans many dates (date splits work)
    assert games.game_id.is_monotonic_increasing
    assert games.game_date.is_monotonic_increasing
    assert games.game_date.nunique() >= GAMES
    # no team plays twice on one day
    per_day = pd.concat([games[["game_date", "home_team"]].set_axis(["d", "t"], axis=1),
                         games[["game_date", "away_team"]].set_axis(["d", "t"], axis=1)])
    assert not per_day.duplicated().any()


def test_event_order_and_game_structure(events):
    for _, ev in events.groupby("game_id", sort=False):
        idx = ev.event_idx.to_numpy()
        assert (idx == np.arange(len(idx))).all()
        assert ev.event_type.iloc[0] == "period_start"
        assert ev.event_type.iloc[-1] == "period_end"
        assert ev.game_seconds.is_monotonic_increasing
        assert ev.period.is_monotonic_increasing
    per_game = events.groupby("game_id").size()
    assert 250 <= per_game.mean() <= 400
    assert events.period.max() == 4  # some games reach overtime
    ot = events[events.period == 4]
    assert (ot.period_seconds <= LeagueConfig().overtime_s).all()
    assert set(ot.dropna(subset=["team"])[["skaters_for", "skaters_against"]]
               .itertuples(index=False, name=None)) >= {(3, 3)}


def test_score_before_each_event_follows_the_goals(events):
    ev = events
    goal_home = ((ev.event_type == "goal") & (ev.is_home == True)).astype(int)  # noqa: E712
    goal_away = ((ev.event_type == "goal") & (ev.is_home == False)).astype(int)  # noqa: E712
    g = ev.game_id
    home_before = goal_home.groupby(g).cumsum() - goal_home
    away_before = goal_away.groupby(g).cumsum() - goal_away
    team = ev.team.notna()
    is_home = ev.is_home.fillna(False).astype(bool)
    expect_for = np.where(is_home, home_before, away_before)[team]
    expect_against = np.where(is_home, away_before, home_before)[team]
    assert (ev.goals_for[team].to_numpy() == expect_for).all()
    assert (ev.goals_against[team].to_numpy() == expect_against).all()
    assert ev.goals_for[~team].isna().all()


def test_final_scores_match_goal_events_plus_shootout(league, events):
    games = league.games.to_pandas().set_index("game_id")
    goals = events[events.event_type == "goal"]
    home = goals[goals.is_home == True].groupby("game_id").size()  # noqa: E712
    away = goals[goals.is_home == False].groupby("game_id").size()  # noqa: E712
    home = home.reindex(games.index, fill_value=0)
    away = away.reindex(games.index, fill_value=0)
    so = games.decided_in == "shootout"
    assert (home[so] == away[so]).all()  # shootout games were tied after overtime
    assert (games.home_goals == home + (so & (games.winner == "home"))).all()
    assert (games.away_goals == away + (so & (games.winner == "away"))).all()
    assert (games.home_goals != games.away_goals).all()
    assert (games.winner == np.where(games.home_goals > games.away_goals, "home", "away")).all()
    last_period = events.groupby("game_id").period.max().reindex(games.index)
    assert (games.decided_in[last_period == 3] == "regulation").all()
    assert (games.decided_in[last_period == 4] != "regulation").all()
    assert set(games.decided_in) == set(schema.OUTCOMES)


def test_on_ice_lists_fit_the_manpower_and_hold_the_actors(league, events, players):
    ev = events[events.team.notna()]
    is_goalie = (players.position == "G").to_dict()
    for lst_col, sk_col in (("on_ice_for", "skaters_for"), ("on_ice_against", "skaters_against")):
        flat = ev[lst_col].explode()
        goalies = flat.map(is_goalie).astype(int).groupby(level=0).sum()
        skaters = ev[lst_col].map(len) - goalies
        assert (skaters == ev[sk_col]).all(), lst_col
        assert goalies.isin([0, 1]).all()
        assert (goalies[ev[sk_col] == 6] == 0).all()  # extra attacker means an empty net
    assert ev.skaters_for.between(3, 6).all()
    assert {(5, 4), (4, 5), (5, 5), (4, 4)} <= set(zip(ev.skaters_for, ev.skaters_against, strict=True))
    acting = ev[ev.player_id.notna()]
    assert len(acting) > 0.8 * len(ev)
    assert all(p in on for p, on in zip(acting.player_id, acting.on_ice_for, strict=True))
    for kind in ("faceoff", "hit", "blocked_shot", "shot"):
        sub = acting[acting.event_type == kind]
        assert all(p in on for p, on in zip(sub.player2_id, sub.on_ice_against, strict=True))
    # dressed rosters: 12 F + 6 D + 2 G per team-game, on-ice players among them
    rosters = league.rosters.to_pandas()
    counts = rosters.groupby(["game_id", "team"]).position.value_counts().unstack()
    assert (counts[["C", "LW", "RW"]] == 4).all().all()
    assert (counts.D == 6).all() and (counts.G == 2).all()
    dressed = set(zip(rosters.game_id, rosters.player_id, strict=True))
    sample = ev.iloc[::97]
    assert all((g, p) in dressed for g, on in zip(sample.game_id, sample.on_ice_for, strict=True)
               for p in on)
    # scratches vary: some players dress in some games of their team but not all
    dressed_games = rosters.groupby("player_id").game_id.nunique()
    assert (dressed_games < GAMES).any() and (dressed_games == GAMES).any()


def test_coordinates_lie_in_the_rink_and_attack_toward_plus_x(events):
    xy = events.dropna(subset=["x"])
    assert (xy.x.abs() <= schema.RINK_HALF_LENGTH_FT).all()
    assert (xy.y.abs() <= schema.RINK_HALF_WIDTH_FT).all()
    shots = xy[xy.event_type.isin(SHOT_ATTEMPTS)]
    assert (shots.x > 25).mean() > 0.95
    assert (xy[xy.event_type == "blocked_shot"].x < -25).mean() > 0.95
    fo = xy[xy.event_type == "faceoff"]
    assert set(np.round(fo.x.abs()).astype(int)) <= {0, 20, 69}
    assert events[events.event_type.isin(["stoppage", "period_start"])].x.isna().all()


def test_penalties_create_power_plays(events):
    pen = events[events.event_type == "penalty"]
    assert pen.detail.str.contains("min").all()
    nxt = events.shift(-1)[events.event_type == "penalty"]
    assert (nxt.event_type == "faceoff").all()
    uneven = nxt.skaters_for != nxt.skaters_against
    assert uneven.mean() > 0.6


def _rate(events: pd.DataFrame, kinds, players: pd.Index, on_col="on_ice_for") -> pd.Series:
    """Share of the events of `kinds` a player made while on the ice for them."""
    sub = events[events.event_type.isin(kinds)]
    made = sub.player_id.value_counts()
    exposed = sub[on_col].explode().value_counts()
    return (made.reindex(players, fill_value=0) / exposed.reindex(players)).dropna()


def test_true_styles_show_up_in_the_data(events, players):
    forwards = players.index[players.position.isin(["C", "LW", "RW"])]
    skaters = players.index[players.position != "G"]
    shoot = _rate(events, SHOT_ATTEMPTS, forwards)
    assert shoot.corr(players.shooting[shoot.index], method="spearman") > 0.5
    hit = _rate(events, ["hit"], skaters)
    assert hit.corr(players.hitting[hit.index], method="spearman") > 0.5
    fo = events[events.event_type == "faceoff"]
    won, lost = fo.player_id.value_counts(), fo.player2_id.value_counts()
    centres = players.index[players.position == "C"]
    taken = won.reindex(centres, fill_value=0) + lost.reindex(centres, fill_value=0)
    win_rate = (won.reindex(centres, fill_value=0) / taken)[taken >= 100]
    assert len(win_rate) >= 20
    assert win_rate.corr(players.faceoff[win_rate.index], method="spearman") > 0.4
    assert win_rate.min() > 0.25 and win_rate.max() < 0.75  # NHL-like spread, not 0 / 1
    shots = events[events.event_type.isin(SHOT_ATTEMPTS) & (events.x > 25)]
    dist = np.hypot(89.0 - shots.x, shots.y).groupby(shots.player_id).mean()
    dist = dist[dist.index.isin(forwards)]
    assert dist.corr(players.shot_distance[dist.index], method="spearman") > 0.4
    # defencemen block more shots and shoot from farther out than forwards
    blocks = _rate(events, ["blocked_shot"], skaters)
    d = players.position[blocks.index] == "D"
    assert blocks[d].mean() > 1.5 * blocks[~d].mean()


def test_identification_is_above_chance_and_far_from_certain(events, players):
    """Always guessing the on-ice skater with the highest true style for the event type."""
    style_of = {"shot": "shooting", "missed_shot": "shooting", "goal": "shooting",
                "hit": "hitting", "blocked_shot": "defense", "takeaway": "defense"}
    ev = events[events.event_type.isin(list(style_of))].reset_index(drop=True)
    flat = ev.on_ice_for.explode().rename("player").rename_axis("row").reset_index()
    kind = ev.event_type.map(style_of).to_numpy()[flat.row]
    style = players[list(set(style_of.values()))]
    flat["score"] = [style.at[p, k] for p, k in zip(flat.player, kind, strict=True)]
    best = flat.dropna().sort_values("score", ascending=False).drop_duplicates("row")
    best = best.sort_values("row")
    accuracy = float(np.mean(best.player.to_numpy() == ev.player_id[best.row].to_numpy()))
    chance = float(np.mean(1.0 / (ev.on_ice_for.map(len) - 1)))
    assert 1.3 * chance < accuracy < 0.7


def test_style_strength_zero_makes_actors_uniform_on_ice():
    cfg = LeagueConfig(style_strength=0.0)
    league = simulate_league(n_teams=4, games=8, seed=1, config=cfg)
    ev, players = league.events.to_pandas(), league.players.to_pandas().set_index("player_id")
    skaters = players.index[players.position != "G"]
    hit = _rate(ev, ["hit"], skaters)
    assert len(hit) > 60
    assert abs(hit.corr(players.hitting[hit.index], method="spearman")) < 0.3


def test_actor_weights_favour_the_matching_style(league, players):
    w = actor_weights(league.players)
    assert list(w.index) == list(players.index)
    goalies = players.position == "G"
    assert (w[goalies.to_numpy()] == 0).all().all()
    assert (w[~goalies.to_numpy()] > 0).all().all()
    skaters = ~goalies
    assert w.hit[skaters].corr(players.hitting[skaters], method="spearman") > 0.95
    assert (w.goal == w.shot).all()
    with pytest.raises(ValueError, match="shooting"):
        actor_weights(league.players.drop_columns(["shooting"]))


ID_COLUMNS = ("game_id", "league", "player_id", "player2_id", "on_ice_for", "on_ice_against")


def _ids(league) -> tuple[set[str], set[str]]:
    """Every game id and every player id anywhere in the four tables."""
    ev = league.events.to_pandas()
    games = set(ev.game_id) | set(league.games.column("game_id").to_pylist()) \
        | set(league.rosters.column("game_id").to_pylist())
    players = set(ev.player_id.dropna()) | set(ev.player2_id.dropna()) \
        | set(ev.on_ice_for.dropna().explode()) | set(ev.on_ice_against.dropna().explode()) \
        | set(league.rosters.column("player_id").to_pylist()) \
        | set(league.players.column("player_id").to_pylist())
    return games, players


def test_leagues_with_different_names_share_no_ids_and_default_ids_stay():
    default = simulate_league(n_teams=4, games=4, seed=3)
    named = simulate_league(n_teams=4, games=4, seed=3, league="AHLSIM")
    other = simulate_league(n_teams=4, games=4, seed=3, config=LeagueConfig(league="ECHL_2"))
    (g0, p0), (g1, p1), (g2, p2) = _ids(default), _ids(named), _ids(other)
    assert min(g0) == "SIM-000001" and min(p0) == "S00000"  # today's ids, unchanged
    assert min(g1) == "AHLSIM-000001" and min(p1) == "AHLSIM-S00000"
    for (ga, pa_), (gb, pb) in (((g0, p0), (g1, p1)), ((g0, p0), (g2, p2)), ((g1, p1), (g2, p2))):
        assert not ga & gb and not pa_ & pb
    assert set(named.events.column("league").to_pylist()) == {"AHLSIM"}
    assert set(named.games.column("league").to_pylist()) == {"AHLSIM"}
    # the name relabels ids only: every other column of the season is the same
    keep = [c for c in default.events.column_names if c not in ID_COLUMNS]
    assert named.events.select(keep).equals(default.events.select(keep))
    assert named.players.drop_columns(["player_id"]).to_pandas().equals(
        default.players.drop_columns(["player_id"]).to_pandas())


@pytest.mark.parametrize("kwargs, match", [
    ({"n_teams": 5}, "even"),
    ({"games": 0}, "games"),
    ({"league": ""}, "league"),
    ({"league": "my league"}, "league"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_league(**kwargs)


def test_cli_simulate_writes_four_tables(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--games", "4", "--teams", "4", "--seed", "2",
                 "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["events.parquet", "games.parquet", "players.parquet", "rosters.parquet"]
    games = pq.read_table(out / "games.parquet")
    assert games.num_rows == 8
    assert "8 games" in capsys.readouterr().out


def test_cli_simulate_league_names_the_ids_and_refuses_a_bad_name(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--games", "2", "--teams", "4", "--league", "PWHLSIM",
                 "--out", str(out)]) == 0
    games = pq.read_table(out / "games.parquet").to_pandas()
    players = pq.read_table(out / "players.parquet").to_pandas()
    assert games.game_id.str.startswith("PWHLSIM-").all()
    assert set(games.league) == {"PWHLSIM"}
    assert players.player_id.str.startswith("PWHLSIM-S").all()
    assert "league PWHLSIM" in capsys.readouterr().out
    assert main(["simulate", "--games", "2", "--teams", "4", "--league", "a/b",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "league must be" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_cli_demo_prints_a_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--seed", "1",
                 "--teams", "4", "--games", "6", "--models", "frequency,uniform"]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "12 games" in text and "home win share" in text and "faceoff" in text
    assert (tmp_path / "data" / "events.parquet").is_file()
    # the model stage ran and reported held-out numbers for the chosen models
    rows = {line.split()[0] for line in text.splitlines() if line.strip()}
    assert {"frequency", "uniform"} <= rows and "top-1 = share of held-out events" in text
    assert "INFO" not in captured.err  # training logs only with -v
    assert (tmp_path / "report" / "player_id.md").is_file() and "files:" in text
    # the player-latent stage printed its probe table with the line saying what R^2 means
    assert "R^2 = share of a true style's variance" in text and "player latent" in text
    assert "shooting" in text.split("[5/5]")[1]

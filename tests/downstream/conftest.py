"""A tiny synthetic league with KNOWN signals for the downstream estimators to find.

- Goal probability falls with shot distance and rises with the shooter's latent dim 0.
- A team's strength is the mean latent dim 1 of its skaters; the stronger team takes more
  shots, so it wins more often (pre-game and in-game signal carried by the embeddings).
- Contextual embeddings are the acting player's latent plus noise; the event of a shot is
  preceded by the shooter's own puck recovery, so a pre-shot embedding exists.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

DIM = 4
GOAL_SKILL = 1.2  # log-odds per unit of the shooter's latent dim 0
STRENGTH = 2.0  # log-odds of who shoots per unit of strength difference


def make_league(n_games: int = 300, n_teams: int = 6, seed: int = 0) -> dict[str, pd.DataFrame]:
    """events, games, rosters, event_embeddings (canonical column names)."""
    rng = np.random.default_rng(seed)
    players = []
    for t in range(n_teams):
        for k in range(9):
            position = "G" if k == 0 else "D" if k <= 3 else ("C", "LW", "RW")[k % 3]
            players.append({"player_id": f"P{t}{k}", "team": f"T{t}", "position": position,
                            "z": rng.normal(size=DIM)})  # fmt: skip
    by_team = {f"T{t}": [p for p in players if p["team"] == f"T{t}"] for t in range(n_teams)}
    strength = {
        team: float(np.mean([p["z"][1] for p in ps if p["position"] != "G"]))
        for team, ps in by_team.items()
    }
    events, games, rosters, embeds = [], [], [], []
    day0 = dt.date(2020, 10, 1)
    for g in range(n_games):
        home, away = rng.choice(sorted(by_team), size=2, replace=False)
        game_id = f"SIM-{g:06d}"
        p_home = 1.0 / (1.0 + np.exp(-(0.2 + STRENGTH * (strength[home] - strength[away]))))
        score = {home: 0, away: 0}
        times = np.sort(rng.uniform(0, 3600, size=36))
        idx = 0
        for t in times:
            team = home if rng.random() < p_home else away
            opp = away if team == home else home
            skaters = [p for p in by_team[team] if p["position"] != "G"]
            shooter = skaters[rng.integers(len(skaters))]
            goalie = by_team[opp][0]["player_id"]
            x, y = rng.uniform(30, 88), rng.uniform(-30, 30)
            dist = np.hypot(89 - x, y)
            logit = -1.0 - 0.06 * (dist - 30) + GOAL_SKILL * shooter["z"][0]
            goal = rng.random() < 1.0 / (1.0 + np.exp(-logit))
            period = int(min(t // 1200, 2)) + 1
            base = {
                "game_id": game_id, "league": "SIM", "season": "2020",
                "game_date": day0 + dt.timedelta(days=g // 3), "period": period,
                "team": team, "opponent": opp, "is_home": team == home,
                "player_id": shooter["player_id"], "player_name": shooter["player_id"],
                "goals_for": score[team], "goals_against": score[opp],
                "skaters_for": 5, "skaters_against": 5,
                "on_ice_for": [p["player_id"] for p in by_team[team][:6]],
                "on_ice_against": [p["player_id"] for p in by_team[opp][:6]],
            }  # fmt: skip
            pre_t = max(t - 8.0, (period - 1) * 1200.0)
            for etype, sec, ex, ey, detail in (
                ("puck_recovery", pre_t, 10.0, 0.0, None),
                ("goal" if goal else "shot", t, x, y, "wrist"),
            ):
                events.append({**base, "event_idx": idx, "event_type": etype,
                               "game_seconds": sec, "period_seconds": sec - (period - 1) * 1200,
                               "x": ex, "y": ey, "detail": detail})  # fmt: skip
                noise = rng.normal(scale=0.3, size=DIM)
                embeds.append({"game_id": game_id, "event_idx": idx,
                               "player_id": shooter["player_id"], "team": team,
                               **{f"emb_{k}": shooter["z"][k] + noise[k] for k in range(DIM)}})
                idx += 1
            del goalie
            score[team] += int(goal)
        if score[home] == score[away]:
            winner, decided = ("home" if rng.random() < p_home else "away"), "shootout"
        else:
            winner, decided = ("home" if score[home] > score[away] else "away"), "regulation"
        games.append({"game_id": game_id, "league": "SIM", "season": "2020",
                      "game_date": day0 + dt.timedelta(days=g // 3), "home_team": home,
                      "away_team": away, "home_goals": score[home], "away_goals": score[away],
                      "winner": winner, "decided_in": decided})  # fmt: skip
        for team in (home, away):
            rosters += [{"game_id": game_id, "team": team, "player_id": p["player_id"],
                         "player_name": p["player_id"], "position": p["position"]}
                        for p in by_team[team]]  # fmt: skip
    events = pd.DataFrame(events)
    events["event_idx"] = events["event_idx"].astype(np.int32)
    return {
        "events": events,
        "games": pd.DataFrame(games),
        "rosters": pd.DataFrame(rosters),
        "event_embeddings": pd.DataFrame(embeds),
    }


@pytest.fixture(autouse=True)
def _one_thread():
    """Gradient boosting's OpenMP threads busy-wait on a shared 2-core machine: use one."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def league() -> dict[str, pd.DataFrame]:
    """The synthetic league (seeded, ~21k events), shared by the whole test session."""
    return make_league()


def write_canonical(data: dict[str, pd.DataFrame], folder) -> None:
    """Write events/games/rosters.parquet conforming to the canonical schemas."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hockey_vae import schema

    folder.mkdir(parents=True, exist_ok=True)
    for name, sch in (("events", schema.EVENTS), ("games", schema.GAMES),
                      ("rosters", schema.ROSTERS)):  # fmt: skip
        frame = data[name].copy()
        for field in sch:
            if field.name not in frame:
                frame[field.name] = None
        table = pa.Table.from_pandas(frame[sch.names], schema=sch, preserve_index=False)
        pq.write_table(table, folder / f"{name}.parquet")

"""Turn the engine's records into the canonical tables: events, games, rosters, players."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.simulate.config import STYLE_COLUMNS, LeagueConfig
from hockey_vae.simulate.constants import DETAILS, POSITIONS
from hockey_vae.simulate.draws import sigmoid
from hockey_vae.simulate.engine import Engine
from hockey_vae.simulate.league import League, Lineups
from hockey_vae.simulate.schedule import Schedule
from hockey_vae.simulate.state import GameState
from hockey_vae.sources.base import Ingested

__all__ = ["build_tables"]


def _strings(codes: np.ndarray, vocab: list[str] | tuple[str, ...]) -> pa.Array:
    """Integer codes (-1 = null) -> pyarrow string array, via a dictionary (fast)."""
    codes = np.asarray(codes)
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(vocab), pa.string())).cast(
        pa.string())


def _id_lists(onice: np.ndarray, valid_rows: np.ndarray, ids: list[str]) -> pa.Array:
    """(n, 7) player indices (-1 empty) -> list<string>, null where not `valid_rows`."""
    present = (onice >= 0) & valid_rows[:, None]
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    values = _strings(onice[present], ids)
    return pa.ListArray.from_arrays(pa.array(offsets), values,
                                    mask=pa.array(~valid_rows))


@dataclass
class _Labels:
    """Strings every table repeats: league, season, game ids and dates (per game)."""

    league: str
    season: str  # e.g. 20252026
    game_ids: list[str]  # (n_games,)
    dates: pa.Array  # (n_games,) date32


def _labels(cfg: LeagueConfig, schedule: Schedule) -> _Labels:
    """The season label from its start date (July on = next season), game ids and dates."""
    start = dt.date.fromisoformat(cfg.season_start)
    season = f"{start.year}{start.year + 1}" if start.month >= 7 else \
        f"{start.year - 1}{start.year}"
    game_ids = [cfg.game_id(g) for g in range(len(schedule.home))]
    days = np.asarray(schedule.day, dtype=np.int32) + np.int32(
        (start - dt.date(1970, 1, 1)).days)
    return _Labels(cfg.league, season, game_ids, pa.array(days, pa.date32()))


def build_tables(league: League, cfg: LeagueConfig, schedule: Schedule, lineups: Lineups,
                 engine: Engine, rng: np.random.Generator) -> Ingested:
    """Canonical events, games, rosters and the players table from the engine's records.

    `rng` decides shootouts (the one draw after the engine finished), so it must be the
    generator the engine used.
    """
    labels = _labels(cfg, schedule)
    events = _events_table(league, cfg, schedule, engine.records, labels)
    games = _games_table(league, lineups, engine.state, rng, labels, schedule)
    return Ingested(events=events, games=games, rosters=_rosters_table(league, lineups, labels),
                    players=_players_table(league), files_read=0)


def _sorted_records(records: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The engine's per-step columns concatenated and ordered by game (stable: by step)."""
    rec = {k: np.concatenate([r[k] for r in records]) for k in records[0]}
    order = np.argsort(rec["game"], kind="stable")
    return {k: v[order] for k, v in rec.items()}


def _events_table(league: League, cfg: LeagueConfig, schedule: Schedule,
                  records: list[dict[str, np.ndarray]], labels: _Labels) -> pa.Table:
    """One row per recorded event, in schema.EVENTS, values from the acting team's view."""
    rec = _sorted_records(records)
    game = rec["game"]
    counts = np.bincount(game, minlength=len(labels.game_ids))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    event_idx = np.arange(len(game)) - np.repeat(starts, counts)
    side = rec["side"]
    has = side >= 0
    teams_idx = np.stack([schedule.home[game], schedule.away[game]], axis=1)
    rr = np.arange(len(game))
    s = np.maximum(side, 0)
    team = np.where(has, teams_idx[rr, s], -1)
    opp = np.where(has, teams_idx[rr, 1 - s], -1)
    mask = ~has
    period = rec["period"]
    game_seconds = np.minimum(period - 1, 3) * cfg.period_s + rec["pclock"]
    ev_names = list(schema.EVENT_TYPES)
    x, y = rec["x"], rec["y"]
    return pa.table({
        "game_id": _strings(game, labels.game_ids),
        "league": pa.array(np.full(len(game), labels.league, dtype=object), pa.string()),
        "season": pa.array(np.full(len(game), labels.season, dtype=object), pa.string()),
        "game_date": labels.dates.take(pa.array(game)),
        "event_idx": pa.array(event_idx.astype(np.int32)),
        "period": pa.array(period.astype(np.int8)),
        "period_seconds": pa.array(rec["pclock"].astype(np.float32)),
        "game_seconds": pa.array(game_seconds.astype(np.float32)),
        "event_type": _strings(rec["ev"], ev_names),
        "source_event_type": _strings(rec["ev"], ev_names),
        "team": _strings(team, league.teams),
        "opponent": _strings(opp, league.teams),
        "is_home": pa.array(side == 0, mask=mask),
        "player_id": _strings(rec["p1"], league.ids),
        "player_name": _strings(rec["p1"], league.names),
        "player2_id": _strings(rec["p2"], league.ids),
        "player2_name": _strings(rec["p2"], league.names),
        "x": pa.array(x.astype(np.float32), mask=np.isnan(x)),
        "y": pa.array(y.astype(np.float32), mask=np.isnan(y)),
        "goals_for": pa.array(rec["score"][rr, s].astype(np.int16), mask=mask),
        "goals_against": pa.array(rec["score"][rr, 1 - s].astype(np.int16), mask=mask),
        "skaters_for": pa.array(rec["sk"][rr, s].astype(np.int8), mask=mask),
        "skaters_against": pa.array(rec["sk"][rr, 1 - s].astype(np.int8), mask=mask),
        "detail": _strings(rec["det"], DETAILS),
        "on_ice_for": _id_lists(rec["onice"][rr, s], has, league.ids),
        "on_ice_against": _id_lists(rec["onice"][rr, 1 - s], has, league.ids),
    }, schema=schema.EVENTS)


def _games_table(league: League, lineups: Lineups, state: GameState, rng: np.random.Generator,
                 labels: _Labels, schedule: Schedule) -> pa.Table:
    """Final scores; a game tied after overtime goes to a shootout (+1 goal to its winner).

    The shootout favours the side whose top centre finishes and whose goalie saves better.
    """
    n_games = len(labels.game_ids)
    hg, ag = state.score[:, 0].copy(), state.score[:, 1].copy()
    tied = hg == ag
    st = league.styles
    fin = np.nan_to_num(st["finishing"], nan=0.0)
    gk = np.nan_to_num(st["goaltending"], nan=0.0)
    top_c = lineups.fwd[:, :, 0, 0]
    edge = 0.4 * (fin[top_c[:, 0]] - fin[top_c[:, 1]]) \
        + 0.4 * (gk[lineups.goalie[:, 0]] - gk[lineups.goalie[:, 1]])
    so_home = rng.random(n_games) < sigmoid(edge)
    hg = hg + (tied & so_home)
    ag = ag + (tied & ~so_home)
    decided = np.where(tied, 2, np.where(state.ot_winner, 1, 0))
    return pa.table({
        "game_id": pa.array(labels.game_ids, pa.string()),
        "league": pa.array([labels.league] * n_games, pa.string()),
        "season": pa.array([labels.season] * n_games, pa.string()),
        "game_date": labels.dates,
        "home_team": _strings(schedule.home, league.teams),
        "away_team": _strings(schedule.away, league.teams),
        "home_goals": pa.array(hg.astype(np.int16)),
        "away_goals": pa.array(ag.astype(np.int16)),
        "winner": _strings((ag > hg).astype(int), ["home", "away"]),
        "decided_in": _strings(decided, list(schema.OUTCOMES)),
    }, schema=schema.GAMES)


def _rosters_table(league: League, lineups: Lineups, labels: _Labels) -> pa.Table:
    """The 20 dressed players of each team-game, sorted by game, team and player id."""
    n_games = len(labels.game_ids)
    dressed = np.concatenate([
        lineups.fwd.reshape(n_games, 2, 12), lineups.dmen.reshape(n_games, 2, 6),
        lineups.goalie[..., None], lineups.backup[..., None]], axis=2)  # (g, 2, 20)
    r_game = np.repeat(np.arange(n_games), 40)
    r_player = dressed.reshape(-1)
    roster = pa.table({
        "game_id": _strings(r_game, labels.game_ids),
        "team": _strings(league.team_of[r_player], league.teams),
        "player_id": _strings(r_player, league.ids),
        "player_name": _strings(r_player, league.names),
        "position": _strings(league.position[r_player], POSITIONS),
    }, schema=schema.ROSTERS)
    return roster.sort_by([("game_id", "ascending"), ("team", "ascending"),
                           ("player_id", "ascending")])


def _players_table(league: League) -> pa.Table:
    """Ids, names, team, position and the true styles (STYLE_COLUMNS) of every player."""
    return pa.table({
        "player_id": pa.array(league.ids, pa.string()),
        "player_name": pa.array(league.names, pa.string()),
        "team": _strings(league.team_of, league.teams),
        "position": _strings(league.position, POSITIONS),
        **{k: pa.array(league.styles[k].astype(np.float64)) for k in STYLE_COLUMNS},
    })

"""Synthetic hockey league: the embedded default that lets every stage run offline.

Every player has true latent styles (shot volume, finishing, preferred shot distance and
angle, passing, hitting, faceoffs, defence, discipline; goaltending for goalies). A
season schedule is played out by a Markov event process over the canonical event types,
vectorised across games: one loop step emits the next event of every unfinished game, so
a whole season costs a few hundred numpy steps rather than a Python call per event.

Who acts depends on the on-ice players' styles and on the game state (shooters shoot,
hitters hit, centres take faceoffs and win them by skill, defencemen block shots), so the
acting player is learnable from the event context but far from certain. Lines and
defence pairs rotate on shifts, penalties create power plays, goal probability depends on
shot distance and angle, the shooter and the goalie, trailing teams push a little and
pull the goalie late; ties go to 3-on-3 overtime and then a shootout, which counts only
in the games table (+1 goal to the winner, `decided_in` "shootout").

Output conforms to `hockey_vae.schema`; `Ingested.players` adds each player's true styles
(z-scores unless noted; NaN where a style has no effect, e.g. goaltending for skaters).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from hockey_vae import schema
from hockey_vae.sources.base import Ingested

__all__ = ["LeagueConfig", "simulate_league", "actor_weights", "STYLE_COLUMNS"]

log = logging.getLogger(__name__)

# True style columns of the players table, in order.
STYLE_COLUMNS: tuple[str, ...] = (
    "skill",  # overall quality: depth chart (ice time, scratches) and part of finishing
    "shooting",  # shot volume: how often the player takes the shot when his team shoots
    "finishing",  # accuracy and scoring on a shot on net
    "shot_distance",  # preferred shot distance from the goal, feet
    "shot_angle",  # preferred shot angle, degrees; + = shooter's left (y > 0)
    "passing",  # assists, fewer giveaways, team possession
    "hitting",  # hits, and a share of penalties
    "faceoff",  # faceoff strength (NaN for defencemen, who never take draws)
    "defense",  # takeaways and blocked shots, team possession against
    "discipline",  # fewer penalties
    "goaltending",  # save ability (goalies only)
)


@dataclass
class LeagueConfig:
    """Everything that shapes a simulated season; the defaults give an NHL-like league."""

    # league and schedule
    n_teams: int = 32  # must be even: every team plays once per schedule round
    games_per_team: int = 82  # regular-season games per team, half at home (+-1)
    seed: int = 0  # the one seed behind every random draw
    league: str = "SIM"  # `league` column and game_id prefix (SIM-000001)
    season_start: str = "2025-10-07"  # ISO date of the first game day
    season_days: int = 180  # calendar days the schedule spans
    # rosters (dressed each game: 4 C, 4 LW, 4 RW, 6 D, 2 G)
    extra_forwards: int = 2  # forwards beyond the 12 dressed, scratched game by game
    extra_defence: int = 1  # defencemen beyond the 6 dressed
    depth_noise: float = 0.6  # per-game noise (skill sd) on depth charts: varies scratches, lines
    starter_share: float = 0.65  # share of games the first goalie starts
    # deployment
    forward_shift_s: float = 45.0  # mean forward shift, clock seconds (uniform +-40%)
    defence_shift_s: float = 52.0  # mean defence-pair shift
    line_weights: tuple[float, ...] = (0.34, 0.29, 0.21, 0.16)  # next shift to line 1..4
    pair_weights: tuple[float, ...] = (0.40, 0.34, 0.26)  # next shift to pair 1..3
    # game flow
    period_s: float = 1200.0  # regulation period length
    overtime_s: float = 300.0  # 3-on-3 sudden-death overtime
    mean_gap_s: float = 15.5  # mean clock seconds between in-play events
    style_strength: float = 1.0  # scales every style effect on who acts; 0 = uniform on ice
    possession_style: float = 0.35  # how much on-ice passing vs defence moves possession
    home_edge: float = 0.12  # home log-odds bonus on keeping the puck
    score_effect: float = 0.3  # log shot-rate bonus per goal behind (max 2; half before the 3rd)
    goal_logit: float = -2.12  # goal log-odds of an on-net shot from 30 ft straight on
    ot_shot_rate: float = 1.8  # 3-on-3 overtime: shot-attempt rate multiplier (open ice)
    ot_goal_logit: float = 0.3  # 3-on-3 overtime: goal log-odds bonus (odd-man rushes)
    freeze_prob: float = 0.33  # goalie freezes a shot on goal (stoppage follows)
    pull_goalie_s: float = 85.0  # seconds left when a team down 1 pulls its goalie (x1.6 down 2)
    minor_share: tuple[float, float, float] = (0.91, 0.05, 0.04)  # 2 / 4 / 5 min penalties


# ----------------------------------------------------------------------------- vocabulary
_ET = {name: i for i, name in enumerate(schema.EVENT_TYPES)}
_SHOT_TYPES = ("wrist", "snap", "slap", "backhand", "tip-in", "deflected", "wrap-around")
_SHOT_TYPE_P = np.array([  # rows: distance < 12 ft, 12-35 ft, > 35 ft
    [0.22, 0.05, 0.00, 0.25, 0.30, 0.10, 0.08],
    [0.55, 0.20, 0.05, 0.12, 0.06, 0.02, 0.00],
    [0.45, 0.17, 0.33, 0.03, 0.00, 0.02, 0.00],
]).cumsum(axis=1)
_PEN_STICK = ("hooking", "holding", "tripping", "slashing", "high-sticking", "delay of game")
_PEN_BODY = ("roughing", "interference", "cross-checking", "boarding")
_PEN_STICK_P = np.array([0.22, 0.20, 0.26, 0.14, 0.12, 0.06]).cumsum()
_PEN_BODY_P = np.array([0.35, 0.30, 0.22, 0.13]).cumsum()
_STOPS = ("icing", "offside", "puck out of play", "puck frozen", "goalie stopped")
_STOP_P = np.array([0.32, 0.30, 0.24, 0.14]).cumsum()
_DURATIONS = (120.0, 240.0, 300.0)
_DETAILS: tuple[str, ...] = (
    _SHOT_TYPES
    + tuple(f"{p} ({m} min)" for p in _PEN_STICK + _PEN_BODY for m in (2, 4, 5))
    + _STOPS
)
_D_SHOT0 = 0
_D_PEN0 = len(_SHOT_TYPES)
_D_STOP0 = _D_PEN0 + 3 * (len(_PEN_STICK) + len(_PEN_BODY))

_POSITIONS = ("C", "LW", "RW", "D", "G")
_C, _LW, _RW, _D, _G = range(5)

# game modes (what the next step emits) and in-play event categories
_INPLAY, _FACEOFF, _PSTART, _STOP, _PEND, _DONE = range(6)
_C_SHOT, _C_GIVE, _C_TAKE, _C_HIT_O, _C_HIT_P, _C_PEN_O, _C_PEN_P, _C_STOP = range(8)
# Relative rates of the next in-play event given the zone of the team with the puck (P);
# O is the other team. Tuned so a game has NHL-like counts (see benchmarks/simulate.py).
_CAT_BASE = np.array([
    # shot   give   take   hitO   hitP   penO    penP    stop
    [0.000, 0.045, 0.030, 0.090, 0.021, 0.0090, 0.0052, 0.050],  # P in its defensive zone
    [0.005, 0.038, 0.030, 0.049, 0.021, 0.0075, 0.0045, 0.060],  # neutral zone
    [1.200, 0.023, 0.023, 0.070, 0.014, 0.0090, 0.0045, 0.023],  # P in its offensive zone
])
_ZONE_ADV = np.array([0.75, 0.75, 0.0])  # silent move up ice, by zone
_ZONE_RET = np.array([0.0, 0.12, 0.16])  # silent move back
_FLIP_BASE = 0.12  # silent possession change per in-play step
_ZONE_X = np.array([[-97.0, -26.0], [-24.0, 24.0], [26.0, 97.0]])  # x range per zone
_GOAL_X = 89.0  # goal line, feet from centre
_FO_X = np.array([-69.0, 20.0, 69.0, 0.0])  # faceoff dot x by zone code (home view); 3 = centre
_NU = 24  # uniforms drawn per game per step
_NN = 4  # normals drawn per game per step


# ----------------------------------------------------------------------------- league
@dataclass
class _League:
    """Teams and players: codes, names, positions and internal (NaN-free) style arrays."""

    teams: list[str]
    team_of: np.ndarray  # (n_players,) team index
    position: np.ndarray  # (n_players,) position code
    ids: list[str]
    names: list[str]
    styles: dict[str, np.ndarray]  # STYLE_COLUMNS -> (n_players,) float, NaN where unused
    by_team_pos: list[list[np.ndarray]]  # [team][position] -> player indices


_TEAM_CODES = (
    "ANC", "BAL", "BIR", "BOI", "CHA", "CIN", "CLE", "DES", "ELP", "FRE", "HAL", "HON",
    "IND", "JAX", "KCY", "LIN", "MEM", "MIL", "NOR", "OKC", "OMA", "POR", "PRO", "QUE",
    "REG", "RIC", "SAC", "SAL", "SPO", "TUC", "TUL", "WIC",
)
_FIRST = (
    "Adam", "Ben", "Carl", "Dan", "Eli", "Finn", "Gus", "Hugo", "Ivan", "Jack", "Kai", "Leo",
    "Max", "Nils", "Owen", "Paul", "Quinn", "Rob", "Sam", "Tom", "Uli", "Vic", "Will", "Xavi",
    "Yan", "Zack", "Anton", "Bo", "Cole", "Dmitri", "Erik", "Felix", "Gabe", "Henrik", "Igor",
    "Jonas", "Kyle", "Lars", "Mats", "Noah",
)
_LAST = (
    "Andersson", "Bergeron", "Carlsson", "Dubois", "Eriksson", "Fournier", "Gagnon",
    "Holm", "Ivanov", "Jensen", "Kowalski", "Lindqvist", "Martin", "Novak", "Olsen",
    "Petrov", "Quist", "Roy", "Smirnov", "Tremblay", "Urban", "Virtanen", "Walsh", "Young",
    "Zetterberg", "Bauer", "Chen", "Doyle", "Engel", "Fischer", "Grant", "Hughes", "Kane",
    "Larsen", "Moore", "Nash", "O'Brien", "Price", "Reid", "Stone", "Turner", "Weber",
    "Koivu", "Laine", "Makar", "Niemi", "Pavel", "Rask", "Sedin", "Toews",
)


def _make_league(cfg: LeagueConfig, rng: np.random.Generator) -> _League:
    """Players for every team, with positions and true styles."""
    teams = list(_TEAM_CODES[: cfg.n_teams]) + [f"T{i:02d}" for i in range(32, cfg.n_teams)]
    team_of, position = [], []
    for t in range(cfg.n_teams):
        extra = np.bincount(rng.integers(0, 3, cfg.extra_forwards), minlength=3)
        counts = (4 + extra[0], 4 + extra[1], 4 + extra[2], 6 + cfg.extra_defence, 2)
        for pos, k in enumerate(counts):
            team_of += [t] * int(k)
            position += [pos] * int(k)
    team_of, position = np.array(team_of), np.array(position)
    n = len(team_of)
    z = rng.standard_normal((n, 12))
    is_g, is_d = position == _G, position == _D
    is_f = ~is_g & ~is_d
    skill = z[:, 0]
    styles = {
        "skill": skill,
        "shooting": z[:, 1],
        "finishing": 0.5 * skill + 0.87 * z[:, 2],
        "shot_distance": np.clip(np.where(is_d, 54.0 + 5.0 * z[:, 3],
                                          np.where(position == _C, 27.0, 31.0) + 6.0 * z[:, 3]),
                                 12.0, 68.0),
        "shot_angle": np.select(
            [position == _LW, position == _RW, position == _C],
            [12.0 + 8.0 * z[:, 4], -12.0 - 8.0 * z[:, 4], 8.0 * z[:, 4]],
            np.sign(z[:, 5]) * (16.0 + 6.0 * z[:, 4]),  # defencemen: left or right point
        ),
        "passing": 0.4 * skill + 0.92 * z[:, 6],
        "hitting": z[:, 7],
        "faceoff": np.where(position == _C, z[:, 8], -1.0 + 0.7 * z[:, 8]),
        "defense": z[:, 9],
        "discipline": z[:, 10],
        "goaltending": z[:, 11],
    }
    for name in STYLE_COLUMNS:
        if name == "goaltending":
            styles[name] = np.where(is_g, styles[name], np.nan)
        elif name == "faceoff":
            styles[name] = np.where(is_f, styles[name], np.nan)
        else:
            styles[name] = np.where(is_g, np.nan, styles[name])
    pairs = len(_FIRST) * len(_LAST)
    pick = rng.choice(pairs, size=n, replace=n > pairs)
    names = [f"{_FIRST[i // len(_LAST)]} {_LAST[i % len(_LAST)]}" for i in pick.tolist()]
    ids = [f"S{i:05d}" for i in range(n)]
    by_team_pos = [[np.flatnonzero((team_of == t) & (position == p)) for p in range(5)]
                   for t in range(cfg.n_teams)]
    return _League(teams, team_of, position, ids, names, styles, by_team_pos)


# ----------------------------------------------------------------------------- schedule
def _make_schedule(cfg: LeagueConfig, rng: np.random.Generator):
    """Home team, away team and date of every game, in date order (circle-method rounds).

    Returns home (n_games,), away (n_games,), day offset from season start (n_games,).
    """
    n, rounds = cfg.n_teams, cfg.games_per_team
    base = np.arange(n)
    home, away, day = [], [], []
    balance = np.zeros(n, dtype=int)  # home minus away games so far
    per_cycle = n - 1
    for r in range(rounds):
        cycle, k = divmod(r, per_cycle)
        if k == 0:  # fresh team order each cycle, rounds shuffled within the cycle
            order = rng.permutation(n)
            round_ids = rng.permutation(per_cycle)
        rot = round_ids[k]
        ring = np.concatenate([[0], np.roll(base[1:], rot)])
        a_side, b_side = order[ring[: n // 2]], order[ring[::-1][: n // 2]]
        date = int(r * cfg.season_days / max(rounds, 1))
        gap = int((r + 1) * cfg.season_days / max(rounds, 1)) - date
        coin = rng.random(n // 2)
        for a, b, c in zip(a_side.tolist(), b_side.tolist(), coin.tolist(), strict=True):
            # greedy home/away balance; a coin decides ties
            a_home = balance[a] < balance[b] or (balance[a] == balance[b] and c < 0.5)
            h, w = (a, b) if a_home else (b, a)
            balance[h] += 1
            balance[w] -= 1
            home.append(h)
            away.append(w)
            day.append(date + (int(rng.integers(0, 2)) if gap >= 2 else 0))
    home, away, day = np.array(home), np.array(away), np.array(day)
    order = np.lexsort((home, day))
    return home[order], away[order], day[order]


# ----------------------------------------------------------------------------- lineups
@dataclass
class _Lineups:
    """Who dressed in each game and the line/pair combinations (side 0 = home)."""

    fwd: np.ndarray  # (n_games, 2, 4, 3) line -> [C, W1, W2] (wingers in random order)
    dmen: np.ndarray  # (n_games, 2, 3, 2) pair -> [D1, D2]
    goalie: np.ndarray  # (n_games, 2) starting goalie
    backup: np.ndarray  # (n_games, 2) dressed backup goalie


def _make_lineups(league: _League, home: np.ndarray, away: np.ndarray, cfg: LeagueConfig,
                  rng: np.random.Generator) -> _Lineups:
    """Dress 12 F, 6 D, 2 G per team-game by a noisy depth chart; build lines from it."""
    g = len(home)
    fwd = np.zeros((g, 2, 4, 3), dtype=np.int64)
    dmen = np.zeros((g, 2, 3, 2), dtype=np.int64)
    goalie = np.zeros((g, 2), dtype=np.int64)
    backup = np.zeros((g, 2), dtype=np.int64)
    skill = league.styles["skill"]
    for t in range(len(league.teams)):
        for side, where in ((0, home == t), (1, away == t)):
            games = np.flatnonzero(where)
            k = len(games)
            if k == 0:
                continue
            for pos, need in ((_C, 4), (_LW, 4), (_RW, 4), (_D, 6)):
                players = league.by_team_pos[t][pos]
                score = skill[players][None, :] + cfg.depth_noise * rng.standard_normal(
                    (k, len(players)))
                top = players[np.argsort(-score, axis=1)[:, :need]]  # best first
                if pos == _D:
                    dmen[games, side] = top.reshape(k, 3, 2)
                else:
                    fwd[games, side, :, pos] = top
            gk = league.by_team_pos[t][_G]
            gk = gk[np.argsort(-np.nan_to_num(league.styles["goaltending"][gk]))]  # starter first
            starter = rng.random(k) < cfg.starter_share
            goalie[games, side] = np.where(starter, gk[0], gk[1])
            backup[games, side] = np.where(starter, gk[1], gk[0])
    swap = rng.random((g, 2)) < 0.5  # which winger sits first when a team is short-handed
    w1 = np.where(swap[..., None], fwd[..., 2], fwd[..., 1])
    w2 = np.where(swap[..., None], fwd[..., 1], fwd[..., 2])
    fwd[..., 1], fwd[..., 2] = w1, w2
    return _Lineups(fwd, dmen, goalie, backup)


# ----------------------------------------------------------------------------- weights
def _with_sentinel(values: np.ndarray) -> np.ndarray:
    """Append one 0 so that index -1 (an empty slot) reads as weight/value 0."""
    return np.concatenate([np.nan_to_num(values, nan=0.0), [0.0]])


def _actor_weights(styles: dict[str, np.ndarray], pos: np.ndarray,
                   cfg: LeagueConfig) -> dict[str, np.ndarray]:
    """Per-player propensity to be the actor of each kind of event (0 for goalies)."""
    s = {k: np.nan_to_num(v, nan=0.0) for k, v in styles.items()}
    k = cfg.style_strength
    skater = pos != _G
    is_d = pos == _D

    def w(x):
        return _with_sentinel(np.where(skater, x, 0.0))

    return {
        "shoot": w(np.exp(k * 0.9 * s["shooting"]) * np.where(is_d, 0.6, 1.0)),
        "block": w(np.exp(k * 0.8 * s["defense"]) * np.where(is_d, 2.6, 1.0)),
        "give": w(np.exp(-k * 0.7 * s["passing"]) * np.where(is_d, 1.3, 1.0)),
        "take": w(np.exp(k * 0.8 * s["defense"]) * np.where(is_d, 0.8, 1.15)),
        "hit": w(np.exp(k * 1.1 * s["hitting"]) * np.where(is_d, 1.1, 1.0)),
        "pen": w(np.exp(k * (-0.8 * s["discipline"] + 0.3 * s["hitting"]))
                 * np.where(is_d, 1.15, 1.0)),
        "assist": w(np.exp(k * 0.9 * s["passing"]) * np.where(is_d, 0.8, 1.0)),
        "one": w(np.ones(len(pos))),
    }


def _pick(weights: np.ndarray, cand: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One player per row of `cand` (n, k), drawn with `weights[cand]`; -1 = empty slot.

    `u` (n,) must lie in (0, 1]. Rows whose weights are all 0 return -1.
    """
    c = np.cumsum(weights[cand], axis=1)
    k = (c < (u * c[:, -1])[:, None]).sum(axis=1)
    chosen = cand[np.arange(len(cand)), np.minimum(k, cand.shape[1] - 1)]
    return np.where(c[:, -1] > 0, chosen, -1)


def _pick_index(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column index per row of non-negative `weights` (n, k), u (n,) in (0, 1]."""
    c = np.cumsum(weights, axis=1)
    return np.minimum((c < (u * c[:, -1])[:, None]).sum(axis=1), weights.shape[1] - 1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# Event type -> the actor-weight kind that picks its acting player (see `actor_weights`).
_ACTOR_KIND = {"shot": "shoot", "missed_shot": "shoot", "goal": "shoot", "blocked_shot": "block",
               "giveaway": "give", "takeaway": "take", "hit": "hit", "penalty": "pen"}


def actor_weights(players: pa.Table, config: LeagueConfig | None = None) -> pd.DataFrame:
    """The simulator's true weights for who acts, per player and event type.

    Among the acting team's on-ice skaters, the actor of an event of type T is drawn with
    probability proportional to column T. Use it as an oracle: a model that knows the
    true styles and the event type (but ignores its location, which for shots depends on
    the shooter's preferred distance and angle) can do no better than these weights.
    Faceoffs are absent: the winner depends on the opposing centre too.

    Returns a DataFrame indexed by player_id with one column per event type in
    `shot, missed_shot, goal, blocked_shot, giveaway, takeaway, hit, penalty`.
    """
    cfg = config or LeagueConfig()
    frame = players.to_pandas()
    missing = [c for c in ("player_id", "position", *STYLE_COLUMNS) if c not in frame]
    if missing:
        raise ValueError(f"players table lacks column(s) {missing}")
    pos = frame["position"].map({p: i for i, p in enumerate(_POSITIONS)}).to_numpy()
    w = _actor_weights({k: frame[k].to_numpy(float) for k in STYLE_COLUMNS}, pos, cfg)
    return pd.DataFrame({t: w[k][:-1] for t, k in _ACTOR_KIND.items()},
                        index=pd.Index(frame["player_id"], name="player_id"))


# ----------------------------------------------------------------------------- engine
class _Engine:
    """State of every game in the season, advanced one event per unfinished game per step."""

    def __init__(self, league: _League, lineups: _Lineups, cfg: LeagueConfig,
                 rng: np.random.Generator):
        self.cfg, self.rng, self.lu = cfg, rng, lineups
        g = len(lineups.goalie)
        self.n_games = g
        self.w = _actor_weights(league.styles, league.position, cfg)
        st = league.styles
        self.fo = _with_sentinel(st["faceoff"])
        self.fin = _with_sentinel(st["finishing"])
        self.gk = _with_sentinel(st["goaltending"])
        self.dist = _with_sentinel(st["shot_distance"])
        self.ang = _with_sentinel(st["shot_angle"])
        self.team_style = {k: _with_sentinel(st[k]) for k in
                           ("passing", "defense", "shooting", "discipline", "hitting")}
        self.skater = _with_sentinel((league.position != _G).astype(float))
        # game state
        self.mode = np.full(g, _PSTART)
        self.period = np.ones(g, dtype=np.int64)
        self.pclock = np.zeros(g)
        self.score = np.zeros((g, 2), dtype=np.int64)
        self.poss = np.zeros(g, dtype=np.int64)
        self.zone = np.ones(g, dtype=np.int64)  # zone of the puck from the possessor's view
        self.fo_zone = np.full(g, 3)  # next faceoff dot, home view (3 = centre)
        self.stop_kind = np.full(g, len(_STOPS) - 1)
        self.force = np.ones((g, 2), dtype=bool)  # change lines at the next faceoff
        self.no_change = np.zeros((g, 2), dtype=bool)  # icing team may not change
        self.fline = np.zeros((g, 2), dtype=np.int64)
        self.dpair = np.zeros((g, 2), dtype=np.int64)
        self.fend = np.zeros((g, 2))
        self.dend = np.zeros((g, 2))
        self.pen_end = np.full((g, 2, 2), np.inf)  # game seconds a box slot frees up
        self.pen_player = np.full((g, 2, 2), -1, dtype=np.int64)
        self.pen_minor = np.zeros((g, 2, 2), dtype=bool)
        self.ot_winner = np.zeros(g, dtype=bool)
        self.records: list[dict[str, np.ndarray]] = []

    # --------------------------------------------------------------- helpers
    def _period_len(self, period: np.ndarray) -> np.ndarray:
        return np.where(period >= 4, self.cfg.overtime_s, self.cfg.period_s)

    def _offset(self, period: np.ndarray) -> np.ndarray:
        return np.minimum(period - 1, 3) * self.cfg.period_s

    def _zone_xy(self, zone: np.ndarray, u1: np.ndarray, u2: np.ndarray,
                 boards: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Random location in `zone` (0 own, 1 neutral, 2 offensive) of the actor's view."""
        lo, hi = _ZONE_X[zone, 0], _ZONE_X[zone, 1]
        x = lo + (hi - lo) * u1
        if boards:
            y = np.sign(u2 - 0.5) * (28.0 + 14.0 * np.abs(2.0 * u2 - 1.0))
        else:
            y = -40.0 + 80.0 * u2
        return x, y

    def _line_change(self, a, gs, is_fo, skb):
        """Rotate forward lines and defence pairs whose shift is over (or at a whistle)."""
        cfg, lu = self.cfg, self.lu
        boxed = self.pen_player[a]  # (n, 2, 2)
        adv = skb - skb[:, ::-1]  # base-skater edge of each side
        for kind in ("f", "d"):
            end = self.fend if kind == "f" else self.dend
            cur = self.fline if kind == "f" else self.dpair
            units = lu.fwd[a] if kind == "f" else lu.dmen[a]  # (n, 2, L, k)
            base = np.array(cfg.line_weights if kind == "f" else cfg.pair_weights)
            mean = cfg.forward_shift_s if kind == "f" else cfg.defence_shift_s
            e = end[a]
            ch = gs[:, None] >= e
            at_fo = is_fo[:, None] & ~self.no_change[a]
            ch |= at_fo & (self.force[a] | (e - gs[:, None] < 15.0))
            ch &= ~(is_fo[:, None] & self.no_change[a])
            rows, sides = np.nonzero(ch)
            if len(rows) == 0:
                continue
            u = 1.0 - self.rng.random((len(rows), 2))
            un = units[rows, sides]  # (m, L, k)
            inbox = (un[:, :, :, None] == boxed[rows, sides][:, None, None, :]).any(axis=(2, 3))
            n_units = len(base)
            pp = adv[rows, sides]
            mult = np.ones((len(rows), n_units))
            if kind == "f":
                mult[pp > 0] = (1.6, 1.3, 0.6, 0.3)
                mult[pp < 0] = (0.5, 1.0, 1.4, 1.3)
            else:
                mult[pp > 0] = (1.5, 1.0, 0.5)
                mult[pp < 0] = (0.9, 1.3, 1.1)
            wts = base[None, :] * mult * ~inbox
            current = np.arange(n_units)[None, :] == cur[a[rows], sides][:, None]
            alt = wts * ~current
            wts = np.where(alt.sum(axis=1, keepdims=True) > 0, alt, wts)
            wts = np.where(wts.sum(axis=1, keepdims=True) > 0, wts, base[None, :])
            cur[a[rows], sides] = _pick_index(wts, u[:, 0])
            end[a[rows], sides] = gs[rows] + mean * (0.6 + 0.8 * u[:, 1])

    def _on_ice(self, a, skb, pulled):
        """(n, 2, 7) player indices: 5 skater slots by priority, extra attacker, goalie."""
        lu = self.lu
        n = len(a)
        r = np.arange(n)[:, None]
        s = np.array([[0, 1]])
        f = lu.fwd[a][r, s, self.fline[a]]  # (n, 2, 3)
        d = lu.dmen[a][r, s, self.dpair[a]]  # (n, 2, 2)
        # slot priority: C, D1, W1, D2, W2 (4 skaters drop W2, 3 skaters drop D2 too)
        slots = np.stack([f[..., 0], d[..., 0], f[..., 1], d[..., 1], f[..., 2]], axis=-1)
        slots = np.where(np.arange(5) < skb[..., None], slots, -1)
        top_c = lu.fwd[a][:, :, 0, 0]
        second_c = lu.fwd[a][:, :, 1, 0]
        extra = np.where(self.fline[a] == 0, second_c, top_c)
        extra = np.where(pulled, extra, -1)
        goalie = np.where(pulled, -1, lu.goalie[a])
        return np.concatenate([slots, extra[..., None], goalie[..., None]], axis=-1)

    def _team_mean(self, style: str, skaters: np.ndarray) -> np.ndarray:
        """Mean style over the skaters in `skaters` (m, 6), empty slots ignored."""
        cnt = self.skater[skaters].sum(axis=1)
        return self.team_style[style][skaters].sum(axis=1) / np.maximum(cnt, 1.0)

    # --------------------------------------------------------------- step
    def step(self) -> bool:
        """Emit one event in every unfinished game; False when all games are done."""
        a = np.flatnonzero(self.mode != _DONE)
        n = len(a)
        if n == 0:
            return False
        cfg, rng = self.cfg, self.rng
        U = 1.0 - rng.random((n, _NU))  # (0, 1]
        N = rng.standard_normal((n, _NN))
        mode, per = self.mode[a], self.period[a]
        pc = self.pclock[a]
        plen = self._period_len(per)
        inplay = mode == _INPLAY
        dt_ = np.where(inplay, -cfg.mean_gap_s * np.log(U[:, 0]), 0.0)
        dt_ = np.where(mode == _STOP, 2.0 * U[:, 0], dt_)
        newpc = np.minimum(pc + dt_, plen)
        event_clock = newpc.copy()  # newpc is reset to 0 below where a new period starts
        ends = inplay & (pc + dt_ >= plen)
        gs = self._offset(per) + newpc
        is_fo = mode == _FACEOFF

        # penalties that ran out free their box slot
        expired = self.pen_end[a] <= gs[:, None, None]
        if expired.any():
            pe, pp = self.pen_end[a], self.pen_player[a]
            pe[expired], pp[expired] = np.inf, -1
            self.pen_end[a], self.pen_player[a] = pe, pp
        box = np.isfinite(self.pen_end[a]).sum(axis=2)  # (n, 2)
        ot = per >= 4
        skb = np.where(ot[:, None], 3 + np.maximum(box[:, ::-1] - box, 0), 5 - box)
        skb = np.minimum(skb, 5)
        # a team down 1 or 2 late in regulation plays with an extra attacker
        diff = self.score[a] - self.score[a][:, ::-1]
        left = cfg.period_s - newpc
        pull_at = np.where(diff == -1, cfg.pull_goalie_s, 1.6 * cfg.pull_goalie_s)
        pulled = (per == 3)[:, None] & ((diff == -1) | (diff == -2)) & (left[:, None] <= pull_at)
        pulled &= ~ends[:, None] & (mode != _PEND)[:, None]
        sk = skb + pulled

        self._line_change(a, gs, is_fo, skb)
        onice = self._on_ice(a, skb, pulled)

        ev = np.full(n, _ET["period_end"])
        side = np.full(n, -1)  # acting side, -1 = no team
        p1 = np.full(n, -1)
        p2 = np.full(n, -1)
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        det = np.full(n, -1)
        rec_score = self.score[a].copy()
        new_mode = mode.copy()

        # --- period start: faceoff at centre next, fresh lines
        i = np.flatnonzero(mode == _PSTART)
        ev[i] = _ET["period_start"]
        new_mode[i] = _FACEOFF
        self.fo_zone[a[i]] = 3
        self.force[a[i]] = True

        # --- faceoff
        i = np.flatnonzero(is_fo)
        if len(i):
            self._faceoff(a, i, onice, U, ev, side, p1, p2, x, y, new_mode)

        # --- stoppage after a frozen shot
        i = np.flatnonzero(mode == _STOP)
        ev[i] = _ET["stoppage"]
        det[i] = _D_STOP0 + self.stop_kind[a[i]]
        new_mode[i] = _FACEOFF
        P = self.poss[a[i]]
        self.fo_zone[a[i]] = np.where(P == 0, self.zone[a[i]], 2 - self.zone[a[i]])

        # --- period end (clock ran out, or an overtime goal)
        i = np.flatnonzero(ends | (mode == _PEND))
        if len(i):
            gi = a[i]
            tied = self.score[gi, 0] == self.score[gi, 1]
            more = (per[i] < 3) | ((per[i] == 3) & tied)
            more &= mode[i] != _PEND
            new_mode[i] = np.where(more, _PSTART, _DONE)
            self.period[gi[more]] += 1
            newpc[i[more]] = 0.0
            self.ot_winner[gi] = mode[i] == _PEND

        # --- in-play events
        i = np.flatnonzero(inplay & ~ends)
        if len(i):
            self._in_play(a, i, onice, sk, skb, pulled, gs, per, U, N,
                          ev, side, p1, p2, x, y, det, new_mode)

        self.records.append({
            "game": a, "ev": ev, "period": per, "pclock": event_clock,
            "side": side, "p1": p1, "p2": p2, "x": x, "y": y, "det": det,
            "score": rec_score, "sk": sk, "onice": onice,
        })
        self.mode[a] = new_mode
        self.pclock[a] = newpc
        self.no_change[a[is_fo]] = False
        self.force[a[is_fo]] = False
        return True

    def _faceoff(self, a, i, onice, U, ev, side, p1, p2, x, y, new_mode):
        """Centres (sometimes a winger) take the draw; faceoff skill decides the winner."""
        ev[i] = _ET["faceoff"]
        o = onice[i]  # (m, 2, 7)
        slot = np.where(U[i, 1:3] < 0.1, 2, 0)  # winger takes it 10% of the time
        takers = np.take_along_axis(o, slot[..., None], axis=2)[..., 0]  # (m, 2)
        edge = 0.22 * self.cfg.style_strength * (self.fo[takers[:, 0]] - self.fo[takers[:, 1]])
        home_wins = U[i, 3] < _sigmoid(edge + 0.05)
        win = np.where(home_wins, 0, 1)
        r = np.arange(len(i))
        side[i] = win
        p1[i] = takers[r, win]
        p2[i] = takers[r, 1 - win]
        zh = self.fo_zone[a[i]]
        xh = _FO_X[zh] * np.where(zh == 1, np.sign(U[i, 4] - 0.5), 1.0)
        yh = np.where(zh == 3, 0.0, np.sign(U[i, 5] - 0.5) * 22.0)
        flip = np.where(win == 0, 1.0, -1.0)
        x[i], y[i] = xh * flip, yh * flip
        # possession to the winner, zone from its view
        self.poss[a[i]] = win
        zone_home = np.where(zh == 3, 1, zh)
        self.zone[a[i]] = np.where(win == 0, zone_home, 2 - zone_home)
        new_mode[i] = _INPLAY

    def _in_play(self, a, i, onice, sk, skb, pulled, gs, per, U, N,
                 ev, side, p1, p2, x, y, det, new_mode):
        """Silent puck movement, then one drawn event with its consequences."""
        cfg = self.cfg
        gi = a[i]
        m = len(i)
        r = np.arange(m)
        P = self.poss[gi].copy()
        Z = self.zone[gi].copy()
        u = U[i]
        ps = cfg.possession_style

        def sides(P):
            on_p, on_o = onice[i, P], onice[i, 1 - P]
            return on_p, on_o, sk[i, P] - sk[i, 1 - P]

        on_p, on_o, adv = sides(P)
        strength = (self._team_mean("passing", on_p[:, :6])
                    - self._team_mean("defense", on_o[:, :6]))
        home_bonus = np.where(P == 0, cfg.home_edge, -cfg.home_edge)  # home keeps the puck
        p_flip = _FLIP_BASE * np.exp(-ps * strength - 0.35 * adv - home_bonus)
        flip = u[:, 1] < np.minimum(p_flip, 0.9)
        P = np.where(flip, 1 - P, P)
        Z = np.where(flip, 2 - Z, Z)
        strength = np.where(flip, -strength, strength)
        on_p, on_o, adv = sides(P)
        move = np.exp(0.6 * ps * strength + 0.25 * adv)
        up = np.minimum(_ZONE_ADV[Z] * move, 0.8)
        back = np.minimum(_ZONE_RET[Z] / move, 0.15)
        Z = np.where(u[:, 2] < up, np.minimum(Z + 1, 2),
                     np.where(u[:, 2] < up + back, np.maximum(Z - 1, 0), Z))

        # --- which event
        wts = _CAT_BASE[Z].copy()
        diff_p = np.clip(self.score[gi, 0] - self.score[gi, 1], -2, 2) * np.where(P == 0, 1, -1)
        push = -cfg.score_effect * diff_p * np.where(per[i] >= 3, 1.0, 0.5)
        home_p = np.where(P == 0, cfg.home_edge, -cfg.home_edge)  # and shoots a bit more
        wts[:, _C_SHOT] *= np.exp(0.2 * self._team_mean("shooting", on_p[:, :6])
                                  + 0.2 * adv + push + home_p)
        wts[:, _C_SHOT] *= np.where(per[i] >= 4, cfg.ot_shot_rate, 1.0)
        empty_net = pulled[i, 1 - P]
        wts[:, _C_SHOT] += np.where(empty_net & (Z < 2), 0.12, 0.0)
        box = np.isfinite(self.pen_end[gi]).sum(axis=2)
        for col, s, on in ((_C_PEN_O, 1 - P, on_o), (_C_PEN_P, P, on_p)):
            wts[:, col] *= np.exp(-0.3 * self._team_mean("discipline", on[:, :6]))
            wts[:, col] *= box[r, s] < 2
        wts[:, _C_HIT_O] *= np.exp(0.3 * self._team_mean("hitting", on_o[:, :6]))
        wts[:, _C_STOP] *= np.where(adv < 0, 1.5, 1.0)  # short-handed teams ice the puck
        cat = _pick_index(wts, u[:, 3])

        W = self.w
        sk_p, sk_o = on_p[:, :6], on_o[:, :6]

        # --- shot attempts
        j = np.flatnonzero(cat == _C_SHOT)
        if len(j):
            self._shot(a, i, j, P, Z, sk_p, sk_o, on_o, empty_net, adv, u, N,
                       ev, side, p1, p2, x, y, det, new_mode)
        # --- giveaway by P / takeaway by O: possession changes
        for c, kind, on_side, give in ((_C_GIVE, "give", sk_p, True),
                                       (_C_TAKE, "take", sk_o, False)):
            j = np.flatnonzero(cat == c)
            if not len(j):
                continue
            k = i[j]
            ev[k] = _ET["giveaway" if give else "takeaway"]
            side[k] = P[j] if give else 1 - P[j]
            p1[k] = _pick(W[kind], on_side[j], u[j, 4])
            zz = Z[j] if give else 2 - Z[j]
            x[k], y[k] = self._zone_xy(zz, u[j, 5], u[j, 6])
            P[j], Z[j] = 1 - P[j], 2 - Z[j]
        # --- hits (mostly on the puck carrier's team)
        for c, by_o in ((_C_HIT_O, True), (_C_HIT_P, False)):
            j = np.flatnonzero(cat == c)
            if not len(j):
                continue
            k = i[j]
            hitters, hittees = (sk_o[j], sk_p[j]) if by_o else (sk_p[j], sk_o[j])
            ev[k] = _ET["hit"]
            side[k] = np.where(by_o, 1 - P[j], P[j])
            p1[k] = _pick(W["hit"], hitters, u[j, 4])
            p2[k] = _pick(W["one"], hittees, u[j, 7])
            zz = 2 - Z[j] if by_o else Z[j]
            x[k], y[k] = self._zone_xy(zz, u[j, 5], u[j, 6], boards=True)
            if by_o:
                lose = u[j, 8] < 0.4
                P[j] = np.where(lose, 1 - P[j], P[j])
                Z[j] = np.where(lose, 2 - Z[j], Z[j])
        # --- penalties: whistle, box, faceoff in the offender's zone
        for c, on_o_side in ((_C_PEN_O, True), (_C_PEN_P, False)):
            j = np.flatnonzero(cat == c)
            if not len(j):
                continue
            self._penalty(a, i, j, P, Z, sk_p, sk_o, on_o_side, gs, u, ev, side, p1, p2,
                          x, y, det, new_mode)
        # --- other stoppages
        j = np.flatnonzero(cat == _C_STOP)
        if len(j):
            k = i[j]
            ev[k] = _ET["stoppage"]
            kind = np.minimum((u[j, 4:5] > _STOP_P[None, :]).sum(axis=1), len(_STOP_P) - 1)
            det[k] = _D_STOP0 + kind
            zone_p = np.where(kind == 0, 0, np.where(kind == 1, 1, Z[j]))
            self.fo_zone[a[k]] = np.where(P[j] == 0, zone_p, 2 - zone_p)
            ice = kind == 0
            self.no_change[a[k[ice]], P[j][ice]] = True
            new_mode[k] = _FACEOFF
        self.poss[gi] = P
        self.zone[gi] = Z

    def _shot(self, a, i, j, P, Z, sk_p, sk_o, on_o, empty_net, adv, u, N,
              ev, side, p1, p2, x, y, det, new_mode):
        """A shot attempt: blocked, missed, saved or scored, located by the shooter's style."""
        cfg = self.cfg
        k = i[j]
        gi = a[k]
        shooter = _pick(self.w["shoot"], sk_p[j], u[j, 4])
        # location from the shooter's preferred distance and angle
        close = Z[j] == 2
        d = np.select([close, Z[j] == 1], [self.dist[shooter] * np.exp(0.35 * N[j, 0]),
                                           65.0 + 45.0 * u[j, 5]], 115.0 + 65.0 * u[j, 5])
        th = np.where(close, self.ang[shooter] + 22.0 * N[j, 1], 12.0 * N[j, 1])
        th = np.radians(np.clip(th, -80.0, 80.0))
        sx = np.clip(_GOAL_X - d * np.cos(th), np.where(close, 26.0, -98.0), 98.0)
        sy = np.clip(d * np.sin(th), -41.5, 41.5)
        dd = np.hypot(_GOAL_X - sx, sy)
        angle = np.degrees(np.arctan2(np.abs(sy), _GOAL_X - sx))
        # outcome
        blocked = u[j, 9] < np.clip(0.075 + 0.0045 * dd, 0.04, 0.5) * ~empty_net[j] * close
        missed = ~blocked & (u[j, 10] < np.clip(0.16 + 0.003 * dd - 0.05 * self.fin[shooter],
                                                0.05, 0.6))
        goalie = on_o[j, 6]
        logit = (cfg.goal_logit - 0.05 * (dd - 30.0) - 0.012 * angle
                 + 0.3 * self.fin[shooter] - 0.12 * self.gk[goalie]
                 + np.where(self.period[gi] >= 4, cfg.ot_goal_logit, 0.0))
        p_goal = np.where(goalie < 0, 1.0, _sigmoid(logit))  # on net + empty net = goal
        on_net = ~blocked & ~missed
        goal = on_net & (u[j, 11] < p_goal)
        saved = on_net & ~goal
        band = np.where(dd < 12, 0, np.where(dd < 35, 1, 2))
        stype = np.minimum((u[j, 12][:, None] > _SHOT_TYPE_P[band]).sum(axis=1),
                           len(_SHOT_TYPES) - 1)

        ev[k] = np.select([blocked, missed, goal], [_ET["blocked_shot"], _ET["missed_shot"],
                                                    _ET["goal"]], _ET["shot"])
        side[k] = np.where(blocked, 1 - P[j], P[j])
        blocker = _pick(self.w["block"], sk_o[j], u[j, 13])
        mates = np.where(sk_p[j] == shooter[:, None], -1, sk_p[j])
        assist = np.where(u[j, 14] < 0.9, _pick(self.w["assist"], mates, u[j, 15]), -1)
        p1[k] = np.where(blocked, blocker, shooter)
        p2[k] = np.select([blocked, goal, saved], [shooter, assist, goalie], -1)
        x[k] = np.where(blocked, -sx, sx)
        y[k] = np.where(blocked, -sy, sy)
        det[k] = np.where(blocked, -1, _D_SHOT0 + stype)

        # consequences: possession, freezes, score
        keep = np.select([blocked, missed, saved], [u[j, 16] < 0.45, u[j, 16] < 0.45,
                                                    u[j, 16] < 0.35], True)
        P[j] = np.where(keep, P[j], 1 - P[j])
        Z[j] = np.where(keep, Z[j], 2 - Z[j])
        freeze = saved & (u[j, 17] < cfg.freeze_prob)
        new_mode[k[freeze]] = _STOP
        self.stop_kind[gi[freeze]] = len(_STOPS) - 1
        if goal.any():
            g_rows = np.flatnonzero(goal)
            scorer_side = side[k[g_rows]]
            gg = gi[g_rows]
            self.score[gg, scorer_side] += 1
            new_mode[k[g_rows]] = np.where(self.period[gg] >= 4, _PEND, _FACEOFF)
            self.fo_zone[gg] = 3
            self.force[gg] = True
            # a power-play goal ends the opponent's earliest minor
            pp = adv[j][g_rows] > 0
            for g_, s_ in zip(gg[pp].tolist(), (1 - scorer_side[pp]).tolist(), strict=True):
                ends = np.where(self.pen_minor[g_, s_], self.pen_end[g_, s_], np.inf)
                slot = int(np.argmin(ends))
                if np.isfinite(ends[slot]):
                    self.pen_end[g_, s_, slot] = np.inf
                    self.pen_player[g_, s_, slot] = -1

    def _penalty(self, a, i, j, P, Z, sk_p, sk_o, on_o_side, gs, u, ev, side, p1, p2,
                 x, y, det, new_mode):
        """A penalty on P or O: the offender goes to the box, faceoff in his zone."""
        k = i[j]
        gi = a[k]
        off_side = 1 - P[j] if on_o_side else P[j]
        offenders, victims = (sk_o[j], sk_p[j]) if on_o_side else (sk_p[j], sk_o[j])
        who = _pick(self.w["pen"], offenders, u[j, 4])
        ev[k] = _ET["penalty"]
        side[k] = off_side
        p1[k] = who
        p2[k] = np.where(u[j, 18] < 0.85, _pick(self.w["one"], victims, u[j, 7]), -1)
        zz = Z[j] if not on_o_side else 2 - Z[j]
        x[k], y[k] = self._zone_xy(zz, u[j, 5], u[j, 6])
        body = u[j, 19] < _sigmoid(self.team_style["hitting"][who] - 1.0)
        kind = np.where(body, len(_PEN_STICK) + np.minimum(
            (u[j, 20][:, None] > _PEN_BODY_P).sum(axis=1), len(_PEN_BODY) - 1),
            np.minimum((u[j, 20][:, None] > _PEN_STICK_P).sum(axis=1), len(_PEN_STICK) - 1))
        share = np.cumsum(self.cfg.minor_share)
        length = np.minimum((u[j, 21][:, None] > share[None, :]).sum(axis=1), 2)
        det[k] = _D_PEN0 + 3 * kind + length
        for g_, s_, who_, t_, l_ in zip(gi.tolist(), off_side.tolist(), who.tolist(),
                                        gs[k].tolist(), length.tolist(), strict=True):
            slot = int(np.argmax(~np.isfinite(self.pen_end[g_, s_])))
            self.pen_end[g_, s_, slot] = t_ + _DURATIONS[l_]
            self.pen_player[g_, s_, slot] = who_
            self.pen_minor[g_, s_, slot] = l_ < 2
        self.fo_zone[gi] = np.where(off_side == 0, 0, 2)
        self.force[gi] = True
        new_mode[k] = _FACEOFF


# ----------------------------------------------------------------------------- tables
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


def _build_tables(league: _League, cfg: LeagueConfig, home, away, day, lineups,
                  engine: _Engine, rng: np.random.Generator) -> Ingested:
    """Canonical events, games, rosters and the players table from the engine's records."""
    rec = {k: np.concatenate([r[k] for r in engine.records]) for k in engine.records[0]}
    order = np.argsort(rec["game"], kind="stable")
    rec = {k: v[order] for k, v in rec.items()}
    game = rec["game"]
    n_games = len(home)
    counts = np.bincount(game, minlength=n_games)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    event_idx = np.arange(len(game)) - np.repeat(starts, counts)

    start = dt.date.fromisoformat(cfg.season_start)
    season = f"{start.year}{start.year + 1}" if start.month >= 7 else \
        f"{start.year - 1}{start.year}"
    game_ids = [f"{cfg.league}-{g + 1:06d}" for g in range(n_games)]
    days = np.asarray(day, dtype=np.int32) + np.int32((start - dt.date(1970, 1, 1)).days)
    dates = pa.array(days, pa.date32())

    side = rec["side"]
    has = side >= 0
    acting_home = side == 0
    teams_idx = np.stack([home[game], away[game]], axis=1)
    team = np.where(has, teams_idx[np.arange(len(game)), np.maximum(side, 0)], -1)
    opp = np.where(has, teams_idx[np.arange(len(game)), 1 - np.maximum(side, 0)], -1)
    s = np.maximum(side, 0)
    rr = np.arange(len(game))
    gf, ga = rec["score"][rr, s], rec["score"][rr, 1 - s]
    skf, ska = rec["sk"][rr, s], rec["sk"][rr, 1 - s]
    mask = ~has
    period = rec["period"]
    game_seconds = np.minimum(period - 1, 3) * cfg.period_s + rec["pclock"]
    ev_names = list(schema.EVENT_TYPES)
    x, y = rec["x"], rec["y"]
    events = pa.table({
        "game_id": _strings(game, game_ids),
        "league": pa.array(np.full(len(game), cfg.league, dtype=object), pa.string()),
        "season": pa.array(np.full(len(game), season, dtype=object), pa.string()),
        "game_date": dates.take(pa.array(game)),
        "event_idx": pa.array(event_idx.astype(np.int32)),
        "period": pa.array(period.astype(np.int8)),
        "period_seconds": pa.array(rec["pclock"].astype(np.float32)),
        "game_seconds": pa.array(game_seconds.astype(np.float32)),
        "event_type": _strings(rec["ev"], ev_names),
        "source_event_type": _strings(rec["ev"], ev_names),
        "team": _strings(team, league.teams),
        "opponent": _strings(opp, league.teams),
        "is_home": pa.array(acting_home, mask=mask),
        "player_id": _strings(rec["p1"], league.ids),
        "player_name": _strings(rec["p1"], league.names),
        "player2_id": _strings(rec["p2"], league.ids),
        "player2_name": _strings(rec["p2"], league.names),
        "x": pa.array(x.astype(np.float32), mask=np.isnan(x)),
        "y": pa.array(y.astype(np.float32), mask=np.isnan(y)),
        "goals_for": pa.array(gf.astype(np.int16), mask=mask),
        "goals_against": pa.array(ga.astype(np.int16), mask=mask),
        "skaters_for": pa.array(skf.astype(np.int8), mask=mask),
        "skaters_against": pa.array(ska.astype(np.int8), mask=mask),
        "detail": _strings(rec["det"], _DETAILS),
        "on_ice_for": _id_lists(rec["onice"][rr, s], has, league.ids),
        "on_ice_against": _id_lists(rec["onice"][rr, 1 - s], has, league.ids),
    }, schema=schema.EVENTS)

    # games: final score, a shootout adds one goal to its winner
    hg, ag = engine.score[:, 0].copy(), engine.score[:, 1].copy()
    tied = hg == ag
    st = league.styles
    fin = np.nan_to_num(st["finishing"], nan=0.0)
    gk = np.nan_to_num(st["goaltending"], nan=0.0)
    top_c = lineups.fwd[:, :, 0, 0]
    edge = 0.4 * (fin[top_c[:, 0]] - fin[top_c[:, 1]]) \
        + 0.4 * (gk[lineups.goalie[:, 0]] - gk[lineups.goalie[:, 1]])
    so_home = rng.random(n_games) < _sigmoid(edge)
    hg = hg + (tied & so_home)
    ag = ag + (tied & ~so_home)
    decided = np.where(tied, 2, np.where(engine.ot_winner, 1, 0))
    games = pa.table({
        "game_id": pa.array(game_ids, pa.string()),
        "league": pa.array([cfg.league] * n_games, pa.string()),
        "season": pa.array([season] * n_games, pa.string()),
        "game_date": dates,
        "home_team": _strings(home, league.teams),
        "away_team": _strings(away, league.teams),
        "home_goals": pa.array(hg.astype(np.int16)),
        "away_goals": pa.array(ag.astype(np.int16)),
        "winner": _strings((ag > hg).astype(int), ["home", "away"]),
        "decided_in": _strings(decided, list(schema.OUTCOMES)),
    }, schema=schema.GAMES)

    # rosters: the 20 dressed players of each team-game
    dressed = np.concatenate([
        lineups.fwd.reshape(n_games, 2, 12), lineups.dmen.reshape(n_games, 2, 6),
        lineups.goalie[..., None], lineups.backup[..., None]], axis=2)  # (g, 2, 20)
    r_game = np.repeat(np.arange(n_games), 40)
    r_player = dressed.reshape(-1)
    r_team = league.team_of[r_player]
    roster = pa.table({
        "game_id": _strings(r_game, game_ids),
        "team": _strings(r_team, league.teams),
        "player_id": _strings(r_player, league.ids),
        "player_name": _strings(r_player, league.names),
        "position": _strings(league.position[r_player], _POSITIONS),
    }, schema=schema.ROSTERS)
    roster = roster.sort_by([("game_id", "ascending"), ("team", "ascending"),
                             ("player_id", "ascending")])

    n_players = len(league.ids)
    players = pa.table({
        "player_id": pa.array(league.ids, pa.string()),
        "player_name": pa.array(league.names, pa.string()),
        "team": _strings(league.team_of, league.teams),
        "position": _strings(league.position, _POSITIONS),
        **{k: pa.array(league.styles[k].astype(np.float64)) for k in STYLE_COLUMNS},
    })
    assert players.num_rows == n_players
    return Ingested(events=events, games=games, rosters=roster, players=players,
                    files_read=0)


# ----------------------------------------------------------------------------- entry point
def simulate_league(
    n_teams: int | None = None,
    games: int | None = None,
    seed: int | None = None,
    config: LeagueConfig | None = None,
) -> Ingested:
    """Simulate one regular season; the same arguments always give identical tables.

    Parameters
    ----------
    n_teams, games, seed
        Teams in the league (even), games per team, random seed; each overrides the
        matching field of `config` (`n_teams`, `games_per_team`, `seed`) when given.
    config
        Everything else (defaults: `LeagueConfig()`, an NHL-like 32-team, 82-game season).

    Returns
    -------
    Ingested with `events`, `games`, `rosters` (canonical schemas) and `players` (ids,
    names, team, position and the true styles in STYLE_COLUMNS).
    """
    cfg = dataclasses.replace(config or LeagueConfig())
    if n_teams is not None:
        cfg.n_teams = n_teams
    if games is not None:
        cfg.games_per_team = games
    if seed is not None:
        cfg.seed = seed
    if cfg.n_teams < 2 or cfg.n_teams % 2:
        raise ValueError(f"n_teams must be an even number >= 2, got {cfg.n_teams}")
    if cfg.games_per_team < 1:
        raise ValueError(f"games (per team) must be >= 1, got {cfg.games_per_team}")
    if len(cfg.line_weights) != 4 or len(cfg.pair_weights) != 3:
        raise ValueError("line_weights needs 4 values and pair_weights 3")
    rng = np.random.default_rng(cfg.seed)
    league = _make_league(cfg, rng)
    home, away, day = _make_schedule(cfg, rng)
    lineups = _make_lineups(league, home, away, cfg, rng)
    engine = _Engine(league, lineups, cfg, rng)
    steps = 0
    while engine.step():
        steps += 1
        if steps > 5000:  # a game never needs this many events; guards an endless loop
            raise RuntimeError("simulation did not finish; check the LeagueConfig rates")
    log.debug("simulated %d games in %d steps", len(home), steps)
    return _build_tables(league, cfg, home, away, day, lineups, engine, rng)

"""Teams and players with their true styles, and who dresses in each game (lineups)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hockey_vae.simulate.config import STYLE_COLUMNS, LeagueConfig
from hockey_vae.simulate.constants import POS_C, POS_D, POS_G, POS_LW, POS_RW
from hockey_vae.simulate.schedule import Schedule

__all__ = ["League", "Lineups", "make_league", "make_lineups"]


@dataclass
class League:
    """Teams and players: codes, ids, names, positions and true styles."""

    teams: list[str]
    team_of: np.ndarray  # (n_players,) team index
    position: np.ndarray  # (n_players,) position code
    ids: list[str]
    names: list[str]
    styles: dict[str, np.ndarray]  # STYLE_COLUMNS -> (n_players,) float, NaN where unused
    by_team_pos: list[list[np.ndarray]]  # [team][position] -> player indices


TEAM_CODES = (
    "ANC", "BAL", "BIR", "BOI", "CHA", "CIN", "CLE", "DES", "ELP", "FRE", "HAL", "HON",
    "IND", "JAX", "KCY", "LIN", "MEM", "MIL", "NOR", "OKC", "OMA", "POR", "PRO", "QUE",
    "REG", "RIC", "SAC", "SAL", "SPO", "TUC", "TUL", "WIC",
)
FIRST = (
    "Adam", "Ben", "Carl", "Dan", "Eli", "Finn", "Gus", "Hugo", "Ivan", "Jack", "Kai", "Leo",
    "Max", "Nils", "Owen", "Paul", "Quinn", "Rob", "Sam", "Tom", "Uli", "Vic", "Will", "Xavi",
    "Yan", "Zack", "Anton", "Bo", "Cole", "Dmitri", "Erik", "Felix", "Gabe", "Henrik", "Igor",
    "Jonas", "Kyle", "Lars", "Mats", "Noah",
)
LAST = (
    "Andersson", "Bergeron", "Carlsson", "Dubois", "Eriksson", "Fournier", "Gagnon",
    "Holm", "Ivanov", "Jensen", "Kowalski", "Lindqvist", "Martin", "Novak", "Olsen",
    "Petrov", "Quist", "Roy", "Smirnov", "Tremblay", "Urban", "Virtanen", "Walsh", "Young",
    "Zetterberg", "Bauer", "Chen", "Doyle", "Engel", "Fischer", "Grant", "Hughes", "Kane",
    "Larsen", "Moore", "Nash", "O'Brien", "Price", "Reid", "Stone", "Turner", "Weber",
    "Koivu", "Laine", "Makar", "Niemi", "Pavel", "Rask", "Sedin", "Toews",
)


def _positions(cfg: LeagueConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Team index and position code of every player, team by team (extra forwards at random)."""
    team_of, position = [], []
    for t in range(cfg.n_teams):
        extra = np.bincount(rng.integers(0, 3, cfg.extra_forwards), minlength=3)
        counts = (4 + extra[0], 4 + extra[1], 4 + extra[2], 6 + cfg.extra_defence, 2)
        for pos, k in enumerate(counts):
            team_of += [t] * int(k)
            position += [pos] * int(k)
    return np.array(team_of), np.array(position)


def _styles(position: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """True styles from standard normals `z` (n, 12); NaN where a style has no effect."""
    is_g, is_d = position == POS_G, position == POS_D
    is_f = ~is_g & ~is_d
    skill = z[:, 0]
    styles = {
        "skill": skill,
        "shooting": z[:, 1],
        "finishing": 0.5 * skill + 0.87 * z[:, 2],
        "shot_distance": np.clip(np.where(is_d, 54.0 + 5.0 * z[:, 3],
                                          np.where(position == POS_C, 27.0, 31.0)
                                          + 6.0 * z[:, 3]),
                                 12.0, 68.0),
        "shot_angle": np.select(
            [position == POS_LW, position == POS_RW, position == POS_C],
            [12.0 + 8.0 * z[:, 4], -12.0 - 8.0 * z[:, 4], 8.0 * z[:, 4]],
            np.sign(z[:, 5]) * (16.0 + 6.0 * z[:, 4]),  # defencemen: left or right point
        ),
        "passing": 0.4 * skill + 0.92 * z[:, 6],
        "hitting": z[:, 7],
        "faceoff": np.where(position == POS_C, z[:, 8], -1.0 + 0.7 * z[:, 8]),
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
    return styles


def make_league(cfg: LeagueConfig, rng: np.random.Generator) -> League:
    """Players for every team, with positions, names, ids and true styles."""
    teams = list(TEAM_CODES[: cfg.n_teams]) + [f"T{i:02d}" for i in range(32, cfg.n_teams)]
    team_of, position = _positions(cfg, rng)
    n = len(team_of)
    styles = _styles(position, rng.standard_normal((n, 12)))
    pairs = len(FIRST) * len(LAST)
    pick = rng.choice(pairs, size=n, replace=n > pairs)
    names = [f"{FIRST[i // len(LAST)]} {LAST[i % len(LAST)]}" for i in pick.tolist()]
    ids = [cfg.player_id(i) for i in range(n)]
    by_team_pos = [[np.flatnonzero((team_of == t) & (position == p)) for p in range(5)]
                   for t in range(cfg.n_teams)]
    return League(teams, team_of, position, ids, names, styles, by_team_pos)


@dataclass
class Lineups:
    """Who dressed in each game and the line/pair combinations (side 0 = home)."""

    fwd: np.ndarray  # (n_games, 2, 4, 3) line -> [C, W1, W2] (wingers in random order)
    dmen: np.ndarray  # (n_games, 2, 3, 2) pair -> [D1, D2]
    goalie: np.ndarray  # (n_games, 2) starting goalie
    backup: np.ndarray  # (n_games, 2) dressed backup goalie


def make_lineups(league: League, schedule: Schedule, cfg: LeagueConfig,
                 rng: np.random.Generator) -> Lineups:
    """Dress 12 F, 6 D, 2 G per team-game by a noisy depth chart; build lines from it."""
    home, away = schedule.home, schedule.away
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
            for pos, need in ((POS_C, 4), (POS_LW, 4), (POS_RW, 4), (POS_D, 6)):
                players = league.by_team_pos[t][pos]
                score = skill[players][None, :] + cfg.depth_noise * rng.standard_normal(
                    (k, len(players)))
                top = players[np.argsort(-score, axis=1)[:, :need]]  # best first
                if pos == POS_D:
                    dmen[games, side] = top.reshape(k, 3, 2)
                else:
                    fwd[games, side, :, pos] = top
            gk = league.by_team_pos[t][POS_G]
            gk = gk[np.argsort(-np.nan_to_num(league.styles["goaltending"][gk]))]  # starter first
            starter = rng.random(k) < cfg.starter_share
            goalie[games, side] = np.where(starter, gk[0], gk[1])
            backup[games, side] = np.where(starter, gk[1], gk[0])
    swap = rng.random((g, 2)) < 0.5  # which winger sits first when a team is short-handed
    w1 = np.where(swap[..., None], fwd[..., 2], fwd[..., 1])
    w2 = np.where(swap[..., None], fwd[..., 1], fwd[..., 2])
    fwd[..., 1], fwd[..., 2] = w1, w2
    return Lineups(fwd, dmen, goalie, backup)

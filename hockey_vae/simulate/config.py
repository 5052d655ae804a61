"""What shapes a simulated season (`LeagueConfig`) and the true style columns of its players."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_LEAGUE", "STYLE_COLUMNS", "LeagueConfig"]

DEFAULT_LEAGUE = "SIM"  # the league whose player ids carry no league prefix (S00000)

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
    # `league` column and id prefix: game ids NAME-000001; player ids S00000 for the default
    # league, NAME-S00000 for any other, so two leagues with different names share no ids
    league: str = DEFAULT_LEAGUE
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

    def validate(self) -> None:
        """Raise ValueError naming the field when a value cannot give a season."""
        if self.n_teams < 2 or self.n_teams % 2:
            raise ValueError(f"n_teams must be an even number >= 2, got {self.n_teams}")
        if self.games_per_team < 1:
            raise ValueError(f"games (per team) must be >= 1, got {self.games_per_team}")
        if len(self.line_weights) != 4 or len(self.pair_weights) != 3:
            raise ValueError("line_weights needs 4 values and pair_weights 3")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.league):
            raise ValueError(f"league must be letters, digits, '_' or '-' (it prefixes game and "
                             f"player ids), got {self.league!r}")

    def game_id(self, game: int) -> str:
        """The id of game number `game` (0-based, in date order): LEAGUE-000001."""
        return f"{self.league}-{game + 1:06d}"

    def player_id(self, player: int) -> str:
        """The id of player number `player`: S00000 in the default league, LEAGUE-S00000 else."""
        prefix = "" if self.league == DEFAULT_LEAGUE else f"{self.league}-"
        return f"{prefix}S{player:05d}"

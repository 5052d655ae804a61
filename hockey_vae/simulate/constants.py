"""Fixed vocabularies, event rates and rink geometry of the simulator (no tunable knobs here)."""

from __future__ import annotations

import numpy as np

from hockey_vae import schema

ET = {name: i for i, name in enumerate(schema.EVENT_TYPES)}  # event type -> code
SHOT_TYPES = ("wrist", "snap", "slap", "backhand", "tip-in", "deflected", "wrap-around")
SHOT_TYPE_P = np.array([  # rows: distance < 12 ft, 12-35 ft, > 35 ft
    [0.22, 0.05, 0.00, 0.25, 0.30, 0.10, 0.08],
    [0.55, 0.20, 0.05, 0.12, 0.06, 0.02, 0.00],
    [0.45, 0.17, 0.33, 0.03, 0.00, 0.02, 0.00],
]).cumsum(axis=1)
PEN_STICK = ("hooking", "holding", "tripping", "slashing", "high-sticking", "delay of game")
PEN_BODY = ("roughing", "interference", "cross-checking", "boarding")
PEN_STICK_P = np.array([0.22, 0.20, 0.26, 0.14, 0.12, 0.06]).cumsum()
PEN_BODY_P = np.array([0.35, 0.30, 0.22, 0.13]).cumsum()
STOPS = ("icing", "offside", "puck out of play", "puck frozen", "goalie stopped")
STOP_P = np.array([0.32, 0.30, 0.24, 0.14]).cumsum()
DURATIONS = (120.0, 240.0, 300.0)
DETAILS: tuple[str, ...] = (
    SHOT_TYPES
    + tuple(f"{p} ({m} min)" for p in PEN_STICK + PEN_BODY for m in (2, 4, 5))
    + STOPS
)
D_SHOT0 = 0
D_PEN0 = len(SHOT_TYPES)
D_STOP0 = D_PEN0 + 3 * (len(PEN_STICK) + len(PEN_BODY))

POSITIONS = ("C", "LW", "RW", "D", "G")
POS_C, POS_LW, POS_RW, POS_D, POS_G = range(5)  # codes into POSITIONS

# game modes (what the next step emits) and in-play event categories
INPLAY, FACEOFF, PSTART, STOP, PEND, DONE = range(6)
C_SHOT, C_GIVE, C_TAKE, C_HIT_O, C_HIT_P, C_PEN_O, C_PEN_P, C_STOP = range(8)
# Relative rates of the next in-play event given the zone of the team with the puck (P);
# O is the other team. Tuned so a game has NHL-like counts (see benchmarks/simulate.py).
CAT_BASE = np.array([
    # shot   give   take   hitO   hitP   penO    penP    stop
    [0.000, 0.045, 0.030, 0.090, 0.021, 0.0090, 0.0052, 0.050],  # P in its defensive zone
    [0.005, 0.038, 0.030, 0.049, 0.021, 0.0075, 0.0045, 0.060],  # neutral zone
    [1.200, 0.023, 0.023, 0.070, 0.014, 0.0090, 0.0045, 0.023],  # P in its offensive zone
])
ZONE_ADV = np.array([0.75, 0.75, 0.0])  # silent move up ice, by zone
ZONE_RET = np.array([0.0, 0.12, 0.16])  # silent move back
FLIP_BASE = 0.12  # silent possession change per in-play step
ZONE_X = np.array([[-97.0, -26.0], [-24.0, 24.0], [26.0, 97.0]])  # x range per zone
GOAL_X = 89.0  # goal line, feet from centre
FO_X = np.array([-69.0, 20.0, 69.0, 0.0])  # faceoff dot x by zone code (home view); 3 = centre
NU = 24  # uniforms drawn per game per step
NN = 4  # normals drawn per game per step

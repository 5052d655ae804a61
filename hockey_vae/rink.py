"""A simple NHL rink drawn with matplotlib patches, in the canonical event coordinates.

Feet from centre ice: x along the rink in [-100, 100], y across it in [-42.5, 42.5]. The
maintained `hockey-rink` library was tried first: its rinks fetch an ice image over the
network when built, so it does not run offline and is not used.
"""

from __future__ import annotations

from typing import Any

from hockey_vae.schema import RINK_HALF_LENGTH_FT, RINK_HALF_WIDTH_FT

__all__ = ["draw_rink", "CORNER_RADIUS_FT", "GOAL_LINE_FT", "BLUE_LINE_FT"]

CORNER_RADIUS_FT = 28.0
GOAL_LINE_FT = 89.0
BLUE_LINE_FT = 25.0
_FACEOFF_X, _FACEOFF_Y, _CIRCLE_R = 69.0, 22.0, 15.0
_NEUTRAL_DOT_X = 20.0


def draw_rink(ax: Any, *, half: bool = False) -> Any:
    """Draw the boards, lines, circles, creases and nets on `ax`; return `ax`.

    With `half`, only the attacking half (x >= 0) is shown, where a team's shots land once
    rotated to attack toward +x.
    """
    from matplotlib.patches import Arc, Circle, FancyBboxPatch, Rectangle, Wedge

    L, W, r = RINK_HALF_LENGTH_FT, RINK_HALF_WIDTH_FT, CORNER_RADIUS_FT
    line = {"zorder": 1, "fill": False}
    ax.add_patch(FancyBboxPatch((-L + r, -W + r), 2 * (L - r), 2 * (W - r),
                                boxstyle=f"round,pad={r}", ec="black", lw=1.5, fc="white",
                                zorder=0))
    ax.axvline(0, color="#c8102e", lw=2, zorder=1)
    for sign in (-1, 1):
        ax.axvline(sign * BLUE_LINE_FT, color="#0033a0", lw=2.5, zorder=1)
        goal_y = W - r + (r ** 2 - (GOAL_LINE_FT - (L - r)) ** 2) ** 0.5
        ax.plot([sign * GOAL_LINE_FT] * 2, [-goal_y, goal_y], color="#c8102e", lw=1, zorder=1)
        ax.add_patch(Wedge((sign * GOAL_LINE_FT, 0), 6, 90 if sign > 0 else -90,
                           270 if sign > 0 else 90, fc="#a7c7e7", ec="#c8102e", zorder=1))
        ax.add_patch(Rectangle((sign * GOAL_LINE_FT + (0 if sign > 0 else -3.3), -3), 3.3, 6,
                               ec="#c8102e", lw=1, **line))
        for y in (-1, 1):
            ax.add_patch(Circle((sign * _FACEOFF_X, y * _FACEOFF_Y), _CIRCLE_R, ec="#c8102e",
                                lw=1, **line))
            for x in (_FACEOFF_X, _NEUTRAL_DOT_X):
                ax.add_patch(Circle((sign * x, y * _FACEOFF_Y), 1.0, color="#c8102e",
                                    zorder=1))
    ax.add_patch(Circle((0, 0), _CIRCLE_R, ec="#0033a0", lw=1, **line))
    ax.add_patch(Arc((0, -W), 20, 20, theta1=0, theta2=180, ec="#c8102e", lw=1, zorder=1))
    ax.set_xlim((0 if half else -L) - 2, L + 2)
    ax.set_ylim(-W - 2, W + 2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax

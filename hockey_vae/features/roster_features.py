"""Per-candidate features: what the game so far says about each player of the acting
team's roster, for every target event.

Two kinds of column. History columns read only events *before* t (a player appears in an
earlier event as its acting or secondary player; with `on_ice_history`, also in earlier
events' on-ice lists): they are player history, like the LSTM's previous-player input, so a
model without history gets zeros there. Lineup columns read event t's own on-ice list: the
lineup is known before the event happens (shift charts), like the manpower count, so it is
context, not history, and it never says which of the skaters acts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ROSTER_FEATURES", "N_ROSTER_FEATURES", "HISTORY_COLUMNS", "LINEUP_COLUMNS",
           "roster_features", "explode"]

# Column order of the (E, W, N_ROSTER_FEATURES) array; never-seen players get zeros except
# `not_seen_yet`, and a column whose flag is off is all zeros.
ROSTER_FEATURES: tuple[str, ...] = (
    "log_seconds_since_seen",  # log1p(seconds since the player last appeared)
    "not_seen_yet",  # the player has not appeared in this game yet
    "log_times_seen",  # log1p(appearances so far)
    "log_events_since_seen",  # log1p(events since the last appearance)
    "seen_this_period",  # the last appearance was in the current period
    "on_ice_at_last_list",  # on_ice_history: on the ice at the latest earlier listed event
    "log_seconds_since_on_ice",  # on_ice_history: log1p(seconds since last listed on ice)
    "on_ice_now",  # lineup: on the acting team's on-ice list of event t itself
    "lineup_listed",  # lineup: event t has such a list
)
N_ROSTER_FEATURES = len(ROSTER_FEATURES)
HISTORY_COLUMNS = tuple(range(7))  # read earlier events (player history)
LINEUP_COLUMNS = (7, 8)  # read event t's own on-ice list (current context)


def roster_features(ev: pd.DataFrame, offsets: np.ndarray, roster_row: np.ndarray,
                    roster_raw: list[list[str]], target: np.ndarray, *, history: bool,
                    on_ice_history: bool, lineup: bool) -> np.ndarray:
    """(E, W, N_ROSTER_FEATURES) float32 for the target events of `ev` (W = longest roster),
    slots in roster order; the columns of ROSTER_FEATURES whose flag is on, zeros elsewhere.

    `ev` is sorted by game (game g spans offsets[g]:offsets[g+1]); `roster_row` (E,) the row
    of `roster_raw` (raw player ids) of each event's acting team, -1 when none.
    """
    n = len(ev)
    width = max((len(r) for r in roster_raw), default=1)
    out = np.zeros((n, width, N_ROSTER_FEATURES), np.float32)
    rows = np.flatnonzero(target & (roster_row >= 0))
    if len(rows) == 0 or not (history or lineup):
        return out
    game = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    index, qi, qc, qs = _queries(roster_raw, roster_row, rows, width)

    def column(name: str) -> np.ndarray:
        return ev[name].to_numpy(dtype=object) if name in ev.columns \
            else np.full(n, None, dtype=object)

    gsec = ev["game_seconds"].to_numpy(dtype=np.float64, na_value=0.0)
    f = out[qi, qs]  # (Q, N_ROSTER_FEATURES) copy, written back below
    if history:
        period = ev["period"].to_numpy(dtype=np.float64, na_value=1.0)
        acting = np.arange(n)
        appear_code = index.get_indexer(np.concatenate([column("player_id"),
                                                        column("player2_id")]))
        last, count = _last_before(np.concatenate([acting, acting]), appear_code, game, qi, qc,
                                   len(index))
        ok = last >= 0
        j = np.where(ok, last, 0)
        f[:, 0] = np.where(ok, np.log1p(np.maximum(gsec[qi] - gsec[j], 0.0)), 0.0)
        f[:, 1] = ~ok
        f[:, 2] = np.where(ok, np.log1p(count), 0.0)
        f[:, 3] = np.where(ok, np.log1p(qi - j), 0.0)
        f[:, 4] = ok & (period[j] == period[qi])
    if (history and on_ice_history) or lineup:
        pos_for, ids_for = explode(column("on_ice_for"))
        code_for = index.get_indexer(ids_for)
    if history and on_ice_history:
        pos_against, ids_against = explode(column("on_ice_against"))
        pos = np.concatenate([pos_for, pos_against])
        code = np.concatenate([code_for, index.get_indexer(ids_against)])
        f[:, 5:7] = _on_ice_history(pos, code, game, offsets, gsec, qi, qc, len(index))
    if lineup:
        f[:, 7:9] = _lineup(pos_for, code_for, n, qi, qc, len(index))
    out[qi, qs] = f
    return out


def _queries(roster_raw: list[list[str]], roster_row: np.ndarray, rows: np.ndarray,
             width: int) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes for the roster players (any other id gets -1) and one query per
    (target event qi, roster player code qc, roster slot qs)."""
    lengths = np.array([len(r) for r in roster_raw], dtype=np.int64)
    flat = np.concatenate([np.asarray(r, dtype=object) for r in roster_raw]) \
        if lengths.sum() else np.zeros(0, dtype=object)
    index = pd.Index(pd.unique(flat))
    slot_codes = np.full((len(roster_raw), width), -1, dtype=np.int64)
    slot_codes[np.repeat(np.arange(len(roster_raw)), lengths),
               np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = \
        index.get_indexer(flat)
    qi = np.repeat(rows, width)
    qc = slot_codes[roster_row[rows]].ravel()
    qs = np.tile(np.arange(width), len(rows))
    keep = qc >= 0
    return index, qi[keep], qc[keep], qs[keep]


def _on_ice_history(pos: np.ndarray, code: np.ndarray, game: np.ndarray, offsets: np.ndarray,
                    gsec: np.ndarray, qi: np.ndarray, qc: np.ndarray,
                    n_codes: int) -> np.ndarray:
    """(Q, 2): on the ice at the latest earlier listed event of the game, and log1p(seconds
    since last listed on the ice), from (event, player code) on-ice pairs (either team)."""
    n = len(game)
    k, _ = _last_before(pos, code, game, qi, qc, n_codes)
    has_list = np.zeros(n, bool)
    has_list[pos] = True
    latest = np.maximum.accumulate(np.where(has_list, np.arange(n), -1))
    before = np.concatenate([[-1], latest[:-1]])[qi]  # latest listed event < t
    before = np.where(before >= offsets[game[qi]], before, -1)  # in the same game
    kk = np.where(k >= 0, k, 0)
    return np.stack([(k >= 0) & (k == before),
                     np.where(k >= 0, np.log1p(np.maximum(gsec[qi] - gsec[kk], 0.0)), 0.0)], 1)


def _lineup(pos_for: np.ndarray, code_for: np.ndarray, n: int, qi: np.ndarray, qc: np.ndarray,
            n_codes: int) -> np.ndarray:
    """(Q, 2): the player is on the acting team's list of event qi; event qi has a list."""
    now_listed = np.zeros(n, bool)
    now_listed[pos_for] = True
    listed = code_for >= 0
    pairs = np.unique(pos_for[listed] * n_codes + code_for[listed])
    query = qi * n_codes + qc
    at = np.minimum(np.searchsorted(pairs, query), max(len(pairs) - 1, 0))
    on = (pairs[at] == query) if len(pairs) else np.zeros(len(qi), bool)
    return np.stack([on, now_listed[qi]], 1)


def _last_before(pos: np.ndarray, code: np.ndarray, game: np.ndarray, qi: np.ndarray,
                 qc: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    """For each query (event qi, player code qc): the latest event before qi, in the same
    game, in which the player appears (-1 if none), and in how many such events it does.

    Appearances are (event position, player code) pairs, code -1 ignored. One sort and two
    binary searches replace a per-game scan over events.
    """
    n = len(game)
    ok = code >= 0
    keys = np.unique((game[pos[ok]] * n_codes + code[ok]) * n + pos[ok])  # dedupes per event
    base = (game[qi] * n_codes + qc) * n
    lo = np.searchsorted(keys, base)
    hi = np.searchsorted(keys, base + qi)  # appearances strictly before qi
    count = hi - lo
    last = np.where(count > 0, keys[np.maximum(hi - 1, 0)] - base, -1) if len(keys) \
        else np.full(len(qi), -1)
    return last, count


def explode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, id) pairs of a column of id lists; None, NaN and empty rows give none."""
    lengths = np.fromiter((0 if v is None or isinstance(v, float) else len(v) for v in values),
                          dtype=np.int64, count=len(values))
    if not lengths.any():
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    flat = np.concatenate([np.asarray(v, dtype=object) for v in values[lengths > 0]])
    return np.repeat(np.arange(len(values)), lengths), flat

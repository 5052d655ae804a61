"""The simulator's output is pinned: refactors must reproduce these tables bit for bit.

Each case hashes every column of the four tables (values, nulls, types) of a small league;
the digests were recorded from the single-module simulator before it was split into a
package, so any change of RNG call order or arithmetic shows up here.

The digests also pin numpy's random streams and float functions (exp, log, trig). If a
numpy upgrade alone breaks this test, check that the simulator is unchanged, print the new
digests with `python tests/simulate/test_simulate_fingerprint.py` and say why in the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pyarrow as pa
import pytest

from hockey_vae.simulate import LeagueConfig, simulate_league
from hockey_vae.sources.base import Ingested
from hockey_vae.sources.normalise import EXTRA_COLUMNS


def table_digest(table: pa.Table) -> str:
    """SHA-256 over each column's name, type and Python values (nulls, NaN, exact floats)."""
    h = hashlib.sha256()
    for field in table.schema:
        h.update(f"{field.name}:{field.type}:{field.nullable}".encode())
        h.update(repr(table.column(field.name).to_pylist()).encode())
    return h.hexdigest()[:16]


CASES = {
    "4x4 seed 3": (dict(n_teams=4, games=4, seed=3), None),
    "6x10 seed 11": (dict(n_teams=6, games=10, seed=11), None),
    "34x2 seed 1": (dict(n_teams=34, games=2, seed=1), None),  # team codes beyond the 32 names
    "4x6 seed 5 custom": (dict(n_teams=4, games=6, seed=5),
                          LeagueConfig(style_strength=0.5, depth_noise=1.2, home_edge=0.3,
                                       pull_goalie_s=200.0, extra_forwards=4)),
}

EXPECTED: dict[str, dict[str, object]] = {
    "4x4 seed 3": {
        "events": "e71de9feff627188", "games": "bf5b6525364f9899",
        "rosters": "02598f281f758223", "players": "e324cea6b299c7a7",
        "n_events": 2692, "n_goals": 37,
    },
    "6x10 seed 11": {
        "events": "01923e9db120e31c", "games": "62edff795b6036b9",
        "rosters": "90b1c8a5c990b92f", "players": "417b3ed97a5c7b66",
        "n_events": 9595, "n_goals": 203,
    },
    "34x2 seed 1": {
        "events": "8adb0e7bd73db576", "games": "732edf12eb79b676",
        "rosters": "3ce4d0086a91f6dd", "players": "e261fa7d1e75e3ab",
        "n_events": 10853, "n_goals": 206,
    },
    "4x6 seed 5 custom": {
        "events": "d52a064683916ebc", "games": "e8972c44ec9ba524",
        "rosters": "ad13aebda29ce895", "players": "bf15d0c8be4e46dc",
        "n_events": 3854, "n_goals": 79,
    },
}


def fingerprint(case: str, simulate: Callable[..., Ingested] = simulate_league) -> dict:
    """Digests of the four tables and two counts for one of the CASES."""
    kwargs, config = CASES[case]
    league = simulate(**kwargs, config=config)
    # the columns `sources.normalise` derives from the pinned ones (source ids, source names)
    extra = {f.name for fields in EXTRA_COLUMNS.values() for f in fields}
    got: dict[str, object] = {
        name: table_digest(getattr(league, name).drop_columns(
            [c for c in getattr(league, name).column_names if c in extra]))
        for name in ("events", "games", "rosters", "players")}
    got["n_events"] = league.events.num_rows
    got["n_goals"] = int(sum(t == "goal" for t in league.events.column("event_type").to_pylist()))
    return got


@pytest.mark.parametrize("case", sorted(CASES))
def test_simulated_tables_match_the_recorded_fingerprint(case):
    assert fingerprint(case) == EXPECTED[case]


if __name__ == "__main__":
    for name in CASES:
        print(f"{name!r}: {fingerprint(name)!r},")

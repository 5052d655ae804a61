"""The simulator's output is pinned: refactors must reproduce these tables bit for bit.

Each case hashes every column of the four tables (values, nulls, types) of a small league;
the digests were recorded from the single-module simulator before it was split into a
package, so any change of RNG call order or arithmetic shows up here.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from hockey_vae.simulate import LeagueConfig, simulate_league


def table_digest(table: pa.Table) -> str:
    """SHA-256 over the schema and each column's Python values (NaN/null aware, exact floats)."""
    h = hashlib.sha256(str(table.schema).encode())
    for name in table.column_names:
        h.update(name.encode())
        h.update(repr(table.column(name).to_pylist()).encode())
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
    "34x2 seed 1": {
        "events": "ae9e42e1e21afd5d", "games": "b2bb964e8b3260f6",
        "rosters": "fd59806dd3aa548a", "players": "07a0e3b6a4d5cdc7",
        "n_events": 10853, "n_goals": 206,
    },
    "4x4 seed 3": {
        "events": "ba88f84217db067a", "games": "04c07ea15f3d998b",
        "rosters": "b73f40aaf81b9d87", "players": "7bafe5c7f30d80d4",
        "n_events": 2692, "n_goals": 37,
    },
    "4x6 seed 5 custom": {
        "events": "9785716eab2c302f", "games": "635f5414bd8d2c04",
        "rosters": "805c2a255e406dd0", "players": "c2c7b37a999b642a",
        "n_events": 3854, "n_goals": 79,
    },
    "6x10 seed 11": {
        "events": "392c93d2276f6c83", "games": "d4b2a981f766abc7",
        "rosters": "75619d68c0e82c4b", "players": "2d1c2ae56ebb693c",
        "n_events": 9595, "n_goals": 203,
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_simulated_tables_match_the_recorded_fingerprint(case):
    kwargs, config = CASES[case]
    league = simulate_league(**kwargs, config=config)
    got = {name: table_digest(getattr(league, name))
           for name in ("events", "games", "rosters", "players")}
    got["n_events"] = league.events.num_rows
    got["n_goals"] = int(sum(t == "goal" for t in league.events.column("event_type").to_pylist()))
    assert got == EXPECTED[case]

"""data/sample: the committed synthetic sample loads without simulating and is current."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

import hockey_vae as hv

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_sample_loads_as_a_complete_table_set() -> None:
    tables = hv.load_tables(SAMPLE)
    assert tables.games.num_rows == 24
    assert tables.events.num_rows > 5000
    assert tables.players is not None and "finishing" in tables.players.column_names
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 1_000_000


def test_sample_is_what_its_documented_command_writes() -> None:
    # data/README.md: hockey-vae simulate --teams 6 --games 8 --seed 0 --out data/sample
    fresh = hv.simulate_league(n_teams=6, games=8, seed=0)
    stored = hv.load_tables(SAMPLE)
    for name in ("events", "games", "rosters"):
        want: pa.Table = getattr(fresh, name)
        got: pa.Table = getattr(stored, name)
        assert got.equals(want.cast(got.schema)), f"data/sample/{name}.parquet is stale"

"""A tiny trained CVAE run on a simulated league, shared by the analyst-facing tests."""

from __future__ import annotations

import pytest
from _analyst import TINY_CVAE

from hockey_vae.sources.base import write_tables


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory):
    """A 4-team simulated league written as a canonical tables folder."""
    from hockey_vae.simulate import simulate_league

    out = tmp_path_factory.mktemp("sim")
    write_tables(simulate_league(n_teams=4, games=4, seed=5), out)
    return out


@pytest.fixture(scope="session")
def cvae_run(sim_dir, tmp_path_factory):
    """(run folder, tables) of a one-epoch CVAE on `sim_dir`."""
    from hockey_vae.ingest import load_tables
    from hockey_vae.train import TrainConfig, fit

    tables = load_tables(sim_dir)
    run_dir = tmp_path_factory.mktemp("run")
    fit(tables, run_dir, "cvae", model_overrides=TINY_CVAE,
        train_config=TrainConfig(epochs=1, batch_games=4, progress=False, val_samples=2, seed=1))
    return run_dir, tables

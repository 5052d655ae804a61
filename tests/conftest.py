"""Shared fixtures: the location of the real data, skipping cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# Keep the suite on a predictable footprint on the 2-core CI machine.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

SHARED_DATA = Path(
    os.environ.get("HOCKEY_VAE_SHARED_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; skips the test (with the reason) when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    return SHARED_DATA

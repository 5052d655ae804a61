"""Report writing shared by every benchmark: provenance (commit, command, data, split, seeds),
and the multi-seed player-identification report (paired intervals, bins, calibration)."""

from hockey_vae.reporting.provenance import Provenance, git_commit, provenance

__all__ = ["Provenance", "git_commit", "provenance", "aggregate_seeds", "cluster_bootstrap",
           "expected_calibration_error", "count_bin"]


def __getattr__(name: str):  # PEP 562: the report modules load pandas/scipy only when used
    if name == "aggregate_seeds":
        from hockey_vae.reporting.seed_report import aggregate_seeds
        return aggregate_seeds
    if name == "cluster_bootstrap":
        from hockey_vae.reporting.paired import cluster_bootstrap
        return cluster_bootstrap
    if name == "expected_calibration_error":
        from hockey_vae.reporting.calibration import expected_calibration_error
        return expected_calibration_error
    if name == "count_bin":
        from hockey_vae.reporting.bins import count_bin
        return count_bin
    raise AttributeError(f"module 'hockey_vae.reporting' has no attribute {name!r}")

"""Report writing shared by every benchmark: provenance (commit, command, data, split, seeds)."""

from hockey_vae.reporting.provenance import Provenance, git_commit, provenance

__all__ = ["Provenance", "git_commit", "provenance"]

"""Moved to `hockey_vae.features` (issue 15); this name stays for importers outside it."""

from hockey_vae.features import Tables, as_tables, split_games

__all__ = ["Tables", "as_tables", "split_games"]

"""Features: canonical tables -> splits, player vocabulary, encoded games, torch batches.

- `tables`: `Tables`, `as_tables`, `split_games` (by date, never by event), shootouts dropped.
- `vocab`: `PlayerVocab` and the no-player / cold-start tokens.
- `roster_features`: per-candidate history and lineup columns of the acting team's roster.
- `encoding`: `FeatureConfig` (every feature flag) and `SequenceEncoder` -> `EncodedGames`.
- `batches`: the typed `Batch`, `Candidates`, `collate`, `iterate_batches`, `flush_denormals`.
"""

from hockey_vae.features.batches import (
    CANDIDATE_FORMS,
    CANDIDATE_SETS,
    NEG_INF,
    Batch,
    Candidates,
    candidate_mask,
    candidate_set,
    collate,
    flush_denormals,
    iterate_batches,
    simulate_unseen,
    training_candidates,
    unseen_counts,
)
from hockey_vae.features.encoding import (
    MAX_ON_ICE,
    NUM_FEATURES,
    EncodedGames,
    FeatureConfig,
    SequenceEncoder,
)
from hockey_vae.features.roster_features import (
    HISTORY_COLUMNS,
    LINEUP_COLUMNS,
    N_ROSTER_FEATURES,
    ROSTER_FEATURES,
)
from hockey_vae.features.tables import Tables, as_tables, check_fractions, split_games
from hockey_vae.features.vocab import N_SPECIAL, SPECIAL_TOKENS, PlayerVocab, unknown_token

__all__ = [
    "Tables", "as_tables", "check_fractions", "split_games",
    "SPECIAL_TOKENS", "N_SPECIAL", "PlayerVocab", "unknown_token",
    "ROSTER_FEATURES", "N_ROSTER_FEATURES", "HISTORY_COLUMNS", "LINEUP_COLUMNS",
    "NUM_FEATURES", "MAX_ON_ICE", "FeatureConfig", "EncodedGames", "SequenceEncoder",
    "CANDIDATE_SETS", "CANDIDATE_FORMS", "NEG_INF", "Batch", "Candidates", "collate",
    "iterate_batches", "flush_denormals", "candidate_mask", "candidate_set",
    "training_candidates", "unseen_counts", "simulate_unseen",
]

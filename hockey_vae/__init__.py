"""hockey_vae: hockey play-by-play logs in, contextualized player embeddings out.

The public API, by pipeline stage: read or simulate events, train a player model, evaluate it,
export embeddings, and fit downstream predictors. Names are imported lazily (PEP 562) so that
`import hockey_vae` and the CLI's quick subcommands (`--help`, `describe`, `ingest`) never pay
for torch, scikit-learn or scipy; each name loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute in it); `None` as attribute means the module itself
_EXPORTS: dict[str, tuple[str, str | None]] = {
    # data
    "schema": ("hockey_vae.schema", None),
    "SchemaError": ("hockey_vae.schema", "SchemaError"),
    "validate_events": ("hockey_vae.schema", "validate_events"),
    "Ingested": ("hockey_vae.sources", "Ingested"),
    "ParseError": ("hockey_vae.sources", "ParseError"),
    "Problem": ("hockey_vae.sources", "Problem"),
    "write_tables": ("hockey_vae.sources", "write_tables"),
    "FORMATS": ("hockey_vae.ingest", "FORMATS"),
    "load_tables": ("hockey_vae.ingest", "load_tables"),
    "describe": ("hockey_vae.ingest", "describe"),
    "Frames": ("hockey_vae.frames", "Frames"),
    "tables_from_events": ("hockey_vae.frames", "tables_from_events"),
    "fetch_nhl_season": ("hockey_vae.fetch", "fetch_nhl_season"),
    "simulate_league": ("hockey_vae.simulate", "simulate_league"),
    "LeagueConfig": ("hockey_vae.simulate", "LeagueConfig"),
    # features and configuration
    "FeatureConfig": ("hockey_vae.features", "FeatureConfig"),
    "SequenceEncoder": ("hockey_vae.features", "SequenceEncoder"),
    "split_games": ("hockey_vae.features", "split_games"),
    "RunConfig": ("hockey_vae.config", "RunConfig"),
    "load_config": ("hockey_vae.config", "load_config"),
    # player model
    "TrainConfig": ("hockey_vae.train", "TrainConfig"),
    "Run": ("hockey_vae.train", "Run"),
    "fit": ("hockey_vae.train", "fit"),
    "load": ("hockey_vae.train", "load_run"),  # `hockey_vae.load(run_dir)`: a ready model
    "load_run": ("hockey_vae.train", "load_run"),
    "evaluate_model": ("hockey_vae.evaluate", "evaluate_model"),
    "refine_run": ("hockey_vae.refine", "refine_run"),
    "refine_latents": ("hockey_vae.refine", "refine_latents"),
    "RefineConfig": ("hockey_vae.refine", "RefineConfig"),
    "evaluate_foldin": ("hockey_vae.foldin_eval", "evaluate_foldin"),
    "FoldInConfig": ("hockey_vae.foldin_eval", "FoldInConfig"),
    "foldin_summary": ("hockey_vae.foldin_eval", "foldin_summary"),
    "fold_in_embeddings": ("hockey_vae.foldin_embed", "fold_in_embeddings"),
    "run_leak_checks": ("hockey_vae.leak_checks", "run_leak_checks"),
    "paper_task_tables": ("hockey_vae.paper_task", "paper_task_tables"),
    "aggregate_seeds": ("hockey_vae.reporting.seed_report", "aggregate_seeds"),
    "TrainingDiverged": ("hockey_vae.divergence", "TrainingDiverged"),
    "CheckpointError": ("hockey_vae.checkpoint", "CheckpointError"),
    "RunFolderError": ("hockey_vae.run_folder", "RunFolderError"),
    "PlayerEmbedder": ("hockey_vae.estimator", "PlayerEmbedder"),
    "embed_events": ("hockey_vae.embed", "embed_events"),
    "embed_players": ("hockey_vae.embed", "embed_players"),
    "write_embeddings": ("hockey_vae.embed", "write_embeddings"),
    "read_embeddings": ("hockey_vae.embed", "read_embeddings"),
    "similar_players": ("hockey_vae.similar", "similar_players"),
    "player_embeddings": ("hockey_vae.similar", "player_embeddings"),
    # figures
    "embedding_map": ("hockey_vae.plots", "embedding_map"),
    "rink_plot": ("hockey_vae.plots", "rink_plot"),
    "shot_events": ("hockey_vae.plots", "shot_events"),
    "save_figure": ("hockey_vae.plots", "save_figure"),
    "embedding_columns": ("hockey_vae.embed", "embedding_columns"),
    # downstream
    "GoalModel": ("hockey_vae.downstream", "GoalModel"),
    "InGameWinModel": ("hockey_vae.downstream", "InGameWinModel"),
    "PreGameModel": ("hockey_vae.downstream", "PreGameModel"),
    "run_player_table": ("hockey_vae.downstream", "run_player_table"),
    "run_downstream_suite": ("hockey_vae.downstream", "run_suite"),
    # generative core
    "VAE": ("hockey_vae.core", "VAE"),
    "VAEConfig": ("hockey_vae.core", "VAEConfig"),
    "GAN": ("hockey_vae.core", "GAN"),
    "GANConfig": ("hockey_vae.core", "GANConfig"),
    "log_likelihood": ("hockey_vae.core", "log_likelihood"),
    "two_sample_test": ("hockey_vae.core", "two_sample_test"),
    # runtime
    "select_device": ("hockey_vae.runtime", "select_device"),
    "seed_everything": ("hockey_vae.runtime", "seed_everything"),
}
# `hockey_vae.ingest` stays the module (its `ingest()` would shadow it): hv.ingest.ingest(...)

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and cache the name in this module."""
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'hockey_vae' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


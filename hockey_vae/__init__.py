"""hockey_vae: hockey play-by-play logs in, contextualized player embeddings out.

The public API, by pipeline stage: read or simulate events, train a player model, evaluate it,
export embeddings, and fit downstream predictors. Heavy submodules (plots, the generative-core
demos) are imported only when used.
"""

from hockey_vae import schema
from hockey_vae.config import RunConfig, load_config
from hockey_vae.core import GAN, VAE, GANConfig, VAEConfig, log_likelihood, two_sample_test
from hockey_vae.downstream import GoalModel, InGameWinModel, PreGameModel
from hockey_vae.embed import embed_events, embed_players, write_embeddings
from hockey_vae.estimator import PlayerEmbedder
from hockey_vae.evaluate import evaluate_model
from hockey_vae.features import FeatureConfig, SequenceEncoder, split_games
from hockey_vae.fetch import fetch_nhl_season
from hockey_vae.ingest import FORMATS, describe, load_tables
from hockey_vae.runtime import seed_everything, select_device
from hockey_vae.schema import SchemaError, validate_events
from hockey_vae.simulate import LeagueConfig, simulate_league
from hockey_vae.sources import Ingested, ParseError, Problem, write_tables
from hockey_vae.train import Run, TrainConfig, fit, load_run

load = load_run  # `hockey_vae.load(run_dir)` gives back a ready model
# `hockey_vae.ingest` stays the module (its `ingest()` would shadow it): hv.ingest.ingest(...)

__version__ = "0.1.0"

__all__ = [
    # data
    "schema",
    "SchemaError",
    "validate_events",
    "Ingested",
    "ParseError",
    "Problem",
    "FORMATS",
    "load_tables",
    "describe",
    "write_tables",
    "fetch_nhl_season",
    "simulate_league",
    "LeagueConfig",
    "FeatureConfig",
    "SequenceEncoder",
    "split_games",
    # player model
    "TrainConfig",
    "RunConfig",
    "load_config",
    "Run",
    "fit",
    "load",
    "load_run",
    "evaluate_model",
    "PlayerEmbedder",
    "embed_events",
    "embed_players",
    "write_embeddings",
    # downstream
    "GoalModel",
    "InGameWinModel",
    "PreGameModel",
    # generative core
    "VAE",
    "VAEConfig",
    "GAN",
    "GANConfig",
    "log_likelihood",
    "two_sample_test",
    # runtime
    "select_device",
    "seed_everything",
]

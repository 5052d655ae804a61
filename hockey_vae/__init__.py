"""hockey_vae: hockey play-by-play logs in, contextualized player embeddings out."""

from hockey_vae import schema
from hockey_vae.runtime import seed_everything, select_device
from hockey_vae.schema import SchemaError, validate_events
from hockey_vae.sources import Ingested, ParseError, Problem, write_tables

__version__ = "0.1.0"

__all__ = [
    "schema",
    "SchemaError",
    "validate_events",
    "Ingested",
    "ParseError",
    "Problem",
    "write_tables",
    "select_device",
    "seed_everything",
]

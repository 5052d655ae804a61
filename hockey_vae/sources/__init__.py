"""Readers, one module per input format, each exposing `read(paths, ...) -> Ingested`."""

from hockey_vae.sources.base import Ingested, ParseError, Problem, write_tables

__all__ = ["Ingested", "ParseError", "Problem", "write_tables"]

"""Names the command line needs before anything heavy loads: models, input formats, API roots.

Kept free of torch, pandas and pyarrow so `hockey-vae --help` and the data subcommands start
fast; the model registry (`hockey_vae.models`), `ingest` and `fetch` take these from here.
"""

MODEL_NAMES: tuple[str, ...] = ("cvae", "lstm", "lstm-nohist", "frequency", "uniform",
                                "player-latent")

# input format name -> reader module (imported by name, only when that format is read)
INGEST_FORMATS: dict[str, str] = {
    "hockey_scraper": "hockey_vae.sources.hockey_scraper",
    "pwhl": "hockey_vae.sources.pwhl",
    "tabular": "hockey_vae.sources.tabular",
    "nhl_api": "hockey_vae.sources.nhl_api",
    "stathletes": "hockey_vae.sources.stathletes",
}

NHL_API_BASE = "https://api-web.nhle.com/v1"  # play-by-play and schedule
NHL_STATS_BASE = "https://api.nhle.com/stats/rest/en"  # shift charts

__all__ = ["MODEL_NAMES", "INGEST_FORMATS", "NHL_API_BASE", "NHL_STATS_BASE"]

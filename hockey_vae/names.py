"""Names the command line needs before anything heavy loads: models, input formats, API roots.

Kept free of torch, pandas and pyarrow so `hockey-vae --help` and the data subcommands start
fast; the model registry (`hockey_vae.models`), `ingest` and `fetch` take these from here.
"""

MODEL_NAMES: tuple[str, ...] = ("cvae", "lstm", "lstm-nohist", "cond-logit", "cond-logit-lineup",
                                 "frequency", "uniform", "player-latent")


def model_name(name: str) -> str:
    """A model name as displayed everywhere ("lstm-nohist"); "lstm_nohist" is accepted too."""
    return str(name).strip().lower().replace("_", "-")


# input format name -> reader module (imported by name, only when that format is read)
INGEST_FORMATS: dict[str, str] = {
    "hockey_scraper": "hockey_vae.sources.hockey_scraper",
    "pwhl": "hockey_vae.sources.pwhl",
    "tabular": "hockey_vae.sources.tabular",
    "nhl_api": "hockey_vae.sources.nhl_api",
    "stathletes": "hockey_vae.sources.stathletes",
    "hockeyr": "hockey_vae.sources.hockeyr",
}

NHL_API_BASE = "https://api-web.nhle.com/v1"  # play-by-play and schedule
NHL_STATS_BASE = "https://api.nhle.com/stats/rest/en"  # shift charts

__all__ = ["MODEL_NAMES", "model_name", "INGEST_FORMATS", "NHL_API_BASE", "NHL_STATS_BASE"]

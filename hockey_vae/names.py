"""Names the command line needs before anything heavy loads: the models and candidate sets.

Kept free of torch so `hockey-vae --help` and the data subcommands start fast; the model
registry (`hockey_vae.models`) and the features package take these tuples from here.
"""

MODEL_NAMES: tuple[str, ...] = ("cvae", "lstm", "lstm-nohist", "frequency", "uniform")

__all__ = ["MODEL_NAMES"]

"""`PlayerEmbedder`: the player model behind the scikit-learn conventions analysts expect.

`fit(tables)` trains (early-stopping on the latest games by date), `predict_proba(tables)`
gives P(acting player | context) for every event with an acting player, `predict` the most
likely player id, `transform` the per-event contextual embeddings and `score` the mean
log-likelihood of the true player. It wraps `train.fit`, `evaluate.predict` and
`embed.embed_events`; nothing is computed twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from hockey_vae.config import RunConfig, load_config
from hockey_vae.embed import embed_events
from hockey_vae.features import (
    CANDIDATE_SETS,
    as_tables,
    candidate_set,
    iterate_batches,
    split_games,
)
from hockey_vae.train import Run, fit, load_run

__all__ = ["PlayerEmbedder"]


class PlayerEmbedder(TransformerMixin, BaseEstimator):
    """Learn P(player acting at t | events before t) and contextual player embeddings.

    Parameters
    ----------
    model : a model name of `hockey_vae.names.MODEL_NAMES`; default "player-latent" (a
        latent per player in the scores; `transform` gives the actor's posterior mean and
        variance of u_j and the context part `ctx_*`), the one model whose embeddings keep
        the player (16 of 16 units active on the NHL, where the CVAE's collapse to 1), at a
        cost of about 0.008 nats per event in identification against the LSTM
        (`reports/player_id/nhl_lineup.md`); "cvae" is the published design.
    config : the run config, in the one schema of `hockey_vae.config`: a `RunConfig`, a
        dict {"features": {...}, "model": {...}, "train": {...}} or a JSON file path; None
        for the defaults. Checked in `fit` before any data is read.
    validation_fraction : share of the latest games (by date) held out for early stopping.
    candidates : candidate set for `predict_proba`/`predict`/`score`: "all", "roster", "on_ice".
    run_dir : where checkpoints go (None: kept in memory only).
    games, rosters : canonical games and rosters DataFrames used when X is an events
        DataFrame (scikit-learn style, e.g. in a Pipeline); None derives them from the
        events (`hockey_vae.frames.tables_from_events`). Ignored when X holds tables.
    fold_in : `transform` gives players unseen in training their own q(u) fitted on their
        games of earlier days (player-latent only; `hockey_vae.foldin_embed`) instead of the
        position prior, with latent_source / n_fit_events / n_fit_games columns.

    Every method's X is either a tables object (`load_tables(...)`, its `.to_pandas()`, a
    dict of events/games/rosters) or a canonical events DataFrame.
    """

    def __init__(self, model: str = "player-latent", config: RunConfig | dict | str | None = None,
                 validation_fraction: float = 0.1, candidates: str = "roster",
                 run_dir: str | None = None, games: pd.DataFrame | None = None,
                 rosters: pd.DataFrame | None = None, fold_in: bool = False):
        self.model = model
        self.config = config
        self.validation_fraction = validation_fraction
        self.candidates = candidates
        self.run_dir = run_dir
        self.games = games
        self.rosters = rosters
        self.fold_in = fold_in

    def _tables(self, X: Any) -> Any:
        """Canonical tables from X: tables as they are, an events DataFrame completed."""
        if isinstance(X, pd.DataFrame):
            from hockey_vae.frames import tables_from_events

            return tables_from_events(X, self.games, self.rosters)
        return X

    @classmethod
    def from_run(cls, run_dir: str, candidates: str = "roster", fold_in: bool = False
                 ) -> PlayerEmbedder:
        """A fitted estimator from a run folder written by `hockey-vae train`."""
        run = load_run(run_dir)
        est = cls(model=run.name, candidates=candidates, run_dir=str(run_dir), fold_in=fold_in)
        est._set_fitted(run)
        return est

    def _set_fitted(self, run: Run) -> None:
        self.run_ = run
        self.classes_ = np.asarray(run.encoder.vocab_.ids, dtype=object)

    def fit(self, X: Any, y: None = None) -> PlayerEmbedder:
        """Train on every game of X but the latest `validation_fraction` (by date)."""
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if self.candidates not in CANDIDATE_SETS:
            raise ValueError(f"candidates must be one of {CANDIDATE_SETS}, got {self.candidates!r}")
        cfg = load_config(self.config)
        t = as_tables(self._tables(X))
        split = split_games(t.games, (1.0 - self.validation_fraction, self.validation_fraction, 0.0))
        from hockey_vae.names import model_name

        name = model_name(self.model)  # "lstm_nohist" is read as "lstm-nohist"
        run = fit(t, self.run_dir, name, split=split, overwrite=True,  # refit replaces
                  **cfg.fit_kwargs(name))
        self._set_fitted(run)
        self._fit_tables = t  # kept by reference for `similar`; never copied
        return self

    def similar(self, player: str | int, k: int = 10, *, tables: Any = None,
                min_events: int = 5) -> pd.DataFrame:
        """The `k` players nearest to `player` (id or name) by per-player embedding.

        Embeds `tables` (default: the tables `fit` saw) once and caches the per-player table
        in `players_`; see `hockey_vae.similar.similar_players` for the distance.
        """
        from hockey_vae.similar import player_embeddings, similar_players

        check_is_fitted(self, "run_")
        if tables is not None or getattr(self, "players_", None) is None:
            source = tables if tables is not None else getattr(self, "_fit_tables", None)
            if source is None:
                raise ValueError("pass tables=...: this estimator was loaded from a run folder "
                                 "and has no fitted tables to embed")
            self.players_ = player_embeddings(self.run_, self._tables(source))
        return similar_players(self.players_, player, k, min_events=min_events)

    def _scores(self, tables: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log-probabilities (N, V), true-player indices (N,), flat event positions (N,))."""
        check_is_fitted(self, "run_")
        run = self.run_
        enc = run.encoder.transform(as_tables(self._tables(tables)), None)
        model = run.model.eval()
        device = next(model.parameters(), torch.empty(0)).device
        n_vocab = len(self.classes_)
        gen = torch.Generator(device=device).manual_seed(run.train_config.seed)
        logps, targets, flat = [], [], []
        with torch.no_grad():
            for batch in iterate_batches(enc, 8):
                if batch.n_targets == 0:
                    continue
                batch = batch.to(device)
                cands = candidate_set(batch, self.candidates, n_vocab, form="vocab")
                logp = model.score(batch, {self.candidates: cands}, generator=gen)[
                    self.candidates].logp
                logps.append(logp.float().cpu())
                targets.append(batch.tgt_player.cpu())
                flat.append(batch.flat_index.cpu())
        if not logps:
            return np.zeros((0, n_vocab)), np.zeros(0, np.int64), np.zeros(0, np.int64)
        order = torch.argsort(torch.cat(flat))
        return (torch.cat(logps)[order].numpy(), torch.cat(targets)[order].numpy(),
                torch.cat(flat)[order].numpy())

    def predict_proba(self, tables: Any) -> np.ndarray:
        """(n_events, n_classes): P(player | context) for each event with an acting player.

        Rows follow (game_id, event_idx) order, as in `transform`; columns follow `classes_`
        (the first columns are the no-player and cold-start tokens).
        """
        return np.exp(self._scores(tables)[0])

    def predict(self, tables: Any) -> np.ndarray:
        """The most likely player id for each event with an acting player."""
        return self.classes_[self.predict_proba(tables).argmax(axis=1)]

    def score(self, tables: Any, y: None = None) -> float:
        """Mean natural-log likelihood of the true acting player (higher is better)."""
        logp, target, _ = self._scores(tables)
        if len(target) == 0:
            raise ValueError("tables have no event with an acting player to score")
        return float(logp[np.arange(len(target)), target].mean())

    def transform(self, tables: Any) -> pd.DataFrame:
        """Per-event contextual embeddings (cvae, player-latent): ids, emb_*, emb_var_*
        (and ctx_* for player-latent) columns; `embed.embed_players` makes it per player
        (with `fold_in`, from the per-player fits the frame's attrs carry)."""
        check_is_fitted(self, "run_")
        out = embed_events(self.run_, self._tables(tables), fold_in=bool(self.fold_in),
                           seed=int(self.run_.train_config.seed))
        return out.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)

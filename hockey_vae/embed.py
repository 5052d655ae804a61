"""Contextual player embeddings from a trained latent model, per event and per player.

Per event: the model's posterior mean and variance (`emb_*`, `emb_var_*`): for the cvae,
q(z | context, player); for `player-latent`, the actor's q(u_j) beside `ctx_*`, what the
context asks of the actor (a function of the sequence). Per player: the mean over the
player's events (for `player-latent` exactly the posterior mean of u_j) and `emb_sd_*`, the
root mean variance (exactly the posterior sd of u_j). Writing Parquet is a separate call with an explicit path
(`write_embeddings`). On the synthetic league, `probe_styles` measures how well a linear
map from per-player embeddings recovers each true style parameter on held-out players.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import torch

from hockey_vae.features import as_tables, flush_denormals, iterate_batches
from hockey_vae.io import PathLike, atomic_path, read_frame, write_frame
from hockey_vae.schema import embedding_columns

__all__ = [
    "embed_events",
    "embed_players",
    "write_embeddings",
    "read_embeddings",
    "plot_embedding_map",
    "probe_styles",
    "collapse_warning",
    "embedding_columns",
]

log = logging.getLogger(__name__)


def _as_run(model_or_run: Any) -> Any:
    from hockey_vae.train import Run, load_run

    if isinstance(model_or_run, (str, os.PathLike)):
        return load_run(model_or_run)
    if isinstance(model_or_run, Run):
        return model_or_run
    raise TypeError(f"expected a Run or a run folder path, got {type(model_or_run).__name__}")


@torch.no_grad()
@flush_denormals()
def embed_events(model_or_run: Any, tables: Any, game_ids: list[str] | None = None, *,
                 batch_games: int = 16, device: str | torch.device | None = None,
                 fold_in: bool | Any = False, seed: int = 0) -> pd.DataFrame:
    """One row per event with an acting player: ids, names and posterior mean/variance.

    Columns: game_id (string), event_idx (int32), player_id, player_name, team,
    emb_0..emb_{d-1} and emb_var_0..emb_var_{d-1} (float32), then, for a model whose
    embedding has a context part (`model.player_dims` < its width), ctx_0.. (float32).
    Players unseen in training are embedded through their position's cold-start token,
    or, with `fold_in` (True or a `FoldInConfig`; `player-latent` only), by their own q(u)
    fitted on their games of earlier days (`hockey_vae.foldin_embed`; `seed` seeds its
    draws), with columns latent_source, n_fit_events, n_fit_games and the per-player fits
    (on every given game) in `.attrs["fold_in_players"]` for `embed_players`.
    """
    run = _as_run(model_or_run)
    model = run.model
    if not model.embeds:
        raise ValueError("embeddings need a model with a latent (a cvae or "
                         f"player-latent run); "
                         f"{run.run_dir or 'this run'} is {run.name!r}")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    t = as_tables(tables)
    enc = run.encoder.transform(t, game_ids)
    mus, vars_, idx = [], [], []
    for batch in iterate_batches(enc, batch_games):
        if batch.n_targets == 0:
            continue
        mu, var = model.embed(batch.to(dev))
        mus.append(mu.float().cpu())
        vars_.append(var.float().cpu())
        idx.append(batch.flat_index)
    width = model.embedding_dim
    d = getattr(model, "player_dims", width)  # leading columns that describe the player
    mu = torch.cat(mus).numpy() if mus else np.zeros((0, width), np.float32)
    var = torch.cat(vars_).numpy() if vars_ else np.zeros((0, width), np.float32)
    flat = torch.cat(idx).numpy() if idx else np.zeros(0, np.int64)
    game_of = np.repeat(np.arange(enc.n_games), enc.lengths())
    out = pd.DataFrame({
        "game_id": pd.Series(np.asarray(enc.game_ids, dtype=object)[game_of[flat]],
                             dtype="string"),
        "event_idx": enc.event_idx[flat].astype(np.int32),
        "player_id": pd.Series(enc.player_id[flat], dtype="string"),
        "player_name": pd.Series(enc.player_name[flat], dtype="string"),
        "team": pd.Series(enc.team_name[flat], dtype="string"),
    })
    emb = pd.DataFrame(mu[:, :d].astype(np.float32), columns=[f"emb_{i}" for i in range(d)])
    emb_var = pd.DataFrame(var[:, :d].astype(np.float32),
                           columns=[f"emb_var_{i}" for i in range(d)])
    ctx = pd.DataFrame(mu[:, d:].astype(np.float32),
                       columns=[f"ctx_{i}" for i in range(width - d)])
    out = pd.concat([out, emb, emb_var, ctx], axis=1)
    if fold_in is False or fold_in is None:
        return out
    from hockey_vae.foldin_embed import fold_in_embeddings

    cfg = None if fold_in is True else fold_in
    return _with_fold_in(out, fold_in_embeddings(run, t, game_ids, cfg, seed=seed), d)


def _with_fold_in(out: pd.DataFrame, fe: Any, d: int) -> pd.DataFrame:
    """`out` with the folded-in players' online q(u) in emb_/emb_var_ and the source columns."""
    keys = ["game_id", "event_idx"]
    ev = fe.events.astype({"game_id": "string", "event_idx": np.int32})
    got = out[keys].merge(ev, on=keys, how="left", validate="one_to_one")
    if got["latent_source"].isna().any():
        bad = got[got["latent_source"].isna()].iloc[0]
        raise RuntimeError(f"fold-in has no row for game_id {bad['game_id']!r} event_idx "
                           f"{bad['event_idx']}: the fold-in and embedding encodings differ")
    fold = (got["latent_source"] == "fold_in").to_numpy()
    for name in ("emb", "emb_var"):
        cols = [f"{name}_{i}" for i in range(d)]
        out.loc[fold, cols] = got.loc[fold, cols].to_numpy(np.float32)
    out["latent_source"] = got["latent_source"].astype("string").to_numpy()
    for col in ("n_fit_events", "n_fit_games"):
        out[col] = got[col].astype(np.int64).to_numpy()
    out.attrs["fold_in_players"] = fe.players
    return out


ACTIVE_UNIT_VARIANCE = 0.01  # a unit whose posterior mean varies less across events is inactive


def collapse_warning(event_embeddings: pd.DataFrame,
                     threshold: float = ACTIVE_UNIT_VARIANCE) -> str | None:
    """A warning when fewer than half the latent units are active (posterior-mean variance
    across events above `threshold`), else None: collapsed embeddings carry little beyond
    the context, and an analyst should know before using them."""
    cols = embedding_columns(event_embeddings)
    if not cols or len(event_embeddings) < 2:
        return None
    active = int((event_embeddings[cols].astype(np.float64).var() > threshold).sum())
    if active * 2 >= len(cols):
        return None
    return (f"only {active} of {len(cols)} embedding units are active (posterior-mean variance "
            f"> {threshold} across events): the latent has largely collapsed, so these "
            "embeddings carry little about the player beyond the context")


def embed_players(event_embeddings: pd.DataFrame, rosters: Any = None,
                  run: Any = None, fold_in: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per player: name, most frequent team and position, event count, mean embedding.

    Columns: player_id, player_name, team, position, n_events, emb_0..emb_{d-1}, and with
    `emb_var_*` in the input emb_sd_0..emb_sd_{d-1} (root mean variance over the events:
    for `player-latent` the posterior sd of u_j). `rosters` (canonical ROSTERS table)
    supplies positions; without it position is null. With a `player-latent` `run` (or its
    folder) whose model has latents for players who never act (goalies), those players are
    added with n_events 0 and their posterior mean and sd.

    Fold-in (`fold_in`, default the input's `.attrs["fold_in_players"]` from `embed_events(
    ..., fold_in=True)`): each player unseen in training gets his q(u) fitted on every given
    game (listed players who never act added with n_events 0), and columns latent_source
    ("trained", "fold_in", "prior"), n_fit_events and n_fit_games (-1 for trained players).
    """
    out = _players_from_events(event_embeddings, rosters)
    if run is not None:
        out = _with_latent_only(out, _as_run(run).model, rosters)
    if fold_in is None:
        fold_in = event_embeddings.attrs.get("fold_in_players")
    return out if fold_in is None else _with_fold_in_players(out, fold_in, rosters)


def _with_fold_in_players(players: pd.DataFrame, fold: pd.DataFrame, rosters: Any
                          ) -> pd.DataFrame:
    """`players` with the unseen players' final fold-in q(u) and the source columns."""
    fold = fold.assign(player_id=fold["player_id"].astype(str)).set_index("player_id")
    new = fold.index.difference(players["player_id"].astype(str))
    out = _add_players(players, fold.loc[new].reset_index().assign(n_events=0), rosters)
    pid = out["player_id"].astype(str)
    has = pid.isin(fold.index).to_numpy()
    cols = [c for c in fold.columns if c.startswith(("emb_", "emb_sd_")) and c in out]
    out.loc[has, cols] = fold.loc[pid[has], cols].to_numpy(np.float32)
    out["latent_source"] = pd.Series(np.where(has, fold["latent_source"].reindex(pid)
                                              .fillna("trained"), "trained"), dtype="string")
    for col in ("n_fit_events", "n_fit_games"):
        out[col] = fold[col].reindex(pid).fillna(-1).astype(np.int64).to_numpy()
    return out


def _with_latent_only(players: pd.DataFrame, model: Any, rosters: Any) -> pd.DataFrame:
    """`players` plus the model's extra-latent players not already in it."""
    if not hasattr(model, "extra_latents"):
        return players
    ids, mean, sd, _ = model.extra_latents()
    keep = [i for i, pid in enumerate(ids) if pid not in set(players["player_id"].astype(str))]
    if not keep:
        return players
    d = mean.shape[1]
    extra = pd.DataFrame({"player_id": pd.Series([ids[i] for i in keep], dtype="string"),
                          "n_events": np.zeros(len(keep), np.int64)})
    extra[[f"emb_{i}" for i in range(d)]] = mean[keep].astype(np.float32)
    if "emb_sd_0" in players:
        extra[[f"emb_sd_{i}" for i in range(d)]] = sd[keep].astype(np.float32)
    return _add_players(players, extra, rosters)


def _add_players(players: pd.DataFrame, extra: pd.DataFrame, rosters: Any) -> pd.DataFrame:
    """`players` plus the rows of `extra` (player_id, n_events, emb_*...), their name, team
    and position from `rosters` (most frequent)."""
    if not len(extra):
        return players
    extra = extra.copy()
    if rosters is not None:
        ro = rosters.to_pandas() if isinstance(rosters, pa.Table) else rosters
        ro = ro.assign(player_id=ro["player_id"].astype(str))
        ro = ro[ro["player_id"].isin(set(extra["player_id"]))]
        for col in ("player_name", "team", "position"):
            if col in ro:
                mode = ro.dropna(subset=[col]).groupby("player_id")[col].agg(
                    lambda s: s.value_counts().index[0])
                extra[col] = extra["player_id"].map(mode).astype("string")
    out = pd.concat([players, extra[[c for c in players.columns if c in extra]]],
                    ignore_index=True)
    for c in ("player_id", "player_name", "team", "position"):
        out[c] = out[c].astype("string")
    return out


def _players_from_events(event_embeddings: pd.DataFrame, rosters: Any) -> pd.DataFrame:
    """`embed_players` without the latent-only players."""
    emb_cols = embedding_columns(event_embeddings)
    var_cols = [f"emb_var_{c[4:]}" for c in emb_cols if f"emb_var_{c[4:]}" in event_embeddings]
    g = event_embeddings.groupby("player_id", sort=True)
    out = g[emb_cols].mean().astype(np.float32)
    sd_cols = [f"emb_sd_{c[8:]}" for c in var_cols]
    if var_cols:
        sd = np.sqrt(g[var_cols].mean().astype(np.float64)).astype(np.float32)
        out[sd_cols] = sd.to_numpy()
    out.insert(0, "n_events", g.size().astype(np.int64))

    def mode(s: pd.Series) -> Any:
        s = s.dropna()
        return s.value_counts().index[0] if len(s) else None

    out.insert(0, "team", g["team"].agg(mode))
    out.insert(0, "player_name", g["player_name"].agg(mode))
    position = pd.Series(index=out.index, dtype=object)
    if rosters is not None:
        ro = rosters.to_pandas() if isinstance(rosters, pa.Table) else rosters
        if len(ro):
            position = ro.dropna(subset=["position"]).groupby("player_id")["position"].agg(mode)
    out.insert(3, "position", position.reindex(out.index))
    out = out.reset_index()
    for c in ("player_id", "player_name", "team", "position"):
        out[c] = out[c].astype("string")
    return out[["player_id", "player_name", "team", "position", "n_events", *emb_cols,
                *sd_cols]]


def write_embeddings(df: pd.DataFrame, path: PathLike) -> Path:
    """Write an embedding table atomically, as Parquet or CSV by `path`'s suffix."""
    return write_frame(df, path)


def read_embeddings(path: PathLike) -> pd.DataFrame:
    """An embedding table written by `write_embeddings` (Parquet or CSV by suffix)."""
    return read_frame(path)


def plot_embedding_map(players: pd.DataFrame, path: PathLike, *, min_events: int = 20,
                       seed: int = 0, tsne: bool = True) -> None:
    """2-D maps (PCA and, with `tsne`, t-SNE) of per-player embeddings by position, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    df = players[players["n_events"] >= min_events].reset_index(drop=True)
    if len(df) < 5:
        df = players.reset_index(drop=True)
    X = df[embedding_columns(df)].to_numpy(np.float64)
    pca = PCA(n_components=2, random_state=seed).fit_transform(X)
    maps = [(pca, "PCA")]
    if tsne:
        perplexity = float(max(2, min(30, (len(df) - 1) // 3)))
        maps.append((TSNE(n_components=2, perplexity=perplexity, random_state=seed,
                          init="pca").fit_transform(X), "t-SNE"))
    hue = df["position"].fillna("?").astype(str)
    fig, axes = plt.subplots(1, len(maps), figsize=(5 * len(maps), 4.5), squeeze=False)
    for ax, (xy, title) in zip(axes[0], maps, strict=True):
        sns.scatterplot(x=xy[:, 0], y=xy[:, 1], hue=hue, s=14, ax=ax, linewidth=0,
                        hue_order=sorted(hue.unique()))
        ax.set(title=f"{title} of per-player embeddings (n={len(df)})", xticks=[], yticks=[])
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def probe_styles(players: pd.DataFrame, true_styles: Any, *, style_columns: list[str] | None = None,
                 test_fraction: float = 0.3, min_events: int = 10, seed: int = 0) -> pd.DataFrame:
    """Linear-probe R^2 from per-player embedding to each true style, on held-out players.

    `true_styles` has `player_id` and numeric style columns (the synthetic league's players
    table). Players with fewer than `min_events` events are left out. Ridge with a
    cross-validated penalty, fit on the other players; R^2 on the held-out ones.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    truth = true_styles.to_pandas() if isinstance(true_styles, pa.Table) else true_styles
    truth = truth.assign(player_id=truth["player_id"].astype(str))
    if style_columns is None:
        style_columns = [c for c in truth.columns if c != "player_id"
                         and pd.api.types.is_numeric_dtype(truth[c])
                         and not pd.api.types.is_bool_dtype(truth[c])]
    emb_cols = embedding_columns(players)
    df = players[players["n_events"] >= min_events].assign(
        player_id=lambda d: d["player_id"].astype(str)).merge(truth, on="player_id")
    if len(df) < 10:
        raise ValueError(f"only {len(df)} players with >= {min_events} events match the styles")
    train_all, test_all = train_test_split(df, test_size=test_fraction, random_state=seed)
    rows = []
    for col in style_columns:  # styles that do not apply to a player (NaN) leave it out
        train, test = train_all.dropna(subset=[col]), test_all.dropna(subset=[col])
        if len(train) < 5 or len(test) < 3:
            continue
        probe = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(train[emb_cols], train[col])
        rows.append({"style": col, "r2": float(r2_score(test[col], probe.predict(test[emb_cols]))),
                     "n_train": len(train), "n_test": len(test)})
    return pd.DataFrame(rows)

"""Probing player embeddings against known true styles, beside a box-score baseline.

On the synthetic league each player's true styles are known, so an embedding can be scored
by how well a linear (ridge) map from it predicts each style on players it was not fit on
(R^2, cross-validated over players), side by side with the box-score rates an analyst would
compute from the same games. Used by `benchmarks/player_latent.py`,
`benchmarks/style_probe.py` and `hockey-vae demo`. Styles seen only through rare shot
outcomes (finishing, goaltending) also get their information limit (`info_limits`) and a
calibration check of the posterior intervals of each player's implied finishing
(`implied_finishing`, `interval_coverage`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hockey_vae.boxscore import player_folds, probe_predictions, r2_by
from hockey_vae.simulate import STYLE_COLUMNS

__all__ = ["train_games", "position_onehot", "with_logs", "probes", "r2_tables",
           "B_FINISHING", "B_GOALTENDING", "B_MISS", "RHO2_SKILL", "STANDARD_SHOT",
           "style_information", "info_limits", "implied_finishing", "interval_coverage"]

# Read off hockey_vae/simulate/shots.py (`_goal_prob`, `shot`): goal log-odds per sd of the style.
B_FINISHING = 0.3
B_GOALTENDING = 0.12
B_MISS = 0.05  # miss probability per sd of finishing (`shot`: 0.16 + 0.003 d - 0.05 fin)
RHO2_SKILL = {"finishing": 0.25, "goaltending": 0.0}  # style variance explained by skill
# the decoder's shot features (`latent_events`) of a shot on net from 30 ft straight on, 5v5
STANDARD_SHOT = [1.0, 0.0, 1.0, 0.0, 5 / 6, 0.0, 0.0, float(np.log1p(30.0) / 4.0)]


def train_games(games: pd.DataFrame, fraction: float = 0.8) -> list[str]:
    """The first `fraction` of games by date (ties by id): the protocol's training games."""
    g = games.assign(_d=pd.to_datetime(games["game_date"])).sort_values(["_d", "game_id"])
    return g["game_id"].tolist()[: int(round(fraction * len(g)))]


def position_onehot(pos: pd.Series) -> pd.DataFrame:
    """Position one-hot columns (pos_C, pos_D, ...), in every feature set of a probe."""
    return pd.get_dummies(pos.astype(str), prefix="pos").astype(float)


def with_logs(box: pd.DataFrame) -> pd.DataFrame:
    """Box score plus log rates (rates are log-linear in the styles in the simulator)."""
    rates = box[[c for c in box.columns if c.endswith(("_pg", "_p100", "_pct"))]]
    floor = rates.where(rates > 0).min() / 2
    return box.join(np.log(rates.clip(lower=floor, axis=1)).add_prefix("log_"))


def probes(emb: pd.DataFrame, box: pd.DataFrame, truth: pd.DataFrame, seed: int
           ) -> pd.DataFrame:
    """Out-of-fold predictions for each feature set, on the same players and folds."""
    emb = emb.set_index(emb["player_id"].astype(str))
    ids = emb.index.intersection(box.index)
    folds = player_folds(ids, 5, seed)
    pos = position_onehot(emb.loc[folds.index, "position"])
    latent = emb.loc[folds.index, [c for c in emb.columns if c.startswith("emb_")
                                   and not c.startswith("emb_sd_")]]
    b = box.loc[folds.index].drop(columns="position")
    sets = {"position": pos, "boxscore": b.join(pos), "boxscore_log": with_logs(b).join(pos),
            "latent": latent.join(pos)}
    styles = list(STYLE_COLUMNS)
    out = [probe_predictions(X, truth, styles, folds).assign(features=name)
           for name, X in sets.items()]
    preds = pd.concat(out, ignore_index=True)
    # terciles of the record count among skaters, and among goalies, separately
    goalie = emb["position"] == "G"
    terc = pd.concat([pd.qcut(emb.loc[m, "n_events"].rank(method="first"), 3,
                              labels=["low", "mid", "high"]).astype(str)
                      for m in (goalie, ~goalie) if m.sum() >= 3])  # e.g. no goalie acts
    return preds.assign(tercile=preds["player_id"].map(terc).astype(str))


def r2_tables(preds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """R^2 per style (columns: feature sets) and per style x tercile."""
    overall = pd.concat([r2_by(g).assign(features=k) for k, g in preds.groupby("features")])
    wide = overall.pivot(index="style", columns="features", values="r2")
    wide["n"] = overall.groupby("style")["n"].max()
    terc = pd.concat([r2_by(g, "tercile").assign(features=k)
                      for k, g in preds.groupby("features")])
    terc = terc.pivot_table(index=["style", "tercile"], columns="features", values="r2")
    return wide.reindex(list(STYLE_COLUMNS)).dropna(how="all"), terc


def style_information(box: pd.DataFrame) -> dict[str, pd.Series]:
    """Fisher information per player about finishing and goaltending (per sd of the style).

    Finishing moves the goal log-odds of a shot on goal by B_FINISHING and the miss
    probability of an unblocked attempt by -B_MISS; goaltending moves the goal log-odds by
    -B_GOALTENDING. With n trials at rate p: b^2 n p (1-p) (log-odds) or b^2 n / (p (1-p)).
    """
    p = box["goals"].sum() / box["shots_on_goal"].sum()
    unblocked = box["shots_on_goal"] + box["missed"]
    q = box["missed"].sum() / unblocked.sum()
    fin = (B_FINISHING ** 2 * box["shots_on_goal"] * p * (1 - p)
           + B_MISS ** 2 * unblocked / (q * (1 - q)))
    gk = B_GOALTENDING ** 2 * box["shots_faced"].fillna(0) * p * (1 - p)
    return {"finishing": fin, "goaltending": gk}


def info_limits(box: pd.DataFrame, preds: pd.DataFrame) -> pd.DataFrame:
    """Best R^2 from the shot outcomes: 1 - mean posterior variance, overall and by tercile.

    `limit`: the outcomes alone (prior variance 1; with the goal channel only this is the
    issue's b^2 / (b^2 + 1/(n p (1-p)))). `limit_skill_known`: skill known exactly too, which
    explains RHO2_SKILL of the style's variance. Players and terciles: those of `preds`'
    `latent` rows (see `probes`).
    """
    rows = []
    for style, info in style_information(box).items():
        sub = preds[(preds["style"] == style) & (preds["features"] == "latent")]
        i = info.reindex(sub["player_id"]).fillna(0.0).to_numpy()
        rho2 = RHO2_SKILL[style]
        lim, lim_skill = 1 - 1 / (1 + i), 1 - (1 - rho2) / (1 + (1 - rho2) * i)
        terc = sub["tercile"].to_numpy()
        for t in ("all", "low", "mid", "high"):
            m = np.ones(len(i), bool) if t == "all" else terc == t
            if m.any():
                rows.append({"style": style, "tercile": t, "limit": float(lim[m].mean()),
                             "limit_skill_known": float(lim_skill[m].mean()),
                             "n": int(m.sum())})
    return pd.DataFrame(rows)


def implied_finishing(decoder: Any, mean: np.ndarray, sd: np.ndarray, goalie_u: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sd) per player of the goal log-odds of STANDARD_SHOT on net against a goalie
    with latent `goalie_u`, through the event decoder's shot head, under q(u_j) = N(mean,
    diag sd^2) (each (n, d_u)). The head is linear in u, so this is exact: the log-odds are
    Gaussian, and the interval of the goal probability is the sigmoid of theirs."""
    import torch

    with torch.no_grad():
        g = torch.as_tensor(np.asarray(goalie_u, np.float32))
        base = float(decoder.shot_ctx(torch.tensor([STANDARD_SHOT]))[0, 2]
                     + decoder.shot_g(g)[2])
        a = decoder.shot_a.weight[2].double().numpy()
    return base + np.asarray(mean, np.float64) @ a, np.sqrt(np.asarray(sd, np.float64) ** 2
                                                            @ (a * a))


def interval_coverage(mean: np.ndarray, sd: np.ndarray, truth: np.ndarray,
                      level: float = 0.9) -> dict[str, float]:
    """Share of central `level` Gaussian intervals N(mean, sd^2) that hold `truth`; also
    that share after removing the mean offset (`coverage_centred`: the truth's scale up to
    a shift, as a baseline the probe cannot fix), the mean sd and the truth's z-score sd."""
    from scipy.stats import norm

    mean, sd, truth = (np.asarray(v, np.float64) for v in (mean, sd, truth))
    ok = np.isfinite(mean) & np.isfinite(sd) & np.isfinite(truth) & (sd > 0)
    if not ok.any():
        raise ValueError("interval_coverage: no player with a finite mean, sd and truth")
    z = (truth[ok] - mean[ok]) / sd[ok]
    half = norm.ppf(0.5 + level / 2)
    offset = float(np.mean(truth[ok] - mean[ok]))
    zc = (truth[ok] - mean[ok] - offset) / sd[ok]
    return {"coverage": float(np.mean(np.abs(z) <= half)),
            "coverage_centred": float(np.mean(np.abs(zc) <= half)),
            "offset": offset, "z_sd": float(z.std()), "mean_sd": float(sd[ok].mean()),
            "n_players": int(ok.sum())}

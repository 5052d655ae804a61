"""The controls an analyst would put beside player embeddings in an expected-goals model.

- `EmpiricalBayesAdjuster`: shooter finishing and goalie goals-saved-above-expected as
  shrunk multiplicative effects on the baseline's expected goals (gamma-Poisson empirical
  Bayes: the between-player variance by the method of moments, no tuning on validation).
- `IdAdjuster`: one-hot shooter and goalie identities with L2 (a ridge-penalised logit on
  top of the baseline log-odds; the strength chosen on validation games by `xg.tune`).

Both share `LatentAdjuster`'s interface: fit(shots, offset) / predict(shots, offset), with
`offset` the baseline log-odds of each shot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from hockey_vae.downstream.xg import OFFSET_SCALE

__all__ = ["ROLE_COLUMNS", "shrunk_ratios", "EmpiricalBayesAdjuster", "IdAdjuster"]

ROLE_COLUMNS = {"shooter": "player_id", "goalie": "goalie_id"}


def _ids(shots: pd.DataFrame, role: str) -> pd.Series:
    return shots[ROLE_COLUMNS[role]].astype("string").fillna("").astype(str)


def shrunk_ratios(goals: pd.Series, expected: pd.Series) -> tuple[pd.Series, float]:
    """Posterior-mean goals / expected-goals ratio per player, and the prior variance tau^2.

    Model: goals_j ~ Poisson(expected_j * theta_j), theta_j ~ Gamma(mean 1, variance tau^2).
    tau^2 by moments: Var(goals_j) = E_j + E_j^2 tau^2, pooled over players; posterior mean
    (goals_j + 1/tau^2) / (E_j + 1/tau^2). tau^2 = 0 (no spread beyond chance) gives 1.
    """
    g = goals.to_numpy(float)
    e = expected.to_numpy(float)
    if (e <= 0).any():
        raise ValueError("expected goals must be positive for every player")
    tau2 = max(0.0, float(((g - e) ** 2 - e).sum() / (e**2).sum()))
    if tau2 == 0.0:
        return pd.Series(1.0, index=goals.index), 0.0
    k = 1.0 / tau2
    return pd.Series((g + k) / (e + k), index=goals.index), tau2


class EmpiricalBayesAdjuster:
    """Stage 2 with shrunk per-player effects: logit p = o + log theta_shooter + log theta_goalie.

    theta: `shrunk_ratios` of goals to baseline expected goals over the training shots (for
    the goalie: goals allowed to expected goals faced, so theta < 1 is a goalie who saves
    more than expected). Unknown players get theta = 1.
    """

    def __init__(self, roles: tuple[str, ...] = ("shooter", "goalie")):
        self.roles = roles

    def fit(self, shots: pd.DataFrame, offset: np.ndarray) -> EmpiricalBayesAdjuster:
        """Estimate theta per player of each role from training shots and their offsets."""
        xg = expit(offset)
        self.log_theta_: dict[str, pd.Series] = {}
        self.tau2_: dict[str, float] = {}
        for role in self.roles:
            ids = _ids(shots, role)
            keep = ids != ""
            frame = pd.DataFrame({"id": ids[keep], "g": shots.loc[keep, "goal"], "e": xg[keep]})
            agg = frame.groupby("id")[["g", "e"]].sum()
            ratio, tau2 = shrunk_ratios(agg["g"], agg["e"])
            self.log_theta_[role], self.tau2_[role] = np.log(ratio), tau2
        return self

    def effects(self, shots: pd.DataFrame) -> np.ndarray:
        """Summed log theta of each shot's players (0 for unknown players)."""
        total = np.zeros(len(shots))
        for role, log_theta in self.log_theta_.items():
            total += log_theta.reindex(_ids(shots, role).to_numpy()).fillna(0.0).to_numpy()
        return total

    def predict(self, shots: pd.DataFrame, offset: np.ndarray) -> np.ndarray:
        """P(goal) for `shots` given their baseline log-odds."""
        return expit(offset + self.effects(shots))

    def player_effect(self, role: str, player_ids: list[str]) -> pd.Series:
        """Each player's log theta in `role` (0 for players without training shots)."""
        return self.log_theta_[role].reindex(list(player_ids)).fillna(0.0)


class IdAdjuster:
    """Stage 2 with identities: ridge logit on [b * o, one-hot shooter, one-hot goalie].

    Players are those of the training shots; others get an all-zero row (the average).
    `C`: inverse L2 strength (shared by both roles).
    """

    def __init__(self, roles: tuple[str, ...] = ("shooter", "goalie"), C: float = 1.0):
        self.roles = roles
        self.C = C

    def _X(self, shots: pd.DataFrame, offset: np.ndarray) -> sparse.csr_matrix:
        blocks = [sparse.csr_matrix(OFFSET_SCALE * np.asarray(offset, float)[:, None])]
        for role in self.roles:
            codes = self.vocab_[role].get_indexer(_ids(shots, role).to_numpy())
            rows = np.flatnonzero(codes >= 0)
            blocks.append(sparse.csr_matrix(
                (np.ones(len(rows)), (rows, codes[rows])), shape=(len(shots), len(self.vocab_[role]))))
        return sparse.hstack(blocks, format="csr")

    def fit(self, shots: pd.DataFrame, offset: np.ndarray) -> IdAdjuster:
        """Fit on training shots with their out-of-fold baseline log-odds `offset`."""
        self.vocab_ = {r: pd.Index(sorted(set(_ids(shots, r)) - {""})) for r in self.roles}
        self.lr_ = LogisticRegression(C=self.C, max_iter=1000)
        self.lr_.fit(self._X(shots, offset), shots["goal"].to_numpy(int))
        return self

    def predict(self, shots: pd.DataFrame, offset: np.ndarray) -> np.ndarray:
        """P(goal) for `shots` given their baseline log-odds."""
        return self.lr_.predict_proba(self._X(shots, offset))[:, 1]

    def player_effect(self, role: str, player_ids: list[str]) -> pd.Series:
        """Each player's one-hot coefficient in `role` (0 for players not in training)."""
        start = 1 + sum(len(self.vocab_[r]) for r in self.roles[: self.roles.index(role)])
        coef = pd.Series(self.lr_.coef_[0, start:start + len(self.vocab_[role])],
                         index=self.vocab_[role])
        return coef.reindex(list(player_ids)).fillna(0.0)

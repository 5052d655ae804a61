"""Count baselines under the same inputs, split and candidate sets as the neural models.

`frequency` and `uniform` are the weak references. `cond-logit` is the strong one: a
conditional logit over the candidate set whose utility for player i at an event of type e in
zone z is log lambda_i + log pi_i(e, z), both shrunk toward the player's position by
empirical Bayes (see `CondLogitModel`); `cond-logit-lineup` adds a per-event-type coefficient
on "candidate is on the ice at this event", fit by maximum likelihood on training games.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize, minimize_scalar
from scipy.special import gammaln
from torch import Tensor

from hockey_vae.features import Batch, Candidates, EncodedGames, iterate_batches, unseen_counts
from hockey_vae.features.encoding import NUM_FEATURES
from hockey_vae.features.roster_features import ROSTER_FEATURES
from hockey_vae.features.vocab import N_SPECIAL
from hockey_vae.models.base import ModelOutput, PlayerModel, SetScores
from hockey_vae.schema import EVENT_TYPES, POSITIONS

__all__ = ["CountConfig", "FrequencyModel", "UniformModel", "CondLogitConfig",
           "CondLogitModel", "CondLogitLineupModel", "fit_gamma_poisson",
           "fit_dirichlet_strength"]

log = logging.getLogger(__name__)

_GD = NUM_FEATURES.index("goal_distance")
_XY_MISSING = NUM_FEATURES.index("xy_missing")
_ON_ICE_NOW = ROSTER_FEATURES.index("on_ice_now")
N_ZONES = 4  # three distance-to-goal tertiles + "no location"


@dataclass
class CountConfig:
    """Sizes for the count baselines (filled from the data) and the smoothing."""

    n_players: int = 0  # vocabulary size incl. special tokens (from the encoder)
    n_teams: int = 1  # team vocabulary size incl. <none> (from the encoder)
    alpha: float = 0.5  # add-alpha smoothing of the per-team player counts


class FrequencyModel(PlayerModel):
    """p(player | acting team) proportional to the player's training events for that team."""

    kind = "frequency"
    trainable = False

    def __init__(self, cfg: CountConfig):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("counts", torch.zeros(cfg.n_teams, cfg.n_players))

    def fit(self, enc: EncodedGames) -> FrequencyModel:
        """Count the training targets (known players and cold-start tokens alike)."""
        counts = np.zeros((self.cfg.n_teams, self.cfg.n_players), np.float32)
        np.add.at(counts, (enc.team[enc.target], enc.player[enc.target]), 1.0)
        self.counts.copy_(torch.from_numpy(counts))
        return self

    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        zero = self.counts.sum() * 0.0
        return ModelOutput(loss=zero, terms={})

    def logits(self, batch: Batch) -> Tensor:
        return torch.log(self.counts[batch.team[batch.target]] + self.cfg.alpha)


class UniformModel(FrequencyModel):
    """Uniform over the candidates."""

    kind = "uniform"

    def logits(self, batch: Batch) -> Tensor:
        return torch.zeros(batch.n_targets, self.cfg.n_players, device=self.counts.device)


# -- empirical Bayes fits ----------------------------------------------------------------------
def fit_gamma_poisson(n: np.ndarray, exposure: np.ndarray) -> tuple[float, float]:
    """(shape a, rate b) of a Gamma prior on Poisson rates, by maximum marginal (negative
    binomial) likelihood of counts `n` over `exposure` (games); the posterior mean of a rate
    is (n + a) / (exposure + b)."""
    n, g = np.asarray(n, float), np.asarray(exposure, float)
    keep = g > 0
    n, g = n[keep], g[keep]
    if len(n) == 0:
        return 1.0, 1.0
    mean = max(n.sum() / g.sum(), 1e-3)

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(gammaln(n + a) - gammaln(a) + a * np.log(b / (b + g))
                             + n * np.log(g / (b + g))))

    res = minimize(nll, np.log([1.0, 1.0 / mean]), method="Nelder-Mead",
                   options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 400})
    a, b = np.exp(np.clip(res.x, -10, 12))
    return float(a), float(b)


def fit_dirichlet_strength(counts: np.ndarray, mean: np.ndarray) -> float:
    """Concentration s of a Dirichlet(s * mean) prior on each row's category mix, by maximum
    Dirichlet-multinomial marginal likelihood of the rows of `counts` (players x categories);
    the posterior mean mix of a row is (counts + s * mean) / (n + s)."""
    counts = np.asarray(counts, float)
    counts = counts[counts.sum(1) > 0]
    if len(counts) == 0:
        return 1.0
    alpha0 = np.maximum(np.asarray(mean, float), 1e-8)
    n = counts.sum(1)

    def nll(log_s: float) -> float:
        s = np.exp(log_s)
        a = s * alpha0
        return -float(np.sum(gammaln(s) - gammaln(n + s))
                      + np.sum(gammaln(counts + a) - gammaln(a)))

    res = minimize_scalar(nll, bounds=(np.log(1e-2), np.log(1e5)), method="bounded")
    return float(np.exp(res.x))


# -- conditional logit -------------------------------------------------------------------------
@dataclass
class CondLogitConfig:
    """Sizes for the conditional-logit baselines (filled from the data) and the team
    smoothing of the `all` candidate set."""

    n_players: int = 0  # vocabulary size incl. special tokens (from the encoder)
    n_teams: int = 1  # team vocabulary size incl. <none> (from the encoder)
    alpha: float = 0.5  # add-alpha smoothing of a player's share of events per team
    lineup_steps: int = 50  # L-BFGS iterations for the lineup coefficients


class CondLogitModel(PlayerModel):
    """Conditional logit over the candidates: utility log lambda_i + log pi_i(e, z).

    lambda_i = player i's events per game dressed, the posterior mean under a Gamma prior per
    position whose (shape, rate) are fit on the training games by maximum negative-binomial
    marginal likelihood (gamma-Poisson empirical Bayes). pi_i(e, z) = his mix over event
    type e x zone z (three tertiles of the distance to the attacked goal, cut on training
    events, plus "no location"), the posterior mean under a Dirichlet prior centred on his
    position's pooled mix, whose strength is fit per position by maximum Dirichlet-
    multinomial marginal likelihood. A player with no training events (the cold-start
    tokens) gets his position's prior; a token's mass is multiplied by the number of unseen
    players it stands for in the list, so each of them gets the prior rate. Candidates off
    the acting team's roster (only in the `all` set) also get log of their share of training
    events for the acting team, add-`alpha` smoothed, like `frequency`.
    """

    kind = "cond-logit"
    trainable = False
    uses_lineup = False

    def __init__(self, cfg: CondLogitConfig, positions: Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        V, K = cfg.n_players, len(EVENT_TYPES) * N_ZONES
        pos = positions if positions is not None else torch.full((V,), len(POSITIONS))
        self.register_buffer("positions", pos.long())
        self.register_buffer("utility", torch.zeros(V, K))  # log lambda + log pi
        self.register_buffer("team_share", torch.zeros(cfg.n_teams, V))  # log share per team
        self.register_buffer("zone_cuts", torch.zeros(2))
        self.register_buffer("missing_level", torch.tensor(1e9))
        self.register_buffer("lineup_coef", torch.zeros(len(EVENT_TYPES)))
        self.prior: dict[str, dict[str, float]] = {}  # fitted hyperparameters, per position

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, enc: EncodedGames) -> CondLogitModel:
        """Empirical-Bayes rates from the training targets (see the class docstring)."""
        tgt = enc.target
        self._fit_zones(enc.num[tgt])
        V, K = self.cfg.n_players, self.utility.shape[1]
        cell = self._cells(torch.from_numpy(enc.etype[tgt]),
                           torch.from_numpy(enc.num[tgt])).numpy()
        counts = np.zeros((V, K))
        np.add.at(counts, (enc.player[tgt], cell), 1.0)
        games = self._games_dressed(enc)
        self.utility.copy_(torch.from_numpy(self._shrunk_utility(counts, games)).float())
        team = np.zeros((self.cfg.n_teams, V))
        np.add.at(team, (enc.team[tgt], enc.player[tgt]), 1.0)
        share = (team + self.cfg.alpha) / (team.sum(0) + self.cfg.alpha * self.cfg.n_teams)
        self.team_share.copy_(torch.from_numpy(np.log(share)).float())
        if self.uses_lineup:
            self._fit_lineup(enc)
        return self

    def _fit_zones(self, num: np.ndarray) -> None:
        """Tertile cut points of the distance to goal; the standardised value of
        `xy_missing` from which on an event has "no location" (finite sentinels, since
        checkpoints refuse non-finite buffers: 1e9 every event has one, -1e9 none has)."""
        levels = np.unique(num[:, _XY_MISSING]) if len(num) else np.zeros(0)
        missing = levels.max() if len(levels) == 2 else (
            -1e9 if len(levels) == 1 and np.ptp(num[:, _GD]) < 1e-6 else 1e9)
        self.missing_level.fill_(float(missing))
        has = num[:, _XY_MISSING] < missing
        gd = num[has, _GD]
        cuts = np.quantile(gd, [1 / 3, 2 / 3]) if len(gd) else np.zeros(2)
        self.zone_cuts.copy_(torch.as_tensor(cuts, dtype=torch.float32))

    def _cells(self, etype: Tensor, num: Tensor) -> Tensor:
        """(N,) index of event type x zone for events with types `etype` and features `num`."""
        zone = torch.bucketize(num[:, _GD].contiguous(), self.zone_cuts.to(num.device))
        zone = torch.where(num[:, _XY_MISSING] >= self.missing_level, N_ZONES - 1, zone)
        return etype * N_ZONES + zone

    def _games_dressed(self, enc: EncodedGames) -> np.ndarray:
        """(V,) games each player dressed for (roster rows), or acted in without rosters."""
        games = np.zeros(self.cfg.n_players)
        ro = enc.rosters[enc.rosters > 0] if enc.rosters.size else np.zeros(0, np.int64)
        np.add.at(games, ro, 1.0)
        game = np.repeat(np.arange(enc.n_games), enc.lengths())
        pairs = np.unique(np.stack([game[enc.target], enc.player[enc.target]]), axis=1)
        acted = np.bincount(pairs[1], minlength=self.cfg.n_players).astype(float)
        return np.maximum(games, acted)

    def _shrunk_utility(self, counts: np.ndarray, games: np.ndarray) -> np.ndarray:
        """(V, K) log lambda_i + log pi_i(k) with the per-position empirical-Bayes priors."""
        V, K = counts.shape
        pos = self.positions.cpu().numpy()
        n = counts.sum(1)
        player = np.arange(V) >= N_SPECIAL
        pooled_mix = (counts[player].sum(0) + 1.0) / (counts[player].sum() + K)
        out = np.zeros((V, K))
        for p in np.unique(pos):
            rows = pos == p
            fit_rows = rows & player & (games > 0)
            if fit_rows.sum() < 3:  # too few players: the league-wide prior
                fit_rows = player & (games > 0)
            mix = (counts[fit_rows].sum(0) + pooled_mix) / (counts[fit_rows].sum() + 1.0)
            s = fit_dirichlet_strength(counts[fit_rows], mix)
            a, b = fit_gamma_poisson(n[fit_rows], games[fit_rows])
            lam = (n[rows] + a) / (games[rows] + b)
            pi = (counts[rows] + s * mix) / (n[rows, None] + s)
            out[rows] = np.log(lam)[:, None] + np.log(pi)
            label = POSITIONS[p] if p < len(POSITIONS) else "unknown"
            self.prior[label] = {"gamma_shape": a, "gamma_rate": b, "dirichlet_strength": s}
        log.info("cond-logit priors per position: %s", self.prior)
        return out

    # -- lineup ----------------------------------------------------------------------------
    def _lineup_terms(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """(N, W) roster slots' utility without the lineup and their on-ice-now flag."""
        cell = self._cells(batch.tgt_etype, batch.num[batch.target])
        slots = batch.tgt_roster.clamp(min=0)
        base = self.utility[slots, cell[:, None].expand_as(slots)]
        on = batch.tgt_roster_features[:, :slots.shape[1], _ON_ICE_NOW]
        return base, on

    def _fit_lineup(self, enc: EncodedGames, batch_games: int = 64) -> None:
        """Per-event-type coefficients on "on the ice now", maximum likelihood (with a 1e-4
        ridge, finite on separable types) over the roster candidates of the training
        targets (L-BFGS)."""
        bases, ons, slots, truths, types = [], [], [], [], []
        for batch in iterate_batches(enc, batch_games):
            if batch.n_targets == 0:
                continue
            base, on = self._lineup_terms(batch)
            hit = (batch.tgt_roster == batch.tgt_player[:, None]) & (batch.tgt_roster >= 0)
            keep = hit.any(1)
            w = enc.rosters.shape[1] if enc.rosters.size else base.shape[1]
            pad = (0, w - base.shape[1])
            bases.append(torch.nn.functional.pad(base[keep], pad, value=0.0))
            ons.append(torch.nn.functional.pad(on[keep], pad, value=0.0))
            slots.append(torch.nn.functional.pad(batch.tgt_roster[keep] >= 0, pad, value=False))
            truths.append(hit[keep].to(torch.int8).argmax(1))
            types.append(batch.tgt_etype[keep])
        if not bases or float(torch.cat(ons).abs().sum()) == 0.0:
            log.warning("%s: no on-ice lineup features in the training games (features "
                        "lineup=false or no on-ice lists); the lineup coefficients stay 0",
                        self.kind)
            return
        base, on, valid = torch.cat(bases), torch.cat(ons), torch.cat(slots)
        truth, etype = torch.cat(truths), torch.cat(types)
        coef = torch.zeros(len(EVENT_TYPES), requires_grad=True)
        opt = torch.optim.LBFGS([coef], max_iter=self.cfg.lineup_steps,
                                line_search_fn="strong_wolfe")

        def closure() -> Tensor:
            opt.zero_grad()
            u = torch.where(valid, base + coef[etype, None] * on, -1e9)
            loss = -torch.log_softmax(u, 1).gather(1, truth[:, None]).mean()
            loss = loss + 1e-4 * coef.square().sum()  # finite when a type is separable
            loss.backward()
            return loss

        opt.step(closure)
        self.lineup_coef.copy_(coef.detach())
        log.info("%s lineup coefficients: %s", self.kind,
                 dict(zip(EVENT_TYPES, np.round(coef.detach().numpy(), 3), strict=True)))

    # -- scoring ---------------------------------------------------------------------------
    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        return ModelOutput(loss=self.utility.sum() * 0.0, terms={})

    def logits(self, batch: Batch) -> Tensor:
        """(N, V) utilities: rates x event mix, the lineup term, and the team share for
        candidates off the acting team's roster (so only the `all` set sees it)."""
        cell = self._cells(batch.tgt_etype, batch.num[batch.target])
        out = self.utility[:, cell].T.clone()
        roster = batch.tgt_roster
        rows = torch.arange(len(cell), device=out.device)[:, None].expand_as(roster)
        ok = roster >= 0
        on_roster = torch.zeros_like(out, dtype=torch.bool)
        on_roster[rows[ok], roster[ok]] = True
        off = ~on_roster & ok.any(1, keepdim=True) | ~ok.any(1, keepdim=True)
        team = self.team_share[batch.team[batch.target]]
        out = torch.where(off, out + team, out)
        if self.uses_lineup:
            _, on = self._lineup_terms(batch)
            bonus = torch.zeros_like(out)
            bonus[rows[ok], roster[ok]] = (self.lineup_coef[batch.tgt_etype, None] * on)[ok]
            out = out + bonus
        return out

    def score(self, batch: Batch, candidates: dict[str, Candidates], n_samples: int | None = None,
              generator: torch.Generator | None = None) -> dict[str, SetScores]:
        """As `PlayerModel.score`, with each cold-start token's utility raised by the log of
        the number of unseen players it stands for in that set (its mass is then split
        among them by the evaluation, so each gets his position's prior rate)."""
        logits = self.logits(batch)
        out = {}
        for name, cands in candidates.items():
            tok = torch.zeros_like(logits)
            tok[:, :N_SPECIAL] = unseen_counts(batch, name).log()  # "all": the roster's counts
            logp = cands.log_softmax(logits + tok)
            out[name] = SetScores(logp, cands.truth_log_prob(logp, batch.tgt_player), None)
        return out


class CondLogitLineupModel(CondLogitModel):
    """`cond-logit` plus a coefficient per event type on "the candidate is on the ice"
    (the encoder's `on_ice_now` lineup column; all zero, so no effect, without
    `features.lineup`), fit by maximum likelihood on the training games."""

    kind = "cond-logit-lineup"
    uses_lineup = True

"""PlayerCVAE: a conditional VAE over the acting player given the game context.

Prior p(z | context), posterior q(z | context, player), decoder p(player | z, context) as
logits over the player vocabulary; trained on the ELBO with the KL between the two diagonal
Gaussians in closed form (beta, linear warm-up, free bits). The posterior mean is the
player's contextual embedding. Players unseen in training enter the posterior through their
position's cold-start token (trained by hiding players for whole training games,
`models.base.simulate_unseen`), so they still get an embedding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hockey_vae.core.distributions import (
    diag_gaussian_log_prob,
    kl_diag_gaussians,
    reparameterize,
)
from hockey_vae.core.vae import linear_warmup
from hockey_vae.features import NEG_INF, Batch, Candidates
from hockey_vae.models.base import ModelOutput, PlayerModel, SetScores
from hockey_vae.models.candidate_logits import ListScorer, masked_truth_log_prob
from hockey_vae.models.lstm import (
    ContextEncoder,
    LSTMConfig,
    RosterScorer,
    SlotBonus,
    uses_roster_features,
)
from hockey_vae.schema import POSITIONS

__all__ = ["CVAEConfig", "PlayerCVAE"]


@dataclass
class CVAEConfig:
    """PlayerCVAE hyperparameters; `encoder` is the shared LSTM context encoder."""

    encoder: LSTMConfig = field(default_factory=LSTMConfig)
    d_z: int = 16  # latent size (= embedding size)
    d_hidden: int = 128  # width of the prior/posterior/decoder MLPs
    d_player_q: int = 32  # player embedding inside the posterior
    beta: float = 1.0  # KL weight after warm-up
    warmup_epochs: int = 2  # KL weight beta * (epoch + 1) / (warmup_epochs + 1) until beta
    free_bits: float = 0.0  # nats per latent dimension (batch mean) not penalised
    decoder_context: bool = True  # False: p(player | z) only, so z must carry the player
    eval_samples: int = 100  # importance samples for the likelihood (k)
    prior_samples: int = 16  # prior samples averaged for p(player | context)


# Importance sampling scores this many (sample, event, player or hidden unit) values at most
# (16 MB of float32: larger chunks fall out of cache and run slower on CPU), so k is a
# tensor dimension without unbounded memory.
SCORE_CHUNK_ELEMENTS = 1 << 22
# Score short candidate lists from their candidates' logits only (exact); False decodes the
# whole vocabulary and gathers, the path it replaced (kept for benchmarks and tests).
CANDIDATE_ONLY = True


def _chunks(total: int, size: int) -> list[int]:
    """Sizes of consecutive chunks of at most `size` covering `total`."""
    return [min(size, total - start) for start in range(0, total, size)]


def _samples(mu: Tensor, logvar: Tensor, n: int, generator: torch.Generator | None) -> Tensor:
    """(n, N, d) reparameterised samples, noise drawn one (N, d) sample at a time (the
    order of n separate `reparameterize` calls, whatever the shape)."""
    eps = torch.stack([torch.randn(mu.shape, dtype=mu.dtype, device=mu.device,
                                   generator=generator) for _ in range(n)])
    return mu + torch.exp(0.5 * logvar) * eps


def _mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


class PlayerCVAE(PlayerModel):
    """Conditional VAE over players; see the module docstring."""

    kind = "cvae"
    embeds = True

    def __init__(self, cfg: CVAEConfig, backoff: Tensor | None = None,
                 positions: Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        e = cfg.encoder
        self.encoder = ContextEncoder(e, backoff)
        self.q_player = nn.Embedding(e.n_players, cfg.d_player_q)
        self.q_position = nn.Embedding(len(POSITIONS) + 1, cfg.d_player_q)
        self.register_buffer("positions", positions if positions is not None
                             else torch.full((e.n_players,), len(POSITIONS), dtype=torch.long))
        self.prior_net = _mlp(e.d_context, cfg.d_hidden, 2 * cfg.d_z)
        self.post_net = _mlp(e.d_context + cfg.d_player_q, cfg.d_hidden, 2 * cfg.d_z)
        d_dec = (e.d_context if cfg.decoder_context else 0) + cfg.d_z
        self.decoder = _mlp(d_dec, cfg.d_hidden, e.n_players)
        self.roster_scorer = RosterScorer(e) if uses_roster_features(e) else None
        self.kl_weight = cfg.beta if cfg.warmup_epochs <= 0 else 0.0

    def on_epoch_start(self, epoch: int) -> None:
        """KL warm-up per epoch: full beta from epoch `warmup_epochs` on."""
        w = self.cfg.warmup_epochs
        self.kl_weight = linear_warmup(epoch, w + 1 if w > 0 else 0, self.cfg.beta)

    @property
    def embedding_dim(self) -> int:
        return self.cfg.d_z

    def samples_used(self, n_samples: int | None) -> int:
        return n_samples or self.cfg.eval_samples

    def context(self, batch: Batch) -> Tensor:
        """(N, d_context) context of each target event."""
        return self.encoder(batch)[batch.target]

    def prior(self, ctx: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of p(z | context), each (N, d_z)."""
        mu, logvar = self.prior_net(ctx).chunk(2, -1)
        return mu, logvar.clamp(-8.0, 8.0)

    def posterior(self, ctx: Tensor, player: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of q(z | context, player), each (N, d_z)."""
        emb = self.q_player(player) + self.q_position(self.positions[player])
        mu, logvar = self.post_net(torch.cat([ctx, emb], -1)).chunk(2, -1)
        return mu, logvar.clamp(-8.0, 8.0)

    def decode(self, z: Tensor, ctx: Tensor, bonus: SlotBonus | None = None) -> Tensor:
        """(..., V) player logits; z (..., d_z), ctx broadcast to z's leading shape;
        `bonus` is the roster scorer's term (a SlotBonus), added to every sample."""
        logits = self.decoder(self._decoder_input(z, ctx))
        return logits if bonus is None else bonus.add_to(logits)

    def _decoder_input(self, z: Tensor, ctx: Tensor) -> Tensor:
        """(..., d_dec) the decoder's input: [context, z] (or z alone)."""
        if self.cfg.decoder_context:
            z = torch.cat([ctx.expand(*z.shape[:-1], ctx.shape[-1]), z], -1)
        return z

    def _hidden_of(self, ctx: Tensor) -> Callable[[Tensor], Tensor]:
        """z (S, N, d_z) -> (N, S, d_hidden) the decoder's hidden layer for contexts `ctx`
        (N, d_context), event-major (what `CandidateHead` reads): the context's share of the
        first layer is computed once, not once per sample (the same sum, in another order)."""
        first, act = self.decoder[0], self.decoder[1]
        if not self.cfg.decoder_context:
            return lambda z: act(first(z.transpose(0, 1)))
        d = ctx.shape[-1]
        base = F.linear(ctx, first.weight[:, :d], first.bias)[:, None, :]  # (N, 1, d_hidden)
        w_z = first.weight[:, d:].T  # (d_z, d_hidden)

        def hidden(z: Tensor) -> Tensor:
            h = z.transpose(0, 1) @ w_z  # (N, S, d_hidden), a fresh tensor: in place is fine
            return h.add_(base).relu_()
        return hidden

    def _set_logits(self, hidden: Tensor, bonus: SlotBonus | None,
                    candidates: dict[str, Candidates],
                    lists: ListScorer | None) -> dict[str, Tensor]:
        """Per set, (S, N, C) float logits masked to NEG_INF off the set, from the decoder's
        hidden layer (N, S, d_hidden), event-major. Short lists get only their candidates' logits from
        `lists` (exact, C / V of the work); the full (S, N, V) product only for a dense set
        (or for every set when `lists` is None: the path it replaced)."""
        out = lists(hidden) if lists is not None else {}
        if all(name in out for name in candidates):
            return out
        full = self.decoder[-1](hidden).transpose(0, 1)  # (S, N, V)
        full = (full if bonus is None else bonus.add_to(full)).float()
        for name, c in candidates.items():
            if c.whole:
                out[name] = torch.where(c.valid, full, NEG_INF)
            elif name not in out:
                picked = full.gather(-1, c.index.expand(*full.shape[:-1], c.index.shape[-1]))
                out[name] = torch.where(c.valid, picked, NEG_INF)
        return out

    def bonus(self, batch: Batch, ctx: Tensor) -> SlotBonus | None:
        """The roster scorer's bonus, or None without roster features."""
        return None if self.roster_scorer is None else self.roster_scorer(batch, ctx)

    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        ctx = self.context(batch)
        y = batch.tgt_player
        mu_p, lv_p = self.prior(ctx)
        mu_q, lv_q = self.posterior(ctx, y)
        z = reparameterize(mu_q, lv_q)
        logits = self.decode(z, ctx, self.bonus(batch, ctx))
        terms = {f"nll_{name}": c.nll(logits, y) for name, c in candidates.items()}
        recon = torch.stack(list(terms.values())).mean()
        kl_dim = kl_diag_gaussians(mu_q.float(), lv_q.float(), mu_p.float(), lv_p.float())
        kl = kl_dim.sum(-1).mean()
        kl_pen = kl_dim.mean(0).clamp(min=self.cfg.free_bits).sum() \
            if self.cfg.free_bits > 0 else kl
        loss = recon + self.kl_weight * kl_pen
        return ModelOutput(loss=loss, terms={**terms, "recon": recon, "kl": kl})

    @torch.no_grad()
    def score(self, batch: Batch, candidates: dict[str, Candidates],
              n_samples: int | None = None,
              generator: torch.Generator | None = None) -> dict[str, SetScores]:
        """Importance-sampled log p(y | context) (posterior proposal, k = n_samples) and
        log p(. | context) averaged over `cfg.prior_samples` prior samples.

        Samples are a tensor dimension, in chunks of at most `SCORE_CHUNK_ELEMENTS` logits
        (memory stays bounded); the noise is drawn one sample at a time in the order a
        one-sample-at-a-time loop draws it, so a seeded generator gives the same result.
        Short candidate lists decode only their candidates (`_set_logits`); the full
        vocabulary is decoded only for a dense set such as `all`.
        """
        k, m = self.samples_used(n_samples), self.cfg.prior_samples
        ctx = self.context(batch)
        y = batch.tgt_player
        mu_p, lv_p = self.prior(ctx)
        mu_q, lv_q = self.posterior(ctx, y)
        bonus = self.bonus(batch, ctx)
        chunk = max(1, SCORE_CHUNK_ELEMENTS // max(1, ctx.shape[0] * self._score_width(
            candidates)))
        hidden_of = self._hidden_of(ctx)
        short = {name: c for name, c in candidates.items() if not c.whole}
        lists = ListScorer.build(self.decoder[-1], short, bonus) if short and CANDIDATE_ONLY \
            else None
        log_w: dict[str, list[Tensor]] = {name: [] for name in candidates}
        for size in _chunks(k, chunk):
            z = _samples(mu_q, lv_q, size, generator)  # (size, N, d_z)
            masked = self._set_logits(hidden_of(z), bonus, candidates, lists)
            corr = diag_gaussian_log_prob(z, mu_p, lv_p) - diag_gaussian_log_prob(z, mu_q, lv_q)
            for name, cands in candidates.items():
                log_w[name].append(masked_truth_log_prob(cands, masked[name], y) + corr)
        logp_sum: dict[str, Tensor] = {}
        for size in _chunks(m, chunk):
            masked = self._set_logits(hidden_of(_samples(mu_p, lv_p, size, generator)), bonus,
                                      candidates, lists)
            for name in candidates:
                lp = torch.logsumexp(torch.log_softmax(masked[name], -1), 0)
                logp_sum[name] = torch.logaddexp(logp_sum[name], lp) if name in logp_sum else lp
        out = {}
        k_small = max(1, k // 10)
        for name in candidates:
            w = torch.cat(log_w[name])  # (k, N)
            ll = torch.logsumexp(w, 0) - math.log(k)
            ll_small = torch.logsumexp(w[:k_small], 0) - math.log(k_small)
            out[name] = SetScores(logp_sum[name] - math.log(m), ll, ll_small)
        return out

    def _score_width(self, candidates: dict[str, Candidates]) -> int:
        """Values per (sample, event) in one scoring chunk: the vocabulary when a set is
        dense, else the widest list or the decoder's hidden layer."""
        if not CANDIDATE_ONLY or any(c.whole for c in candidates.values()):
            return self.cfg.encoder.n_players
        return max([self.cfg.d_hidden] + [c.index.shape[-1] for c in candidates.values()])

    @torch.no_grad()
    def embed(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Posterior (mean, variance) of z for each target event, each (N, d_z)."""
        mu, logvar = self.posterior(self.context(batch), batch.tgt_player)
        return mu, logvar.exp()

    @torch.no_grad()
    def latent_diagnostics(self, batches: Iterable[Batch], ks: Sequence[int] = (10, 100, 1000),
                           generator: torch.Generator | None = None) -> dict[str, float]:
        """Importance-sampled log-likelihood at each k in `ks` (the same max(ks) posterior
        samples, nested), KL(q || prior) per event, and active units (latent dimensions
        whose posterior mean varies across events with variance > 0.01); roster
        candidates, known players whose truth is in the list."""
        from hockey_vae.features import candidate_set  # local: this method is one hunk

        k_max = max(ks)
        lls: dict[int, list[Tensor]] = {k: [] for k in ks}
        kls, mus = [], []
        for batch in batches:
            if batch.n_targets == 0:
                continue
            ctx, y = self.context(batch), batch.tgt_player
            cands = candidate_set(batch, "roster", self.n_players)
            keep = batch.tgt_known & cands.locate(y)[1]
            mu_p, lv_p = self.prior(ctx)
            mu_q, lv_q = self.posterior(ctx, y)
            kls.append(kl_diag_gaussians(mu_q, lv_q, mu_p, lv_p).sum(-1)[keep].float())
            mus.append(mu_q[keep].float())
            bonus = self.bonus(batch, ctx)
            w = torch.empty((k_max, int(keep.sum())), device=ctx.device)
            for i in range(k_max):
                z = reparameterize(mu_q, lv_q, generator=generator)
                lp = cands.truth_log_prob(cands.log_softmax(self.decode(z, ctx, bonus)), y)
                corr = diag_gaussian_log_prob(z, mu_p, lv_p) - diag_gaussian_log_prob(z, mu_q,
                                                                                     lv_q)
                w[i] = (lp + corr)[keep]
            for k in ks:
                lls[k].append(torch.logsumexp(w[:k], 0) - math.log(k))
        if not kls:
            return {}
        mu = torch.cat(mus)
        out = {f"loglik_k{k}": float(torch.cat(v).mean()) for k, v in lls.items()}
        return {**out, "kl_per_event": float(torch.cat(kls).mean()),
                "active_units": int((mu.var(0) > 0.01).sum()) if len(mu) > 1 else 0,
                "n_events": len(mu)}

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from hockey_vae.core.distributions import (
    diag_gaussian_log_prob,
    kl_diag_gaussians,
    reparameterize,
)
from hockey_vae.core.vae import linear_warmup
from hockey_vae.features import Batch, Candidates
from hockey_vae.models.base import ModelOutput, PlayerModel, SetScores
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
        if self.cfg.decoder_context:
            z = torch.cat([ctx.expand(*z.shape[:-1], ctx.shape[-1]), z], -1)
        logits = self.decoder(z)
        return logits if bonus is None else bonus.add_to(logits)

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
        log p(. | context) averaged over `cfg.prior_samples` prior samples."""
        k = self.samples_used(n_samples)
        ctx = self.context(batch)
        y = batch.tgt_player
        mu_p, lv_p = self.prior(ctx)
        mu_q, lv_q = self.posterior(ctx, y)
        bonus = self.bonus(batch, ctx)
        log_w: dict[str, list[Tensor]] = {name: [] for name in candidates}
        for _ in range(k):
            z = reparameterize(mu_q, lv_q, generator=generator)
            logits = self.decode(z, ctx, bonus)
            corr = diag_gaussian_log_prob(z, mu_p, lv_p) - diag_gaussian_log_prob(z, mu_q, lv_q)
            for name, cands in candidates.items():
                lp = cands.truth_log_prob(cands.log_softmax(logits), y)
                log_w[name].append(lp + corr)
        logp_avg: dict[str, Tensor] = {}
        m = self.cfg.prior_samples
        for _ in range(m):
            z = reparameterize(mu_p, lv_p, generator=generator)
            logits = self.decode(z, ctx, bonus)
            for name, cands in candidates.items():
                lp = cands.log_softmax(logits)
                logp_avg[name] = lp if name not in logp_avg else torch.logaddexp(logp_avg[name], lp)
        out = {}
        k_small = max(1, k // 10)
        for name in candidates:
            w = torch.stack(log_w[name])  # (k, N)
            ll = torch.logsumexp(w, 0) - math.log(k)
            ll_small = torch.logsumexp(w[:k_small], 0) - math.log(k_small)
            out[name] = SetScores(logp_avg[name] - math.log(m), ll, ll_small)
        return out

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

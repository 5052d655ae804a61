"""`player-latent`: the LSTM context plus a latent u_j per player that the scores must use.

Built form (issue 14's allowed variant, the discriminative head): for target event t with
context h_t (the LSTM encoder's, shared with `lstm`) and candidate j,

    logit_tj = lstm_head_j(h_t) + roster_bonus_tj + q(h_t) . u_j,

with q(u_j) = N(m_j, diag s_j^2) free per vocabulary player and a learned prior
p(u_j | position_j) = N(mu_pos, diag sigma_pos^2) (one level per position and one for an
unknown position). The cold-start tokens have no free posterior: their q is their level's
prior, so a player unseen in training is scored and embedded through his position's prior
(`simulate_unseen` trains the head on that). With `extra_latents`, a player who is in the
training games' decoder records but outside the vocabulary (a goalie, who never acts) gets
a free q(u) too, after the vocabulary's rows, with its own KL; only the decoder reads it. The same u feeds the prototype's event decoder
(`hockey_vae.models.event_decoder`: event kind, who of the on-ice skaters acted, shot place
and outcome with the goalie's latent, faceoffs with the opponent's, usage) on the training
games' records, which `prepare` hands the model. Per epoch the objective is

    -sum_t log p(y_t | h_t, u) - decoder_weight * log p(records | u) + beta * sum_j KL_j,

each batch paying its share (games in batch / training games) of the records and the KL;
`loss` is that divided by the batch's target events (nats per event). Why the
discriminative form: it keeps the LSTM's exact softmax as the fall-back (q . u can only
add), trains at the LSTM's cost, and its score is linear in u, so the k-sample integral is
one tensor draw of per-candidate logits. The generative form p(j | h) p(e_t | h, u_j) needs
the decoder on each candidate's hypothetical event and was not built (see the report).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.distributions import Normal, kl_divergence

from hockey_vae.features import N_SPECIAL, Batch, Candidates
from hockey_vae.features.batches import NEG_INF
from hockey_vae.models.base import ModelOutput, PlayerModel, SetScores
from hockey_vae.models.event_decoder import EventDecoder
from hockey_vae.models.latent_records import decoder_records, decoder_records_extended
from hockey_vae.models.lstm import ContextEncoder, LSTMConfig, RosterScorer, uses_roster_features
from hockey_vae.schema import POSITIONS

__all__ = ["LatentLSTMConfig", "PlayerLatentLSTM", "ACTIVE_UNIT_VARIANCE"]

ACTIVE_UNIT_VARIANCE = 0.01  # a unit is active when its posterior mean varies more across players
_SAMPLE_BUDGET = 1 << 24  # floats of (k, events, candidates) logits drawn at once when scoring


@dataclass
class LatentLSTMConfig:
    """Hyperparameters of `player-latent`; `encoder` is the shared LSTM context encoder."""

    encoder: LSTMConfig = field(default_factory=LSTMConfig)
    d_u: int = 16  # player latent size (= the per-player embedding's width)
    decoder_hidden: int = 64  # width of the event decoder's context MLPs
    decoder_weight: float = 1.0  # weight of the event decoder's log-likelihood
    decoder_terms: tuple[str, ...] = ("types", "choice", "shots", "faceoffs", "usage")
    beta: float = 1.0  # weight of the per-player KL
    init_log_sd: float = -1.0  # initial log sd of every q(u_j)
    player_lr_scale: float = 10.0  # m, log s = scale * raw: the players' step is this x lr
    dressed_span: str = "player"  # usage records: "player" (trades, the NHL) or "team"
    eval_samples: int = 32  # k: samples of u per event when scoring
    # latents for players in the decoder records but outside the vocabulary (goalies who
    # never act, dressed skaters who never acted in training): read by the decoder only
    extra_latents: bool = True


class PlayerLatentLSTM(PlayerModel):
    """LSTM context + per-player latents in the scores + event decoder; module docstring."""

    kind = "player-latent"
    embeds = True

    def __init__(self, cfg: LatentLSTMConfig, backoff: Tensor | None = None,
                 positions: Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        e = cfg.encoder
        n_levels = len(POSITIONS) + 1
        self.encoder = ContextEncoder(e, backoff)
        self.head = nn.Sequential(nn.Linear(e.d_context, e.d_context), nn.ReLU(),
                                  nn.Linear(e.d_context, e.n_players))
        self.roster_scorer = RosterScorer(e) if uses_roster_features(e) else None
        self.query = nn.Linear(e.d_context, cfg.d_u)
        self.register_buffer("positions", positions if positions is not None
                             else torch.full((e.n_players,), len(POSITIONS), dtype=torch.long))
        scale = cfg.player_lr_scale
        self.m_raw = nn.Parameter(torch.zeros(e.n_players, cfg.d_u))
        self.log_s_raw = nn.Parameter(torch.full((e.n_players, cfg.d_u), cfg.init_log_sd / scale))
        self.prior_mu = nn.Parameter(torch.zeros(n_levels, cfg.d_u))
        self.prior_log_sd = nn.Parameter(torch.zeros(n_levels, cfg.d_u))
        self.decoder = EventDecoder(cfg.d_u, cfg.decoder_hidden, n_levels)
        # training records (never saved: `prepare` rebuilds them from the tables)
        self._records: dict[str, dict[str, Tensor]] = {}
        self._cursor: dict[str, int] = {}
        self._perm: dict[str, Tensor] = {}
        self._n_train_games = 0
        self.register_buffer("n_train_events", torch.zeros((), dtype=torch.long))
        self.kl_weight = cfg.beta
        self._set_extras([], torch.zeros(0, dtype=torch.long))

    # -- latents of players outside the vocabulary (decoder only) -------------------------
    def _set_extras(self, ids: Sequence[str], levels: Tensor) -> None:
        """(Re)make the extra q(u) rows for `ids` (position levels `levels`) at q's start.

        The ids travel in the state dict as a UTF-8 byte buffer (`extra_ids_utf8`): the
        training loop clones every state-dict entry as a tensor, so no Python extra state."""
        d, dev = self.cfg.d_u, self.m_raw.device
        self.extra_ids = [str(i) for i in ids]
        init = self.cfg.init_log_sd / self.cfg.player_lr_scale
        self.extra_m_raw = nn.Parameter(torch.zeros(len(ids), d, device=dev))
        self.extra_log_s_raw = nn.Parameter(torch.full((len(ids), d), init, device=dev))
        raw = "\n".join(self.extra_ids).encode()
        self.register_buffer("extra_positions", levels.to(dev, torch.long))
        self.register_buffer("extra_ids_utf8", torch.tensor(list(raw), dtype=torch.uint8,
                                                            device=dev))

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False
                        ) -> Any:
        """As nn.Module's, after sizing the extra latents to the state's (kept in place when
        the ids already match, so an optimizer holding them still does); a state written
        before extra latents existed loads with none."""
        state = dict(state_dict)
        d = self.cfg.d_u
        state.setdefault("extra_m_raw", torch.zeros(0, d))
        state.setdefault("extra_log_s_raw", torch.zeros(0, d))
        state.setdefault("extra_positions", torch.zeros(0, dtype=torch.long))
        state.setdefault("extra_ids_utf8", torch.zeros(0, dtype=torch.uint8))
        raw = bytes(state["extra_ids_utf8"].cpu().tolist()).decode()
        ids = raw.split("\n") if raw else []
        if len(ids) != len(state["extra_m_raw"]):
            raise ValueError(f"player-latent state: {len(ids)} extra player ids but "
                             f"{len(state['extra_m_raw'])} extra latent rows")
        if ids != self.extra_ids:
            self._set_extras(ids, state["extra_positions"])
        return super().load_state_dict(state, strict=strict, assign=assign)

    def extra_latent(self) -> tuple[Tensor, Tensor]:
        """(mean, sd) of q(u) of the extra players, each (E, d_u)."""
        scale = self.cfg.player_lr_scale
        return (scale * self.extra_m_raw,
                (scale * self.extra_log_s_raw).clamp(-7.0, 3.0).exp())

    def kl_extra(self) -> Tensor:
        """(E,) KL(q(u) || p(u | position)) of the extra players, nats."""
        mean, sd = self.extra_latent()
        lv = self.extra_positions
        prior = Normal(self.prior_mu[lv], self.prior_log_sd[lv].clamp(-7.0, 3.0).exp())
        return kl_divergence(Normal(mean, sd), prior).sum(-1)

    @torch.no_grad()
    def extra_latents(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(ids, mean (E, d_u), sd (E, d_u), position level (E,)) of the extra players."""
        mean, sd = self.extra_latent()
        return (list(self.extra_ids), mean.float().cpu().numpy(), sd.float().cpu().numpy(),
                self.extra_positions.cpu().numpy())

    def decoder_latent(self, sample: bool) -> tuple[Tensor, Tensor]:
        """(u, position) of every decoder index: vocabulary rows then extra rows; u is a
        draw from q when `sample`, else its mean."""
        (mean, sd), (em, es) = self.latent(), self.extra_latent()
        mean, sd = torch.cat([mean, em]), torch.cat([sd, es])
        u = mean + sd * torch.randn_like(sd) if sample else mean
        return u, torch.cat([self.positions, self.extra_positions])

    # -- the latents ---------------------------------------------------------------------
    def latent(self) -> tuple[Tensor, Tensor]:
        """(mean, sd) of q(u_j) for every vocabulary entry, each (V, d_u); the special
        tokens' q is their position level's prior."""
        scale = self.cfg.player_lr_scale
        level = self.positions
        token = (torch.arange(len(level), device=level.device) < N_SPECIAL)[:, None]
        mean = torch.where(token, self.prior_mu[level], scale * self.m_raw)
        log_sd = torch.where(token, self.prior_log_sd[level], scale * self.log_s_raw)
        return mean, log_sd.clamp(-7.0, 3.0).exp()

    def kl_per_player(self) -> Tensor:
        """(V,) KL(q(u_j) || p(u_j | position_j)) in nats (0 for the special tokens)."""
        mean, sd = self.latent()
        level = self.positions
        prior = Normal(self.prior_mu[level], self.prior_log_sd[level].clamp(-7.0, 3.0).exp())
        return kl_divergence(Normal(mean, sd), prior).sum(-1)

    # -- training records ----------------------------------------------------------------
    def prepare(self, tables: Any, train_game_ids: list[str], encoder: Any) -> None:
        """Build the event decoder's records from the training games, in vocabulary indices."""
        device = self.m_raw.device
        args = (tables, train_game_ids, encoder.vocab_, self.cfg.dressed_span,
                self.cfg.decoder_terms)
        if self.cfg.extra_latents:
            recs, n_events, ids, levels = decoder_records_extended(*args)
            self._set_extras(ids, torch.as_tensor(levels))
        else:
            recs, n_events = decoder_records(*args)
        self._records = {name: {k: torch.as_tensor(v).to(device) for k, v in r.items()}
                         for name, r in recs.items()}
        self._cursor = {name: 0 for name in self._records}
        self._perm = {}
        self._n_train_games = len(train_game_ids)
        self.n_train_events.fill_(n_events)

    def _take(self, name: str, frac: float) -> dict[str, Tensor]:
        """The next `frac` of term `name`'s records from a shuffled pass over them."""
        recs = self._records[name]
        n = len(next(iter(recs.values())))
        size = min(n, max(1, math.ceil(frac * n)))
        start = self._cursor[name]
        if name not in self._perm or start + size > n:
            self._perm[name] = torch.randperm(n).to(self.m_raw.device)
            start = 0
        self._cursor[name] = start + size
        idx = self._perm[name][start:start + size]
        return {k: v[idx] for k, v in recs.items()}

    def decoder_nll(self, u: Tensor, frac: float, positions: Tensor | None = None
                    ) -> dict[str, Tensor]:
        """Summed NLL per decoder term of a `frac` share of the training records; `u` and
        `positions` cover every decoder index (default: the vocabulary's positions)."""
        pos = self.positions if positions is None else positions
        out = {}
        for name, recs in self._records.items():
            if recs and len(next(iter(recs.values()))):
                out[f"dec_{name}"] = self.decoder.term(name, self._take(name, frac), u, pos)
        return out

    # -- identification ------------------------------------------------------------------
    def context(self, batch: Batch) -> Tensor:
        """(N, d_context) context of each target event."""
        return self.encoder(batch)[batch.target]

    def base_logits(self, batch: Batch, ctx: Tensor) -> Tensor:
        """(N, V) the LSTM part of the logits: head plus roster bonus."""
        logits = self.head(ctx)
        if self.roster_scorer is None:
            return logits
        return self.roster_scorer(batch, ctx).add_to(logits)

    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        ctx = self.context(batch)
        u_all, pos_all = self.decoder_latent(self.training)
        u = u_all[:self.n_players]
        logits = self.base_logits(batch, ctx) + self.query(ctx).float() @ u.float().T
        y = batch.tgt_player
        terms = {f"nll_{name}": c.nll(logits, y) for name, c in candidates.items()}
        ident = torch.stack(list(terms.values())).mean()
        n = max(batch.n_targets, 1)
        frac = batch.etype.shape[0] / max(self._n_train_games, batch.etype.shape[0])
        dec = self.decoder_nll(u_all.float(), frac, pos_all) if self.training else {}
        kl = self.kl_per_player().sum() + self.kl_extra().sum()
        extra = self.cfg.decoder_weight * sum(dec.values(), ident.new_zeros(()))
        loss = ident + (extra + self.kl_weight * frac * kl) / n
        per_event = {k: v / n for k, v in dec.items()}
        return ModelOutput(loss=loss, terms={**terms, "ident": ident, **per_event,
                                             "kl": frac * kl / n})

    def samples_used(self, n_samples: int | None) -> int:
        return n_samples or self.cfg.eval_samples

    @torch.no_grad()
    def score(self, batch: Batch, candidates: dict[str, Candidates],
              n_samples: int | None = None,
              generator: torch.Generator | None = None) -> dict[str, SetScores]:
        """log p(. | context) = log mean_k softmax(logits(u^(k))) over each set, u^(k) ~ q(u).

        The logit of candidate j is linear in u_j, so given h_t it is Gaussian with mean
        base + q . m_j and variance sum_d q_d^2 s_jd^2, independent across candidates: the
        k samples are drawn as one (k, N, C) tensor of logits (importance sampling with
        q(u) as its own proposal, all weights 1). `loglik_small` uses the first k // 10.
        """
        k = self.samples_used(n_samples)
        ctx = self.context(batch)
        mean, sd = self.latent()
        q = self.query(ctx).float()
        mu = self.base_logits(batch, ctx).float() + q @ mean.float().T  # (N, V)
        scale = ((q * q) @ (sd.float() ** 2).T).sqrt()  # (N, V)
        y = batch.tgt_player
        out = {}
        for name, cands in candidates.items():
            lp = self._sampled_log_softmax(cands, mu, scale, k, generator)  # (k, N, C)
            logp = torch.logsumexp(lp, 0) - math.log(k)
            k_small = max(1, k // 10)
            small = torch.logsumexp(lp[:k_small], 0) - math.log(k_small)
            out[name] = SetScores(logp, cands.truth_log_prob(logp, y),
                                  cands.truth_log_prob(small, y))
        return out

    @staticmethod
    def _sampled_log_softmax(cands: Candidates, mu: Tensor, scale: Tensor, k: int,
                             generator: torch.Generator | None) -> Tensor:
        """(k, N, C) log-softmax over the set of k logit draws N(mu, scale^2) per candidate;
        the dense form is drawn in event chunks to bound memory."""
        if not cands.whole:
            m, s = mu.gather(1, cands.index), scale.gather(1, cands.index)
            eps = torch.randn((k, *m.shape), generator=generator, device=m.device)
            draws = torch.where(cands.valid, m + s * eps, NEG_INF)
            return torch.log_softmax(draws, -1)
        n, v = mu.shape
        chunk = max(1, _SAMPLE_BUDGET // max(k * v, 1))
        parts = []
        for i in range(0, n, chunk):
            m, s, ok = mu[i:i + chunk], scale[i:i + chunk], cands.valid[i:i + chunk]
            eps = torch.randn((k, *m.shape), generator=generator, device=m.device)
            parts.append(torch.log_softmax(torch.where(ok, m + s * eps, NEG_INF), -1))
        return torch.cat(parts, 1)

    # -- embeddings and diagnostics ------------------------------------------------------
    @property
    def embedding_dim(self) -> int:
        return 2 * self.cfg.d_u

    @property
    def player_dims(self) -> int:
        """Leading embedding columns that describe the player (q(u_j)); the rest, context."""
        return self.cfg.d_u

    @torch.no_grad()
    def embed(self, batch: Batch) -> tuple[Tensor, Tensor]:
        """Per target event: [m_actor, q(h_t)] and variance [s_actor^2, 0], each (N, 2 d_u):
        who acted (his posterior) beside what the context asks of the actor."""
        mean, sd = self.latent()
        y = batch.tgt_player
        q = self.query(self.context(batch)).float()
        emb = torch.cat([mean[y].float(), q], -1)
        var = torch.cat([sd[y].float() ** 2, torch.zeros_like(q)], -1)
        return emb, var

    @torch.no_grad()
    def player_latents(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sd) of q(u_j) per vocabulary entry, numpy (V, d_u) each."""
        mean, sd = self.latent()
        return mean.float().cpu().numpy(), sd.float().cpu().numpy()

    @torch.no_grad()
    def latent_diagnostics(self, batches: Iterable[Batch], ks: Sequence[int] = (10, 100, 1000),
                           generator: torch.Generator | None = None) -> dict[str, float]:
        """`loglik_k{k}` (the importance-sampled likelihood of `score` with k samples, roster
        candidates, known players in the list; a fresh draw per k), kl_per_event (total KL /
        training events), kl_per_player (mean over players) and active_units (posterior-mean
        variance across players above ACTIVE_UNIT_VARIANCE)."""
        from hockey_vae.features import candidate_set  # local: avoids a cycle at import

        lls: dict[int, list[Tensor]] = {k: [] for k in ks}
        for batch in batches:
            if batch.n_targets == 0:
                continue
            cands = candidate_set(batch, "roster", self.n_players)
            keep = batch.tgt_known & cands.locate(batch.tgt_player)[1]
            for k in ks:
                ll = self.score(batch, {"roster": cands}, n_samples=k,
                                generator=generator)["roster"].loglik
                lls[k].append(ll[keep].float())
        out: dict[str, float] = {f"loglik_k{k}": float(torch.cat(v).mean())
                                 for k, v in lls.items() if v}
        if lls and next(iter(lls.values())):
            out["n_events"] = int(sum(len(x) for x in next(iter(lls.values()))))
        kl = self.kl_per_player()[N_SPECIAL:]
        mean, _ = self.latent()
        players = mean[N_SPECIAL:].float()
        n_events = int(self.n_train_events)
        active = int((players.var(0) > ACTIVE_UNIT_VARIANCE).sum()) if len(players) > 1 else 0
        return {**out,
                "kl_per_event": float(kl.sum()) / n_events if n_events else float("nan"),
                "kl_per_player": float(kl.mean()) if len(kl) else float("nan"),
                "active_units": active, "n_units": self.cfg.d_u}

"""LSTM context encoder and the LSTM classifier baselines (with and without player history).

For event t the context is the LSTM state after events 0..t-1 (their features and, with
history, a learned embedding of their acting players, with player-id dropout) joined with
event t's own features except its player. Reference for the task: Liu, Schulte et al.,
"Learning Agent Representations for Ice Hockey", NeurIPS 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from hockey_vae.features import N_ROSTER_FEATURES, NUM_FEATURES, Batch, Candidates
from hockey_vae.models.base import ModelOutput, PlayerModel
from hockey_vae.schema import EVENT_TYPES

__all__ = ["LSTMConfig", "ENCODER_FIELDS", "ContextEncoder", "RosterScorer", "SlotBonus",
           "LSTMClassifier", "uses_roster_features"]

# Fields of LSTMConfig that describe the encoder's output, not the model: filled from the
# fitted SequenceEncoder, and a config that disagrees with its encoder is an error.
ENCODER_FIELDS = ("n_players", "n_teams", "n_num", "n_roster_features", "history", "lineup")


@dataclass
class LSTMConfig:
    """Context encoder and classifier head; the ENCODER_FIELDS come from the encoder."""

    n_players: int = 0  # vocabulary size incl. special tokens (from the PlayerVocab)
    n_teams: int = 1  # team vocabulary size incl. <none>
    n_event_types: int = len(EVENT_TYPES)
    n_num: int = len(NUM_FEATURES)  # numeric features per event
    n_roster_features: int = N_ROSTER_FEATURES  # per-candidate features per roster slot
    history: bool = True  # previous events' acting players and the history columns
    lineup: bool = False  # the encoder writes the lineup columns (who is on the ice at t)
    d_type: int = 16  # event-type embedding
    d_team: int = 8  # team embedding
    d_player: int = 32  # previous acting player embedding (history input)
    hidden: int = 128  # LSTM state size
    layers: int = 1  # stacked LSTM layers
    d_context: int = 128  # context vector fed to the heads
    dropout: float = 0.1  # on the context vector
    d_roster: int = 32  # width of the per-candidate roster scorer
    player_dropout: float = 0.2  # prob. a history player id is replaced by its position token


class ContextEncoder(nn.Module):
    """Events -> per-event context vectors, causal in the acting players.

    forward(batch) -> (B, T, d_context): row t depends on events < t (all features and
    players) and on event t's own features, never on event t's player or anything later.
    """

    def __init__(self, cfg: LSTMConfig, backoff: Tensor | None = None):
        super().__init__()
        assert cfg.n_players > 0, "LSTMConfig.n_players must be set from the vocabulary"
        self.cfg = cfg
        self.type_emb = nn.Embedding(cfg.n_event_types, cfg.d_type)
        self.team_emb = nn.Embedding(cfg.n_teams, cfg.d_team)
        d_event = cfg.d_type + cfg.d_team + cfg.n_num
        d_in = d_event + (cfg.d_player if cfg.history else 0)
        if cfg.history:
            self.player_emb = nn.Embedding(cfg.n_players, cfg.d_player)
        self.lstm = nn.LSTM(d_in, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.mix = nn.Sequential(nn.Linear(cfg.hidden + d_event, cfg.d_context), nn.ReLU(),
                                 nn.Dropout(cfg.dropout))
        # each vocabulary index -> its cold-start token (position back-off)
        self.register_buffer("backoff", backoff if backoff is not None
                             else torch.ones(cfg.n_players, dtype=torch.long), persistent=True)

    def event_features(self, batch: Batch) -> Tensor:
        """(B, T, d_event): each event's own features, without its player."""
        return torch.cat([self.type_emb(batch.etype), self.team_emb(batch.team), batch.num], -1)

    def forward(self, batch: Batch) -> Tensor:
        feats = self.event_features(batch)  # (B, T, d_event)
        x = feats
        if self.cfg.history:
            players = batch.player
            if self.training and self.cfg.player_dropout > 0:
                drop = torch.rand(players.shape, device=players.device) < self.cfg.player_dropout
                players = torch.where(drop & (players > 0), self.backoff[players], players)
            x = torch.cat([feats, self.player_emb(players)], -1)
        h, _ = self.lstm(x)  # (B, T, hidden): h[:, t] has seen events 0..t
        h_prev = torch.cat([h.new_zeros(h[:, :1].shape), h[:, :-1]], 1)  # state before t
        return self.mix(torch.cat([h_prev, feats], -1))  # (B, T, d_context)


class RosterScorer(nn.Module):
    """Per-candidate logit bonus from what the game says about each roster player.

    bonus[n, j] = <g(context_n), h(phi_nj)> + b(phi_nj) for roster slot j of event n, with
    phi the slot's `tgt_roster_features` (`features.roster_features`). The encoder writes
    only the columns its flags allow (no history columns without history), so the scorer
    reads them as they come.
    """

    def __init__(self, cfg: LSTMConfig):
        super().__init__()
        d = cfg.d_roster
        self.h = nn.Sequential(nn.Linear(cfg.n_roster_features, d), nn.ReLU(), nn.Linear(d, d),
                               nn.ReLU())
        self.g = nn.Linear(cfg.d_context, d)
        self.b = nn.Linear(d, 1)
        self.n_players = cfg.n_players

    def forward(self, batch: Batch, ctx: Tensor) -> SlotBonus:
        """The bonus of each distinct roster entry, to add onto (..., N, n_players) logits.

        A roster slot held by a player unseen in training (its cold-start token) keeps its
        history features, so the token gets that player's bonus (the largest, when it
        stands for several players).
        """
        h = self.h(batch.tgt_roster_features)  # (N, W, d)
        bonus = (h * self.g(ctx)[:, None, :]).sum(-1) + self.b(h).squeeze(-1)  # (N, W)
        idx = batch.tgt_roster
        valid = idx >= 1
        same = (idx[:, :, None] == idx[:, None, :]) & valid[:, None, :]  # (N, W, W)
        best = torch.where(same, bonus[:, None, :], torch.full_like(bonus[:, None, :], -1e4))
        best = best.amax(-1)  # the largest bonus among the slots sharing this entry
        first = ~torch.tril(same, diagonal=-1).any(-1)  # first slot of each entry
        keep = valid & first
        return SlotBonus(idx.clamp(min=0), torch.where(keep, best, torch.zeros_like(best)))


@dataclass
class SlotBonus:
    """A logit bonus on a few vocabulary entries per event: `value` (N, W) at `index`
    (N, W), each entry at most once (padding adds 0 to entry 0).

    Adding it with `scatter_add` touches N x W logits instead of materialising an
    (N, n_players) tensor, which made the bonus the costliest part of evaluation.
    """

    index: Tensor
    value: Tensor

    def add_to(self, logits: Tensor) -> Tensor:
        """`logits` (..., N, V) plus the bonus (broadcast over leading sample dims)."""
        shape = (*logits.shape[:-1], self.index.shape[-1])
        return logits.scatter_add(-1, self.index.expand(shape),
                                  self.value.to(logits.dtype).expand(shape))

    def dense(self, n_vocab: int) -> Tensor:
        """(N, n_vocab) form, zero off the listed entries (for tests and inspection)."""
        return self.add_to(self.value.new_zeros((self.index.shape[0], n_vocab)))


def uses_roster_features(cfg: LSTMConfig) -> bool:
    """Whether a model with encoder config `cfg` has a roster scorer (some column is on)."""
    return cfg.history or cfg.lineup


class LSTMClassifier(PlayerModel):
    """Baseline `lstm` / `lstm-nohist`: softmax over players from the context vector."""

    kind = "lstm"

    def __init__(self, cfg: LSTMConfig, backoff: Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        self.encoder = ContextEncoder(cfg, backoff)
        self.head = nn.Sequential(nn.Linear(cfg.d_context, cfg.d_context), nn.ReLU(),
                                  nn.Linear(cfg.d_context, cfg.n_players))
        self.roster_scorer = RosterScorer(cfg) if uses_roster_features(cfg) else None

    def context(self, batch: Batch) -> Tensor:
        """(N, d_context) context of each target event."""
        return self.encoder(batch)[batch.target]

    def forward(self, batch: Batch, candidates: dict[str, Candidates]) -> ModelOutput:
        logits = self.logits(batch)
        y = batch.tgt_player
        terms = {f"nll_{name}": c.nll(logits, y) for name, c in candidates.items()}
        loss = torch.stack(list(terms.values())).mean()
        return ModelOutput(loss=loss, terms=terms)

    def logits(self, batch: Batch) -> Tensor:
        ctx = self.context(batch)
        logits = self.head(ctx)
        if self.roster_scorer is None:
            return logits
        return self.roster_scorer(batch, ctx).add_to(logits)

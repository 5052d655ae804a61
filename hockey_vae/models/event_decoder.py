"""Event decoder of the player-latent model: one negative log-likelihood per record set.

Each head sees the player latents u (n_players, d_u) and the positions, and returns the
summed NLL (nats) of its records (see `hockey_vae.models.latent_events`):

- types:    p(kind | context, u_actor), an MLP over [context, u_actor].
- choice:   p(actor | kind, on-ice skaters) = softmax over candidates of a_kind . u_j +
            b_kind,pos_j (the conditional logit by which the simulator and a coach pick).
- shots:    location p(log distance, angle | manpower, u_shooter) (Gaussian; attempts from
            inside the zone, the others are dump-ins whose place says nothing of the shooter),
            then the outcome as three steps, blocked / missed | unblocked / goal | on net, each
            logit = MLP(shot features) + a . u_shooter + g . u_goalie (no goalie: empty net).
            Finishing and goaltending reach the latents only here.
- faceoffs: p(winner beats loser) = sigmoid(f . (u_w - u_l) + c_pos_w - c_pos_l + h home).
- usage:    per game of the player's team: dressed (Bernoulli), on ice at all given
            dressed (Bernoulli; for goalies: started), and given that his share of the game's
            team events on ice (Gaussian, mean b_pos + v . u_j): scratches and ice time, the
            simulator's depth chart (skill). An identity link keeps ice share linear in u (a
            log-link negative binomial count probed skill worse: R^2 .69 vs .73 on seed 1).

Heads that read u are linear in it, so each style is a direction of u, and the implied
goal probability of a player has a closed-form posterior interval.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hockey_vae.models.latent_events import CHOICE_KINDS, KINDS, N_CONTEXT, N_SHOT_FEATURES

__all__ = ["EventDecoder"]

_LOC_CTX = slice(3, 7)  # shot features known before the shot's place: manpower, empty net


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


class EventDecoder(nn.Module):
    """All heads; `term(name, records, u, position)` is the summed NLL of one record set."""

    def __init__(self, d_u: int, hidden: int, n_positions: int):
        super().__init__()
        self.types = _mlp(N_CONTEXT + d_u, hidden, len(KINDS))
        self.choice_a = nn.Linear(d_u, len(CHOICE_KINDS), bias=False)
        self.choice_b = nn.Parameter(torch.zeros(n_positions, len(CHOICE_KINDS)))
        n_loc_ctx = _LOC_CTX.stop - _LOC_CTX.start
        self.loc = nn.Linear(n_loc_ctx + d_u, 4)  # mean (2), log sd (2)
        self.shot_ctx = _mlp(N_SHOT_FEATURES, hidden, 3)
        self.shot_a = nn.Linear(d_u, 3, bias=False)  # shooter
        self.shot_g = nn.Linear(d_u, 3, bias=False)  # goalie
        self.fo_f = nn.Linear(d_u, 1, bias=False)
        self.fo_c = nn.Parameter(torch.zeros(n_positions))
        self.fo_home = nn.Parameter(torch.zeros(()))
        self.use_v = nn.Linear(d_u, 3, bias=False)  # dressed, played | dressed, count | played
        self.use_b = nn.Parameter(torch.tensor([[2.0, 2.0, 0.3]]).repeat(n_positions, 1))
        self.use_log_sd = nn.Parameter(torch.full((n_positions,), -2.0))  # sd of the ice share

    def term(self, name: str, recs: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        """Summed NLL of the records of term `name`."""
        head = {"types": self._types, "choice": self._choice, "shots": self._shots,
                "faceoffs": self._faceoffs, "usage": self._usage}.get(name)
        if head is None:
            raise ValueError(f"unknown term {name!r}")
        return head(recs, u, pos)

    def _types(self, r: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        logits = self.types(torch.cat([r["context"], u[r["actor"]]], dim=1))
        return F.cross_entropy(logits, r["kind"], reduction="sum")

    def _choice(self, r: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        cand = r["candidates"]  # (n, 6), -1 = empty slot
        safe = cand.clamp(min=0)
        kind = r["kind"][:, None].expand_as(cand)
        score = self.choice_a(u[safe]).gather(-1, kind[..., None])[..., 0]
        score = score + self.choice_b[pos[safe], kind]
        score = torch.where(cand >= 0, score, -1e9)
        target = (cand == r["actor"][:, None]).float().argmax(dim=1)
        return F.cross_entropy(score, target, reduction="sum")

    def shot_logits(self, r: dict[str, Tensor], u: Tensor) -> Tensor:
        """(n, 3) logits: blocked, missed given unblocked, goal given on net."""
        goalie = r["goalie"]
        u_g = torch.where((goalie >= 0)[:, None], u[goalie.clamp(min=0)], 0.0)
        return self.shot_ctx(r["features"]) + self.shot_a(u[r["shooter"]]) + self.shot_g(u_g)

    def _shots(self, r: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        y = r["outcome"]
        lg = self.shot_logits(r, u)
        steps = [(y >= 0, y == 0), (y >= 1, y == 1), (y >= 2, y == 3)]
        nll = sum((F.binary_cross_entropy_with_logits(lg[:, i], hit.float(), reduction="none")
                   * at).sum() for i, (at, hit) in enumerate(steps))
        z = r["in_zone"]
        out = self.loc(torch.cat([r["features"][:, _LOC_CTX], u[r["shooter"]]], dim=1))
        mean, log_sd = out[:, :2], out[:, 2:].clamp(-4.0, 3.0)
        loc_nll = -torch.distributions.Normal(mean, log_sd.exp()).log_prob(r["loc"]).sum(1)
        return nll + (loc_nll * z).sum()

    def _faceoffs(self, r: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        w, loser = r["winner"], r["loser"]
        logit = (self.fo_f(u[w] - u[loser])[:, 0] + self.fo_c[pos[w]] - self.fo_c[pos[loser]]
                 + self.fo_home * r["winner_home"])
        return -F.logsigmoid(logit).sum()

    def _usage(self, r: dict[str, Tensor], u: Tensor, pos: Tensor) -> Tensor:
        p = r["player"]
        lin = self.use_b[pos[p]] + self.use_v(u[p])  # (n, 3)
        dressed = r["dressed"]
        played = r["on_ice"] > 0
        nll = F.binary_cross_entropy_with_logits(lin[:, 0], dressed.float(), reduction="sum")
        nll = nll + (F.binary_cross_entropy_with_logits(
            lin[:, 1], played.float(), reduction="none") * dressed).sum()
        # ice share of the game's team events, given that he played: Gaussian, identity link
        share = r["on_ice"] / r["exposure"]
        share_nll = -torch.distributions.Normal(lin[:, 2], self.use_log_sd[pos[p]].exp()
                                                ).log_prob(share)
        return nll + (share_nll * played).sum()

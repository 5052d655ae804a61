"""Post-hoc refinement of a trained `player-latent` run's player posteriors q(u_j).

Early stopping on identification keeps an early epoch (about 2 of 6 on the synthetic league),
so each q(u_j) = N(m_j, diag s_j^2) has seen every decoder record only a few times and is
far from the optimum of the training ELBO. Refinement freezes every network weight (LSTM
encoder, heads, query, event decoder) and, unless `refit_prior`, the position prior, and
fits only the latents (the vocabulary's m_j, s_j and the extra latents of players outside
it, e.g. goalies) to convergence on the same objective training minimises:

    -sum_t mean_sets log p(y_t | h_t, u) - decoder_weight * log p(records | u) + beta * KL,

with the contexts h_t computed once in eval mode (no dropout, no simulated unseen players:
the network is frozen, so h_t does not change) and u drawn from q (reparameterised) at each
step. With `refit_prior` the prior's (mu_pos, sd_pos) are fitted too (empirical Bayes).
The result goes to a new checkpoint file in the run folder (`refined.pt`, atomic write;
`best.pt` is never touched), readable by `load_run(run_dir, which="refined")`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from hockey_vae.features import as_tables, iterate_batches, training_candidates
from hockey_vae.models.latent_foldin import require_player_latent
from hockey_vae.run_folder import REFINED

__all__ = ["RefineConfig", "RefineResult", "refine_latents", "refine_run", "REFINED",
           "latent_parameters"]

_LATENTS = ("m_raw", "log_s_raw", "extra_m_raw", "extra_log_s_raw")
_PRIOR = ("prior_mu", "prior_log_sd")


@dataclass
class RefineConfig:
    """Knobs of the refinement: Adam on the latents, passes over the training games until
    the mean objective of the last `window` passes improves on the window before by less
    than `tol` nats per event (or `max_passes`)."""

    max_passes: int = 400
    lr: float = 0.003  # on the raw parameters (m = player_lr_scale * raw), as in training
    batch_games: int = 16
    tol: float = 1e-3  # nats per event between the means of successive windows of passes
    window: int = 10  # passes averaged (the objective is noisy: u is sampled)
    refit_prior: bool = False  # also fit the position prior (empirical Bayes)
    seed: int = 0


@dataclass
class RefineResult:
    """What refinement did: the objective (nats per training event) per pass, passes run,
    whether it converged, seconds, and the config."""

    objective: list[float] = field(default_factory=list)
    passes: int = 0
    converged: bool = False
    seconds: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)


def latent_parameters(model: torch.nn.Module, refit_prior: bool = False) -> list[str]:
    """Names of the parameters refinement fits (every other one stays frozen)."""
    return [*_LATENTS, *(_PRIOR if refit_prior else ())]


@torch.no_grad()
def _frozen_batches(model: Any, enc: Any, candidates: tuple[str, ...], batch_games: int
                    ) -> list[dict[str, Any]]:
    """Per batch of training games: the batch, its contexts h_t, query q(h_t), candidate
    sets and truths. The (N, V) base logits are recomputed from h_t at each step rather than
    kept (on the NHL they would be gigabytes), under no_grad: the network is frozen."""
    out, dev = [], model.m_raw.device
    for batch in iterate_batches(enc, batch_games):
        if batch.n_targets == 0:
            continue
        batch = batch.to(dev)
        ctx = model.context(batch)
        out.append({"batch": batch, "ctx": ctx, "q": model.query(ctx).float(),
                    "cands": training_candidates(batch, candidates, model.n_players),
                    "y": batch.tgt_player, "games": batch.etype.shape[0],
                    "n": batch.n_targets})
    return out


def _step_loss(model: Any, b: dict[str, Any], n_games: int) -> Tensor:
    """The training objective of one frozen batch (nats per event), u drawn from q."""
    with torch.no_grad():
        base = model.base_logits(b["batch"], b["ctx"]).float()
    u_all, pos_all = model.decoder_latent(True)
    u = u_all[:model.n_players]
    logits = base + b["q"] @ u.float().T
    ident = torch.stack([c.nll(logits, b["y"]) for c in b["cands"].values()]).mean()
    frac = b["games"] / max(n_games, b["games"])
    dec = model.decoder_nll(u_all.float(), frac, pos_all)
    kl = model.kl_per_player().sum() + model.kl_extra().sum()
    extra = model.cfg.decoder_weight * sum(dec.values(), ident.new_zeros(()))
    return ident + (extra + model.kl_weight * frac * kl) / max(b["n"], 1)


def refine_latents(model: Any, enc: Any, n_train_games: int, candidates: tuple[str, ...],
                   cfg: RefineConfig | None = None) -> RefineResult:
    """Fit q(u) (and, with `refit_prior`, the prior) of a `prepare`d player-latent `model`
    on the encoded training games `enc`, every other weight frozen; in place."""
    require_player_latent(model)
    cfg = cfg or RefineConfig()
    if not model._records:
        raise ValueError("refine_latents needs the model's decoder records: call "
                         "model.prepare(tables, train_game_ids, encoder) first")
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model.eval()
    names = set(latent_parameters(model, cfg.refit_prior))
    for name, p in model.named_parameters():
        p.requires_grad_(name in names)
    batches = _frozen_batches(model, enc, candidates, cfg.batch_games)
    total = sum(b["n"] for b in batches)
    opt = torch.optim.Adam([p for n, p in model.named_parameters() if n in names], lr=cfg.lr)
    res = RefineResult(config=asdict(cfg))
    tic, w = time.perf_counter(), cfg.window
    for _ in range(cfg.max_passes):
        acc = 0.0
        for i in torch.randperm(len(batches), generator=gen).tolist():
            loss = _step_loss(model, batches[i], n_train_games)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            acc += float(loss.detach()) * batches[i]["n"]
        res.objective.append(acc / max(total, 1))
        res.passes += 1
        obj = res.objective
        if len(obj) >= 2 * w and np.mean(obj[-2 * w:-w]) - np.mean(obj[-w:]) < cfg.tol:
            res.converged = True
            break
    for p in model.parameters():
        p.requires_grad_(True)
    res.seconds = time.perf_counter() - tic
    return res


def _val_loglik(run: Any, tables: Any) -> float:
    """The run's validation score (roster log-likelihood, its own val_samples and seed)."""
    from hockey_vae.train import validation_loglik

    games = list(run.split.get("val", []))
    if not games:
        return float("nan")
    enc = run.encoder.transform(tables, games)
    return validation_loglik(run.model, enc, run.train_config, run.device)[0]


def refine_run(run_dir: str | Path, tables: Any, cfg: RefineConfig | None = None,
               out_name: str = REFINED) -> dict[str, Any]:
    """Refine the latents of the run in `run_dir` (its `best.pt`) on its training games of
    `tables`; write `run_dir/out_name` (never best.pt). Returns the summary stored in it:
    objective per pass, seconds, validation log-likelihood before and after."""
    from hockey_vae.checkpoint import read_checkpoint, save_checkpoint
    from hockey_vae.run_folder import BEST
    from hockey_vae.train import load_run

    run_dir = Path(run_dir)
    if out_name == BEST:
        raise ValueError(f"refine never overwrites {BEST}; choose another file name")
    cfg = cfg or RefineConfig()
    state = read_checkpoint(run_dir / BEST)
    run = load_run(run_dir)
    require_player_latent(run.model)
    t = as_tables(tables)
    train = list(run.split["train"])
    model = run.model
    saved_ids = list(model.extra_ids)
    model.prepare(t, train, run.encoder)  # rebuilds the records (and blank extra latents)
    if list(model.extra_ids) != saved_ids:
        raise ValueError(f"{run_dir}: the data's training games give {len(model.extra_ids)} "
                         f"extra players but the checkpoint holds {len(saved_ids)}: is "
                         "--data the run's own data?")
    model.load_state_dict(state["model"])  # the trained latents back, in place
    before = _val_loglik(run, t)
    enc = run.encoder.transform(t, train)
    res = refine_latents(model, enc, len(train), tuple(run.train_config.train_candidates), cfg)
    after = _val_loglik(run, t)
    summary = {**asdict(res), "val_loglik_before": before, "val_loglik_after": after,
               "n_train_games": len(train), "source": BEST}
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    save_checkpoint({**state, "model": weights, "refine": _finite(summary)}, run_dir / out_name)
    return summary


def _finite(d: dict[str, Any]) -> dict[str, Any]:
    """`d` with NaN floats as None (a checkpoint holds plain containers)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in d.items()}


def objective_of(model: Any, enc: Any, n_train_games: int, candidates: tuple[str, ...],
                 n_draws: int = 4, seed: int = 0, batch_games: int = 16) -> float:
    """The training objective (nats per event) of the frozen model, mean of `n_draws` passes
    (for tests and diagnostics: lower is better)."""
    torch.manual_seed(seed)
    model.eval()
    batches = _frozen_batches(model, enc, candidates, batch_games)
    total = sum(b["n"] for b in batches)
    vals = []
    with torch.no_grad():
        for _ in range(n_draws):
            vals.append(sum(float(_step_loss(model, b, n_train_games)) * b["n"]
                            for b in batches) / max(total, 1))
    return float(np.mean(vals))

"""Leak checks for a trained run: perturb what the model should (or should not) rely on.

Each check scores the same held-out events twice, intact and perturbed, and reports the mean
natural-log likelihood of the true player (known players whose slot is in the candidate set,
as the headline tables) under one candidate set (default `roster`):

- `shuffled_lineup`: the lineup columns (`LINEUP_COLUMNS`: on the ice at t, the event has a
  list) are shuffled across the acting team's roster slots within each event. The lineup gain
  is measured against the SAME model with those columns zeroed (`lineup_listed` = 0 is how
  the model sees events without an on-ice list), not against a separately trained model; if
  the columns carry only "who is on the ice", shuffling must remove most of that gain.
- `ablate_own_event`: event t's own features that describe what the acting player did, the
  event type and its location (x, y, |y|, goal distance: set to "location missing", the
  event-type embedding zeroed), are removed from event t's own input only; the LSTM state
  (events before t, their types and locations included) is left intact. Kept: acting team,
  clock, period, score, manpower, home, same-team-as-previous (known before the player acts
  or needed to define the candidates). The player of event t is never an input. A drop is
  expected: type and location are inputs by design, and the check says how much rests on them.
- `same_timestamp_permutation`: events sharing a game second (a consecutive run within a
  game) are put in random order and the games re-encoded; a model that reads only the past
  should change little, since within a second the recorded order carries little besides
  bookkeeping.

Perturbations act on the encoded arrays (lineup), through forward hooks on the context
encoder's mixing layer (own-event ablation; no model code changes), or on the canonical
tables (timestamps).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import torch

from hockey_vae.evaluate import predict
from hockey_vae.features import EncodedGames, as_tables
from hockey_vae.features.encoding import NUM_FEATURES
from hockey_vae.features.roster_features import LINEUP_COLUMNS
from hockey_vae.models.lstm import ContextEncoder

__all__ = ["run_leak_checks", "leak_checks_markdown", "LEAK_CHECKS", "OWN_EVENT_COLUMNS",
           "KEEP_GAIN_MAX", "TIMESTAMP_TOLERANCE"]

LEAK_CHECKS = ("shuffled_lineup", "ablate_own_event", "same_timestamp_permutation")
# Numeric columns of event t describing the player's action (with the event type).
OWN_EVENT_COLUMNS = ("x", "y", "abs_y", "goal_distance", "xy_missing")
KEEP_GAIN_MAX = 0.25  # shuffled lineup may keep at most this share of the lineup gain
TIMESTAMP_TOLERANCE = 0.02  # nats per event a same-second permutation may move the score


def _score(run: Any, enc: EncodedGames, candidates: str, seed: int,
           batch_games: int) -> tuple[float, np.ndarray]:
    """(mean log-likelihood, per-event log-likelihood) over known players in the set."""
    pred = predict(run.model, enc, [candidates], batch_games=batch_games, device=run.device,
                   seed=seed)
    d = pred.sets[candidates]
    sel = pred.known & d["in_set"].astype(bool)
    ll = d["ll"][sel]
    return (float(ll.mean()) if len(ll) else float("nan")), ll


def _entry(base: float, perturbed: float, n: int, verdict: str, **extra: Any) -> dict[str, Any]:
    return {"baseline_loglik": base, "perturbed_loglik": perturbed,
            "diff": perturbed - base, "n_events": int(n), **extra, "verdict": verdict}


def _with_roster_features(enc: EncodedGames, feats: np.ndarray) -> EncodedGames:
    return dataclasses.replace(enc, roster_features=feats)


def _shuffle_lineup(enc: EncodedGames, rng: np.random.Generator) -> np.ndarray:
    """roster_features with the lineup columns permuted across each event's filled slots."""
    rf = enc.roster_features.copy()
    rows = np.flatnonzero(enc.target & (enc.roster_row >= 0))
    filled = enc.rosters[enc.roster_row[rows]] >= 0  # (n, W)
    keys = np.where(filled, rng.random(filled.shape), np.inf)
    perm = np.argsort(keys, axis=1)  # roster slots are filled first: a permutation of them
    cols = list(LINEUP_COLUMNS)
    block = rf[rows]
    block[:, :, cols] = np.take_along_axis(block[:, :, cols], perm[:, :, None], axis=1)
    rf[rows] = block
    return rf


def _check_lineup(run: Any, enc: EncodedGames, base: float, n: int,
                  score: Callable[[EncodedGames], float], rng: np.random.Generator) -> dict:
    """The `shuffled_lineup` entry (with the no-lineup reference of the same model)."""
    if not run.encoder.lineup:
        return _entry(base, base, n, "not applicable: the run was trained without the lineup "
                      "features (no columns to shuffle)", no_lineup_loglik=base,
                      lineup_gain=0.0, gain_kept=float("nan"))
    zeroed = enc.roster_features.copy()
    zeroed[:, :, list(LINEUP_COLUMNS)] = 0.0
    none = score(_with_roster_features(enc, zeroed))
    shuffled = score(_with_roster_features(enc, _shuffle_lineup(enc, rng)))
    gain = base - none
    kept = (shuffled - none) / gain if gain > 0 else float("nan")
    if not gain > 1e-3:
        verdict = f"inconclusive: the lineup columns add only {gain:.4f} nats per event"
    elif kept <= 0:
        verdict = (f"pass: shuffling the lineup across slots removes all of the lineup gain "
                   f"({gain:.3f} nats per event over the same model with the lineup zeroed) "
                   f"and lands {none - shuffled:.3f} nats below that reference (the shuffled "
                   "list points at the wrong players)")
    elif kept <= KEEP_GAIN_MAX:
        verdict = (f"pass: shuffling the lineup across slots removes {1 - kept:.0%} of the "
                   f"lineup gain ({gain:.3f} nats per event)")
    else:
        verdict = (f"FAIL: {kept:.0%} of the lineup gain ({gain:.3f} nats) survives "
                   "shuffling; the columns carry more than who is on the ice")
    return _entry(base, shuffled, n, verdict, no_lineup_loglik=none, lineup_gain=gain,
                  gain_kept=kept, reference="the same model with the lineup columns zeroed")


@contextmanager
def _own_event_ablated(run: Any) -> Iterator[None]:
    """Inside: the run's context encoder sees event t's type and location removed from its
    own-event input (the LSTM history is untouched), via forward pre-hooks."""
    encs = [m for m in run.model.modules() if isinstance(m, ContextEncoder)]
    if not encs:
        raise ValueError(f"ablate_own_event needs an LSTM context encoder; model "
                         f"{run.name!r} has none")
    ce = encs[0]
    state: dict[str, Any] = {}
    raw = np.zeros((1, len(NUM_FEATURES)), np.float32)
    raw[0, NUM_FEATURES.index("xy_missing")] = 1.0
    loc_cols = [NUM_FEATURES.index(c) for c in OWN_EVENT_COLUMNS]
    missing = torch.from_numpy((raw - run.encoder.mean_) / run.encoder.std_)[0, loc_cols]

    def grab(_module: Any, args: tuple) -> None:
        state["batch"] = args[0]

    def swap(_module: Any, args: tuple) -> tuple:
        b = state["batch"]
        num = b.num.clone()
        num[..., loc_cols] = missing.to(num)
        feats = torch.cat([torch.zeros_like(ce.type_emb(b.etype)), ce.team_emb(b.team), num], -1)
        x = args[0]
        return (torch.cat([x[..., :x.shape[-1] - feats.shape[-1]], feats.to(x)], -1),)

    hooks = [ce.register_forward_pre_hook(grab), ce.mix.register_forward_pre_hook(swap)]
    try:
        yield
    finally:
        for h in hooks:
            h.remove()


def _permute_same_second(events: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame,
                                                                                  np.ndarray]:
    """Events with every run of equal (game, game_seconds) in random order and event_idx
    renumbered; also a bool mask of the events in runs of two or more."""
    ev = events.sort_values(["game_id", "event_idx"], kind="stable").reset_index(drop=True)
    g = ev["game_id"].to_numpy()
    s = ev["game_seconds"].to_numpy(dtype=np.float64, na_value=-1.0)
    new = np.ones(len(ev), bool)
    new[1:] = (g[1:] != g[:-1]) | (s[1:] != s[:-1])
    run_id = np.cumsum(new)
    size = np.bincount(run_id)[run_id]
    ev = ev.assign(_r=run_id, _k=rng.random(len(ev))).sort_values(["_r", "_k"], kind="stable")
    ev["event_idx"] = ev.groupby("game_id", sort=False).cumcount().astype(np.int32)
    shared = (size >= 2)[ev.index.to_numpy()]
    return ev.drop(columns=["_r", "_k"]).reset_index(drop=True), shared


def run_leak_checks(run: Any, tables: Any, game_ids: Sequence[str], *, seed: int = 0,
                    candidates: str = "roster", batch_games: int = 8,
                    reference_run: Any = None) -> dict[str, Any]:
    """The three leak checks of the module docstring on `game_ids` (the run's test games),
    as a JSON-ready dict keyed by check name: baseline and perturbed log-likelihood, their
    difference (perturbed minus baseline, nats per event), event count and a verdict.

    `reference_run` (optional): the same model trained without the lineup; its score on the
    same games is added to `shuffled_lineup` as the trained no-lineup reference."""
    t = as_tables(tables)
    enc = run.encoder.transform(t, list(game_ids))
    if enc.n_targets == 0:
        raise ValueError("leak checks: the given games have no events with an acting player")
    rng = np.random.default_rng(seed)

    def score(e: EncodedGames) -> float:
        return _score(run, e, candidates, seed, batch_games)[0]

    base, ll = _score(run, enc, candidates, seed, batch_games)
    n = len(ll)
    out: dict[str, Any] = {"shuffled_lineup": _check_lineup(run, enc, base, n, score, rng)}
    if reference_run is not None:
        lead = out["shuffled_lineup"]
        lead.update(_versus_reference(reference_run, t, game_ids, base, lead, candidates,
                                      seed, batch_games))
        lead["verdict"] += (f"; against the trained no-lineup model ({lead['reference_model']})"
                            f" the lineup gains {lead['lineup_gain_vs_reference_model']:.3f} "
                            f"nats per event and the shuffled run keeps "
                            f"{lead['gain_kept_vs_reference_model']:.2f} of it")
    with _own_event_ablated(run):
        ablated = score(enc)
    out["ablate_own_event"] = _entry(
        base, ablated, n, f"event t's type and location carry {base - ablated:.3f} nats per "
        "event (inputs by design, not a leak); the rest comes from context and history",
        ablated=["event_type", *OWN_EVENT_COLUMNS])
    perm, shared = _permute_same_second(t.events, rng)
    enc_p = run.encoder.transform(dataclasses.replace(t, events=perm), list(game_ids))
    permuted = score(enc_p)
    diff = permuted - base
    scored = _raw_target(perm) & perm["game_id"].isin(set(game_ids)).to_numpy()
    share = float(shared[scored].mean()) if scored.any() else 0.0
    verdict = (f"pass: |change| {abs(diff):.4f} <= {TIMESTAMP_TOLERANCE} nats per event"
               if abs(diff) <= TIMESTAMP_TOLERANCE else
               f"FLAG: reordering same-second events ({share:.0%} of scored events share "
               f"their second) moves the score by {diff:+.4f} nats per event, above the "
               f"{TIMESTAMP_TOLERANCE} tolerance: the model uses the recorded order within a "
               "second (reliance on order; not by itself a leak of event t's player)")
    out["same_timestamp_permutation"] = _entry(base, permuted, n, verdict,
                                               share_targets_in_shared_seconds=share)
    for v in out.values():
        v["candidates"] = candidates
    return out


def _versus_reference(ref: Any, t: Any, game_ids: Sequence[str], base: float,
                      entry: dict[str, Any], candidates: str, seed: int,
                      batch_games: int) -> dict[str, Any]:
    """The lineup gain over a separately trained no-lineup run and the share of it that
    survives shuffling."""
    if ref.encoder.lineup:
        raise ValueError("reference_run must be trained without the lineup features")
    ref_ll, ref_events = _score(ref, ref.encoder.transform(t, list(game_ids)), candidates,
                                seed, batch_games)
    gain = base - ref_ll
    kept = (entry["perturbed_loglik"] - ref_ll) / gain if gain > 0 else float("nan")
    return {"reference_model_loglik": ref_ll, "reference_model_n_events": len(ref_events),
            "reference_model": ref.name, "lineup_gain_vs_reference_model": gain,
            "gain_kept_vs_reference_model": kept}


def _raw_target(events: pd.DataFrame) -> np.ndarray:
    """Rows of `events` with an acting player (the events that are scored)."""
    return (events["player_id"].notna() & events["team"].notna()).to_numpy()


def leak_checks_markdown(result: dict[str, Any], header: Sequence[str] = ()) -> str:
    """A markdown table of `run_leak_checks` output, under the lines of `header`."""
    lines = ["# Leak checks", "", *header, "",
             "| check | baseline loglik | perturbed loglik | diff | events | verdict |",
             "|---|---|---|---|---|---|"]
    for name in LEAK_CHECKS:
        r = result[name]
        lines.append(f"| {name} | {r['baseline_loglik']:.4f} | {r['perturbed_loglik']:.4f} | "
                     f"{r['diff']:+.4f} | {r['n_events']} | {r['verdict']} |")
    lead = result["shuffled_lineup"]
    lines += ["", f"Lineup reference (`shuffled_lineup`): the same model with the lineup "
              f"columns zeroed scores {lead['no_lineup_loglik']:.4f}; lineup gain "
              f"{lead['lineup_gain']:.4f} nats per event."]
    if "reference_model_loglik" in lead:
        lines += ["", f"Trained no-lineup reference ({lead['reference_model']}, same features "
                  f"without the lineup): {lead['reference_model_loglik']:.4f}; lineup gain over "
                  f"it {lead['lineup_gain_vs_reference_model']:.4f} nats per event; share of "
                  f"that gain kept after shuffling {lead['gain_kept_vs_reference_model']:.2f} "
                  "(negative: below the no-lineup model)."]
    lines += ["", __doc__.split("\n\n", 1)[1]]
    return "\n".join(lines)


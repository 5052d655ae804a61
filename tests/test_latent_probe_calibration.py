"""Calibration and information-limit helpers of `hockey_vae.latent_probe`, on known truths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import norm

from hockey_vae.latent_probe import (
    B_FINISHING,
    B_GOALTENDING,
    B_MISS,
    STANDARD_SHOT,
    implied_finishing,
    info_limits,
    interval_coverage,
)
from hockey_vae.models.event_decoder import EventDecoder


def test_coverage_is_nominal_when_the_truth_is_drawn_from_the_posterior():
    rng = np.random.default_rng(0)
    n = 20000
    mean, sd = rng.normal(size=n), rng.uniform(0.1, 1.0, n)
    truth = mean + sd * rng.normal(size=n)
    cov = interval_coverage(mean, sd, truth)
    assert cov["coverage"] == pytest.approx(0.90, abs=0.01)
    assert cov["z_sd"] == pytest.approx(1.0, abs=0.02) and cov["n_players"] == n
    # intervals half as wide as they should be cover P(|z| < 1.645 / 2)
    narrow = interval_coverage(mean, sd / 2, truth)
    assert narrow["coverage"] == pytest.approx(2 * norm.cdf(1.645 / 2) - 1, abs=0.015)
    # a common shift ruins coverage; the centred coverage removes it
    shifted = interval_coverage(mean + 1.0, sd, truth)
    assert shifted["coverage"] < 0.6 and shifted["offset"] == pytest.approx(-1.0, abs=0.02)
    assert shifted["coverage_centred"] == pytest.approx(0.90, abs=0.01)
    assert interval_coverage(mean, sd, truth, level=0.5)["coverage"] == pytest.approx(0.5,
                                                                                      abs=0.01)


def test_coverage_refuses_an_empty_comparison():
    with pytest.raises(ValueError, match="no player"):
        interval_coverage([np.nan], [1.0], [0.0])


def test_implied_finishing_matches_sampling_through_the_shot_head():
    torch.manual_seed(0)
    d = 6
    dec = EventDecoder(d, 8, 6)
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(5, d)).astype(np.float32)
    sd = rng.uniform(0.1, 0.8, (5, d)).astype(np.float32)
    goalie_u = rng.normal(size=d).astype(np.float32)
    m, s = implied_finishing(dec, mean, sd, goalie_u)
    # Monte Carlo through the decoder itself: u ~ q, the goalie a player of his own
    k = 20000
    u = mean[None] + sd[None] * rng.normal(size=(k, *mean.shape)).astype(np.float32)
    for j in range(len(mean)):
        table = torch.as_tensor(np.concatenate([u[:, j], goalie_u[None]]))
        recs = {"shooter": torch.arange(k), "goalie": torch.full((k,), k),
                "features": torch.tensor([STANDARD_SHOT] * k)}
        with torch.no_grad():
            logit = dec.shot_logits(recs, table)[:, 2].numpy()
        assert logit.mean() == pytest.approx(m[j], abs=0.02)
        assert logit.std() == pytest.approx(s[j], rel=0.03)


def test_information_limit_grows_with_shots_and_matches_the_closed_form():
    box = pd.DataFrame({"goals": [0, 5, 20, 0], "shots_on_goal": [0, 50, 200, 0],
                        "missed": [0, 10, 40, 0], "shots_faced": [np.nan] * 3 + [300.0]},
                       index=pd.Index(["a", "b", "c", "g"], name="player_id"))
    preds = pd.DataFrame({"player_id": ["a", "b", "c", "g"] * 2, "features": "latent",
                          "style": ["finishing"] * 4 + ["goaltending"] * 4,
                          "tercile": ["low", "mid", "high", "low"] * 2})
    lim = info_limits(box, preds).set_index(["style", "tercile"])
    p, q = 25 / 250, 50 / 300  # goal rate on net, miss rate of unblocked attempts
    # information per sd: goal log-odds channel plus the miss-probability channel
    info = {t: B_FINISHING ** 2 * n * p * (1 - p) + B_MISS ** 2 * 1.2 * n / (q * (1 - q))
            for t, n in (("mid", 50), ("high", 200))}
    fin = {t: i / (1 + i) for t, i in info.items()}
    assert lim.loc[("finishing", "low"), "limit"] == 0.0  # no shot, nothing to learn
    assert lim.loc[("finishing", "mid"), "limit"] == pytest.approx(fin["mid"])
    assert lim.loc[("finishing", "high"), "limit"] == pytest.approx(fin["high"])
    assert lim.loc[("finishing", "high"), "limit_skill_known"] > fin["high"]
    # goaltending: the goal channel alone, the b^2 / (b^2 + 1 / (n p (1-p))); the
    # "low" tercile holds goalie g (300 shots faced) and skater a (none): their mean
    b = B_GOALTENDING
    assert lim.loc[("goaltending", "low"), "limit"] == pytest.approx(
        b ** 2 / (b ** 2 + 1 / (300 * p * (1 - p))) / 2, rel=1e-6)

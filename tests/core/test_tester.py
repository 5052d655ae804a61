"""Classifier two-sample test: chance on identical samples, high on different ones."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from hockey_vae.core import two_sample_test


def test_same_distribution_is_near_chance():
    rng = np.random.default_rng(0)
    r = two_sample_test(rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)), random_state=0)
    assert r.n_test == 1000
    assert r.ci_low < 0.5 < r.ci_high or abs(r.accuracy - 0.5) < 0.05
    assert r.p_value > 0.01


def test_different_distributions_are_told_apart():
    rng = np.random.default_rng(1)
    # same mean, different spread: a linear classifier cannot see it, the default MLP can
    real = rng.normal(0, 1, size=1000)
    fake = rng.normal(0, 3, size=1000)
    r = two_sample_test(real, fake)
    assert r.accuracy > 0.7 and r.ci_low > 0.5 and r.p_value < 1e-6
    lin = two_sample_test(real, fake, classifier=LogisticRegression())
    assert lin.accuracy < r.accuracy


def test_interval_contains_accuracy():
    rng = np.random.default_rng(2)
    r = two_sample_test(rng.normal(size=200), rng.normal(0.5, size=200))
    assert 0 <= r.ci_low <= r.accuracy <= r.ci_high <= 1


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="features"):
        two_sample_test(np.zeros((20, 2)), np.zeros((20, 3)))
    with pytest.raises(ValueError, match=">= 10"):
        two_sample_test(np.zeros((5, 2)), np.zeros((20, 2)))

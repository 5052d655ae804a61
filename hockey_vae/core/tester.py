"""Classifier two-sample test (the "tester"): can a classifier tell real from generated?

Reference: Lopez-Paz & Oquab (2017) "Revisiting Classifier Two-Sample Tests". A classifier is
fitted on half of the pooled, labelled samples and scored on the other half; held-out accuracy
0.5 means the two samples are indistinguishable to it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats
from sklearn.base import ClassifierMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = ["TwoSampleResult", "two_sample_test", "default_classifier"]


@dataclasses.dataclass(frozen=True)
class TwoSampleResult:
    """Held-out accuracy of the real-vs-fake classifier with a Wilson confidence interval."""

    accuracy: float   # share of held-out samples classified correctly
    ci_low: float     # lower end of the confidence interval
    ci_high: float    # upper end
    n_test: int       # held-out samples scored
    p_value: float    # one-sided binomial test of accuracy > 0.5


def default_classifier(random_state: int = 0) -> ClassifierMixin:
    """Standardised inputs into a small MLP (flexible enough for multimodal 1-D/2-D data)."""
    return make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(64, 64), max_iter=300, early_stopping=True, random_state=random_state))


def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def two_sample_test(real: np.ndarray, fake: np.ndarray, classifier: ClassifierMixin | None = None,
                    test_size: float = 0.5, confidence: float = 0.95,
                    random_state: int = 0) -> TwoSampleResult:
    """Fit a classifier on a split of real (label 1) vs fake (label 0); score the rest.

    Parameters
    ----------
    real, fake : (n, d) or (n,) arrays (tensors are converted); sizes may differ but the
        accuracy is only easy to read when they match.
    classifier : sklearn classifier, cloned before fitting; `default_classifier()` if None.
    """
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    real = real.reshape(len(real), -1)
    fake = fake.reshape(len(fake), -1)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real has {real.shape[1]} features but fake has {fake.shape[1]}")
    if min(len(real), len(fake)) < 10:
        raise ValueError(f"need >= 10 samples of each; got real={len(real)}, fake={len(fake)}")
    x = np.concatenate([real, fake])
    y = np.concatenate([np.ones(len(real), dtype=int), np.zeros(len(fake), dtype=int)])
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_size, stratify=y,
                                              random_state=random_state)
    model = clone(classifier) if classifier is not None else default_classifier(random_state)
    model.fit(x_tr, y_tr)
    correct = int((model.predict(x_te) == y_te).sum())
    n = len(y_te)
    low, high = _wilson(correct, n, confidence)
    p_value = float(stats.binomtest(correct, n, 0.5, alternative="greater").pvalue)
    return TwoSampleResult(accuracy=correct / n, ci_low=low, ci_high=high, n_test=n,
                           p_value=p_value)

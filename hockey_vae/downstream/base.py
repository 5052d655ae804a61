"""What the downstream estimators share: column checks, preprocessing, probability scoring.

Each estimator follows scikit-learn: keyword hyper-parameters stored unchanged in
`__init__`, `fit` returns self, learned attributes end in `_`, `predict_proba` starts with
`check_is_fitted`. `score` is the mean log-likelihood (minus the log loss): higher is better,
which is what hyper-parameter selection maximises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from hockey_vae.downstream.features import as_frame, require_columns

__all__ = ["BinaryProbabilityModel", "MODEL_KINDS", "select_on_validation", "matching_columns"]

MODEL_KINDS = ("logistic", "hgb")


def matching_columns(frame: pd.DataFrame, pattern: str) -> list[str]:
    """Columns of `frame` whose name fully matches the regular expression `pattern`."""
    regex = re.compile(pattern)
    return [c for c in frame.columns if regex.fullmatch(str(c))]


class BinaryProbabilityModel(ClassifierMixin, BaseEstimator):
    """Base for the downstream estimators: a preprocessing + classifier pipeline on a frame.

    Subclasses define `_columns(X) -> (spline, numeric, categorical)` (column names) and
    may override `_prepare(X)` to add derived columns. Parameters every subclass has:
    model ("logistic" or "hgb"), C, learning_rate, max_iter, max_leaf_nodes,
    l2_regularization, random_state; those with `use_embeddings` share this `__init__`
    (scikit-learn reads the parameter names from it), the others define their own.
    """

    def __init__(
        self,
        model: str = "logistic",
        use_embeddings: bool = False,
        C: float = 1.0,
        learning_rate: float = 0.1,
        max_iter: int = 200,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 0.0,
        random_state: int = 0,
    ):
        self.model = model
        self.use_embeddings = use_embeddings
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def _columns(self, X: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
        raise NotImplementedError

    def _prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        return X

    def _classifier(self) -> BaseEstimator:
        if self.model == "logistic":
            return LogisticRegression(C=self.C, max_iter=2000)
        if self.model == "hgb":
            return HistGradientBoostingClassifier(
                learning_rate=self.learning_rate,
                max_iter=self.max_iter,
                max_leaf_nodes=self.max_leaf_nodes,
                l2_regularization=self.l2_regularization,
                early_stopping=False,  # model size is chosen on validation games instead
                random_state=self.random_state,
            )
        raise ValueError(f"model={self.model!r}; expected one of {list(MODEL_KINDS)}")

    def _pipeline(self, spline: list[str], numeric: list[str], categorical: list[str]) -> Pipeline:
        classifier = self._classifier()
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=20)
        parts: list[tuple] = []
        if self.model == "logistic":
            if spline:
                parts.append(("spline", Pipeline([
                    ("impute", SimpleImputer(strategy="median")),
                    ("basis", SplineTransformer(n_knots=6, degree=3)),
                ]), spline))  # fmt: skip
            if numeric:
                parts.append(("numeric", Pipeline([
                    ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                    ("scale", StandardScaler()),
                ]), numeric))  # fmt: skip
        elif spline or numeric:
            parts.append(("numeric", "passthrough", spline + numeric))  # trees take NaN
        if categorical:
            parts.append(("categorical", onehot, categorical))
        if not parts:
            raise ValueError(f"{type(self).__name__}: no feature columns to fit on")
        return Pipeline([("features", ColumnTransformer(parts)), ("classifier", classifier)])

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray) -> BinaryProbabilityModel:
        """Fit on a feature frame `X` (n_rows, ...) and binary labels `y` (n_rows,)."""
        X = self._prepare(as_frame(X, "X"))
        spline, numeric, categorical = self._columns(X)
        require_columns(X, [*spline, *numeric, *categorical], "X")
        y = _binary_labels(y, len(X))
        # a column never observed in training (e.g. empty net without positions) carries nothing
        self.dropped_columns_ = [c for c in spline + numeric if X[c].isna().all()]
        spline = [c for c in spline if c not in self.dropped_columns_]
        numeric = [c for c in numeric if c not in self.dropped_columns_]
        self.feature_names_in_ = np.asarray([*spline, *numeric, *categorical], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.pipeline_ = self._pipeline(spline, numeric, categorical)
        self.pipeline_.fit(X[list(self.feature_names_in_)], y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, 2): column 1 is P(label = 1)."""
        check_is_fitted(self, "pipeline_")
        X = self._prepare(as_frame(X, "X"))
        columns = list(self.feature_names_in_)
        require_columns(X, columns, "X")
        if len(X) == 0:
            return np.zeros((0, 2))
        return self.pipeline_.predict_proba(X[columns])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Labels 0/1 at the 0.5 threshold, shape (n_rows,)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def score(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray,
              sample_weight: np.ndarray | None = None) -> float:
        """Mean log-likelihood of `y` (minus the log loss): higher is better."""
        p = self.predict_proba(X)[:, 1]
        y = _binary_labels(y, len(p), require_both=False)
        return -float(log_loss(y, p, labels=[0, 1], sample_weight=sample_weight))


def _binary_labels(y: object, n: int, require_both: bool = True) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y has shape {y.shape}, expected ({n},)")
    if not np.isin(y, (0, 1, True, False)).all():
        raise ValueError(f"y must be binary 0/1, got values {np.unique(y)[:5].tolist()}")
    y = y.astype(int)
    if require_both and len(np.unique(y)) < 2:
        raise ValueError("y has a single class; cannot fit a probability model")
    return y


def select_on_validation(
    estimator: BaseEstimator,
    grid: Mapping[str, Iterable] | Sequence[Mapping[str, Iterable]],
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_val: pd.DataFrame,
    y_val: np.ndarray,
) -> tuple[BaseEstimator, pd.DataFrame]:
    """Fit a clone per grid point on train, keep the best `score` on validation games.

    Returns the fitted best estimator and a table (params, val_log_loss) of every candidate.
    """
    rows, best, best_score = [], None, -np.inf
    for params in ParameterGrid(grid):
        candidate = clone(estimator).set_params(**params).fit(X_train, y_train)
        value = candidate.score(X_val, y_val)
        rows.append({**params, "val_log_loss": -value})
        if value > best_score:
            best, best_score = candidate, value
    assert best is not None, "empty parameter grid"
    return best, pd.DataFrame(rows)

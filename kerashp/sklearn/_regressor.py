"""`KerasRegressor`: a kerashp builder as a scikit-learn regressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin

from kerashp.datasets import DataSpec, infer_spec
from kerashp.sklearn._base import BaseKerasEstimator

__all__ = ["KerasRegressor"]


class KerasRegressor(RegressorMixin, BaseKerasEstimator):
    """A kerashp builder as a scikit-learn regressor.

    Takes the same arguments as `KerasClassifier` except `class_weight`: every
    keyword argument beyond the wrapper's own is a hyperparameter passed to
    `build_fn` in one dict (or by name, to a classic keyword-style builder). Targets may have one column or several
    (`y` of shape `(n_samples, k)` gives a model with `k` outputs);
    predictions are float64 with the shape of `y`. `score` is R².

    Args:
        build_fn: A function `hp dict -> keras.Model`, or one taking the
            hyperparameters as keyword arguments. Defaults to `None`:
            `kerashp.builders.mlp`.
        epochs: Training epochs per `fit`. Defaults to `1`.
        batch_size: Batch size. Defaults to `None` (Keras's 32).
        verbose: Keras verbosity. Defaults to `0`.
        callbacks: Keras callbacks. Defaults to `None`.
        validation_split: Fraction held out as validation data. Defaults to
            `None`: 20% (`tune`'s split) when a callback monitors `val_*`, else none.
        shuffle: Shuffle every epoch. Defaults to `True`.
        random_state: Seed. Defaults to `None`.
        warm_start: Train on from the previous model. Defaults to `False`.
        **hp: Hyperparameters for `build_fn`.

    Example:
        >>> est = KerasRegressor(kerashp.builders.mlp, epochs=50, units=32, learning_rate=1e-2)
        >>> est.fit(X, y).score(X, y)  # doctest: +SKIP
    """

    _task = "regression"

    def _check_y(self, y: np.ndarray, reset: bool) -> np.ndarray:
        if y.ndim > 2:
            raise ValueError(f"KerasRegressor takes y of shape (n,) or (n, k). Received: {y.shape}.")
        if not reset and (y.ndim == 1) != self._y_1d:
            raise ValueError(
                f"y has {y.ndim} dimension(s), but this KerasRegressor was fitted on "
                f"{'1' if self._y_1d else '2'}."
            )
        return y

    def _make_spec(self, X: np.ndarray, y: np.ndarray) -> DataSpec:
        spec = infer_spec(X, np.asarray(y, dtype="float32"), task="regression")
        self.spec_ = spec
        return spec

    def _fit_target(self, y: np.ndarray) -> None:
        self._y_1d = y.ndim == 1
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]

    def _encode_y(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype="float32")

    def predict(self, X, **kwargs) -> np.ndarray:
        """Predictions as float64, shape `(n_samples,)` or `(n_samples, k)` like `y`.

        Example:
            >>> KerasRegressor(epochs=5).fit(X, y).predict(X[:3])  # doctest: +SKIP
        """
        raw = self._predict_raw(X, **kwargs).astype("float64")
        raw = raw.reshape(len(raw), -1)
        return raw[:, 0] if self._y_1d else raw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        return tags

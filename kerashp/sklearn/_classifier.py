"""`KerasClassifier`: a kerashp builder as a scikit-learn classifier.

Labels go through `kerashp.datasets.LabelEncoder`, the one label encoding of
kerashp; `probabilities` turns the model's output into `predict_proba` rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from kerashp.datasets import DataSpec, LabelEncoder, class_weights, infer_spec
from kerashp.sklearn._base import BaseKerasEstimator

__all__ = ["KerasClassifier", "probabilities"]


def probabilities(raw: Any, n_classes: int) -> np.ndarray:
    """The model's output as float64 class probabilities, one column per class.

    One sigmoid unit becomes two columns (`1 - p`, `p`); softmax rows are
    renormalized so they sum to 1 in float64, as scikit-learn checks.

    Raises:
        ValueError: the model outputs a different number of values than there
            are classes.

    Example:
        >>> probabilities(np.array([[0.25], [0.5]]), 2).tolist()
        [[0.75, 0.25], [0.5, 0.5]]
    """
    raw = np.asarray(raw, dtype="float64")
    if raw.ndim == 1:
        raw = raw.reshape(-1, 1)
    if raw.shape[1] == 1 and n_classes == 2:
        raw = np.column_stack([1.0 - raw[:, 0], raw[:, 0]])  # one sigmoid unit
    sums = raw.sum(axis=1, keepdims=True)
    if (raw >= 0).all() and np.allclose(sums, 1.0, atol=1e-3):
        raw = raw / sums  # float32 softmax rows, summing to 1 in float64 as scikit-learn checks
    if raw.shape[1] != n_classes:
        raise ValueError(
            f"The model outputs {raw.shape[1]} value(s) per sample, but there are "
            f"{n_classes} classes. End build_fn's model with "
            f"keras.layers.Dense({n_classes}, activation='softmax') "
            "(kerashp.datasets.current_spec().num_classes gives the number)."
        )
    return raw


def _is_categorical_crossentropy(loss: Any) -> bool:
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower() in ("categorical_crossentropy", "categoricalcrossentropy", "cce")


class KerasClassifier(ClassifierMixin, BaseKerasEstimator):
    """A kerashp builder as a scikit-learn classifier.

    Every keyword argument other than the ones below is a hyperparameter:
    `fit` calls `build_fn(hp)` with all of them in one dict (`epochs` and
    `batch_size` included), or, for a classic builder such as
    `create_model(optimizer="adam", init="glorot_uniform")`, with the ones it
    names as keyword arguments (`kerashp.builders._calling`), inside `kerashp.datasets.use_spec(spec)` with a
    `DataSpec` made from the training data of that fit. So the kerashp
    builders work unchanged, and a search grid uses the space's own names.

    Labels may be any values (strings, integers, booleans); `classes_` holds
    them sorted, `predict` returns them, and `predict_proba` returns one
    column per class, in `classes_` order. One-hot label rows work too.

    Args:
        build_fn: A function `hp dict -> keras.Model`, or one taking the
            hyperparameters as keyword arguments (compiled or not; an
            uncompiled model is compiled from `optimizer`, `learning_rate`,
            `momentum` and `loss`). Defaults to `None`: `kerashp.builders.mlp`.
        epochs: Training epochs per `fit`. Defaults to `1`.
        batch_size: Batch size for training and prediction. Defaults to `None`
            (Keras's 32).
        verbose: Keras verbosity during training. Defaults to `0`.
        callbacks: Keras callbacks (instances, copied for every fit, or
            classes), or a function of the hp dict that returns a list.
            Defaults to `None`.
        validation_split: Fraction of the training data held out (shuffled,
            stratified, seeded) as validation data. Defaults to `None`: 20% (`tune`'s split)
            when a callback monitors a `val_*` quantity (early stopping, a
            plateau schedule), none otherwise. Inside cross-validation this
            comes from the fold's training part only.
        shuffle: Shuffle the training data every epoch. Defaults to `True`.
        random_state: Seed for weight initialization, shuffling and the
            validation split; `None` leaves them random. Defaults to `None`.
        warm_start: Keep the model and train on from it on the next `fit`.
            Defaults to `False`.
        class_weight: `"balanced"` (weights inversely proportional to the
            class frequencies of this fit's `y`) or `{class: weight}` (classes
            left out weigh 1), multiplied into `sample_weight`. Defaults to `None`.
        **hp: Hyperparameters for `build_fn`, e.g. `units=64`, `learning_rate=1e-3`.

    Attributes:
        model_: The fitted `keras.Model`.
        classes_: The class labels.
        history_: Per-epoch metrics, `{"loss": [...], "val_loss": [...], ...}`.
        spec_: The `DataSpec` the builder saw.

    Example:
        >>> from sklearn.model_selection import GridSearchCV
        >>> est = KerasClassifier(kerashp.builders.mlp, epochs=20, units=64)
        >>> gs = GridSearchCV(est, {"units": [32, 64], "optimizer": ["adam", "sgd"]}, cv=3)
        >>> gs.fit(X, y).best_params_  # doctest: +SKIP
    """

    _task = "classification"

    def __init__(
        self,
        build_fn: Callable | None = None,
        *,
        epochs: int = 1,
        batch_size: int | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
        validation_split: float | None = None,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        class_weight: dict | str | None = None,
        **hp: Any,
    ):
        self.class_weight = class_weight
        super().__init__(
            build_fn,
            epochs=epochs,
            batch_size=batch_size,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            shuffle=shuffle,
            random_state=random_state,
            warm_start=warm_start,
            **hp,
        )

    def _check_y(self, y: np.ndarray, reset: bool) -> np.ndarray:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            kind = type_of_target(y)
            is_one_hot = kind == "multilabel-indicator" and (np.asarray(y).sum(axis=1) == 1).all()
            if not is_one_hot:
                raise ValueError(
                    f"KerasClassifier takes 1-D class labels or one-hot rows. Received: y of shape "
                    f"{y.shape} ({kind}). For several outputs per sample, use KerasRegressor or "
                    "a custom estimator."
                )
            return y
        if reset:
            check_classification_targets(y)
        return y

    def _make_spec(self, X: np.ndarray, y: np.ndarray) -> DataSpec:
        given = getattr(self, "_partial_classes", None)
        one_hot = y.ndim == 2
        if one_hot:
            classes = np.arange(y.shape[1])
        else:
            classes = np.unique(y) if given is None else np.unique(np.asarray(given))
        if len(classes) < 2:
            raise ValueError(
                f"KerasClassifier needs at least 2 classes to train, but y has 1 class: "
                f"{classes.tolist()}."
            )
        self.classes_ = classes
        self.n_classes_ = len(classes)
        if one_hot:
            spec = infer_spec(X, y, task="classification")
        else:
            # Shape and normalization statistics of this fit's X; classes as encoded.
            stats = infer_spec(X, np.zeros(len(X), dtype="float32"), task="regression")
            spec = dataclasses.replace(
                stats, task="classification", num_classes=len(classes), classes=classes.tolist(),
                target_mean=None, target_variance=None,
            )
        self.spec_ = spec
        return spec

    def _fit_target(self, y: np.ndarray) -> None:
        self._encoder = LabelEncoder(
            self.classes_,
            one_hot_input=y.ndim == 2,
            one_hot_output=y.ndim == 2 or _is_categorical_crossentropy(self.model_.loss),
        )

    def _encode_y(self, y: np.ndarray) -> np.ndarray:
        return self._encoder.transform(y)

    def _stratify_labels(self, y) -> np.ndarray | None:
        return np.argmax(y, axis=1) if y.ndim == 2 else y

    def _class_weights(self, y: np.ndarray) -> np.ndarray | None:
        """Per-sample weights from `class_weight` (`kerashp.datasets.class_weights`,
        the rule `kerashp.tune` follows too), checked against `classes_`."""
        if self.class_weight is None:
            return None
        index = np.argmax(y, axis=1) if y.ndim == 2 else np.searchsorted(self.classes_, y)
        per_class = class_weights(self.class_weight, index, self.classes_.tolist())
        return np.asarray([per_class[i] for i in range(len(self.classes_))])[index]

    def fit(self, X, y, sample_weight=None, **kwargs) -> KerasClassifier:
        """Builds a fresh model with `build_fn` and trains it on `(X, y)`.

        Args:
            X: Inputs, shape `(n_samples, ...)`.
            y: Class labels, shape `(n_samples,)`, or one-hot rows.
            sample_weight: Per-sample weights, multiplied by `class_weight`'s.
                A weight of 0 leaves the sample out; the loss is the weighted
                mean. Defaults to `None`.
            **kwargs: Passed on to `keras.Model.fit` (e.g. `validation_data`).

        Returns:
            The fitted estimator.

        Example:
            >>> KerasClassifier(epochs=5).fit(X, y).score(X, y)  # doctest: +SKIP
        """
        self._partial_classes = None
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs) -> KerasClassifier:
        """Trains one more epoch, building the model on the first call.

        Args:
            X: Inputs.
            y: Class labels.
            classes: All classes, needed on the first call when `y` of that
                call does not contain every class. Defaults to `None`.
            sample_weight: Per-sample weights, multiplied by a dict
                `class_weight`'s. Defaults to `None`.
            **kwargs: Passed on to `keras.Model.fit`.

        Returns:
            The estimator.

        Raises:
            ValueError: `class_weight="balanced"`: one call's `y` is too small
                a sample to weigh the classes by.

        Example:
            >>> est = KerasClassifier().partial_fit(X[:50], y[:50], classes=np.arange(10))
        """
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one call's y is too small a "
                "sample of the class frequencies. Compute the weights once from all the labels, "
                "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, y=y), "
                "and pass them as class_weight=dict(zip(classes, weights))."
            )
        if not self.initialized_:
            self._partial_classes = classes
        return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)

    def predict_proba(self, X, **kwargs) -> np.ndarray:
        """Class probabilities, shape `(n_samples, n_classes)`, columns in `classes_` order.

        Example:
            >>> KerasClassifier(epochs=5).fit(X, y).predict_proba(X[:2]).shape  # doctest: +SKIP
            (2, 10)
        """
        raw = self._predict_raw(X, **kwargs)  # raises NotFittedError first
        return probabilities(raw, len(self.classes_))

    def predict(self, X, **kwargs) -> np.ndarray:
        """Predicted class labels (values from `classes_`).

        Example:
            >>> KerasClassifier(epochs=5).fit(X, y).predict(X[:3])  # doctest: +SKIP
        """
        proba = self.predict_proba(X, **kwargs)  # raises NotFittedError first
        return self._encoder.inverse(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

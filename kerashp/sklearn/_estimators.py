"""`KerasClassifier` and `KerasRegressor`: kerashp builders as scikit-learn estimators.

Both build on scikeras's `BaseWrapper` (fit/partial_fit bookkeeping, Keras
model pickling) and change what a kerashp user needs changed:

- hyperparameters are plain constructor parameters (`units=64`), handed to the
  builder as one dict, so search grids use the space's own names;
- the builder sees a `DataSpec` made from the training data of this fit only
  (shape, task, classes, normalization statistics);
- validation data for early stopping is carved from the training data of
  this fit only, so inside cross-validation it never touches the fold's test part.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import scikeras  # noqa: F401 - importing it makes keras models picklable
from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from kerashp.builders.compile import ensure_compiled
from kerashp.datasets import DataSpec, infer_spec, use_spec
from kerashp.sklearn._validation import (
    check_hp_names,
    check_validation_split,
    hp_dict,
    needs_validation,
    pack_build_fn,
)

__all__ = ["KerasClassifier", "KerasRegressor"]

#: Fraction of the training data held out when a callback monitors a `val_*`
#: quantity and `validation_split` is left at `None`.
AUTO_VALIDATION_SPLIT = 0.1


class _KerashpWrapper(BaseWrapper):
    """Shared machinery of `KerasClassifier` and `KerasRegressor`."""

    _task = "regression"

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
        **hp: Any,
    ):
        self.build_fn = build_fn
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        check_hp_names(type(self), hp)
        vars(self).update(hp)

    # ------------------------------------------------------------- params
    # `get_params` comes from scikeras: every public attribute that does not
    # end with "_" is a parameter, so the extra hyperparameters are included.
    def set_params(self, **params: Any) -> _KerashpWrapper:
        """Sets parameters; a name the estimator has not seen yet becomes a new
        hyperparameter (that is how `GridSearchCV` sets the space's keys).

        Example:
            >>> est = KerasClassifier(epochs=2).set_params(units=32, dropout=0.1)
        """
        current = self.get_params(deep=False)
        for key, value in params.items():
            name, delim, sub = key.partition("__")
            if delim:
                nested = current.get(name)
                if hasattr(nested, "set_params") and not isinstance(nested, type):
                    nested.set_params(**{sub: value})
                    continue
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {type(self).__name__}. kerashp "
                    "estimators take hyperparameters by their own name, without scikeras-style "
                    f"routing prefixes: use set_params({sub}=...) or {type(self).__name__}({sub}=...)."
                )
            if name not in current:
                check_hp_names(type(self), [name])
            setattr(self, name, value)
        return self

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The dict `build_fn` receives: every parameter except the wrapper's own
        (`build_fn`, `callbacks`, `verbose`, `validation_split`, `shuffle`,
        `random_state`, `warm_start`, `class_weight`)."""
        return hp_dict(self.get_params(deep=False))

    # scikit-learn's repr (`KerasClassifier(epochs=5, units=32)`), not scikeras's.
    __repr__ = BaseEstimator.__repr__

    # ----------------------------------------------------------- pickling
    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        state["build_fn"] = pack_build_fn(state.get("build_fn"), type(self).__name__)
        return state

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # ---------------------------------------------------------- validation
    def _validate_data(self, X=None, y=None, reset: bool = False, y_numeric: bool = False):
        """Checks `X` (and `y`) like scikit-learn estimators do; sets
        `n_features_in_` (and `feature_names_in_` for DataFrames) when `reset`."""
        x_kwargs = {"allow_nd": True, "dtype": "float32", "accept_sparse": False}
        if X is not None and y is not None:
            X, y = validate_data(
                self, X, y, reset=reset, multi_output=True, y_numeric=self._task == "regression", **x_kwargs
            )
        elif X is not None:
            X = validate_data(self, X, reset=reset, **x_kwargs)
        elif y is not None:
            y = check_array(y, ensure_2d=False, dtype=None)
        if X is not None:
            if reset:
                self._x_shape = tuple(X.shape[1:])
            elif tuple(X.shape[1:]) != self._x_shape:
                raise ValueError(
                    f"X has shape {tuple(X.shape[1:])} per sample, but {type(self).__name__} "
                    f"is expecting {self._x_shape} (the shape it was fitted on)."
                )
        if y is not None:
            y = self._check_y(y, reset=reset)
        return X, y

    def _check_y_present(self, y: Any) -> None:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )

    def _check_y(self, y: np.ndarray, reset: bool) -> np.ndarray:
        return y

    # ---------------------------------------------------------- building
    def _seed(self) -> int | None:
        state = self.random_state
        if state is None:
            return None
        if isinstance(state, np.random.RandomState):
            # Same RandomState state, same integer seed: reproducible like scikeras.
            copy_ = np.random.RandomState()
            copy_.set_state(state.get_state())
            return int(copy_.randint(2**31 - 1))
        if isinstance(state, (int, np.integer)) and not isinstance(state, bool):
            return int(state)
        raise ValueError(
            "Argument `random_state` must be None, an int or a numpy RandomState. "
            f"Received: random_state={state!r}"
        )

    @contextlib.contextmanager
    def _seeded(self) -> Iterator[None]:
        seed = getattr(self, "_random_state", None)
        if seed is None:
            yield
        else:
            with _seeded(seed):
                yield

    def _make_spec(self, X: np.ndarray, y: np.ndarray) -> DataSpec:
        raise NotImplementedError

    def _initialize(self, X, y=None):
        self._check_y_present(y)
        self._random_state = self._seed()
        self._check_params()
        X, y = self._validate_data(X, y, reset=True)
        spec = self._make_spec(X, y)
        self.model_ = self._build_model(spec)
        self._fit_target(y)
        return X, y

    def _check_params(self) -> None:
        fn = self.build_fn
        if fn is not None and (not callable(fn) or isinstance(fn, keras.Model)):
            raise TypeError(
                "Argument `build_fn` must be a function that takes a dict of hyperparameters "
                f"and returns a keras.Model (compiled or not). Received: build_fn={fn!r:.100}"
            )
        epochs = self.epochs
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Argument `epochs` must be an integer >= 1. Received: epochs={epochs!r}")
        check_validation_split(self.validation_split)

    def _build_model(self, spec: DataSpec) -> keras.Model:
        if self.build_fn is None:
            from kerashp.builders import mlp as build_fn
        else:
            build_fn = self.build_fn
        hp = self.hyperparameters
        with use_spec(spec), self._seeded():
            model = build_fn(hp)
            return ensure_compiled(model, hp, spec)

    def _build_keras_model(self) -> keras.Model:  # scikeras hook; kerashp builds in _initialize
        raise NotImplementedError("kerashp estimators build their model in fit().")

    def _fit_target(self, y: np.ndarray) -> None:
        raise NotImplementedError

    def _encode_y(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------ fitting
    def _fit(self, X, y, sample_weight, warm_start: bool, epochs: int, initial_epoch: int, **kwargs):
        if not ((self.warm_start or warm_start) and self.initialized_):
            X, y = self._initialize(X, y)
        else:
            self._check_params()
            X, y = self._validate_data(X, y)
        if sample_weight is not None:
            X, y, sample_weight = self._validate_sample_weight(X, y, sample_weight)
        self._fit_keras_model(
            X,
            self._encode_y(y),
            sample_weight=sample_weight,
            warm_start=warm_start,
            epochs=epochs,
            initial_epoch=initial_epoch,
            **kwargs,
        )

    def _make_callbacks(self) -> list:
        given = self.callbacks
        if given is None:
            return []
        if callable(given) and not isinstance(given, (type, keras.callbacks.Callback)):
            given = given(self.hyperparameters)  # a function of the hp dict, as in kerashp.tune
            if given is None:
                return []
        items = given if isinstance(given, (list, tuple)) else [given]
        callbacks = []
        for item in items:
            if isinstance(item, type) and issubclass(item, keras.callbacks.Callback):
                callbacks.append(item())
            elif isinstance(item, keras.callbacks.Callback):
                # A fresh copy per fit: fitting leaves the parameter untouched
                # (scikit-learn's rule), and each CV fold starts clean.
                try:
                    callbacks.append(copy.deepcopy(item))
                except Exception:  # noqa: BLE001 - some callbacks hold uncopyable state
                    callbacks.append(item)
            else:
                raise TypeError(
                    "Argument `callbacks` must be a list of keras.callbacks.Callback instances "
                    f"(or classes). Received an item of type {type(item).__name__}: {item!r:.80}"
                )
        return callbacks

    def _validation_data(self, X, y, sample_weight, callbacks, kwargs):
        """Splits validation data off this fit's own training data when needed."""
        if "validation_data" in kwargs:
            data = kwargs.pop("validation_data")
            if data is None:
                return X, y, sample_weight, None
            x_val, y_val = data[0], data[1]
            x_val, _ = self._validate_data(x_val)
            y_val = self._encode_y(self._validate_data(y=y_val)[1])
            return X, y, sample_weight, (x_val, y_val, *data[2:])
        monitors = needs_validation(callbacks)
        split = check_validation_split(self.validation_split)
        if split is None:
            split = AUTO_VALIDATION_SPLIT if monitors else 0.0
        if split == 0.0:
            if monitors:
                raise ValueError(
                    f"{', '.join(monitors)} needs validation data, but validation_split=0. "
                    "Leave validation_split=None (kerashp holds out 10% of the training data) "
                    "or set a fraction such as validation_split=0.2."
                )
            return X, y, sample_weight, None
        n = len(X)
        n_val = max(1, int(round(n * split)))
        if n - n_val < 1:
            raise ValueError(
                f"Cannot hold out validation data (validation_split={split}) from only {n} "
                "training sample(s). Give more data or set validation_split=0."
            )
        stratify = self._stratify_labels(y, n_val, n - n_val)
        train_idx, val_idx = train_test_split(
            np.arange(n),
            test_size=n_val,
            random_state=0 if self._random_state is None else self._random_state,
            stratify=stratify,
        )
        train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
        val = (X[val_idx], y[val_idx])
        if sample_weight is not None:
            val = (*val, sample_weight[val_idx])
            sample_weight = sample_weight[train_idx]
        return X[train_idx], y[train_idx], sample_weight, val

    def _stratify_labels(self, y, n_val: int, n_train: int) -> np.ndarray | None:
        return None

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        callbacks = self._make_callbacks()
        X, y, sample_weight, val = self._validation_data(X, y, sample_weight, callbacks, kwargs)
        fit_args = {
            "batch_size": self.batch_size,
            "epochs": initial_epoch + epochs,
            "initial_epoch": initial_epoch,
            "verbose": self.verbose,
            "shuffle": self.shuffle,
            "callbacks": callbacks,
            "sample_weight": sample_weight,
            "validation_data": val,
        }
        fit_args.update(kwargs)
        with self._seeded():
            history = self.model_.fit(X, y, **fit_args)
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = {}
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)

    @property
    def current_epoch(self) -> int:
        """Number of epochs trained so far (0 before `fit`)."""
        return len(getattr(self, "history_", {}).get("loss", []))

    # --------------------------------------------------------- predicting
    def _predict_raw(self, X, **kwargs) -> np.ndarray:
        if not self.initialized_:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        X, _ = self._validate_data(X)
        args = {"verbose": 0}
        if self.batch_size is not None:
            args["batch_size"] = self.batch_size
        args.update(kwargs)
        output = self.model_.predict(X, **args)
        if isinstance(output, (list, tuple)):
            output = output[0]
        return np.asarray(output)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seeds Python, NumPy and TensorFlow (weight init, dropout, shuffling) for
    the block, then restores their previous state.

    Unlike scikeras's `tensorflow_random_state`, this leaves TensorFlow's op
    determinism alone: on this stack that helper sets `TF_DETERMINISTIC_OPS`,
    which TensorFlow caches, so every later unseeded random op in the process
    fails with "Random ops require a seed".
    """
    import random

    import tensorflow as tf
    from tensorflow.python.eager import context

    py_state, np_state, tf_seed = random.getstate(), np.random.get_state(), context.global_seed()
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        tf.random.set_seed(tf_seed)


class _LabelEncoder:
    """Class labels <-> what the Keras model trains on and outputs."""

    def __init__(self, classes: np.ndarray, *, one_hot_input: bool, one_hot_output: bool):
        self.classes = classes
        self.one_hot_input = one_hot_input
        self.one_hot_output = one_hot_output

    def transform(self, y: np.ndarray) -> np.ndarray:
        if self.one_hot_input:
            return np.asarray(y, dtype="float32")
        index = np.searchsorted(self.classes, y)
        inside = index < len(self.classes)
        known = inside & (self.classes[np.minimum(index, len(self.classes) - 1)] == y)
        if not known.all():
            unseen = sorted({str(v) for v in np.asarray(y)[~known]})[:5]
            raise ValueError(
                f"y contains labels the estimator was not fitted with: {unseen}. "
                f"Known classes: {self.classes.tolist()[:10]}."
            )
        if self.one_hot_output:
            return np.eye(len(self.classes), dtype="float32")[index]
        return index.astype("int32")

    def proba(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype="float64")
        if raw.ndim == 1:
            raw = raw.reshape(-1, 1)
        if raw.shape[1] == 1 and len(self.classes) == 2:
            raw = np.column_stack([1.0 - raw[:, 0], raw[:, 0]])  # one sigmoid unit
        sums = raw.sum(axis=1, keepdims=True)
        if (raw >= 0).all() and np.allclose(sums, 1.0, atol=1e-3):
            raw = raw / sums  # float32 softmax rows, summing to 1 in float64 as scikit-learn checks
        if raw.shape[1] != len(self.classes):
            raise ValueError(
                f"The model outputs {raw.shape[1]} value(s) per sample, but there are "
                f"{len(self.classes)} classes. End build_fn's model with "
                f"keras.layers.Dense({len(self.classes)}, activation='softmax') "
                "(kerashp.datasets.current_spec().num_classes gives the number)."
            )
        return raw

    def inverse(self, proba: np.ndarray) -> np.ndarray:
        index = np.argmax(proba, axis=1)
        if self.one_hot_input:
            return np.eye(len(self.classes), dtype=int)[index]
        return self.classes[index]


def _is_categorical_crossentropy(loss: Any) -> bool:
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return str(name).lower() in ("categorical_crossentropy", "categoricalcrossentropy", "cce")


class KerasClassifier(ClassifierMixin, _KerashpWrapper):
    """A kerashp builder as a scikit-learn classifier.

    Every keyword argument other than the ones below is a hyperparameter:
    `fit` calls `build_fn(hp)` with all of them in one dict (`epochs` and
    `batch_size` included), inside `kerashp.datasets.use_spec(spec)` with a
    `DataSpec` made from the training data of that fit. So the kerashp
    builders work unchanged, and a search grid uses the space's own names.

    Labels may be any values (strings, integers, booleans); `classes_` holds
    them sorted, `predict` returns them, and `predict_proba` returns one
    column per class, in `classes_` order. One-hot label rows work too.

    Args:
        build_fn: A function `hp dict -> keras.Model` (compiled or not; an
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
            stratified, seeded) as validation data. Defaults to `None`: 10%
            when a callback monitors a `val_*` quantity (early stopping, a
            plateau schedule), none otherwise. Inside cross-validation this
            comes from the fold's training part only.
        shuffle: Shuffle the training data every epoch. Defaults to `True`.
        random_state: Seed for weight initialization, shuffling and the
            validation split; `None` leaves them random. Defaults to `None`.
        warm_start: Keep the model and train on from it on the next `fit`.
            Defaults to `False`.
        class_weight: `"balanced"` or `{class: weight}`, applied as sample
            weights. Defaults to `None`.
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
                stats, task="classification", num_classes=len(classes), classes=classes.tolist()
            )
        self.spec_ = spec
        return spec

    def _fit_target(self, y: np.ndarray) -> None:
        self._encoder = _LabelEncoder(
            self.classes_,
            one_hot_input=y.ndim == 2,
            one_hot_output=y.ndim == 2 or _is_categorical_crossentropy(self.model_.loss),
        )

    def _encode_y(self, y: np.ndarray) -> np.ndarray:
        return self._encoder.transform(y)

    def _stratify_labels(self, y, n_val: int, n_train: int) -> np.ndarray | None:
        labels = np.argmax(y, axis=1) if y.ndim == 2 else y
        counts = np.bincount(labels.astype(int))
        counts = counts[counts > 0]
        if counts.min() < 2 or n_val < len(counts) or n_train < len(counts):
            return None
        return labels

    def fit(self, X, y, sample_weight=None, **kwargs) -> KerasClassifier:
        """Builds a fresh model with `build_fn` and trains it on `(X, y)`.

        Args:
            X: Inputs, shape `(n_samples, ...)`.
            y: Class labels, shape `(n_samples,)`, or one-hot rows.
            sample_weight: Per-sample weights. Defaults to `None`.
            **kwargs: Passed on to `keras.Model.fit` (e.g. `validation_data`).

        Returns:
            The fitted estimator.

        Example:
            >>> KerasClassifier(epochs=5).fit(X, y).score(X, y)  # doctest: +SKIP
        """
        self._partial_classes = None
        if self.class_weight is not None:
            self._check_y_present(y)
            weights = compute_sample_weight(self.class_weight, np.asarray(y))
            sample_weight = weights if sample_weight is None else np.asarray(sample_weight) * weights
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs) -> KerasClassifier:
        """Trains one more epoch, building the model on the first call.

        Args:
            X: Inputs.
            y: Class labels.
            classes: All classes, needed on the first call when `y` of that
                call does not contain every class. Defaults to `None`.
            sample_weight: Per-sample weights. Defaults to `None`.
            **kwargs: Passed on to `keras.Model.fit`.

        Returns:
            The estimator.

        Example:
            >>> est = KerasClassifier().partial_fit(X[:50], y[:50], classes=np.arange(10))
        """
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
        return self._encoder.proba(raw)

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


class KerasRegressor(RegressorMixin, _KerashpWrapper):
    """A kerashp builder as a scikit-learn regressor.

    Takes the same arguments as `KerasClassifier` except `class_weight`: every
    keyword argument beyond the wrapper's own is a hyperparameter passed to
    `build_fn` in one dict. Targets may have one column or several
    (`y` of shape `(n_samples, k)` gives a model with `k` outputs);
    predictions are float64 with the shape of `y`. `score` is R².

    Args:
        build_fn: A function `hp dict -> keras.Model`. Defaults to `None`:
            `kerashp.builders.mlp`.
        epochs: Training epochs per `fit`. Defaults to `1`.
        batch_size: Batch size. Defaults to `None` (Keras's 32).
        verbose: Keras verbosity. Defaults to `0`.
        callbacks: Keras callbacks. Defaults to `None`.
        validation_split: Fraction held out as validation data. Defaults to
            `None`: 10% when a callback monitors `val_*`, else none.
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


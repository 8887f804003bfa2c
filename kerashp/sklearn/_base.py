"""`BaseKerasEstimator`: what `KerasClassifier` and `KerasRegressor` share.

Both are plain scikit-learn estimators (importing scikeras makes their Keras
models picklable) built around what a kerashp user needs:

- hyperparameters are plain constructor parameters (`units=64`), handed to the
  builder as one dict, so search grids use the space's own names;
- the builder sees a `DataSpec` made from the training data of this fit only
  (shape, task, classes, normalization statistics);
- validation data for early stopping is carved from the training data of
  this fit only, so inside cross-validation it never touches the fold's test part;
- `sample_weight` (times `class_weight`) follows scikit-learn's meaning: a
  weight of 0 drops the sample, and the loss is the weighted mean, so weight 2
  counts like a repeated sample (exactly so for full-batch training).

This module holds parameters, pickling, input checks, weights, building, fitting,
validation carving, callbacks and the raw prediction; `_classifier` and
`_regressor` hold what differs (targets, outputs, tags).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import scikeras  # noqa: F401 - importing it makes keras models picklable
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_array, validate_data

from kerashp._checks import check_int
from kerashp._seeding import as_seed, seeded
from kerashp.builders._calling import build_model, check_builder
from kerashp.datasets import DataSpec, use_spec
from kerashp.datasets._prepare import VALIDATION_SPLIT
from kerashp.datasets._spec import part_spec
from kerashp.datasets._weights import check_sample_weight, mean_one
from kerashp.sklearn._validation import (
    carve_validation,
    check_hp_names,
    check_validation_split,
    hp_dict,
    needs_validation,
    pack_build_fn,
)
from kerashp.tuning.gradient_registry import released_with
from kerashp.tuning.stack_room import with_room

__all__ = ["BaseKerasEstimator"]


class BaseKerasEstimator(BaseEstimator):
    """Shared machinery of `KerasClassifier` and `KerasRegressor`.

    Subclasses set `_task` and implement the target hooks: `_check_y`,
    `_make_spec`, `_fit_target`, `_encode_y` (and `_stratify_labels` to
    stratify the validation split, `_class_weights` for per-class weights). Not a public estimator: use
    `KerasClassifier` or `KerasRegressor`.

    Example:
        >>> class MyRegressor(RegressorMixin, BaseKerasEstimator):  # doctest: +SKIP
        ...     _task = "regression"
    """

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
    # Every public attribute that does not end with "_" is a parameter, so
    # `get_params` includes the extra hyperparameters.
    def _get_param_names(self):
        return [k for k in vars(self) if not k.endswith("_") and not k.startswith("_")]

    def set_params(self, **params: Any) -> BaseKerasEstimator:
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

    # ----------------------------------------------------------- pickling
    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        state["build_fn"] = pack_build_fn(state.get("build_fn"), type(self).__name__)
        return state

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    @property
    def initialized_(self) -> bool:
        """Whether a model has been built (by `fit` or `partial_fit`)."""
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
    def _make_spec(self, X: np.ndarray, y: np.ndarray) -> DataSpec:
        raise NotImplementedError

    def _weighted_spec(self, spec: DataSpec, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> DataSpec:
        """`spec` with input (and regression target) statistics weighted like the loss."""
        if weights is not None:
            keep = weights > 0
            spec = part_spec(spec, X[keep], y[keep], weights[keep])
        self.spec_ = spec
        return spec

    def _check_params(self) -> None:
        fn = self.build_fn
        if fn is not None and (not callable(fn) or isinstance(fn, keras.Model)):
            raise TypeError(
                "Argument `build_fn` must be a function that takes a dict of hyperparameters (or the "
                "hyperparameters as keyword arguments) and returns a keras.Model (compiled or not). "
                f"Received: build_fn={fn!r:.100}"
            )
        check_int("epochs", self.epochs)
        check_validation_split(self.validation_split)

    def _build_model(self, spec: DataSpec) -> keras.Model:
        if self.build_fn is None:
            from kerashp.builders import mlp as build_fn
        else:
            build_fn = self.build_fn
        hp = self.hyperparameters
        check_builder(build_fn, hp)
        with use_spec(spec), seeded(getattr(self, "_random_state", None)):
            return build_model(build_fn, hp, spec)

    def _fit_target(self, y: np.ndarray) -> None:
        raise NotImplementedError

    def _encode_y(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _class_weights(self, y: np.ndarray) -> np.ndarray | None:
        return None

    def _weights(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        """`sample_weight` times the class weights (or either alone, or `None`)."""
        per_class = self._class_weights(y)
        if per_class is not None:
            sample_weight = per_class if sample_weight is None else sample_weight * per_class
        if sample_weight is not None and not sample_weight.any():
            raise ValueError(
                "Every sample has weight zero (sample_weight times the class_weight), so there "
                "is nothing to train on. Give some samples a positive weight."
            )
        return sample_weight

    # ------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, **kwargs):
        """Builds a fresh model with `build_fn` (unless `warm_start`) and trains it."""
        epochs = kwargs.pop("epochs", self.epochs)
        initial_epoch = kwargs.pop("initial_epoch", 0)
        self._fit(X, y, sample_weight, self.warm_start, epochs, initial_epoch, **kwargs)
        return self

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Trains one more epoch, building the model on the first call."""
        for name in ("epochs", "initial_epoch"):
            if name in kwargs:
                raise TypeError(
                    f"partial_fit trains exactly one epoch, on from the current one, so it takes "
                    f"no `{name}` argument. Call it repeatedly, or use fit(X, y, epochs=...)."
                )
        self._fit(X, y, sample_weight, True, 1, self.current_epoch, **kwargs)
        return self

    def _fit(self, X, y, sample_weight, warm_start: bool, epochs: int, initial_epoch: int, **kwargs):
        self._check_y_present(y)
        fresh = not ((self.warm_start or warm_start) and self.initialized_)
        self._check_params()
        X, y = self._validate_data(X, y, reset=fresh)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(X))
        if fresh:
            self._random_state = as_seed(self.random_state)
            spec = self._make_spec(X, y)  # sets classes_, which the class weights need
        weights = self._weights(y, sample_weight)
        if fresh:
            self.model_ = self._build_model(self._weighted_spec(spec, X, y, weights))
            self._fit_target(y)
        if weights is not None:
            keep = weights > 0  # weight 0 drops the sample, from the batches too
            X, y, weights = X[keep], y[keep], weights[keep]
        self._fit_keras_model(
            X,
            self._encode_y(y),
            sample_weight=weights,
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
            split = VALIDATION_SPLIT if monitors else 0.0
        if split == 0.0:
            if monitors:
                raise ValueError(
                    f"{', '.join(monitors)} needs validation data, but validation_split=0. "
                    f"Leave validation_split=None (kerashp holds out {VALIDATION_SPLIT:.0%} of the training data) "
                    "or set a fraction such as validation_split=0.2."
                )
            return X, y, sample_weight, None
        return carve_validation(X, y, sample_weight, split, self._stratify_labels(y), self._random_state)

    def _stratify_labels(self, y) -> np.ndarray | None:
        """The class labels the hold-out split stratifies by, or `None`."""
        return None

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        callbacks = self._make_callbacks()
        X, y, sample_weight, val = self._validation_data(X, y, sample_weight, callbacks, kwargs)
        sample_weight = mean_one(sample_weight)  # the loss is the weighted mean
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
        with seeded(getattr(self, "_random_state", None)), released_with(self.model_):  # a search clones and refits
            history = with_room(self.model_.fit, X, y, **fit_args)  # a search calls it deep in its stack
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

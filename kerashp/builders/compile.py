"""Compiling a model from the reserved keys `optimizer`, `learning_rate`,
`momentum`, `nesterov` and `loss`, with the task's default loss and metric."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from kerashp.datasets import DataSpec, current_spec
from kerashp.exceptions import ArgumentError, DataError, InvalidModelError

__all__ = ["StandardizedMSE", "compile_model", "ensure_compiled", "make_optimizer", "resolve_spec"]

_OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "nadam": keras.optimizers.Nadam,
    "rmsprop": keras.optimizers.RMSprop,
    "sgd": keras.optimizers.SGD,
    "adagrad": keras.optimizers.Adagrad,
    "adamax": keras.optimizers.Adamax,
}
_MOMENTUM = {"sgd": "momentum", "rmsprop": "momentum"}


def make_optimizer(hp: Mapping[str, Any]) -> keras.optimizers.Optimizer:
    """A fresh optimizer from `hp["optimizer"]` (default `"adam"`),
    `hp["learning_rate"]`, for SGD/RMSprop `hp["momentum"]`, and for SGD
    `hp["nesterov"]`.

    Without `hp["learning_rate"]` (or with `None`) the optimizer keeps its own
    Keras default: 0.01 for SGD, 1e-3 for the others.

    Example:
        >>> make_optimizer({"optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.9})
    """
    name = hp.get("optimizer", "adam")
    if isinstance(name, keras.optimizers.Optimizer):
        return name
    key = str(name).lower()
    if key not in _OPTIMIZERS:
        raise ArgumentError(
            f"Unknown optimizer {name!r} in hp['optimizer']. Use one of {sorted(_OPTIMIZERS)}, "
            "or compile the model inside build_fn."
        )
    kwargs: dict[str, Any] = {}
    if hp.get("learning_rate") is not None:
        kwargs["learning_rate"] = float(hp["learning_rate"])
    if "momentum" in hp and key in _MOMENTUM:  # looked up whatever the optimizer (`ReadKeys`: it reached compile)
        kwargs[_MOMENTUM[key]] = float(hp["momentum"])
    if "nesterov" in hp and key == "sgd":
        kwargs["nesterov"] = bool(hp["nesterov"])
    return _OPTIMIZERS[key](**kwargs)


def resolve_spec(spec: DataSpec | None, builder: str) -> DataSpec:
    spec = spec or current_spec()
    if spec is None:
        raise DataError(
            f"{builder}() needs to know the data (input shape, task, classes). Call it through "
            "kerashp.tune / kerashp.sklearn, or pass spec=kerashp.datasets.DataSpec(...) "
            "(kerashp.datasets.infer_spec(x, y) makes one from arrays)."
        )
    return spec


@keras.saving.register_keras_serializable(package="kerashp")
class StandardizedMSE(keras.losses.Loss):
    """Mean squared error of standardized targets: `mean(((y - y_pred) / std) ** 2)`.

    The built-in builders' regression loss when the data's target variance
    is known: the same minimum as plain MSE, but the gradient reaching the
    last layer does not grow with the targets' variance, so SGD's learning
    rates mean the same for targets in the hundreds as for targets near 0
    (with plain MSE, diabetes' targets multiply SGD's step by ~6000 and it
    diverges). A value of 1.0 is what predicting the mean scores.

    Example:
        >>> loss = StandardizedMSE(variance=[5929.0])
    """

    def __init__(self, variance: Any = 1.0, name: str = "standardized_mse", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.variance = [float(v) for v in np.ravel(variance)]

    def call(self, y_true: Any, y_pred: Any) -> Any:
        ops = keras.ops
        y_true = ops.cast(y_true, y_pred.dtype)
        if len(y_true.shape) == len(y_pred.shape) - 1:
            y_true = ops.expand_dims(y_true, -1)
        scale = ops.sqrt(ops.convert_to_tensor(self.variance, dtype=y_pred.dtype))
        return ops.mean(ops.square((y_true - y_pred) / scale), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "variance": self.variance}


def compile_model(
    model: keras.Model, hp: Mapping[str, Any], spec: DataSpec | None = None, *, standardized_loss: bool = False
) -> keras.Model:
    """Compiles `model` from `hp` and the task's defaults; returns it.

    Loss: `hp["loss"]`, else sparse (or one-hot) categorical cross-entropy for
    classification and mean squared error for regression — computed on
    standardized targets (`StandardizedMSE`) when `standardized_loss` and the
    spec has the targets' variance (the built-in builders). Metric: accuracy
    or mean absolute error, in the targets' units.
    """
    spec = spec or current_spec()
    if spec is not None and spec.task == "classification":
        default = "categorical_crossentropy" if spec.one_hot else "sparse_categorical_crossentropy"
    elif standardized_loss and spec is not None and spec.target_variance is not None:
        default = StandardizedMSE(spec.target_variance)
    else:
        default = "mse"
    loss, metrics = hp.get("loss", default), [spec.metric] if spec is not None else []
    model.compile(optimizer=make_optimizer(hp), loss=loss, metrics=metrics)
    return model


def ensure_compiled(model: Any, hp: Mapping[str, Any], spec: DataSpec | None = None) -> keras.Model:
    """Checks that `model` is a Keras model and compiles it if `build_fn` did not.

    Raises:
        InvalidModelError: `model` is not a `keras.Model`.
    """
    if not isinstance(model, keras.Model):
        raise InvalidModelError(
            "build_fn must return a keras.Model (compiled or not). "
            f"Received: {type(model).__name__} {model!r:.80}. Return the model at the end of build_fn."
        )
    _check_outputs(model, spec or current_spec())
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        compile_model(model, hp, spec)
    return model


def _check_outputs(model: keras.Model, spec: DataSpec | None) -> None:
    """Raises `InvalidModelError` when a classifier has fewer outputs than the
    data has classes (every trial would fail in its first batch); a model whose
    output shape is not known before it is called is left to Keras."""
    if spec is None or spec.task != "classification":
        return
    try:
        shape = model.output_shape
    except (AttributeError, ValueError, RuntimeError):
        return
    if not isinstance(shape, tuple) or not shape or not isinstance(shape[-1], int):
        return
    units, classes = shape[-1], spec.num_classes
    if units == classes or (units > classes and not spec.one_hot) or (units == 1 and classes == 2 and not spec.one_hot):
        return
    shown = f" {spec.classes[:12]}" if spec.classes else ""
    raise InvalidModelError(
        f"build_fn's model outputs {units} value{'s' * (units != 1)} per sample, but the labels have {classes} "
        f"classes{shown} ({'one-hot' if spec.one_hot else f'encoded 0..{classes - 1}'}). Make the last layer "
        f"Dense({classes}) (kerashp.datasets.current_spec().num_classes inside build_fn), or check the labels."
    )

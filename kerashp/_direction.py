"""Whether a metric should go down or up: the one rule for the objective of
`kerashp.tune` (and so the tuner's best epoch and best trial), `EarlyStopping`
and `ReduceLROnPlateau`.

A name is matched by its words (without the `val_` prefix): losses and errors
go down, accuracies and scores go up. A name that matches neither is looked up
among a compiled model's metrics (Keras metrics carry their direction); failing
that, the caller must say.
"""

from __future__ import annotations

from typing import Any

from kerashp.exceptions import ArgumentError

__all__ = ["MAX_WORDS", "MIN_WORDS", "check_mode", "infer_direction", "is_improvement", "resolve_direction"]

MIN_WORDS = (
    "loss", "error", "mse", "mae", "mape", "msle", "rmse", "crossentropy", "hinge", "poisson",
    "kl", "divergence", "logcosh", "huber",
)
MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "score")
MODES = ("auto", "min", "max")


def check_mode(name: str, mode: Any) -> str:
    """`mode` if it is one of "auto", "min", "max"; an `ArgumentError` otherwise."""
    if mode not in MODES:
        raise ArgumentError(f"Argument `{name}` must be one of {list(MODES)}. Received: {name}={mode!r}")
    return mode


def infer_direction(metric: str, model: Any = None) -> str | None:
    """`"min"`, `"max"`, or `None` when neither the name nor `model` tells.

    Example:
        >>> infer_direction("val_r2_score"), infer_direction("val_mape")
        ('max', 'min')
    """
    bare = metric.lower().removeprefix("val_")
    if any(word in bare for word in MIN_WORDS):
        return "min"
    if any(word in bare for word in MAX_WORDS):
        return "max"
    for item in _model_metrics(model):
        if item.name == metric.removeprefix("val_") and getattr(item, "_direction", None) in ("up", "down"):
            return "max" if item._direction == "up" else "min"
    return None


def resolve_direction(metric: str, mode: str = "auto", model: Any = None, *, fix: str | None = None) -> str:
    """`mode` itself when it is "min" or "max", else the inferred direction.

    Raises:
        ArgumentError: the direction cannot be inferred; `fix` says how the
            caller's user gives it. Defaults to "Pass `mode='min'` or `mode='max'`."
    """
    if mode in ("min", "max"):
        return mode
    found = infer_direction(metric, model)
    if found is None:
        fix = fix or "Pass `mode='min'` or `mode='max'`."
        raise ArgumentError(f"Cannot tell whether {metric!r} should be minimized or maximized. {fix}")
    return found


def is_improvement(direction: str, value: float, reference: float | None, min_delta: float = 0.0) -> bool:
    """Whether `value` beats `reference` by more than `min_delta` (Keras's rule).

    Example:
        >>> is_improvement("min", 0.5, 0.6), is_improvement("max", 0.5, 0.6)
        (True, False)
    """
    if reference is None:
        return True
    if direction == "min":
        return value + min_delta < reference
    return value - min_delta > reference


def _model_metrics(model: Any):
    for metric in getattr(model, "metrics", None) or []:
        yield metric
        yield from getattr(metric, "metrics", None) or []

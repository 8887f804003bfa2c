"""Sample and class weights as scikit-learn defines them, the one rule of
`kerashp.tune` and the scikit-learn estimators: a weight scales a sample's
share of the loss (the loss is the weighted mean), 0 leaves the sample out."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from kerashp.exceptions import ArgumentError

__all__ = ["check_sample_weight", "class_weights", "mean_one"]


def class_weights(class_weight: Any, y: Any, classes: list) -> dict[int, float] | None:
    """Keras's `class_weight` (`{class index: weight}`) from scikit-learn's
    forms: `"balanced"` (`n_samples / (n_classes * count)`, counted on the
    encoded labels `y`: indices or one-hot rows) or `{label: weight}` keyed by
    the original labels `classes` (classes left out weigh 1). `None` stays
    `None`. The one rule of `kerashp.tune` and the scikit-learn estimators.

    Raises:
        ArgumentError: `class_weight` is of another form, or a dict names a
            label that is not a class or a weight that is not a finite
            number >= 0.
    """
    if class_weight is None:
        return None
    classes = list(classes)
    if isinstance(class_weight, str) and class_weight == "balanced":
        y = np.asarray(y)
        index = y.argmax(axis=1) if y.ndim == 2 else y.astype(int)
        counts = np.bincount(index, minlength=len(classes))
        return {i: (len(index) / (len(classes) * c) if c else 1.0) for i, c in enumerate(counts.tolist())}
    if not isinstance(class_weight, dict):
        raise ArgumentError(
            f"`class_weight` must be 'balanced' or a dict {{label: weight}}. "
            f"Received: class_weight={class_weight!r:.80}."
        )
    weights = {i: 1.0 for i in range(len(classes))}
    for label, weight in class_weight.items():
        if label not in classes:
            raise ArgumentError(
                f"`class_weight` names {label!r}, which is not a class of the training labels {classes[:10]}. "
                "Key the dict by the labels as they are in `y` (classes left out weigh 1)."
            )
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool) or not 0 <= weight < np.inf:
            raise ArgumentError(f"`class_weight[{label!r}]` must be a finite number >= 0. Received: {weight!r:.40}.")
        weights[classes.index(label)] = float(weight)
    return weights

def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """`sample_weight` as a new float64 array of `n_samples` finite, non-negative
    weights (a scalar gives every sample that weight).

    Raises:
        ArgumentError: wrong shape, not numbers, NaN/inf, or a negative weight.

    Example:
        >>> check_sample_weight([1, 0, 2], 3).tolist()
        [1.0, 0.0, 2.0]
    """
    weights = np.asarray(sample_weight)
    if weights.ndim == 0:
        weights = np.full(n_samples, weights)
    if weights.shape != (n_samples,):
        raise ArgumentError(
            f"sample_weight must have shape ({n_samples},), one weight per sample of X. "
            f"Received: sample_weight of shape {weights.shape}."
        )
    try:
        weights = weights.astype("float64")
    except (TypeError, ValueError):
        raise ArgumentError(
            f"sample_weight must hold numbers. Received: values of dtype {weights.dtype}, "
            f"e.g. {weights[0]!r:.40}."
        ) from None
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        i = int(bad[0])
        raise ArgumentError(
            f"sample_weight must be finite and non-negative, but sample {i} has weight "
            f"{weights[i]} ({len(bad)} such weight(s)). A weight scales the sample's share of "
            "the loss and 0 leaves it out; a negative weight would reward errors. Drop those "
            "samples or clip the weights: np.clip(sample_weight, 0, None)."
        )
    return weights

def mean_one(weights: np.ndarray | None) -> np.ndarray | None:
    """`weights` scaled to mean 1, as float32: the loss becomes the weighted mean
    `sum(w * loss) / sum(w)`, as if each sample were repeated `w` times, and
    scaling every weight by the same factor changes nothing."""
    if weights is None:
        return None
    return (weights * (len(weights) / weights.sum())).astype("float32")

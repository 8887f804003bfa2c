"""Class labels <-> what a Keras model trains on: the one label encoding of
`kerashp.tune` and the scikit-learn estimators."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from kerashp.exceptions import DataError

__all__ = ["LabelEncoder", "class_weights", "encode_labels"]


class LabelEncoder:
    """Maps class labels to indices `0..n-1` (or one-hot rows) and back.

    Args:
        classes: The sorted class labels; index `i` encodes `classes[i]`.
        one_hot_input: Labels arrive as one-hot rows (kept as they are).
            Defaults to `False`.
        one_hot_output: Encode as one-hot rows (for a categorical
            cross-entropy loss) rather than indices. Defaults to `False`.

    Example:
        >>> enc = LabelEncoder(np.array(["cat", "dog"]))
        >>> enc.transform(np.array(["dog", "cat"])).tolist()
        [1, 0]
    """

    def __init__(self, classes: Any, *, one_hot_input: bool = False, one_hot_output: bool = False):
        self.classes = np.asarray(classes)
        self.one_hot_input = one_hot_input
        self.one_hot_output = one_hot_output

    def transform(self, y: Any) -> np.ndarray:
        """Class indices as int32 (one-hot rows as float32).

        Raises:
            DataError: `y` holds a label that is not among `classes`.
        """
        y = np.asarray(y)
        if self.one_hot_input:
            return y.astype("float32")
        classes = self.classes
        index = np.searchsorted(classes, y)
        known = (index < len(classes)) & (classes[np.minimum(index, len(classes) - 1)] == y)
        if not known.all():
            unseen = sorted({v.item() if hasattr(v, "item") else v for v in y[~known]}, key=str)[:5]
            raise DataError(
                f"Labels {unseen} do not occur in the training labels {classes.tolist()[:10]}. "
                "Train on data that has every class, or drop those samples."
            )
        if self.one_hot_output:
            return np.eye(len(classes), dtype="float32")[index]
        return index.astype("int32")

    def inverse(self, scores: Any) -> np.ndarray:
        """The labels of the highest score per row (one-hot rows for one-hot input)."""
        index = np.argmax(np.asarray(scores), axis=1)
        if self.one_hot_input:
            return np.eye(len(self.classes), dtype=int)[index]
        return self.classes[index]


def encode_labels(y: Any, spec: Any) -> np.ndarray:
    """Targets as a model of `spec` trains on them: class indices, one-hot
    rows, or float32 regression targets."""
    if spec.task == "regression":
        return np.asarray(y).astype("float32")
    return LabelEncoder(spec.classes if spec.classes is not None else [], one_hot_input=spec.one_hot).transform(y)


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
    from kerashp.exceptions import ArgumentError

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
            f"`class_weight` must be 'balanced' or a dict {{label: weight}}. Received: class_weight={class_weight!r:.80}."
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

"""Class labels <-> what a Keras model trains on: the one label encoding of
`kerashp.tune` and the scikit-learn estimators."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerashp.exceptions import DataError

__all__ = ["LabelEncoder", "encode_labels"]


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


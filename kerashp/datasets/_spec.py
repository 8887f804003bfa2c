"""`DataSpec`: what a builder needs to know about the data (input shape, task,
classes, normalization statistics), inferred from training arrays, and the
context in which builders find it."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerashp.exceptions import DataError

__all__ = [
    "DataSpec", "check_finite", "check_pair", "current_spec", "feature_stats", "infer_spec", "label_kind",
    "part_spec", "target_stats", "use_spec",
]


@dataclass
class DataSpec:
    """What a builder needs to know about the data to build a matching model.

    Args:
        input_shape: Shape of one example, without the batch axis.
        task: `"classification"` or `"regression"`.
        num_classes: Number of classes (classification). Defaults to `None`.
        output_dim: Number of regression targets. Defaults to `1`.
        one_hot: Labels are one-hot rows. Defaults to `False`.
        classes: Original label values, index = encoded label. Defaults to `None`.
        mean: Per-feature (last axis) mean of the training inputs, for
            normalization. Defaults to `None`.
        variance: Per-feature variance. Defaults to `None`.
        target_mean: Per-target mean of the training targets (regression),
            which the built-in builders add back to their standardized
            outputs. Defaults to `None`: the last layer outputs the targets'
            units directly (specs written before this field had none, and
            rebuild the same model).
        target_variance: Per-target variance of the training targets
            (regression). Defaults to `None`.
        num_samples: Number of training samples, when known (arrays, not
            `tf.data`). Defaults to `None`.

    Example:
        >>> spec = DataSpec(input_shape=(64,), task="classification", num_classes=10)
    """

    input_shape: tuple[int, ...]
    task: str
    num_classes: int | None = None
    output_dim: int = 1
    one_hot: bool = False
    classes: list | None = None
    mean: np.ndarray | None = field(default=None, repr=False)
    variance: np.ndarray | None = field(default=None, repr=False)
    target_mean: np.ndarray | None = field(default=None, repr=False)
    target_variance: np.ndarray | None = field(default=None, repr=False)
    num_samples: int | None = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise DataError(
                f"`task` must be 'classification' or 'regression'. Received: task={self.task!r}."
            )
        if self.task == "classification" and (self.num_classes is None or self.num_classes < 2):
            raise DataError(
                f"Classification needs at least 2 classes. Received: num_classes={self.num_classes!r}."
            )
        if (self.target_mean is None) != (self.target_variance is None):
            raise DataError(
                "`target_mean` and `target_variance` go together: pass both or neither. Received: "
                f"target_mean={self.target_mean!r}, target_variance={self.target_variance!r}."
            )
        if self.target_variance is not None and np.any(np.asarray(self.target_variance) <= 0):
            raise DataError(
                f"`target_variance` must be positive. Received: target_variance={self.target_variance!r}. "
                "Use 1.0 for a constant target."
            )

    def to_dict(self) -> dict:
        """A JSON-safe dict that `DataSpec.from_dict` reads back."""
        out = dict(self.__dict__)
        for key in _ARRAYS:
            out[key] = None if out[key] is None else np.asarray(out[key]).tolist()
        out["input_shape"] = list(self.input_shape)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DataSpec:
        data = dict(data)
        data["input_shape"] = tuple(data["input_shape"])
        for key in _ARRAYS:
            if data.get(key) is not None:
                data[key] = np.asarray(data[key], dtype="float32")
        return cls(**data)

    @property
    def metric(self) -> str:
        """The default metric of the task: accuracy or mean absolute error."""
        return "accuracy" if self.task == "classification" else "mae"


_ARRAYS = ("mean", "variance", "target_mean", "target_variance")

_CURRENT: contextvars.ContextVar[DataSpec | None] = contextvars.ContextVar("kerashp_spec", default=None)


@contextlib.contextmanager
def use_spec(spec: DataSpec) -> Iterator[DataSpec]:
    """Makes `spec` the one builders see while the block runs."""
    token = _CURRENT.set(spec)
    try:
        yield spec
    finally:
        _CURRENT.reset(token)


def current_spec() -> DataSpec | None:
    """The `DataSpec` set by the running search, or `None` outside one."""
    return _CURRENT.get()


def label_kind(y: np.ndarray) -> str:
    if y.dtype.kind in "biuUSO":
        return "classification"
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return "one_hot"
    return "regression"


def infer_spec(x: np.ndarray, y: np.ndarray, *, task: str | None = None) -> DataSpec:
    """Infers a `DataSpec` from training arrays.

    Integer, boolean and string labels mean classification; float labels mean
    regression, unless `task` says otherwise; one-hot rows mean classification.

    Example:
        >>> infer_spec(np.zeros((4, 3)), np.array([0, 1, 2, 1])).num_classes
        3
    """
    x, y = check_pair(x, y)
    kind = label_kind(y)
    if task is not None and task not in ("classification", "regression"):
        raise DataError(f"`task` must be 'classification' or 'regression'. Received: task={task!r}.")
    mean, variance = feature_stats(x)
    common = {"input_shape": tuple(int(d) for d in x.shape[1:]), "mean": mean, "variance": variance,
              "num_samples": len(x)}
    if kind == "one_hot" and task != "regression":
        return DataSpec(task="classification", num_classes=int(y.shape[1]), one_hot=True, **common)
    if task == "classification" or (task is None and kind == "classification"):
        classes = np.unique(y)
        return DataSpec(task="classification", num_classes=len(classes), classes=classes.tolist(), **common)
    output_dim = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
    target_mean, target_variance = target_stats(y)
    return DataSpec(task="regression", output_dim=output_dim, target_mean=target_mean,
                    target_variance=target_variance, **common)


def check_pair(x: Any, y: Any, names: tuple[str, str] = ("x", "y")) -> tuple[np.ndarray, np.ndarray]:
    """`x` and `y` as arrays, checked to be usable training data: a batch axis,
    equal lengths, at least one sample, and only finite numbers."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2:
        raise DataError(
            f"`{names[0]}` needs a batch axis and at least one feature axis. Received: {names[0]}.shape={x.shape}. "
            f"For a single feature, use {names[0]}.reshape(-1, 1)."
        )
    if len(x) != len(y):
        raise DataError(f"`{names[0]}` and `{names[1]}` differ in length: {len(x)} vs {len(y)}.")
    if len(x) == 0:
        raise DataError(f"`{names[0]}` and `{names[1]}` are empty (0 samples). Pass data with at least a few samples.")
    for name, array in zip(names, (x, y), strict=True):
        check_finite(name, array)
    return x, y


def check_finite(name: str, array: np.ndarray, where: str = "") -> None:
    """Raises `DataError` naming how many values of `array` are NaN or infinite
    and the first sample holding one; arrays of other than floats pass."""
    if array.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(array)
    count = int(bad.sum())
    if count:
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"`{name}`{where} holds {count} non-finite value{'s' * (count > 1)} (NaN or inf), the first at "
            f"index {first[0] if len(first) == 1 else first} (sample {first[0]}). A network cannot train on them: "
            "drop those samples or fill them in first (e.g. sklearn.impute.SimpleImputer)."
        )


def part_spec(spec: DataSpec, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> DataSpec:
    """`spec` (classes, shapes: those of all the data) with the statistics of
    one training part `(x, y)`, weighted by `weights` like the loss: input
    normalization, regression target scaling, and the number of samples."""
    mean, variance = feature_stats(x, weights) if spec.mean is not None else (None, None)
    spec = dataclasses.replace(spec, mean=mean, variance=variance, num_samples=len(x))
    if spec.target_mean is not None:
        target_mean, target_variance = target_stats(y, weights)
        spec = dataclasses.replace(spec, target_mean=target_mean, target_variance=target_variance)
    return spec


def target_stats(y: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-target mean and variance of regression targets, one value per
    output (`feature_stats` of the targets flattened per sample: weighted
    likewise, and a constant target keeps scale 1, as a constant feature does)."""
    return feature_stats(np.asarray(y).reshape(len(y), -1), weights)


def feature_stats(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-feature (last axis) mean and variance of the first 10,000 samples of
    `x`, weighted by `weights` when given (a weight of 2 counts as two copies,
    0 as none); `None`s for inputs that are not numbers."""
    if x.dtype.kind not in "biuf":
        return None, None
    axes = tuple(range(x.ndim - 1))
    sample = x[:10000].astype("float64")
    w = None if weights is None else np.asarray(weights[:10000], dtype="float64")
    if w is None or not w.any():
        mean, variance = sample.mean(axis=axes), sample.var(axis=axes)
    else:
        w = np.broadcast_to(w.reshape((-1,) + (1,) * (x.ndim - 1)), sample.shape[:-1] + (1,))
        mean = (sample * w).sum(axis=axes) / w.sum(axis=axes)
        variance = (w * (sample - mean) ** 2).sum(axis=axes) / w.sum(axis=axes)
    # A feature constant in training (digits' blank border pixels) keeps scale 1:
    # dividing by ~0 would blow up any non-zero value it takes later.
    variance[variance < 1e-8] = 1.0
    return mean.astype("float32"), variance.astype("float32")

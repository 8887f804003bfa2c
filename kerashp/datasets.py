"""Data for kerashp: bundled and tfds datasets, user arrays, splits, and the
`DataSpec` that lets builders infer input shape, task and output size.

Example:
    >>> x, y = load("digits")            # scikit-learn's bundled copy: offline
    >>> x, y = load("mnist", data_dir="~/tensorflow_datasets")  # through tfds
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerashp.exceptions import DataError

__all__ = ["BUNDLED", "DataSpec", "Prepared", "current_spec", "infer_spec", "load", "prepare", "use_spec"]

BUNDLED = ("digits", "iris", "wine", "breast_cancer", "diabetes")


def load(
    name: str, *, data_dir: str | None = None, split: str = "train", download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Loads a dataset as `(x, y)` NumPy arrays.

    Args:
        name: One of scikit-learn's bundled datasets (`"digits"`, `"iris"`,
            `"wine"`, `"breast_cancer"`, `"diabetes"`; no network needed) or any
            tensorflow-datasets name with supervised keys (`"mnist"`,
            `"fashion_mnist"`, `"cifar10"`, ...).
        data_dir: Where tensorflow-datasets keeps prepared copies. Defaults to
            `None` (tfds's own default, `~/tensorflow_datasets`).
        split: tfds split to load. Ignored for bundled datasets. Defaults to `"train"`.
        download: Let tfds download and prepare a missing dataset. Defaults to `True`.

    Returns:
        `(x, y)`: features as float32, labels as in the source.

    Raises:
        DataError: the name is unknown, or a tfds dataset is not prepared and
            cannot be downloaded; the message says what to do.

    Example:
        >>> x, y = load("iris")
        >>> x.shape, y.shape
        ((150, 4), (150,))
    """
    if not isinstance(name, str) or not name:
        raise DataError(f"`name` must be a dataset name such as 'digits'. Received: name={name!r}.")
    if name in BUNDLED:
        from sklearn import datasets as sk_datasets

        x, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
        return x.astype("float32"), y
    return _load_tfds(name, data_dir=data_dir, split=split, download=download)


def _load_tfds(name: str, *, data_dir: str | None, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow_datasets as tfds

    advice = (
        f"kerashp could not load the tensorflow-datasets dataset {name!r} (split={split!r}, "
        f"data_dir={data_dir!r}). Either prepare it once where a network is available "
        f"(`python -c \"import tensorflow_datasets as tfds; tfds.load({name!r})\"`) and pass "
        "data_dir= pointing at that copy, or pass your data as arrays: data=(x, y). "
        f"Offline datasets that always work: {', '.join(BUNDLED)}."
    )
    try:
        ds = tfds.load(name, split=split, data_dir=data_dir, as_supervised=True, download=download)
        # Batches of 1024 rather than batch_size=-1: one huge batch aborts the
        # process inside TensorFlow for generator-backed datasets.
        batches = list(tfds.as_numpy(ds.batch(1024)))
    except (KeyError, ValueError) as err:
        if "supervised" in str(err).lower():
            raise DataError(f"{name!r} has no (features, label) pair in tfds; load it with tfds and pass arrays.") from err
        raise DataError(f"{advice} Cause: {type(err).__name__}: {err}") from err
    except Exception as err:  # tfds raises many types for "not there, no network"
        if type(err).__name__ == "DatasetNotFoundError" and "not found" not in str(err).lower():
            raise DataError(f"Unknown dataset {name!r}. {advice}") from err
        raise DataError(f"{advice} Cause: {type(err).__name__}: {str(err)[:300]}") from err
    if not batches:
        raise DataError(f"The tfds split {name}[{split}] is empty.")
    x = np.concatenate([b[0] for b in batches]).astype("float32")
    return x, np.concatenate([b[1] for b in batches])


# --------------------------------------------------------------------- DataSpec
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

    def __post_init__(self) -> None:
        if self.task not in ("classification", "regression"):
            raise DataError(
                f"`task` must be 'classification' or 'regression'. Received: task={self.task!r}."
            )
        if self.task == "classification" and (self.num_classes is None or self.num_classes < 2):
            raise DataError(
                f"Classification needs at least 2 classes. Received: num_classes={self.num_classes!r}."
            )

    def to_dict(self) -> dict:
        """A JSON-safe dict that `DataSpec.from_dict` reads back."""
        out = dict(self.__dict__)
        for key in ("mean", "variance"):
            out[key] = None if out[key] is None else np.asarray(out[key]).tolist()
        out["input_shape"] = list(self.input_shape)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DataSpec:
        data = dict(data)
        data["input_shape"] = tuple(data["input_shape"])
        for key in ("mean", "variance"):
            if data.get(key) is not None:
                data[key] = np.asarray(data[key], dtype="float32")
        return cls(**data)

    @property
    def metric(self) -> str:
        """The default metric of the task: accuracy or mean absolute error."""
        return "accuracy" if self.task == "classification" else "mae"


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


def _label_kind(y: np.ndarray) -> str:
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
    x, y = _check_pair(x, y)
    kind = _label_kind(y)
    if task is not None and task not in ("classification", "regression"):
        raise DataError(f"`task` must be 'classification' or 'regression'. Received: task={task!r}.")
    mean, variance = _feature_stats(x)
    common = {"input_shape": tuple(int(d) for d in x.shape[1:]), "mean": mean, "variance": variance}
    if kind == "one_hot" and task != "regression":
        return DataSpec(task="classification", num_classes=int(y.shape[1]), one_hot=True, **common)
    if task == "classification" or (task is None and kind == "classification"):
        classes = np.unique(y)
        return DataSpec(task="classification", num_classes=len(classes), classes=classes.tolist(), **common)
    output_dim = 1 if y.ndim == 1 else int(np.prod(y.shape[1:]))
    return DataSpec(task="regression", output_dim=output_dim, **common)


def _check_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2:
        raise DataError(
            f"`x` needs a batch axis and at least one feature axis. Received: x.shape={x.shape}. "
            "For a single feature, use x.reshape(-1, 1)."
        )
    if len(x) != len(y):
        raise DataError(f"`x` and `y` differ in length: {len(x)} vs {len(y)}.")
    return x, y


def _feature_stats(x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    if x.dtype.kind not in "biuf":
        return None, None
    axes = tuple(range(x.ndim - 1))
    sample = x[:10000].astype("float64")
    variance = sample.var(axis=axes)
    # A feature constant in training (digits' blank border pixels) keeps scale 1:
    # dividing by ~0 would blow up any non-zero value it takes later.
    variance[variance < 1e-8] = 1.0
    return sample.mean(axis=axes).astype("float32"), variance.astype("float32")


def encode_labels(y: np.ndarray, spec: DataSpec) -> np.ndarray:
    """Labels as class indices `0..num_classes-1` (classification) or float32."""
    y = np.asarray(y)
    if spec.task == "regression":
        return y.astype("float32")
    if spec.one_hot:
        return y.astype("float32")
    classes = np.asarray(spec.classes)
    index = np.searchsorted(classes, y)
    if (index >= len(classes)).any() or (classes[np.minimum(index, len(classes) - 1)] != y).any():
        unknown = sorted(set(np.asarray(y).tolist()) - set(classes.tolist()))[:5]
        raise DataError(f"Validation labels {unknown} do not occur in the training labels {classes.tolist()[:10]}.")
    return index.astype("int32")


# ---------------------------------------------------------------- preparation
@dataclass
class Prepared:
    """Training and validation data of one search, split once, plus its spec.

    `train` and `val` are `(x, y)` array pairs or `tf.data.Dataset`s.
    """

    train: Any
    val: Any
    spec: DataSpec
    name: str = "arrays"

    @property
    def is_dataset(self) -> bool:
        return not isinstance(self.train, tuple)


def prepare(
    data: Any,
    *,
    validation_split: float = 0.2,
    seed: int | None = None,
    task: str | None = None,
) -> Prepared:
    """Resolves `data` into a seeded train/validation split and a `DataSpec`.

    Args:
        data: A dataset name (see `load`), `(x, y)`, `(x, y, x_val, y_val)`,
            a `tf.data.Dataset` of `(x, y)` or a `(train_ds, val_ds)` pair.
        validation_split: Fraction held out when no validation data is given.
            Defaults to `0.2`.
        seed: Seed of the split. Defaults to `None`.
        task: Force `"classification"` or `"regression"`. Defaults to `None` (inferred).

    Example:
        >>> prepared = prepare("digits", seed=0)
        >>> prepared.spec.num_classes
        10
    """
    if not 0.0 < validation_split < 1.0:
        raise DataError(
            f"`validation_split` must be between 0 and 1. Received: validation_split={validation_split!r}."
        )
    name = "arrays"
    if isinstance(data, str):
        name = data
        data = load(data)
    if _is_tf_dataset(data) or (isinstance(data, tuple) and data and _is_tf_dataset(data[0])):
        return _prepare_datasets(data, validation_split=validation_split, task=task)
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise DataError(
            "`data` must be a dataset name ('digits'), (x, y), (x, y, x_val, y_val), a tf.data.Dataset "
            f"or (train_ds, val_ds). Received: {type(data).__name__}"
            + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
            + "."
        )
    arrays = [a for pair in zip(data[::2], data[1::2], strict=True) for a in _check_pair(*pair)]
    if len(arrays) == 4:
        x, y, x_val, y_val = arrays
    else:
        x, y, x_val, y_val = _split(*arrays, validation_split=validation_split, seed=seed, task=task)
    spec = infer_spec(x, y, task=task)
    if x_val.shape[1:] != x.shape[1:]:
        raise DataError(f"Validation inputs have shape {x_val.shape[1:]}, training inputs {x.shape[1:]}.")
    train = (x, encode_labels(y, spec))
    val = (x_val, encode_labels(y_val, spec))
    return Prepared(train=train, val=val, spec=spec, name=name)


def _split(x: np.ndarray, y: np.ndarray, *, validation_split: float, seed: int | None, task: str | None):
    from sklearn.model_selection import train_test_split

    stratify = None
    if task != "regression" and _label_kind(y) == "classification":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2:
            stratify = y
    x, x_val, y, y_val = train_test_split(
        x, y, test_size=validation_split, random_state=seed if seed is not None else 0, stratify=stratify
    )
    return x, y, x_val, y_val


def _is_tf_dataset(obj: Any) -> bool:
    return type(obj).__module__.startswith("tensorflow") and hasattr(obj, "element_spec")


def _prepare_datasets(data: Any, *, validation_split: float, task: str | None) -> Prepared:
    if isinstance(data, tuple):
        if len(data) != 2 or not all(_is_tf_dataset(d) for d in data):
            raise DataError("Datasets are given as one tf.data.Dataset or a (train_ds, val_ds) pair.")
        train, val = data
    else:
        count = int(data.cardinality())
        if count < 2:
            raise DataError(
                "Cannot split a tf.data.Dataset of unknown or infinite length. "
                "Pass (train_ds, val_ds) instead."
            )
        n_val = max(1, int(round(count * validation_split)))
        val, train = data.take(n_val), data.skip(n_val)
    batched = _is_batched(train)
    sample = train if batched else train.batch(256)
    xs, ys = [], []
    for x, y in sample.take(40):
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    if not xs:
        raise DataError("The training dataset is empty.")
    spec = infer_spec(np.concatenate(xs), np.concatenate(ys), task=task)
    if spec.task == "classification" and not spec.one_hot:
        classes = spec.classes
        if classes != list(range(len(classes))):
            raise DataError(
                f"Labels in a tf.data.Dataset must be 0..n-1; found {classes[:10]}. Map them first."
            )
    return Prepared(train=train, val=val, spec=spec, name="tf.data")


def _is_batched(ds: Any) -> bool:
    x_spec = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    return x_spec.shape.rank is not None and x_spec.shape.rank > 0 and x_spec.shape[0] is None

"""Preparing a search's data once: resolve `data=`, hold out validation data
or make cross-validation folds (seeded, stratified for classification), and
the `DataSpec` of each training part (input and target statistics from that
part only)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from kerashp._checks import check_fraction, check_int
from kerashp._seeding import split_seed
from kerashp.datasets._labels import encode_labels
from kerashp.datasets._loading import load
from kerashp.datasets._spec import (
    DataSpec,
    check_finite,
    check_pair,
    infer_spec,
    label_kind,
    part_spec,
)
from kerashp.datasets._weights import check_sample_weight, class_weights, mean_one
from kerashp.exceptions import ArgumentError, DataError

__all__ = ["VALIDATION_SPLIT", "Prepared", "Split", "holdout", "is_batched", "prepare", "weigh_classes"]

#: The fraction held out for validation when none is given: by `tune`
#: (`Data(validation_split=None)`) and by the scikit-learn estimators alike.
VALIDATION_SPLIT = 0.2


@dataclass
class Split:
    """One training part and the data it is scored on, with the `DataSpec` a
    builder sees for it (normalization statistics from the training part only).

    `train` and `val` are `(x, y)` array pairs (labels encoded) or
    `tf.data.Dataset`s; `sample_weight` weighs `train`'s samples (mean 1;
    samples of weight 0 are left out of `train`), and `class_weight` is
    Keras's `{class index: weight}` for training on `train`
    (`weigh_classes`); either may be `None`.
    """

    train: Any
    val: Any
    spec: DataSpec
    class_weight: dict[int, float] | None = None
    sample_weight: np.ndarray | None = None


@dataclass
class Prepared:
    """A search's data, prepared once: one `Split` for a hold-out, `k` for
    `k`-fold cross-validation, and the `DataSpec` of all the training data
    (what the run records and the best model is built with)."""

    splits: list[Split]
    spec: DataSpec
    name: str = "arrays"
    full: tuple | None = None  # all of (x, y), encoded, when cross-validating
    class_weight: dict[int, float] | None = None  # for training on `full`
    sample_weight: np.ndarray | None = None  # for training on `full`

    @property
    def train(self) -> Any:
        return self.splits[0].train

    @property
    def val(self) -> Any:
        return self.splits[0].val

    @property
    def is_dataset(self) -> bool:
        return not isinstance(self.train, tuple)

    @property
    def folds(self) -> int | None:
        return len(self.splits) if self.full is not None else None

    def fingerprint(self) -> str | None:
        """A SHA-256 of the arrays searched on (every split's training and
        validation arrays, sample weights included), so that a resumed run
        can tell the same data from other data; `None` for `tf.data`."""
        if self.is_dataset:
            return None
        digest = hashlib.sha256()

        def add(part: Any) -> None:
            if isinstance(part, dict):
                for key in sorted(part):
                    digest.update(str(key).encode())
                    add(part[key])
            elif isinstance(part, (list, tuple)):
                for item in part:
                    add(item)
            elif part is not None:
                array = np.ascontiguousarray(part)
                digest.update(f"{array.dtype.str}{array.shape}".encode())
                digest.update(array.tobytes())

        for split in self.splits:
            add([split.train, split.val, split.sample_weight])
        return digest.hexdigest()


def prepare(
    data: Any,
    *,
    validation_split: float | None = None,
    cv: int | None = None,
    seed: int | None = None,
    task: str | None = None,
    sample_weight: Any = None,
) -> Prepared:
    """Resolves `data` into a seeded hold-out split, or `cv` folds, and a `DataSpec`.

    Args:
        data: A dataset name (see `load`), `(x, y)`, `(x, y, x_val, y_val)`,
            a `tf.data.Dataset` of `(x, y)` or a `(train_ds, val_ds)` pair.
        validation_split: Fraction held out when no validation data is given.
            Defaults to `None`: `VALIDATION_SPLIT` (0.2).
        cv: Number of cross-validation folds (a name or `(x, y)` only).
            Defaults to `None`: a hold-out split.
        seed: Seed of the split or the folds. Defaults to `None`.
        task: Force `"classification"` or `"regression"`. Defaults to `None` (inferred).
        sample_weight: One weight per training sample of `data` (of `x` for
            `(x, y, x_val, y_val)`), as scikit-learn defines it: it scales the
            sample's share of the training loss and of the statistics the
            builders normalize with, and 0 leaves the sample out. Validation
            scores are not weighted. Defaults to `None`.

    Example:
        >>> prepared = prepare("digits", seed=0)
        >>> prepared.spec.num_classes
        10
    """
    if validation_split is not None:
        check_fraction("validation_split", validation_split)
    check_int("cv", cv, low=2, allow_none=True)
    name = "arrays"
    if isinstance(data, str):
        name = data
        data = load(data)
    if _is_tf_dataset(data) or (isinstance(data, tuple) and data and _is_tf_dataset(data[0])):
        if sample_weight is not None:
            raise ArgumentError(
                "`sample_weight` weighs arrays; a tf.data.Dataset carries its own weights as (x, y, weight) "
                "elements, which Keras reads. Drop sample_weight=, or pass the data as arrays."
            )
        if cv is not None:
            raise ArgumentError(
                "`cv` makes its folds from arrays: pass data as a dataset name or (x, y), not tf.data. "
                f"Received: cv={cv!r} with a tf.data.Dataset."
            )
        if isinstance(data, tuple) and validation_split is not None:
            raise ArgumentError(
                f"`data` is a (train_ds, val_ds) pair, so validation_split={validation_split!r} does not apply. "
                "Drop it, or pass one tf.data.Dataset to split."
            )
        return _prepare_datasets(data, validation_split=validation_split or VALIDATION_SPLIT, task=task)
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise DataError(
            "`data` must be a dataset name ('digits'), (x, y), (x, y, x_val, y_val), a tf.data.Dataset "
            f"or (train_ds, val_ds). Received: {type(data).__name__}"
            + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
            + "."
        )
    names = [("x", "y"), ("x_val", "y_val")]
    arrays = [a for i in range(0, len(data), 2) for a in check_pair(data[i], data[i + 1], names[i // 2])]
    if len(arrays) == 4 and (cv is not None or validation_split is not None):
        given = f"cv={cv!r}" if cv is not None else f"validation_split={validation_split!r}"
        raise ArgumentError(
            f"`data` has its own validation part (x, y, x_val, y_val), so {given} does not apply. "
            "Drop it, or pass data=(x, y)."
        )
    if cv is not None:
        if validation_split is not None:
            raise ArgumentError(
                f"With cv={cv}, each fold's held-out part is its validation data, so "
                f"validation_split={validation_split!r} does not apply. Drop one of them."
            )
    weights = None if sample_weight is None else check_sample_weight(sample_weight, len(arrays[0]))
    if cv is not None:
        return _prepare_folds(*arrays, weights, cv=cv, seed=seed, task=task, name=name)
    if len(arrays) == 4:
        x, y, x_val, y_val = arrays
    else:
        train, val = _holdout(*arrays, validation_split=validation_split or VALIDATION_SPLIT, seed=seed, task=task)
        (x, y), (x_val, y_val) = (arrays[0][train], arrays[1][train]), (arrays[0][val], arrays[1][val])
        weights = None if weights is None else weights[train]
    x, y, weights = _weighted(x, y, weights)
    spec = part_spec(infer_spec(x, y, task=task), x, y, weights)
    if x_val.shape[1:] != x.shape[1:]:
        raise DataError(f"Validation inputs have shape {x_val.shape[1:]}, training inputs {x.shape[1:]}.")
    split = Split(train=(x, encode_labels(y, spec)), val=(x_val, encode_labels(y_val, spec)), spec=spec,
                  sample_weight=mean_one(weights))
    return Prepared(splits=[split], spec=spec, name=name)


def _weighted(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> tuple:
    """The samples of a training part that carry weight, and their weights."""
    if weights is None:
        return x, y, None
    keep = weights > 0
    if not keep.any():
        raise ArgumentError(
            "Every training sample has weight 0 in `sample_weight`, so there is nothing to train on. "
            "Give some samples a positive weight."
        )
    return x[keep], y[keep], weights[keep]


def weigh_classes(prepared: Prepared, class_weight: Any) -> Prepared:
    """Sets each split's Keras `class_weight` from `"balanced"` (counted on
    that split's training labels) or `{label: weight}` (`class_weights`);
    returns `prepared`.

    Raises:
        ArgumentError: see `class_weights`; `"balanced"` with a
            `tf.data.Dataset`, whose labels are not counted.
    """
    if class_weight is None:
        return prepared
    spec = prepared.spec
    if spec.task != "classification":
        raise ArgumentError(
            f"`class_weight` weighs classes, but the task is regression. Received: class_weight={class_weight!r:.80}. "
            "Drop it (or pass task='classification' for class labels stored as floats)."
        )
    classes = spec.classes if spec.classes is not None else list(range(spec.num_classes))
    if prepared.is_dataset and isinstance(class_weight, str):
        raise ArgumentError(
            f"class_weight={class_weight!r} counts the training labels, which kerashp does not read from a "
            "tf.data.Dataset. Pass a dict {label: weight}, or the data as arrays."
        )
    for split in prepared.splits:
        split.class_weight = class_weights(class_weight, None if prepared.is_dataset else split.train[1], classes)
    if prepared.full is not None:
        prepared.class_weight = class_weights(class_weight, prepared.full[1], classes)
    return prepared


def _stratify(y: np.ndarray, task: str | None, parts: int) -> np.ndarray | None:
    """`y` when every class has at least `parts` samples (stratification works), else `None`."""
    if task == "regression" or label_kind(y) != "classification":
        return None
    _, counts = np.unique(y, return_counts=True)
    return y if counts.min() >= parts else None


def _holdout(x: np.ndarray, y: np.ndarray, *, validation_split: float, seed: int | None, task: str | None):
    """Indices of the training and validation parts (seeded, stratified)."""
    labels = None if task == "regression" or label_kind(y) != "classification" else y
    return holdout(len(x), validation_split, seed=seed, labels=labels)


def holdout(n: int, fraction: float, *, seed: int | None, labels: np.ndarray | None = None):
    """Indices `(train, val)` of `n` samples with `ceil(n * fraction)` of them
    held out: at least one sample each side, shuffled by the split seed of
    `seed` (`kerashp._seeding.split_seed`), stratified by `labels` (class
    labels, or `None`) when every class has two samples and each side room
    for every class. The one hold-out split of `tune` and the estimators.

    Raises:
        ValueError: fewer than two samples, so nothing can be held out.
    """
    from sklearn.model_selection import train_test_split

    n_val = max(1, math.ceil(n * fraction - 1e-9))
    if n - n_val < 1:
        raise ValueError(f"Cannot hold out validation data (validation_split={fraction}) from only {n} "
                         "training sample(s). Give more data or set validation_split=0.")
    if labels is not None:
        _, counts = np.unique(labels, return_counts=True)
        if counts.min() < 2 or n_val < len(counts) or n - n_val < len(counts):
            labels = None
    return train_test_split(np.arange(n), test_size=n_val, random_state=split_seed(seed), stratify=labels)


def _prepare_folds(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, *, cv: int, seed: int | None,
                   task: str | None, name: str) -> Prepared:
    """`cv` folds, stratified for classification; each fold's spec keeps the
    classes of all the data and takes its statistics from the fold's
    training part only (weighted by `weights`, whose zeros leave samples out
    of the training parts)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if len(x) < cv:
        raise ArgumentError(f"Argument `cv` must be at most the number of samples ({len(x)}). Received: cv={cv}")
    spec = infer_spec(x, y, task=task)
    labels = _stratify(y, task, cv)
    splitter = (StratifiedKFold if labels is not None else KFold)(
        n_splits=cv, shuffle=True, random_state=split_seed(seed))
    encoded = encode_labels(y, spec)
    splits = []
    for train_idx, val_idx in splitter.split(x, labels):
        x_part, y_part, w_part = _weighted(x[train_idx], y[train_idx], None if weights is None else weights[train_idx])
        splits.append(Split((x_part, encode_labels(y_part, spec)), (x[val_idx], encoded[val_idx]),
                            part_spec(spec, x_part, y_part, w_part), sample_weight=mean_one(w_part)))
    x_all, y_all, w_all = _weighted(x, y, weights)
    spec = part_spec(spec, x_all, y_all, w_all)
    return Prepared(splits=splits, spec=spec, name=name, full=(x_all, encode_labels(y_all, spec)),
                    sample_weight=mean_one(w_all))


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
    x, y = _sample(train, "training")
    _sample(val, "validation")
    spec = dataclasses.replace(infer_spec(x, y, task=task), num_samples=None)  # x is a sample of the data
    if spec.task == "classification" and not spec.one_hot:
        classes = spec.classes
        if classes != list(range(len(classes))):
            raise DataError(
                f"Labels in a tf.data.Dataset must be 0..n-1; found {classes[:10]}. Map them first."
            )
    return Prepared(splits=[Split(train=train, val=val, spec=spec)], spec=spec, name="tf.data")


def _sample(ds: Any, part: str, batches: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """The first `batches` batches of `ds` as arrays, checked to be non-empty and finite."""
    xs, ys = [], []
    for x, y in (ds if is_batched(ds) else ds.batch(256)).take(batches):
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    if not xs:
        raise DataError(f"The {part} dataset is empty (it yields no batch). Pass a dataset with samples.")
    where = f" (the first {f'{len(xs)} batches' if len(xs) > 1 else 'batch'} of the {part} dataset)"
    x, y = np.concatenate(xs), np.concatenate(ys)
    check_finite("x", x, where)
    check_finite("y", y, where)
    return x, y


def is_batched(ds: Any) -> bool:
    x_spec = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    return x_spec.shape.rank is not None and x_spec.shape.rank > 0 and x_spec.shape[0] is None

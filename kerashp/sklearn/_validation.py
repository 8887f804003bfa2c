"""Checks and helpers shared by the scikit-learn estimators.

Nothing here imports TensorFlow: the estimators module does that.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from kerashp._checks import check_fraction
from kerashp.datasets._prepare import holdout
from kerashp.datasets._weights import mean_one

__all__ = [
    "MACHINERY",
    "carve_validation",
    "check_hp_names",
    "check_validation_split",
    "needs_validation",
    "pack_build_fn",
    "plain",
]

# Constructor parameters that configure the wrapper itself. Everything else
# (including `epochs` and `batch_size`) is a hyperparameter the builder sees.
MACHINERY = frozenset(
    {
        "build_fn",
        "verbose",
        "callbacks",
        "validation_split",
        "shuffle",
        "random_state",
        "warm_start",
        "class_weight",
    }
)


def plain(value: Any) -> Any:
    """NumPy scalars to Python ones (`np.int64(3)` -> `3`); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def check_hp_names(cls: type, names: Any) -> None:
    """Rejects hyperparameter names that would clash with the estimator itself.

    Hyperparameters are stored as attributes, so a name like `fit` or `classes_`
    would overwrite a method or a fitted attribute.

    Raises:
        ValueError: a name is not an identifier, is private, ends with `_`,
            contains `__`, or names an attribute of the estimator class.
    """
    for name in names:
        problem = None
        if not isinstance(name, str) or not name.isidentifier():
            problem = "is not a valid Python identifier"
        elif name.startswith("_") or name.endswith("_"):
            problem = "starts or ends with '_' (reserved for private and fitted attributes)"
        elif "__" in name:
            problem = (
                "contains '__'. kerashp estimators take hyperparameters by their own name, "
                "without scikeras-style prefixes such as 'model__'"
            )
        elif hasattr(cls, name):
            problem = f"is the name of a {cls.__name__} attribute or method"
        if problem:
            raise ValueError(
                f"Hyperparameter {name!r} {problem}. Rename it in your space and build_fn "
                f"(e.g. {name.strip('_').replace('__', '_') or 'units'}_hp)."
            )


def check_validation_split(value: Any) -> float | None:
    """`validation_split` as `None` (automatic) or a float in `[0, 1)`.

    Raises:
        ArgumentError: `value` is neither.

    Example:
        >>> check_validation_split(0.2)
        0.2
    """
    if value is None:
        return None
    return check_fraction("validation_split", value, allow_zero=True)


def carve_validation(X, y, sample_weight, split: float, labels: np.ndarray | None, seed: int | None):
    """Holds out `split` of `(X, y)` as validation data with `tune`'s one
    hold-out split (`kerashp.datasets.holdout`: shuffled, seeded, stratified by
    `labels` where it can be).

    Returns:
        `(X_train, y_train, sample_weight_train, (X_val, y_val[, sample_weight_val]))`,
        the validation weights scaled to mean 1 like the training loss's.

    Raises:
        ValueError: too few samples to hold any out.
    """
    train_idx, val_idx = holdout(len(X), split, seed=seed, labels=labels)
    val = (X[val_idx], y[val_idx])
    if sample_weight is not None:  # the validation loss is weighted alike
        val = (*val, mean_one(sample_weight[val_idx]))
        sample_weight = sample_weight[train_idx]
    return X[train_idx], y[train_idx], sample_weight, val


def needs_validation(callbacks: list) -> list[str]:
    """Names of the callbacks that monitor a validation quantity (`val_*`)."""
    found = []
    for cb in callbacks:
        monitor = getattr(cb, "monitor", None)
        if isinstance(monitor, str) and monitor.startswith("val_"):
            found.append(f"{type(cb).__name__}(monitor={monitor!r})")
    return found


# ------------------------------------------------------------------ pickling
def _describe(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def _by_reference(fn: Any) -> bool:
    """Whether plain pickle can store `fn` as a reference another process can import."""
    if getattr(fn, "__module__", None) == "__main__":
        return False  # a worker process has a different __main__
    try:
        pickle.dumps(fn)
    except Exception:  # noqa: BLE001 - any failure means "not by reference"
        return False
    return True


def pack_build_fn(fn: Callable | None, owner: str) -> Any:
    """What an estimator pickles in place of its `build_fn`.

    Functions importable from a module are pickled by reference, as usual.
    Lambdas, nested functions and functions defined in `__main__` (a script or
    a notebook) are pickled by value with cloudpickle, so `pickle.dumps`,
    `joblib.dump` and `n_jobs>1` work with them too. When even that fails (the
    builder refers to something that cannot be pickled, such as a lock, an
    open file or a live session), raises a `pickle.PicklingError` that names
    the builder, the cause and the fix, instead of a failure deep in joblib.
    """
    if fn is None or _by_reference(fn):
        return fn
    cloudpickle = _cloudpickle()
    try:
        data = cloudpickle.dumps(fn)
    except Exception as err:  # noqa: BLE001 - re-raised with advice
        raise pickle.PicklingError(
            f"{owner} cannot be pickled because its build_fn {_describe(fn)} cannot be: "
            f"{type(err).__name__}: {err}. Pickling is needed to save the estimator and to run "
            "searches with n_jobs>1 (each worker process gets a copy). Define the builder with "
            "`def` at the top level of an importable .py module, and create anything it "
            "needs (models, layers, files, sessions) inside it rather than capturing it from "
            "the enclosing scope. Or run the search with n_jobs=1."
        ) from err
    return _ByValue(data)


class _ByValue:
    """A cloudpickled function; unpickles straight back to the function."""

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self) -> tuple:
        return (_cloudpickle().loads, (self.data,))


def _cloudpickle() -> Any:
    """cloudpickle: a dependency of joblib (older joblib versions vendor it)."""
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - joblib < 1.3
        from joblib.externals import cloudpickle
    return cloudpickle


def hp_dict(params: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters a builder sees: every parameter but the wrapper's own,
    with NumPy scalars as Python values and unset `epochs`/`batch_size` left out."""
    return {
        key: plain(value)
        for key, value in params.items()
        if key not in MACHINERY and not (key in ("epochs", "batch_size") and value is None)
    }


# ------------------------------------------------------------ sample weights

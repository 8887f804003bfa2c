"""Loading a dataset by name: scikit-learn's bundled copies (offline) or
tensorflow-datasets."""

from __future__ import annotations

import numpy as np

from kerashp._checks import did_you_mean
from kerashp.exceptions import DataError

__all__ = ["BUNDLED", "load"]

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


def _check_known(name: str, known: list[str], data_dir: str | None) -> None:
    """Raises `DataError` for a name neither bundled, nor in tfds's catalogue
    `known`, nor prepared in `data_dir`, with the closest names (a typo such
    as `digitz` -> `digits`)."""
    import os

    base = name.split(":")[0].split("/")[0]
    if base in known or (data_dir and os.path.isdir(os.path.join(os.path.expanduser(data_dir), base))):
        return
    hint = did_you_mean(base, [*BUNDLED, *known], n=3)
    hint += " " if hint else ""
    raise DataError(
        f"Unknown dataset {name!r}. {hint}Offline datasets that always work: {', '.join(BUNDLED)}; any "
        "tensorflow-datasets name with (features, label) pairs works too (tensorflow_datasets.list_builders() "
        "lists them), or pass arrays: data=(x, y)."
    )


def _load_tfds(name: str, *, data_dir: str | None, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow_datasets as tfds

    _check_known(name, tfds.list_builders(), data_dir)

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
    except Exception as err:  # tfds raises many types: not prepared, no network, no (features, label) pair
        raise DataError(f"{advice} Cause: {type(err).__name__}: {str(err)[:300]}") from err
    if not batches:
        raise DataError(f"The tfds split {name}[{split}] is empty.")
    x = np.concatenate([b[0] for b in batches]).astype("float32")
    return x, np.concatenate([b[1] for b in batches])

"""A trial's weights on disk: NumPy arrays in an `.npz` file, read without
unpickling.

The file holds the model's variables (`model.weights`, in order) as
`model.0`, `model.1`, ... and its optimizer's (`optimizer.variables`) as
`optimizer.0`, ...; a model built by the same builder from the same
hyperparameters lists them in the same order and shapes, which `read`
checks. Writing one is a few milliseconds where Keras's `save_weights`
(HDF5, walking the model's attributes) takes about 20 for a small MLP, and
every completed trial writes one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["read", "write"]


def _optimizer_variables(model: Any, build: bool) -> list:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if build and not optimizer.built:
        optimizer.build(model.trainable_variables)
    return list(optimizer.variables) if optimizer.built else []


def write(model: Any, file: Any) -> None:
    """Writes `model`'s variables and its optimizer's to `file` (a path or a binary file)."""
    arrays = {f"model.{i}": np.asarray(v) for i, v in enumerate(model.get_weights())}
    optimizer = _optimizer_variables(model, build=False)  # `numpy()`: a third of `np.asarray`'s time on a variable
    arrays.update({f"optimizer.{i}": v.numpy() for i, v in enumerate(optimizer)})
    np.savez(file, **arrays)


def read(model: Any, path: Path) -> None:
    """Assigns the arrays `write` stored in `path` to `model` and its optimizer.

    Raises:
        ValueError: the file is not such a file, or does not fit the model
            (another count, shape or dtype kind of variables).
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as err:
        raise ValueError(f"not a weights file: {type(err).__name__}: {err}") from None
    for part, variables in (("model", model.weights), ("optimizer", _optimizer_variables(model, build=True))):
        found = sorted((k for k in arrays if k.startswith(part + ".")), key=lambda k: int(k.split(".")[1]))
        if len(found) != len(variables):
            raise ValueError(f"{len(found)} {part} arrays for a {part} of {len(variables)} variables")
        for key, variable in zip(found, variables, strict=True):
            array = arrays[key]
            if tuple(array.shape) != tuple(variable.shape):
                raise ValueError(f"{key} has shape {array.shape}, the {part}'s variable {tuple(variable.shape)}")
        for key, variable in zip(found, variables, strict=True):
            variable.assign(arrays[key])

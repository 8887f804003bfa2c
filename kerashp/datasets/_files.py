"""A prepared search's data as `.npy` files, for worker processes.

`tune(..., execution=Execution(workers=N))` prepares the data once in the chief and writes every
array of it (each split's training and validation parts, their weights, and
all the data when cross-validating) to a folder; each worker memory-maps
them, so N workers share one copy in the page cache and see exactly the
chief's splits. Files hold plain arrays only (`allow_pickle=False` both
ways); an index file `prepared.json` names them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from kerashp.datasets._prepare import Prepared, Split
from kerashp.datasets._spec import DataSpec
from kerashp.exceptions import ArgumentError

__all__ = ["check_writable", "read_prepared", "write_prepared"]


def check_writable(prepared: Prepared, argument: str = "workers") -> None:
    """Raises `ArgumentError` when `prepared` holds a `tf.data.Dataset`, which cannot be shared."""
    if prepared.is_dataset:
        raise ArgumentError(
            f"Argument `{argument}` shares the data with worker processes as arrays, but data= is a "
            "tf.data.Dataset. Received: a dataset. Pass (x, y) arrays or a dataset name, or run one process "
            f"({argument}=1)."
        )
    for array in _arrays(prepared).values():
        if array.dtype == object:
            raise ArgumentError(
                f"Argument `{argument}` shares the data with worker processes as .npy files, which cannot hold "
                f"Python objects. Received: an array of dtype object. Pass numeric arrays, or run one process "
                f"({argument}=1)."
            )


def _arrays(prepared: Prepared) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for i, split in enumerate(prepared.splits):
        for part in ("train", "val"):
            pair = getattr(split, part)
            if pair is not None:
                arrays[f"split{i}_{part}_x"], arrays[f"split{i}_{part}_y"] = (np.asarray(a) for a in pair)
        if split.sample_weight is not None:
            arrays[f"split{i}_weight"] = np.asarray(split.sample_weight)
    if prepared.full is not None:
        arrays["full_x"], arrays["full_y"] = (np.asarray(a) for a in prepared.full)
    if prepared.sample_weight is not None:
        arrays["full_weight"] = np.asarray(prepared.sample_weight)
    return arrays


def _weights(mapping: dict | None) -> list | None:
    return None if mapping is None else [[int(k), float(v)] for k, v in mapping.items()]


def write_prepared(prepared: Prepared, folder: Path) -> None:
    """Writes `prepared` to `folder` (created); see the module docstring."""
    check_writable(prepared)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = _arrays(prepared)
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)
    index = {
        "name": prepared.name,
        "spec": prepared.spec.to_dict(),
        "class_weight": _weights(prepared.class_weight),
        "splits": [{"spec": s.spec.to_dict(), "class_weight": _weights(s.class_weight)} for s in prepared.splits],
        "arrays": sorted(arrays),
    }
    (folder / "prepared.json").write_text(json.dumps(index))


def read_prepared(folder: Path) -> Prepared:
    """The `Prepared` written by `write_prepared`, its arrays memory-mapped read-only."""
    index = json.loads((folder / "prepared.json").read_text())
    names = set(index["arrays"])

    def array(name: str) -> Any:
        return np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) if name in names else None

    def pair(prefix: str) -> tuple | None:
        return (array(f"{prefix}_x"), array(f"{prefix}_y")) if f"{prefix}_x" in names else None

    def weights(pairs: list | None) -> dict | None:
        return None if pairs is None else {int(k): float(v) for k, v in pairs}

    splits = [
        Split(pair(f"split{i}_train"), pair(f"split{i}_val"), DataSpec.from_dict(s["spec"]),
              class_weight=weights(s["class_weight"]), sample_weight=array(f"split{i}_weight"))
        for i, s in enumerate(index["splits"])
    ]
    return Prepared(splits, DataSpec.from_dict(index["spec"]), name=index["name"], full=pair("full"),
                    class_weight=weights(index["class_weight"]), sample_weight=array("full_weight"))

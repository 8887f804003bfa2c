"""A YAML run config (`kerashp tune CONFIG.yaml`) as `tune`'s arguments.

Its keys are `tune`'s options as `kerashp.options` declares them (`builder`
for `build_fn`; `data`, `run` and `execution` take their group's keys), and
each flag of `kerashp tune` overrides one of them. Data files are read as
plain arrays: nothing is unpickled.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from kerashp._checks import did_you_mean
from kerashp.exceptions import ArgumentError

__all__ = ["DATA_FILES", "config_keys", "load_config", "resolve_data"]


def _resolve_builder(ref: str) -> Callable:
    from kerashp import builders

    if hasattr(builders, ref) and ":" not in ref:
        return getattr(builders, ref)
    if ":" not in ref:
        raise ArgumentError(f"`builder` must be 'mlp', 'cnn' or 'module:function'. Received: builder={ref!r}.")
    return _import("builder", ref)


def _import(key: str, ref: str) -> Callable:
    """The function `module:function` names, importable from the working folder."""
    module, _, attr = ref.partition(":")
    sys.path.insert(0, os.getcwd())
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ArgumentError(f"Cannot import {key} {ref!r}: {err}.") from err


#: Data files `data:` reads, and what each holds.
DATA_FILES = {
    ".npz": "arrays x and y, and x_val and y_val for a validation part of your own",
    ".npy": "one 2-D array whose last column is the target",
    ".csv": "a table with a header row whose last column is the target",
}


def resolve_data(value: Any, folder: str = ".") -> Any:
    """What `data:` in a YAML config names, as `tune`'s `data`: a dataset name
    (kept as it is), a `.npz`, `.npy` or `.csv` file (`DATA_FILES`; a
    relative path is read from the config's `folder` first), or a
    `module:function` whose call returns any form `tune` takes. Files are
    read as plain arrays: nothing is unpickled.

    Raises:
        ArgumentError: the file is missing, unreadable or of another kind.
    """
    if not isinstance(value, str) or not value:
        raise ArgumentError(
            f"`data` must be a dataset name, a data file or 'module:function'. Received: data={value!r}."
        )
    suffix = os.path.splitext(value)[1].lower()
    if suffix not in DATA_FILES:
        if ":" in value and not os.path.exists(value):
            return _import("data", value)()
        return value  # a dataset name: `tune` checks it
    path = value if os.path.isabs(value) or not os.path.exists(os.path.join(folder, value)) else \
        os.path.join(folder, value)
    import numpy as np

    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                names = ("x", "y", "x_val", "y_val") if "x_val" in arrays else ("x", "y")
                return tuple(arrays[name] for name in names)
        table = np.load(path, allow_pickle=False) if suffix == ".npy" else \
            np.loadtxt(path, delimiter=",", skiprows=1, dtype="float32", ndmin=2)
    except (OSError, KeyError, ValueError) as err:
        raise ArgumentError(
            f"Cannot read data={value!r}: {err}. A {suffix} file must hold {DATA_FILES[suffix]}."
        ) from err
    if table.ndim != 2 or table.shape[1] < 2:
        raise ArgumentError(
            f"data={value!r} must hold {DATA_FILES[suffix]}. Received: an array of shape {table.shape}."
        )
    return table[:, :-1], table[:, -1]


def config_keys() -> tuple[str, ...]:
    """The top-level keys of a YAML config: `tune`'s options that a file can hold
    (`kerashp.options`; `data`, `run` and `execution` take their group's keys)."""
    from kerashp.options import declared

    return tuple(o.yaml_key for o in declared() if o.on_resume != "code")


def load_config(path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Reads a YAML run config into `tune`'s keyword arguments (`build_fn` included).

    `overrides` maps option names (`kerashp.options`) to values from the
    command line's flags; an option of a group goes under its group's key.

    Example YAML:
        builder: mlp
        data: digits            # or {source: digits, cv: 5}
        algorithm: bohb         # or {name: tpe, pruner: asha}
        objective: val_accuracy
        max_epochs: 9
        run: {name: mlp-digits, if_exists: resume}
        space:              # optional for mlp and cnn: kerashp.builders.default_space
          units: {type: int, low: 16, high: 256, log: true}
          activation: [relu, tanh]
    """
    import yaml

    from kerashp.options import OPTIONS, as_group
    from kerashp.space import Space

    try:
        with open(path) as f:
            config = yaml.safe_load(f)
    except OSError as err:
        raise ArgumentError(f"Cannot read config {path!r}: {err.strerror}.") from err
    except yaml.YAMLError as err:
        raise ArgumentError(f"{path!r} is not valid YAML: {err}") from err
    if not isinstance(config, dict):
        raise ArgumentError(f"{path!r} must hold a mapping of tune's settings (builder, data, space, ...). "
                            f"Received: {type(config).__name__}.")
    keys = config_keys()
    unknown = [key for key in config if key not in keys]
    if unknown:
        key = unknown[0]
        hint = did_you_mean(key, keys) or "`kerashp tune --help` lists the keys."
        raise ArgumentError(f"Unknown key {key!r} in {path!r}. {hint}")
    config.setdefault("data", "digits")
    for name, value in (overrides or {}).items():
        group = next(o.group for o in OPTIONS if o.name == name)
        if group is None:
            config[name] = value
            continue
        section = config.get(group)
        if group == "data" and not isinstance(section, dict):
            section = {"source": section}
        config[group] = {**(section or {}), name: value}
    kwargs = {key: value for key, value in config.items() if key != "builder"}
    kwargs["space"] = Space.from_config(config["space"]) if config.get("space") is not None else None
    kwargs["build_fn"] = _resolve_builder(str(config.get("builder", "mlp")))
    folder = os.path.dirname(os.path.abspath(path))
    data = config["data"] if isinstance(config["data"], dict) else {"source": config["data"]}
    data = {**data, "source": resolve_data(data.get("source"), folder)}
    if isinstance(data.get("test"), str):
        data["test"] = resolve_data(data["test"], folder)
    kwargs["data"] = as_group("data", data)
    for group in ("run", "execution"):
        kwargs[group] = as_group(group, config.get(group))
    return kwargs

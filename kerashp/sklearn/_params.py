"""A kerashp search space as `GridSearchCV` / `RandomizedSearchCV` parameters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerashp._checks import check_int
from kerashp.exceptions import ArgumentError, SpaceError
from kerashp.space import Bool, Choice, Fixed, Float, Int, Space, as_space

__all__ = ["LogUniformInt", "param_distributions", "param_grid"]


def _grid_values(key: str, entry: Any, grid_points: int | None) -> list:
    if isinstance(entry, Float) and entry.step is None:
        if grid_points is None:
            scale = " log" if entry.log else ""
            example = (
                f"[{entry.low:g}, {math.sqrt(entry.low * entry.high):.2g}, {entry.high:g}]"
                if entry.log
                else f"[{entry.low:g}, {(entry.low + entry.high) / 2:g}, {entry.high:g}]"
            )
            raise SpaceError(
                f"param_grid needs a finite set of values, but {key!r} is a continuous range "
                f"[{entry.low:g}, {entry.high:g}]{scale}. Give it values as a list "
                f"({key!r}: {example}), a step (Float({entry.low:g}, {entry.high:g}, step=...)), "
                "or call param_grid(space, grid_points=N) for N evenly spaced values "
                "(log-spaced for log=True); or search it with param_distributions and "
                "RandomizedSearchCV."
            )
        points = (
            np.geomspace(entry.low, entry.high, grid_points)
            if entry.log
            else np.linspace(entry.low, entry.high, grid_points)
        )
        return [float(f"{p:.6g}") for p in points]
    return list(entry.values())


def _controlling_keys(space: Space) -> list[str]:
    parents = {parent for conditions in space.conditions.values() for parent in conditions}
    return [key for key in space.order if key in parents]


def _branches(space: Space, value_lists: Mapping[str, list]) -> list[dict[str, list]]:
    """One dict per assignment of the keys that conditions depend on; the other
    active keys keep all their values."""
    controlling = _controlling_keys(space)
    found: list[dict[str, Any]] = []

    def expand(index: int, assigned: dict[str, Any]) -> None:
        if index == len(controlling):
            found.append(assigned)
            return
        key = controlling[index]
        if not space.is_active(key, assigned):
            expand(index + 1, assigned)
            return
        for value in value_lists[key]:
            expand(index + 1, {**assigned, key: value})

    expand(0, {})
    branches = []
    for assigned in found:
        branch: dict[str, list] = {}
        for key in space.entries:  # space order, as written
            if key in assigned:
                branch[key] = [assigned[key]]
            elif space.is_active(key, assigned):
                branch[key] = list(value_lists[key])
        branches.append(branch)
    return branches


def _merge(branches: list[dict[str, list]], controlling: list[str]) -> list[dict[str, list]]:
    """Merges branches that differ only in one controlling key's value."""
    for key in reversed(controlling):
        merged: list[dict[str, list]] = []
        index: dict[tuple, int] = {}
        for branch in branches:
            signature = tuple(
                (k, tuple(map(repr, v))) for k, v in branch.items() if k != key
            ) + ((key in branch),)
            if key in branch and signature in index:
                merged[index[signature]][key].extend(branch[key])
                continue
            index[signature] = len(merged)
            merged.append({k: list(v) for k, v in branch.items()})
        branches = merged
    return branches


def param_grid(space: Mapping[str, Any] | Space, *, grid_points: int | None = None,
               step: str | None = None) -> dict | list[dict]:
    """A kerashp space as a `GridSearchCV` `param_grid`, keyed by the space's own names.

    A space without conditional entries gives one dict of value lists. With
    `when=` conditions it gives a list of dicts, one per way the conditions
    can come out, so `GridSearchCV` never tries an impossible combination
    (e.g. `momentum` with `optimizer="adam"`). The combinations are exactly
    those of `Space(space).grid()`.

    Args:
        space: A dict search space or a `kerashp.Space`.
        grid_points: Number of evenly spaced values (log-spaced when
            `log=True`) for each continuous `Float` range. Defaults to `None`:
            a continuous range is an error that says how to give it values.
        step: The name of the estimator's step in a scikit-learn `Pipeline`:
            every key becomes `"<step>__<name>"`. Defaults to `None`.

    Returns:
        A dict `{name: [values]}`, or a list of such dicts.

    Raises:
        SpaceError: the space is malformed, or has a continuous range and no
            `grid_points`.
        ArgumentError: `grid_points` is not `None` or an integer >= 2.

    Example:
        >>> param_grid({"units": [32, 64], "optimizer": ["adam", "sgd"],
        ...             "momentum": Choice([0.0, 0.9], when={"optimizer": "sgd"})})
        [{'units': [32, 64], 'optimizer': ['adam']}, {'units': [32, 64], 'optimizer': ['sgd'], 'momentum': [0.0, 0.9]}]
    """
    space = as_space(space)
    grid_points = check_int("grid_points", grid_points, low=2, allow_none=True)
    values = {key: _grid_values(key, entry, grid_points) for key, entry in space.entries.items()}
    controlling = _controlling_keys(space)
    return _in_step(values if not controlling else _merge(_branches(space, values), controlling), step)


def _in_step(params: dict | list[dict], step: str | None) -> dict | list[dict]:
    """`params` keyed for the `Pipeline` step `step` (`"<step>__<name>"`)."""
    if step is None:
        return params
    if not isinstance(step, str) or not step:
        raise ArgumentError(
            f"Argument `step` must be the name of the estimator's step in the Pipeline, such as 'model'. "
            f"Received: step={step!r}."
        )
    if isinstance(params, list):
        return [{f"{step}__{k}": v for k, v in branch.items()} for branch in params]
    return {f"{step}__{k}": v for k, v in params.items()}


class LogUniformInt:
    """Integers drawn uniformly in log space from `[low, high]`, as Python ints.

    A scipy-style distribution: `RandomizedSearchCV` calls its `rvs`.

    Args:
        low: Smallest value (>= 1).
        high: Largest value.

    Example:
        >>> LogUniformInt(16, 512).rvs(random_state=0)
        107
    """

    def __init__(self, low: int, high: int):
        if low < 1 or high < low:
            raise ArgumentError(f"LogUniformInt needs 1 <= low <= high. Received: low={low}, high={high}")
        self.low = int(low)
        self.high = int(high)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        from scipy.stats import loguniform

        draws = loguniform(self.low, self.high + 1).rvs(size=size, random_state=random_state)
        ints = np.clip(np.floor(draws), self.low, self.high).astype(int)
        return int(ints) if np.ndim(ints) == 0 else ints

    def __repr__(self) -> str:
        return f"LogUniformInt({self.low}, {self.high})"


class _PlainInt:
    """Wraps `scipy.stats.randint` so draws are Python ints, not NumPy ints."""

    def __init__(self, low: int, high: int):
        from scipy.stats import randint

        self.dist = randint(int(low), int(high) + 1)

    def rvs(self, size: Any = None, random_state: Any = None) -> Any:
        draws = self.dist.rvs(size=size, random_state=random_state)
        return int(draws) if np.ndim(draws) == 0 else draws

    def __repr__(self) -> str:
        low, high = self.dist.support()
        return f"randint({low}, {high + 1})"


def _distribution(key: str, entry: Any) -> Any:
    from scipy import stats

    if isinstance(entry, Float) and entry.step is None:
        if entry.log:
            return stats.loguniform(float(entry.low), float(entry.high))
        return stats.uniform(loc=float(entry.low), scale=float(entry.high - entry.low))
    if isinstance(entry, Int) and (entry.log or entry.step == 1) and entry.high > entry.low:
        return LogUniformInt(entry.low, entry.high) if entry.log else _PlainInt(entry.low, entry.high)
    if isinstance(entry, (Int, Float, Choice, Bool, Fixed)):
        return list(entry.values())
    raise SpaceError(f"Unsupported entry for {key!r}: {entry!r}")  # pragma: no cover


def param_distributions(space: Mapping[str, Any] | Space, *, step: str | None = None) -> dict | list[dict]:
    """A kerashp space as `RandomizedSearchCV` `param_distributions`.

    Continuous `Float` ranges become `scipy.stats.uniform`, or
    `scipy.stats.loguniform` with `log=True`; `Int` ranges draw Python ints
    (uniform, or log-uniform with `log=True`); choices, booleans, stepped
    ranges and fixed values become lists, which `RandomizedSearchCV` samples
    uniformly. With `when=` conditions the result is a list of dicts, one per
    assignment of the keys the conditions depend on (so each such assignment
    is equally likely and conditional entries appear only where active).

    Args:
        space: A dict search space or a `kerashp.Space`.
        step: The name of the estimator's step in a scikit-learn `Pipeline`:
            every key becomes `"<step>__<name>"`. Defaults to `None`.

    Returns:
        A dict `{name: distribution or list}`, or a list of such dicts.

    Raises:
        SpaceError: the space is malformed, or a condition depends on a
            continuous range (`Space` refuses both when it is built).

    Example:
        >>> from sklearn.model_selection import RandomizedSearchCV
        >>> dists = param_distributions({"learning_rate": Float(1e-4, 1e-1, log=True),
        ...                              "units": Int(16, 256, log=True)})
        >>> rs = RandomizedSearchCV(KerasClassifier(epochs=10), dists, n_iter=20)  # doctest: +SKIP
    """
    space = as_space(space)  # refuses conditions on a continuous Float
    controlling = _controlling_keys(space)
    if not controlling:
        return _in_step({key: _distribution(key, entry) for key, entry in space.entries.items()}, step)
    lists = {key: _grid_values(key, space.entries[key], None) for key in controlling}
    out = []
    for branch in _branches(space, {**{k: [] for k in space.entries}, **lists}):
        out.append(
            {
                key: branch[key] if key in controlling else _distribution(key, space.entries[key])
                for key in branch
            }
        )
    return _in_step(out, step)

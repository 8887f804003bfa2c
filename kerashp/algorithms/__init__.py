"""Search algorithms: one class per module, each carrying its own options.

`tune(algorithm=...)` takes a name (`"bohb"`, `"tpe"`, `"random"`,
`"grid"`, `"bayesian"`, `"hyperband"`: the algorithm with its defaults), an
object (`BOHB(...)`, `TPE(pruner=khp.pruners.ASHA())`, `Random(...)`,
`Grid()`, `Bayesian(...)`, `Hyperband(reduction_factor=4)`), or a mapping
with a `name` and its options (a YAML file's `algorithm:`). `get` turns any
of them into the object; `register(cls)` adds a class (a new algorithm is
one module and its tests).

Example:
    >>> get("hyperband").decides_epochs
    True
    >>> get({"name": "tpe", "pruner": "asha"})
    TPE(pruner=ASHA(first_rung=None, reduction_factor=3))
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from kerashp._checks import did_you_mean
from kerashp.algorithms._base import STARTING_POINTS, BaseAlgorithm
from kerashp.algorithms.bayesian import Bayesian
from kerashp.algorithms.grid import Grid
from kerashp.algorithms.hyperband import Hyperband
from kerashp.algorithms.random import Random
from kerashp.algorithms.tpe import BOHB, TPE
from kerashp.exceptions import ArgumentError

__all__ = ["BOHB", "TPE", "BaseAlgorithm", "Bayesian", "Grid", "Hyperband", "Random", "get", "names", "register",
           "registered"]

_REGISTRY: dict[str, type[BaseAlgorithm]] = {}


def register(cls: type[BaseAlgorithm]) -> type[BaseAlgorithm]:
    """Adds the algorithm class `cls` under its `name` (replacing one of that name)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseAlgorithm) and cls.name):
        raise ArgumentError(f"register() takes a BaseAlgorithm subclass with a name. Received: {cls!r:.80}.")
    _REGISTRY[cls.name] = cls
    return cls


def registered() -> list[type[BaseAlgorithm]]:
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(algorithm: str | BaseAlgorithm | Mapping[str, Any]) -> BaseAlgorithm:
    """The algorithm object for a name, an object, or `{"name": ..., **options}`.

    Raises:
        ArgumentError: no such algorithm (the message lists them and the
            closest name), or an option it does not take (naming those that do).
    """
    if isinstance(algorithm, BaseAlgorithm):
        return algorithm
    options: dict[str, Any] = {}
    name = algorithm
    if isinstance(algorithm, Mapping):
        options = {k: v for k, v in algorithm.items() if k != "name"}
        name = algorithm.get("name")
    if not (isinstance(name, str) and name in _REGISTRY):
        hint = did_you_mean(name, _REGISTRY)
        raise ArgumentError(
            f"Argument `algorithm` must be one of {names()} or an algorithm object (khp.algorithms.BOHB(...), ...). "
            f"Received: algorithm={algorithm!r:.100}. {hint}".rstrip())
    cls = _REGISTRY[name]
    takes = set(inspect.signature(cls).parameters)
    for key, value in options.items():
        if key not in takes:
            owners = [c.__name__ for c in registered() if key in inspect.signature(c).parameters]
            raise ArgumentError(
                f"Option `{key}` does not apply to algorithm {name!r}, which takes "
                f"{', '.join(sorted(takes)) or 'no options'}. Received: {key}={value!r:.80}. "
                + (f"It is an option of {' and '.join(owners)}." if owners else "No algorithm takes it: drop it."))
    return cls(**options)


def stored(settings: Mapping[str, Any]) -> BaseAlgorithm:
    """The algorithm a run's `run.json` records (its name and options)."""
    options = {k: v for k, v in (settings.get("options") or {}).items() if k not in STARTING_POINTS}
    return get({"name": settings["algorithm"], **options})


for _cls in (Random, Grid, Bayesian, Hyperband, TPE, BOHB):
    register(_cls)

"""The algorithm registry: one module per search algorithm.

`get(name)` returns the registered algorithm or an error that lists the
names; `register(algorithm)` adds one (a new algorithm is one module and its
tests). Built in: `random`, `grid`, `bayesian`, `hyperband`, `tpe`, `bohb`.

Example:
    >>> get("hyperband").decides_epochs
    True
"""

from __future__ import annotations

from kerashp._checks import did_you_mean
from kerashp.algorithms._base import BaseAlgorithm
from kerashp.algorithms.bayesian import BayesianOptimization
from kerashp.algorithms.grid import GridSearch
from kerashp.algorithms.hyperband import Hyperband
from kerashp.algorithms.random import RandomSearch
from kerashp.algorithms.tpe import BOHB, TPE
from kerashp.exceptions import ArgumentError

__all__ = ["BaseAlgorithm", "get", "names", "register", "registered"]

_REGISTRY: dict[str, BaseAlgorithm] = {}


def register(algorithm: BaseAlgorithm) -> BaseAlgorithm:
    """Adds `algorithm` under its `name` (replacing one of that name)."""
    if not isinstance(algorithm, BaseAlgorithm) or not algorithm.name:
        raise ArgumentError(f"register() takes a named BaseAlgorithm instance. Received: {algorithm!r:.80}.")
    _REGISTRY[algorithm.name] = algorithm
    return algorithm


def registered() -> list[BaseAlgorithm]:
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: str) -> BaseAlgorithm:
    """The algorithm registered as `name`.

    Raises:
        ArgumentError: no such algorithm; the message lists them and the closest name.
    """
    if isinstance(name, str) and name in _REGISTRY:
        return _REGISTRY[name]
    hint = did_you_mean(name, _REGISTRY)
    raise ArgumentError(f"Argument `algorithm` must be one of {names()}. Received: algorithm={name!r}. {hint}".rstrip())


for _algorithm in (RandomSearch(), GridSearch(), BayesianOptimization(), Hyperband(), TPE(), BOHB()):
    register(_algorithm)

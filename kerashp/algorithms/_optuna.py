"""A kerashp `Space` in Optuna's terms: one distribution per searched entry,
and the active entries of one trial suggested in space order.

Suggesting in space order, only the entries active under the values drawn so
far, is what makes conditional entries work: an entry whose condition fails
is never suggested, so the sampler never sees it for that trial.

Example:
    >>> from kerashp.space import Space, Int
    >>> distributions(Space({"units": Int(16, 512, log=True)}))["units"]
    IntDistribution(high=512, log=True, low=16, step=1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from kerashp.space import Bool, Choice, Fixed, Float, Int, Space
from kerashp.space._entries import plain

__all__ = ["distribution", "distributions", "suggest"]


def distribution(entry: Any) -> BaseDistribution:
    """The Optuna distribution of one searched entry (its bounds kept exactly)."""
    if isinstance(entry, Int):
        step = int(entry.step)
        high = int(entry.low) + (int(entry.high) - int(entry.low)) // step * step  # the last value on the grid
        return IntDistribution(int(entry.low), high, log=bool(entry.log), step=step)
    if isinstance(entry, Float):
        if entry.step is None:
            return FloatDistribution(float(entry.low), float(entry.high), log=bool(entry.log))
        values = entry.values()
        return FloatDistribution(float(entry.low), float(values[-1]), step=float(entry.step))
    if isinstance(entry, Choice):
        return CategoricalDistribution([plain(v) for v in entry.values()])
    if isinstance(entry, Bool):
        return CategoricalDistribution([False, True])
    raise TypeError(f"No Optuna distribution for {type(entry).__name__}")  # pragma: no cover


def distributions(space: Space) -> dict[str, BaseDistribution]:
    """The distribution of every searched entry, in space order."""
    return {key: distribution(space.entries[key]) for key in space.searched}


def suggest(trial: Any, space: Space, dists: Mapping[str, BaseDistribution] | None = None) -> dict[str, Any]:
    """Suggests the active searched entries of `space` on an Optuna `trial`, in
    space order; returns their values (fixed entries left out)."""
    dists = dists if dists is not None else distributions(space)
    params: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key in space.order:
        entry = space.entries[key]
        if not space.is_active(key, params):
            continue
        if isinstance(entry, Fixed):
            params[key] = entry.value
            continue
        values[key] = params[key] = _suggest_one(trial, key, dists[key])
    return values


def _suggest_one(trial: Any, key: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(key, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(key, dist.low, dist.high, step=dist.step, log=dist.log)
    return trial.suggest_categorical(key, dist.choices)

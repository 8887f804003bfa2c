"""The points a search starts from: `initial` configurations to run first,
and a `warm_start` run's completed trials as observations for the algorithm."""

from __future__ import annotations

from typing import Any

from kerashp.exceptions import ArgumentError, SpaceError
from kerashp.space import Space
from kerashp.tuning.objective import Objective
from kerashp.tuning.result import TuneResult, load_result

__all__ = ["initial_values", "prior_observations"]


def initial_values(space: Space, initial: list[dict] | str | None, max_trials: int | None, *,
                   warm: bool = False) -> list[dict]:
    """The keras-tuner values of each `initial` configuration, checked against
    the space; for `"center"`, of the space's middle, unless the search is
    `warm` (started from an earlier run's trials, which say where to look)."""
    from kerashp.algorithms._base import CENTER
    from kerashp.algorithms._keras_tuner import to_values

    if initial == CENTER:
        return [] if warm else [to_values(space, space.center())]
    if not initial:
        return []  # a list of dicts: the algorithm's constructor checked it
    if max_trials is not None and len(initial) > max_trials:
        raise ArgumentError(
            f"`initial` has {len(initial)} configurations, more than max_trials={max_trials}. "
            "Raise max_trials or queue fewer."
        )
    return [to_values(space, space.check_params(point, f"initial[{i}]")) for i, point in enumerate(initial)]


def prior_observations(space: Space, goal: Objective, warm_start: Any) -> list[tuple[dict, float]]:
    """`(values, score)` of each completed trial of an earlier run that is a point of `space`."""
    if warm_start is None:
        return []
    earlier = warm_start if isinstance(warm_start, TuneResult) else load_result(warm_start)
    if earlier.objective != goal:
        raise ArgumentError(
            f"warm_start={str(earlier.path)!r} optimized {earlier.objective.name!r} ({earlier.objective.direction}), "
            f"this search {goal.name!r} ({goal.direction}). Its scores cannot guide this search: "
            "use the same objective."
        )
    from kerashp.algorithms._keras_tuner import to_values

    prior = []
    for record in earlier.records:
        if record.completed:
            try:
                prior.append((to_values(space, space.check_params(record.params, "a warm-start trial")), record.score))
            except SpaceError:
                continue  # a point outside this space: it says nothing about it
    if not prior:
        raise ArgumentError(
            f"No completed trial of warm_start={str(earlier.path)!r} lies in this space, so it cannot guide the "
            "search. Widen the space or warm-start from another run."
        )
    return prior

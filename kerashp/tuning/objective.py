"""The metric a search optimizes, and its direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerashp._direction import is_improvement, resolve_direction
from kerashp.exceptions import ArgumentError

__all__ = ["Objective", "as_objective"]


@dataclass(frozen=True)
class Objective:
    """A metric name as it appears in Keras `History` (e.g. `val_accuracy`), and
    whether lower (`"min"`) or higher (`"max"`) is better."""

    name: str
    direction: str

    def better(self, a: float, b: float | None) -> bool:
        """Whether score `a` beats score `b` (anything beats `None`)."""
        return is_improvement(self.direction, a, b)


def as_objective(objective: Any) -> Objective:
    """An `Objective` from a name (direction inferred) or a `(name, direction)` pair.

    Example:
        >>> as_objective("val_accuracy").direction
        'max'
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, (tuple, list)) and len(objective) == 2:
        name, direction = objective
        if direction not in ("min", "max"):
            raise ArgumentError(
                f"An objective's direction must be 'min' or 'max'. Received: objective={tuple(objective)!r}."
            )
        return Objective(str(name), direction)
    if not isinstance(objective, str) or not objective:
        raise ArgumentError(
            "Argument `objective` must be a metric name such as 'val_accuracy', or (name, 'min'|'max'). "
            f"Received: objective={objective!r}."
        )
    fix = f"Pass objective=({objective!r}, 'max') or ({objective!r}, 'min')."
    return Objective(objective, resolve_direction(objective, fix=fix))

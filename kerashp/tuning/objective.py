"""The metric a search optimizes, and its direction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kerashp._direction import is_improvement, resolve_direction
from kerashp.exceptions import ArgumentError

__all__ = ["Objective", "as_objective"]


@dataclass(frozen=True)
class Objective:
    """A metric name as it appears in Keras `History` (e.g. `val_accuracy`), and
    whether lower (`"min"`) or higher (`"max"`) is better.

    Ties on the objective are broken by the loss on the same data
    (`tie_breaker`): an accuracy on n validation samples moves in steps of
    1/n, so on a few hundred samples many epochs and trials share the best
    value, and the loss tells apart the one that fits the held-out data better. The best epoch of a
    trial and the best trial of a search are both chosen by `rank`.
    """

    name: str
    direction: str

    def better(self, a: float, b: float | None) -> bool:
        """Whether score `a` beats score `b` (anything beats `None`)."""
        return is_improvement(self.direction, a, b)

    @property
    def tie_breaker(self) -> str | None:
        """`"val_loss"` for a validation metric, `"loss"` for a training one;
        `None` when the objective is that loss itself."""
        loss = "val_loss" if self.name.startswith("val_") else "loss"
        return None if self.name == loss else loss

    def rank(self, score: float, metrics: dict | None = None) -> tuple[float, float]:
        """A sort key, lowest best: the score in the objective's direction, then
        the `tie_breaker` loss in `metrics` (a missing or non-finite loss ranks
        last among equal scores).

        Example:
            >>> acc = Objective("val_accuracy", "max")
            >>> acc.rank(0.98, {"val_loss": 0.07}) < acc.rank(0.98, {"val_loss": 0.09})
            True
        """
        tie = (metrics or {}).get(self.tie_breaker) if self.tie_breaker else None
        tie = float(tie) if tie is not None and math.isfinite(tie) else math.inf
        return (score if self.direction == "min" else -score, tie)


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

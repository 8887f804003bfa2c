"""The metric a search optimizes, and its direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kerashp.exceptions import KerashpError

__all__ = ["Objective", "as_objective"]

_MIN = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge", "rmse", "poisson", "kl")
_MAX = ("acc", "auc", "precision", "recall", "f1", "r2", "iou", "score")


@dataclass(frozen=True)
class Objective:
    """A metric name as it appears in Keras `History` (e.g. `val_accuracy`), and
    whether lower (`"min"`) or higher (`"max"`) is better."""

    name: str
    direction: str

    def better(self, a: float, b: float) -> bool:
        """Whether score `a` beats score `b`."""
        return a < b if self.direction == "min" else a > b


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
            raise KerashpError(
                f"An objective's direction must be 'min' or 'max'. Received: objective={tuple(objective)!r}."
            )
        return Objective(str(name), direction)
    if not isinstance(objective, str) or not objective:
        raise KerashpError(
            "Argument `objective` must be a metric name such as 'val_accuracy', or (name, 'min'|'max'). "
            f"Received: objective={objective!r}."
        )
    bare = objective.lower().removeprefix("val_")
    if any(part in bare for part in _MIN):
        return Objective(objective, "min")
    if any(part in bare for part in _MAX):
        return Objective(objective, "max")
    raise KerashpError(
        f"Cannot tell whether {objective!r} should go up or down. "
        f"Pass objective=({objective!r}, 'max') or ({objective!r}, 'min')."
    )

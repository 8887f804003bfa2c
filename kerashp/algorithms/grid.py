"""`algorithm="grid"` or `Grid()`: every combination of the space's values, in `Space.grid()` order."""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import BaseAlgorithm

__all__ = ["Grid"]


class Grid(BaseAlgorithm):
    """Every combination of the space's values, in `Space.grid()` order (no options)."""

    name = "grid"
    summary = "every combination of the space's values, in order (Space.grid)"
    default_max_trials = None
    needs_discrete_space = True

    def __init__(self):
        super().__init__()

    def expected_trials(self, space, max_trials, *, epochs) -> int:
        size = space.grid_size()
        return min(size, max_trials) if max_trials else size

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp._keras_tuner_compat import DurableOracle, oracle_kwargs, quiet
        from kerashp.algorithms._keras_tuner import to_values

        points = [to_values(space, point) for point in space.grid()]

        class Oracle(DurableOracle, kt.Oracle):
            """The combinations of `Space.grid()` in order: the values the space
            itself lists (keras-tuner's own grid drops the last value of some
            stepped float ranges, (0.95 - 0.5) // 0.05 == 8)."""

            def populate_space(self, trial_id):
                index = len(self.start_order)
                if index >= len(points):
                    return {"status": "STOPPED"}
                return {"status": "RUNNING", "values": dict(points[index])}

        return quiet(Oracle(max_trials=max_trials, **oracle_kwargs(objective, seed)))

"""`algorithm="grid"`: keras-tuner's grid search over every combination."""

from __future__ import annotations

from typing import Any

from kerashp.tuning.algorithms._base import BaseAlgorithm

__all__ = ["GridSearch"]


class GridSearch(BaseAlgorithm):
    name = "grid"
    summary = "every combination of the space's values, in order (keras-tuner's GridSearchOracle)"
    default_max_trials = None
    needs_discrete_space = True
    takes_initial = False

    def _why_not_initial(self) -> str:
        return "it runs every combination of the space in a fixed order."

    def expected_trials(self, space, max_trials) -> int:
        size = space.grid_size()
        return min(size, max_trials) if max_trials else size

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, options, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp.tuning.algorithms._oracles import oracle_kwargs, quiet

        return quiet(kt.oracles.GridSearchOracle(max_trials=max_trials, **oracle_kwargs(objective, seed)))

"""`algorithm="random"`: keras-tuner's random search."""

from __future__ import annotations

from typing import Any

from kerashp.tuning.algorithms._base import BaseAlgorithm
from kerashp.tuning.algorithms._keras_tuner import QueueFirst, oracle_kwargs, quiet

__all__ = ["RandomSearch"]


class RandomSearch(BaseAlgorithm):
    name = "random"
    summary = "values drawn at random (keras-tuner's RandomSearchOracle)"

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, options, initial, prior) -> Any:
        import keras_tuner as kt

        class Oracle(QueueFirst, kt.oracles.RandomSearchOracle):
            pass

        oracle = Oracle(max_trials=max_trials or self.default_max_trials, **oracle_kwargs(objective, seed))
        oracle.set_queue(initial)
        return quiet(oracle)

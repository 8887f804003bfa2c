"""`algorithm="random"`: keras-tuner's random search, optionally with ASHA
stopping bad trials early (`pruner="asha"`)."""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import PRUNING, BaseAlgorithm

__all__ = ["RandomSearch"]


class RandomSearch(BaseAlgorithm):
    name = "random"
    summary = "values drawn at random (keras-tuner's RandomSearchOracle)"
    options = PRUNING

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, options, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp.algorithms._oracles import (
            DurableOracle,
            InBounds,
            PrunerMixin,
            QueueFirst,
            oracle_kwargs,
            quiet,
        )

        class Oracle(DurableOracle, QueueFirst, InBounds, PrunerMixin, kt.oracles.RandomSearchOracle):
            pass

        oracle = Oracle(max_trials=max_trials, **oracle_kwargs(objective, seed))
        oracle.set_queue(initial)
        oracle.set_pruner(self.pruner(options, objective.direction, epochs=epochs, max_trials=max_trials), epochs)
        return quiet(oracle)

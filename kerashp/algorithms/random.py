"""`algorithm="random"` or `Random(...)`: keras-tuner's random search,
optionally with ASHA stopping bad trials early (`Random(pruner=ASHA())`)."""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import BaseAlgorithm, as_pruner

__all__ = ["Random"]


class Random(BaseAlgorithm):
    """Values drawn at random.

    Args:
        pruner: `khp.pruners.ASHA(...)` (or `"asha"`) to stop bad trials
            early. Defaults to `None`: every trial trains its full epochs.
        initial: Configurations (dicts of hyperparameter values; fixed and
            inactive entries may be left out) to run first. Defaults to `None`.
    """

    name = "random"
    summary = "values drawn at random (keras-tuner's RandomSearchOracle)"

    def __init__(self, pruner: Any = None, *, initial: list[dict] | None = None):
        super().__init__(initial=initial)
        self.pruner = as_pruner(pruner, "Random")

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp._keras_tuner_compat import (
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
        oracle.set_pruner(self.rungs(objective.direction, epochs=epochs, max_trials=max_trials), epochs)
        return quiet(oracle)

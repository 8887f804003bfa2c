"""`algorithm="bayesian"` or `Bayesian(...)`: keras-tuner's Gaussian-process Bayesian optimisation.

With `warm_start`, an earlier run's completed trials join the observations
the Gaussian process is fitted on (they are not trials of the new run: they
do not count towards `max_trials` and get no record), so with enough of them
the first proposal already comes from the model instead of the random
initial points.

With a pruner (`Bayesian(pruner=ASHA())`), a trial stopped early ends as COMPLETED for
keras-tuner's oracle, scored by the best value it reported before it was
stopped: the Gaussian process sees it as a finished trial with that score
(kerashp's record marks it PRUNED).
"""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import BaseAlgorithm, as_pruner

__all__ = ["Bayesian"]


class Bayesian(BaseAlgorithm):
    """A Gaussian process proposes each trial.

    Args:
        pruner: `khp.pruners.ASHA(...)` (or `"asha"`) to stop bad trials
            early. Defaults to `None`: every trial trains its full epochs.
        initial: Configurations to run first. Defaults to `None`.
        warm_start: An earlier run (its folder or `TuneResult`) whose
            completed trials feed the Gaussian process. Defaults to `None`.
    """

    name = "bayesian"
    summary = "a Gaussian process proposes each trial (keras-tuner's BayesianOptimizationOracle)"

    def __init__(self, pruner: Any = None, *, initial: list[dict] | None = None, warm_start: Any = None):
        super().__init__(initial=initial)
        self.pruner = as_pruner(pruner, "Bayesian")
        self.warm_start = warm_start

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, initial, prior) -> Any:
        import keras_tuner as kt

        from kerashp._keras_tuner_compat import (
            DurableOracle,
            InBounds,
            PriorTrials,
            PrunerMixin,
            QueueFirst,
            oracle_kwargs,
            quiet,
        )

        class Oracle(PriorTrials, DurableOracle, QueueFirst, InBounds, PrunerMixin,
                     kt.oracles.BayesianOptimizationOracle):
            pass

        oracle = Oracle(max_trials=max_trials, **oracle_kwargs(objective, seed))
        oracle.set_prior(prior)
        oracle.set_queue(initial)
        oracle.set_pruner(self.rungs(objective.direction, epochs=epochs, max_trials=max_trials), epochs)
        return quiet(oracle)

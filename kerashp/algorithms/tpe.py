"""`algorithm="tpe"` / `TPE(...)` and `algorithm="bohb"` / `BOHB(...)`:
proposals from Optuna's Tree-structured Parzen Estimator behind a keras-tuner oracle.

`TPE()` trains every trial its full epochs unless given a pruner
(`TPE(pruner=ASHA())`); `BOHB()` is TPE with ASHA always on — Hyperband's budget allocation (many
trials cut at the first rungs, sized to what a model costs and to the
search, `kerashp.pruners.asha`; the best trained on) with TPE choosing each new
trial, and no rebuilds: a trial that goes on trains on in the same `fit`. Trials stopped early reach
the sampler as PRUNED with the last value
they reported, as with Optuna's own pruners; they count for TPE's split of
good and bad trials by how far they got.

Both start at the middle of the space (`initial="center"`, `Space.center`):
TPE's first trials are random draws, and the middle of a space a user wrote
is most often a sound configuration, so the search holds a good model from
its first trial (measured in `benchmarks/RESULTS.md`); `initial=None` starts
with a random draw as Optuna does.

The oracle itself is `kerashp.algorithms._tpe_oracle.TPEOracle`.
"""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import CENTER, BaseAlgorithm, as_pruner
from kerashp.exceptions import ArgumentError

__all__ = ["BOHB", "TPE"]


class TPE(BaseAlgorithm):
    """Optuna's TPE sampler proposes each trial (multivariate, grouped, constant liar).

    Args:
        pruner: `khp.pruners.ASHA(...)` (or `"asha"`) to stop bad trials
            early. Defaults to `None`: every trial trains its full epochs.
        initial: Configurations to run first (dicts of hyperparameter values),
            `"center"` for the middle of the space (`Space.center`; not
            with a `warm_start`), or `None`. Defaults to `"center"`.
        warm_start: An earlier run (its folder or `TuneResult`) whose
            completed trials feed the sampler. Defaults to `None`.
    """

    name = "tpe"
    summary = "Optuna's TPE sampler proposes each trial (multivariate, grouped, constant liar)"

    def __init__(self, pruner: Any = None, *, initial: list[dict] | str | None = CENTER, warm_start: Any = None):
        super().__init__(initial=initial)
        self.pruner = as_pruner(pruner, type(self).__name__)
        self.warm_start = warm_start

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, initial, prior) -> Any:
        from kerashp._keras_tuner_compat import oracle_kwargs, quiet
        from kerashp.algorithms._tpe_oracle import TPEOracle

        oracle = TPEOracle(space, sampler_seed=seed, prior=prior, max_trials=max_trials,
                           **oracle_kwargs(objective, seed))
        oracle.set_queue(initial)
        oracle.set_pruner(self.rungs(objective.direction, epochs=epochs, max_trials=max_trials), epochs)
        return quiet(oracle)


class BOHB(TPE):
    """TPE proposals with ASHA stopping bad trials early (model-based Hyperband).

    Args:
        pruner: Its `khp.pruners.ASHA(...)`. Defaults to `ASHA()`: the first
            rung measured and sized to the search, hedged over brackets.
        initial: Configurations to run first (dicts of hyperparameter values),
            `"center"` for the middle of the space (`Space.center`; not
            with a `warm_start`), or `None`. Defaults to `"center"`.
        warm_start: An earlier run whose completed trials feed the sampler.
            Defaults to `None`.
    """

    name = "bohb"
    summary = "TPE proposals with ASHA stopping bad trials at rungs sized to the search (model-based Hyperband)"
    default_epochs = 27
    default_max_trials = 30  # most are stopped after 1 or 3 epochs

    def __init__(self, pruner: Any = "asha", *, initial: list[dict] | str | None = CENTER, warm_start: Any = None):
        super().__init__(pruner, initial=initial, warm_start=warm_start)
        if self.pruner is None:
            raise ArgumentError(
                "BOHB is TPE with ASHA: it needs a pruner. Received: pruner=None. Use khp.algorithms.TPE() to "
                "train every trial its full epochs, or BOHB(pruner=khp.pruners.ASHA(...)).")

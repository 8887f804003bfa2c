"""`algorithm="tpe"` and `algorithm="bohb"`: proposals from Optuna's
Tree-structured Parzen Estimator behind a keras-tuner oracle.

`"tpe"` trains every trial its full epochs unless `pruner="asha"` is given;
`"bohb"` is TPE with ASHA always on — Hyperband's budget allocation (many
trials cut at the first rungs, sized to what a model costs and to the
search, `kerashp.pruners.asha`; the best trained on) with TPE choosing each new
trial, and no rebuilds: a trial that goes on trains on in the same `fit`. Trials stopped early reach the sampler as PRUNED with the last value
they reported, as with Optuna's own pruners; they count for TPE's split of
good and bad trials by how far they got.

The oracle itself is `kerashp.algorithms._tpe_oracle.TPEOracle`.
"""

from __future__ import annotations

from typing import Any

from kerashp.algorithms._base import PRUNING, BaseAlgorithm, make_asha
from kerashp.pruners.asha import ASHA

__all__ = ["BOHB", "TPE"]


class TPE(BaseAlgorithm):
    name = "tpe"
    summary = "Optuna's TPE sampler proposes each trial (multivariate, grouped, constant liar)"
    takes_warm_start = True
    options = PRUNING

    def make_oracle(self, objective, *, space, max_trials, epochs, seed, options, initial, prior) -> Any:
        from kerashp.algorithms._oracles import oracle_kwargs, quiet
        from kerashp.algorithms._tpe_oracle import TPEOracle

        oracle = TPEOracle(space, sampler_seed=seed, prior=prior, max_trials=max_trials,
                           **oracle_kwargs(objective, seed))
        oracle.set_queue(initial)
        oracle.set_pruner(self.pruner(options, objective.direction, epochs=epochs, max_trials=max_trials), epochs)
        return quiet(oracle)


class BOHB(TPE):
    name = "bohb"
    summary = "TPE proposals with ASHA stopping bad trials at rungs sized to the search (model-based Hyperband)"
    default_epochs = 27
    default_max_trials = 30  # most are stopped after 1 or 3 epochs
    options = {"min_epochs": None, "eta": 3}  # None: the first rung measured and sized to the search (asha)

    def pruner(self, options, direction, *, epochs=None, max_trials=None) -> ASHA:
        return make_asha(options, direction, epochs=epochs, max_trials=max_trials)

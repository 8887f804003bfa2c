"""Asynchronous successive halving (ASHA): trials stopped early, never rebuilt.

Rungs sit at `min_epochs * eta**k` epochs, each at most `1 / eta` of the
trial's epochs (a rung nearer the end would cut a trial that has all but
finished for next to no saving). When a trial reaches a rung it reports its
objective there; it trains on only if that value is among the best
`max(1, n // eta)` of the `n` values reported at that rung so far (itself
included), and is stopped otherwise.

Without a `min_epochs`, the first rung is sized to the search
(`first_rung`): a search of `max_trials` trials gets the rungs of the
Hyperband bracket that starts that many, so that the promotion rule leaves
about one trial to train its full epochs. The default BOHB search (30 trials
of 27 epochs) keeps its rungs at 1, 3 and 9 epochs; 20 trials of 100 epochs
get rungs at 11 and 33 instead of 1, 3, 9, 27 and 81, where a model is
judged after a handful of gradient steps on small data. The rule runs in the oracle
(`update_trial`), so it decides the same way for trials in this process, in
worker processes or on other machines: keras-tuner's `OracleClient` rebuilds
the trial's status from the chief's answer, and a stopped trial reads
`"STOPPED"`.

A continuing trial simply trains on in the same `fit`. The oracle side is
`kerashp.tuning.algorithms._oracles.PrunerMixin`.

Example:
    >>> rungs = ASHA(min_epochs=1, eta=3, direction="max")
    >>> rungs.keep("0", epoch=1, value=0.5), rungs.keep("1", epoch=1, value=0.4)
    (True, False)
"""

from __future__ import annotations

import math
from typing import Any

from kerashp._checks import check_int

__all__ = ["ASHA", "first_rung", "rung_of"]


def rung_of(epoch: int, min_epochs: int, eta: int) -> int | None:
    """The rung index `k` with `min_epochs * eta**k == epoch`, or `None`."""
    if epoch < min_epochs:
        return None
    k = round(math.log(epoch / min_epochs, eta))
    return k if min_epochs * eta**k == epoch else None


def first_rung(epochs: int, max_trials: int | None, eta: int) -> int:
    """The first rung of a search of `max_trials` trials of `epochs` epochs
    when `min_epochs` is not given: `epochs // eta**k` (at least 1) for the
    largest `k` with `eta**k <= max_trials`, so that rungs at 1/eta**k, ...,
    1/eta of the epochs leave about `max_trials / eta**k >= 1` trials to
    finish. 1 when the number of trials is open (a time budget).

    Example:
        >>> first_rung(27, 30, 3), first_rung(100, 20, 3), first_rung(100, None, 3)
        (1, 11, 1)
    """
    if not max_trials:
        return 1
    k = 0
    while eta ** (k + 1) <= max_trials:
        k += 1
    return max(1, int(epochs) // eta**k)


class ASHA:
    """The rungs of one search and the values reported at them.

    Args:
        min_epochs: Epochs before the first rung. Defaults to `1`.
        eta: Reduction factor: a trial continues past a rung if it is in the
            top `1/eta` there. Defaults to `3`.
        direction: `"min"` or `"max"`. Defaults to `"min"`.
    """

    def __init__(self, min_epochs: int = 1, eta: int = 3, direction: str = "min"):
        self.min_epochs = check_int("min_epochs", min_epochs)
        self.eta = check_int("eta", eta, low=2)
        self.direction = direction
        self.rungs: dict[int, dict[str, float]] = {}

    def keep(self, trial_id: str, epoch: int, value: float, last: int | None = None) -> bool:
        """Records `value` if `epoch` is a rung of a trial of `last` epochs
        (`None`: of any length); whether the trial trains on."""
        k = rung_of(epoch, self.min_epochs, self.eta)
        if k is None or (last is not None and epoch * self.eta > last):
            return True
        reported = self.rungs.setdefault(k, {})
        reported.setdefault(trial_id, float(value))  # a trial counts once per rung
        values = sorted(reported.values(), reverse=self.direction == "max")
        cutoff = values[max(1, len(values) // self.eta) - 1]
        mine = reported[trial_id]
        return mine <= cutoff if self.direction == "min" else mine >= cutoff

    def get_state(self) -> dict[str, Any]:
        return {"rungs": {str(k): v for k, v in self.rungs.items()}}

    def set_state(self, state: dict[str, Any]) -> None:
        self.rungs = {int(k): dict(v) for k, v in (state.get("rungs") or {}).items()}

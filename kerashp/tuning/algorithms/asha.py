"""Asynchronous successive halving (ASHA): trials stopped early, never rebuilt.

Rungs sit at `min_epochs * eta**k` epochs. When a trial reaches a rung it
reports its objective there; it trains on only if that value is among the
best `max(1, n // eta)` of the `n` values reported at that rung so far
(itself included), and is stopped otherwise. The rule runs in the oracle
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

__all__ = ["ASHA", "rung_of"]


def rung_of(epoch: int, min_epochs: int, eta: int) -> int | None:
    """The rung index `k` with `min_epochs * eta**k == epoch`, or `None`."""
    if epoch < min_epochs:
        return None
    k = round(math.log(epoch / min_epochs, eta))
    return k if min_epochs * eta**k == epoch else None


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

    def keep(self, trial_id: str, epoch: int, value: float) -> bool:
        """Records `value` if `epoch` is a rung; whether the trial trains on."""
        k = rung_of(epoch, self.min_epochs, self.eta)
        if k is None:
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

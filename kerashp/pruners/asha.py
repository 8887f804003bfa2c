"""Asynchronous successive halving (ASHA): trials stopped early, never rebuilt.

Rungs sit at `first * eta**k` epochs (`eta`: the reduction factor), each at most `1 / eta` of the trial's
epochs (a rung nearer the end would cut a trial that has all but finished
for next to no saving). When a trial reaches a rung it reports its
objective there; it trains on only if that value is among the best
`max(1, n // eta)` of the `n` values reported at that epoch so far (itself
included), and is stopped otherwise.

The first rung `first` is `first_rung` when given. Without it, it is
decided by two rules, the larger winning:

- **sized to the search** (`first_rung`): a search of `max_trials` trials
  gets the first rung of the Hyperband bracket that starts that many, so the
  promotion rule leaves about one trial to train its full epochs;
- **sized to what a model costs** (`cost_rung`): a stopped trial should be
  mostly training. A trial stopped at epoch `r` costs `c + r * e`, where `c`
  is what a new model costs before its first epoch ends beyond an epoch's
  time (building, tracing, compiling: 0.4 s for a small MLP under TensorFlow
  on a CPU, seconds under XLA) and `e` an epoch. Below `r = c / e` an extra
  epoch adds less than half to the trial's cost and sharpens the ranking;
  at `r = c / e` half the cost is training. So the first rung is `ceil(c /
  e)`, capped so that one rung stays (`epochs // eta`).

The costs are measured in the search itself: a trial's tuner reports them
with its second epoch (`COST_KEYS`), not for the first model a process
trains (that one also pays the runtime's start-up). The first `SAMPLES`
reports decide (the median of their ratios); until the first arrives nothing
is stopped. They are part of the pruner's state, so a resumed search keeps
its rungs. Values are kept per epoch, so a rung decided late judges the
trials that passed it before.

**Brackets hedge the first rung** (Hyperband's, asynchronous, as Optuna's
`HyperbandPruner` does), when it is measured: a trial's bracket `b` puts
its first rung at `first * eta**b`, and at a rung it is compared with the
trials of its bracket, or with every trial there while fewer than `eta` of
its bracket have reported (else the first trials of each bracket, alone in
it, would pass every rung). Most trials start at `first`, fewer at the
rungs after it, and some are never stopped, so a search that a short rung
would misjudge (curves that cross late) still trains some models long, and
fewer models are built per epoch trained.

The rule runs in the oracle (`update_trial`), so it decides the same way
for trials in this process, in worker processes or on other machines.

`ASHA` is what a user configures (`first_rung`, `reduction_factor`); each
search starts its own `Rungs` from it (`ASHA.start`), which hold the values.

Example:
    >>> rungs = ASHA(first_rung=1).start("max", epochs=9, max_trials=10)
    >>> rungs.keep("0", epoch=1, value=0.5), rungs.keep("1", epoch=1, value=0.4)
    (True, False)
"""

from __future__ import annotations

import functools
import math
import statistics
import zlib
from typing import Any

from kerashp._checks import check_int

__all__ = ["ASHA", "COST_KEYS", "Rungs", "cost_rung", "first_rung", "model_costs", "rung_of"]

#: The names under which a trial reports what its model cost (seconds
#: before its first epoch ended, beyond one epoch) and what an epoch cost.
COST_KEYS = ("kerashp/model_seconds", "kerashp/epoch_seconds")

#: Cost reports that decide the first rung.
SAMPLES = 3


def rung_of(epoch: int, first: int, eta: int) -> int | None:
    """The rung index `k` with `first * eta**k == epoch`, or `None`."""
    if epoch < first:
        return None
    k = round(math.log(epoch / first, eta))
    return k if first * eta**k == epoch else None


def first_rung(epochs: int, max_trials: int | None, eta: int) -> int:
    """The first rung sized to a search of `max_trials` trials of `epochs`
    epochs: `epochs // eta**k` (at least 1) for the largest `k` with
    `eta**k <= max_trials`, so that rungs at 1/eta**k, ..., 1/eta of the
    epochs leave about `max_trials / eta**k >= 1` trials to finish. 1 when
    the number of trials is open (a time budget).

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


def model_costs(cost: dict[str, Any]) -> list[float] | None:
    """`[model seconds, epoch seconds]` from a `TrialRecord.cost`: what the model
    cost before its first epoch ended beyond an epoch's time, counting what
    it cost while the trial before trained (`ahead`: a compile hidden from
    the search's clock is still a compile), and an epoch."""
    build, first, epoch = cost.get("build"), cost.get("first_epoch"), cost.get("epoch")
    if build is None or first is None or not epoch:
        return None
    return [max(build + first - epoch, 0.0) + (cost.get("ahead") or 0.0), epoch]


@functools.lru_cache(maxsize=64)
def _bracket_shares(first: int, cap: int, eta: int) -> tuple[int, ...]:
    """Hyperband's trials per bracket for the `n` brackets whose first rungs
    `first * eta**b` the cap allows, plus the one that stops nothing."""
    n = 1
    while first * eta ** (n - 1) <= cap:
        n += 1
    return tuple(math.ceil(n * eta ** (n - 1 - b) / (n - b)) for b in range(n))


def cost_rung(ratio: float) -> int:
    """The fewest epochs whose training costs at least what a new model costs
    before its first epoch ends, given `ratio` = that cost / an epoch's.

    Example:
        >>> cost_rung(0.2), cost_rung(3.8), cost_rung(16.0)
        (1, 4, 16)
    """
    return max(1, math.ceil(ratio - 1e-9))


class ASHA:
    """Asynchronous successive halving: stops a trial at a rung unless it is
    in the top `1/reduction_factor` of the trials that reached that rung.

    Args:
        first_rung: Epochs a trial trains before its first rung. Defaults to
            `None`: measured in the search from what a new model costs
            against an epoch (`cost_rung`), at least the rung sized to the
            search (`first_rung(epochs, max_trials, reduction_factor)`), at
            most `epochs // reduction_factor`, and hedged over Hyperband's
            brackets (`Rungs.bracket_of`).
        reduction_factor: A trial goes on past a rung only in the top
            `1/reduction_factor` there; rungs are `reduction_factor` times
            apart. Defaults to `3`.

    Raises:
        ArgumentError: a value out of range, named with the fix.
    """

    name = "asha"

    def __init__(self, first_rung: int | None = None, reduction_factor: int = 3):
        self.first_rung = check_int("first_rung", first_rung, allow_none=True)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, low=2)

    def get_config(self) -> dict[str, Any]:
        """The options, as `run.json` records them and `from_config` reads them."""
        return {"name": self.name, "first_rung": self.first_rung, "reduction_factor": self.reduction_factor}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ASHA) and other.get_config() == self.get_config()

    def __repr__(self) -> str:
        return f"ASHA(first_rung={self.first_rung!r}, reduction_factor={self.reduction_factor!r})"

    def start(self, direction: str, *, epochs: int | None, max_trials: int | None) -> Rungs:
        """The rungs of one search of trials of `epochs` epochs, `max_trials` of them."""
        eta = self.reduction_factor
        if self.first_rung is not None or not epochs:
            return Rungs(first_rung=self.first_rung or 1, reduction_factor=eta, direction=direction)
        return Rungs(first_rung=None, reduction_factor=eta, direction=direction,
                     floor=first_rung(epochs, max_trials, eta), cap=epochs // eta, brackets=True)


class Rungs:
    """The rungs of one search and the values reported at them (`ASHA.start`).

    Args:
        first_rung: The first rung, in epochs. `None`: decided from the costs
            the trials report (`cost_rung`), at least `floor`, at most `cap`.
            Defaults to `1`.
        reduction_factor: A trial continues past a rung if it is in the
            top `1/reduction_factor` there. Defaults to `3`.
        direction: `"min"` or `"max"`. Defaults to `"min"`.
        floor: The least first rung when it is measured (`first_rung`).
        cap: The largest first rung when it is measured (`None`: no cap).
        brackets: Hedge the first rung over Hyperband's brackets
            (`bracket_of`); only with a `cap`, the last rung.
    """

    def __init__(self, first_rung: int | None = 1, reduction_factor: int = 3, direction: str = "min", *,
                 floor: int = 1, cap: int | None = None, brackets: bool = False):
        self.first_rung = check_int("first_rung", first_rung, allow_none=True)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, low=2)
        self.direction = direction
        self.floor, self.cap, self.brackets = floor, cap, bool(brackets) and cap is not None
        self.values: dict[int, dict[str, float]] = {}  # epoch -> trial id -> value
        self.costs: list[list[float]] = []  # [model seconds, epoch seconds] of the first SAMPLES reports

    def fresh(self) -> Rungs:
        """The same rungs with no value and no cost reported yet."""
        return Rungs(self.first_rung, self.reduction_factor, self.direction, floor=self.floor, cap=self.cap,
                     brackets=self.brackets)

    @property
    def first(self) -> int | None:
        """The first rung in epochs; `None` while it waits for a cost report."""
        if self.first_rung is not None:
            return self.first_rung
        if self.cap is not None and self.floor >= self.cap:
            return self.floor  # no cost could move it
        if not self.costs:
            return None
        rung = cost_rung(statistics.median(model / epoch for model, epoch in self.costs))
        return max(self.floor, rung if self.cap is None else min(rung, max(self.cap, 1)))

    def measured(self, model_seconds: float, epoch_seconds: float) -> None:
        """Takes one trial's costs, while fewer than `SAMPLES` have come."""
        if len(self.costs) < SAMPLES and epoch_seconds > 0 and model_seconds >= 0:
            self.costs.append([float(model_seconds), float(epoch_seconds)])

    def bracket_of(self, trial_id: str) -> int:
        """The bracket of a trial: its first rung is `first * eta**bracket`.

        With `brackets`, bracket `b` of the `n` that the rungs up to `cap`
        allow (the last one stops nothing) takes Hyperband's share of the
        trials, `ceil(n * eta**s / (s + 1))` with `s = n - 1 - b`, as Optuna's
        `HyperbandPruner` does (for 4 brackets and `eta=3`: 55 %, 24 %, 12 %, 8 %); which
        one is decided by the trial id's CRC-32, so the same after a resume
        and in any process. Otherwise 0."""
        first = self.first
        if not self.brackets or first is None:
            return 0
        shares = _bracket_shares(first, self.cap, self.reduction_factor)
        ticket = zlib.crc32(str(trial_id).encode()) % sum(shares)
        for bracket, share in enumerate(shares):
            if ticket < share:
                return bracket
            ticket -= share
        raise AssertionError("unreachable")

    def keep(self, trial_id: str, epoch: int, value: float, last: int | None = None) -> bool:
        """Records `value` at `epoch`; whether the trial (of `last` epochs,
        `None`: of any length) trains on. It is compared with the trials of
        its bracket once `reduction_factor` of them have reported at that
        epoch; before, with every trial that has (alone in its bracket, a
        trial would otherwise pass every rung: the first trials of each
        bracket would all train their full epochs)."""
        reported = self.values.setdefault(int(epoch), {})
        reported.setdefault(trial_id, float(value))  # a trial counts once per epoch
        first = self.first
        if first is None:
            return True
        bracket = self.bracket_of(trial_id)
        if (rung_of(epoch, first * self.reduction_factor**bracket, self.reduction_factor) is None
                or (last is not None and epoch * self.reduction_factor > last)
                or (self.brackets and epoch > self.cap)):
            return True
        if self.brackets:
            peers = {t: v for t, v in reported.items() if self.bracket_of(t) == bracket}
            if len(peers) >= self.reduction_factor:  # else it would be kept for want of peers
                reported = peers
        values = sorted(reported.values(), reverse=self.direction == "max")
        cutoff = values[max(1, len(values) // self.reduction_factor) - 1]
        mine = reported[trial_id]
        return mine <= cutoff if self.direction == "min" else mine >= cutoff

    def get_state(self) -> dict[str, Any]:
        return {"values": {str(e): v for e, v in self.values.items()}, "costs": self.costs, "first": self.first}

    def set_state(self, state: dict[str, Any]) -> None:
        self.values = {int(e): dict(v) for e, v in (state.get("values") or {}).items()}
        self.costs = [list(c) for c in state.get("costs") or []]
        if "rungs" in state and self.first_rung is not None:  # kerashp 0.1: values by rung index
            for k, v in state["rungs"].items():
                self.values.setdefault(self.first_rung * self.reduction_factor ** int(k), {}).update(v)

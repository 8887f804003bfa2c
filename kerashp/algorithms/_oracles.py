"""What kerashp adds to keras-tuner's oracles: queued configurations
(`initial=`), the ASHA pruner in `update_trial`, and their common arguments.

This module imports keras-tuner; the algorithm modules import it only when
they make an oracle, so the registry itself stays cheap to import. It relies
on keras-tuner 1.4's `Oracle` internals (`_tried_so_far`,
`_compute_values_hash`, `_check_objective_found`, `trials`), which is why
pyproject pins keras-tuner to 1.4.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import keras_tuner as kt
from keras_tuner.src.engine import oracle as oracle_module

from kerashp._seeding import keras_tuner_seed
from kerashp.pruners.asha import ASHA, COST_KEYS
from kerashp.storage.run_store import write_text

__all__ = [
    "CUT_KEY", "DurableOracle", "InBounds", "PrunerMixin", "QueueFirst", "QueueInBrackets", "QueueMixin", "in_bounds", "oracle_kwargs", "quiet",
]


#: The metric a tuner adds to a trial's last report when the time budget cut
#: it short: the oracle notes it (`DurableOracle.cut`) instead of keeping a metric.
CUT_KEY = "kerashp/timed_out"


class DurableOracle:
    """keras-tuner's state files (`oracle.json`, `trial_<id>/trial.json`)
    written as keras-tuner writes them, but atomically and durably: a crash
    mid-write leaves the old file whole (keras-tuner writes in place).

    It also notes the trials the time budget cut short (`cut`, from
    `CUT_KEY`), for an algorithm that can take a partial result as what it
    is (TPE tells Optuna a pruned trial)."""

    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Any:
        metrics = dict(metrics)  # over gRPC, a protobuf map
        if metrics.pop(CUT_KEY, None):
            self.cut = {*getattr(self, "cut", ()), trial_id}
        return super().update_trial(trial_id, metrics, step=step)

    def save(self) -> None:
        write_text(Path(self._get_oracle_fname()), json.dumps(self.get_state()))

    def _save_trial(self, trial: Any) -> None:
        write_text(Path(self._get_trial_dir(trial.trial_id)) / "trial.json", json.dumps(trial.get_state()))


def oracle_kwargs(objective: Any, seed: int | None) -> dict[str, Any]:
    """The arguments every keras-tuner oracle of kerashp gets."""
    return {
        "objective": kt.Objective(objective.name, objective.direction),
        "seed": keras_tuner_seed(seed),
        "max_consecutive_failed_trials": 10,
    }


class QueueMixin:
    """Proposes queued configurations (`tune(initial=...)`) before the oracle's
    own, skipping any a resumed run has already tried."""

    _queue: list[dict]

    def set_queue(self, queue: list[dict]) -> None:
        self._queue = [dict(values) for values in queue]

    def pop_queued(self) -> dict | None:
        while getattr(self, "_queue", None):
            values = self._queue.pop(0)
            if self._compute_values_hash(values) not in self._tried_so_far:
                return values
        return None


class QueueFirst(QueueMixin):
    """Queued configurations before every proposal of the oracle."""

    def populate_space(self, trial_id: str) -> dict:
        queued = self.pop_queued()
        if queued is not None:
            return {"status": "RUNNING", "values": queued}
        return super().populate_space(trial_id)


class QueueInBrackets(QueueMixin):
    """Queued configurations as the first new candidates of Hyperband's brackets."""

    def _random_values(self) -> dict | None:
        queued = self.pop_queued()
        return queued if queued is not None else super()._random_values()


def in_bounds(hp: Any, value: Any) -> Any:
    """`value` of keras-tuner hyperparameter `hp` put back inside its declared range.

    keras-tuner's integer conversion maps the probability 1.0 to `max_value + 1`
    (it assumes `[0, 1)`), and its Bayesian oracle optimizes over the closed
    `[0, 1]`, so a proposal can leave the range; a stepped value is also
    snapped onto its grid (`low + k * step`, rounded like `Float.values()`).
    """
    low, high = getattr(hp, "min_value", None), getattr(hp, "max_value", None)
    if low is None or high is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    step = getattr(hp, "step", None)
    whole = isinstance(value, int)
    if step and getattr(hp, "sampling", "linear") == "linear":
        last = math.floor((high - low) / step + 1e-9)
        value = low + min(max(round((value - low) / step), 0), last) * step
    else:
        value = min(max(value, low), high)
    return int(round(value)) if whole else float(round(value, 12))


class InBounds:
    """Every proposal of the oracle inside the declared ranges (`in_bounds`)."""

    def populate_space(self, trial_id: str) -> dict:
        response = super().populate_space(trial_id)
        if response.get("values"):
            hps = {hp.name: hp for hp in self.hyperparameters.space}
            response["values"] = {k: in_bounds(hps[k], v) if k in hps else v for k, v in response["values"].items()}
        return response


def quiet(oracle: Any) -> Any:
    oracle.verbose = 0  # kerashp prints its own progress
    return oracle


class PrunerMixin:
    """An optional ASHA pruner in `update_trial`.

    A trial the pruner stops gets status `"STOPPED"` in the answer to
    `update_trial` (over gRPC too) and is remembered in `pruned` (trial id ->
    the epoch it was stopped at). A trial's cost report (`asha.COST_KEYS`,
    sent with its second epoch) goes to the pruner and not into the trial's
    metrics. Per-epoch reports do not rewrite the trial's file, as
    keras-tuner's base `update_trial` does at every call; `end_trial` writes it.
    """

    pruner: ASHA | None = None

    def set_pruner(self, pruner: ASHA | None, epochs: int) -> None:
        """`pruner` (or `None`) for trials of `epochs` epochs (unless the space
        searches `epochs`): one that reaches its last epoch has completed,
        whatever the rung there says."""
        self.pruner = pruner
        self.epochs = int(epochs)
        self.pruned: dict[str, int] = {}

    @kt.synchronized
    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Any:
        trial = self.trials[trial_id]
        metrics = dict(metrics)  # over gRPC, a protobuf map
        costs = [metrics.pop(key) for key in COST_KEYS if key in metrics]
        if self.pruner is not None and len(costs) == len(COST_KEYS):
            self.pruner.measured(*costs)
        self._check_objective_found(metrics)
        for name, value in metrics.items():
            if not trial.metrics.exists(name):
                direction = oracle_module._maybe_infer_direction_from_objective(self.objective, name)
                trial.metrics.register(name, direction=direction)
            trial.metrics.update(name, value, step=step)
        value = metrics.get(self.objective.name)
        if self.pruner is not None and value is not None and trial.status == "RUNNING":
            last = int(trial.hyperparameters.values.get("epochs", self.epochs))  # epochs may be searched
            if not self.pruner.keep(trial_id, int(step), float(value), last):
                trial.status = "STOPPED"
                self.pruned[trial_id] = int(step)
        self.on_report(trial_id, metrics, step)
        return trial

    def on_report(self, trial_id: str, metrics: dict, step: int) -> None:
        """Hook for oracles that pass intermediate values on (TPE)."""

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.pruner is not None:
            state["kerashp_asha"] = {**self.pruner.get_state(), "pruned": self.pruned}
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        if self.pruner is not None and "kerashp_asha" in state:
            self.pruner.set_state(state["kerashp_asha"])
            self.pruned = dict(state["kerashp_asha"].get("pruned") or {})

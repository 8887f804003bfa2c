"""The callbacks kerashp adds to every trial's `fit`: the best epoch's
weights (`BestWeights`), what the model cost (`Clock`), and the per-epoch
report to the oracle that lets its pruner stop the trial (`Report`); and
the check that a trial did not diverge (`check_finite`)."""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from kerashp.exceptions import FailedTrialError
from kerashp.pruners.asha import COST_KEYS, model_costs
from kerashp.tuning.objective import Objective

__all__ = ["BestWeights", "Clock", "Report", "check_finite"]


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best epoch so far in memory, ranked by
    `Objective.rank` (the objective, then its loss on ties; finite values
    only), and ends a fit whose loss is no longer finite. That check runs once
    an epoch: Keras's `TerminateOnNaN` checks every batch, which makes Keras
    hand the logs to Python after each one (measured: ~14 % of a search of
    short trials)."""

    def __init__(self, objective: Objective):
        super().__init__()
        self.objective = objective
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.weights: list | None = None
        self.index: int | None = None  # of the best epoch, counted from this fit's first
        self._rank: tuple[float, float] | None = None
        self._seen = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        value = logs.get(self.objective.name)
        if value is not None and math.isfinite(value):
            rank = self.objective.rank(float(value), logs)
            if self._rank is None or rank < self._rank:
                self._rank, self.weights, self.index = rank, self.model.get_weights(), self._seen
        self._seen += 1
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            self.model.stop_training = True


class Clock(keras.callbacks.Callback):
    """What a fit's model cost: seconds from the start of its build to the
    start of its first epoch (`build`), its first epoch (which traces and
    compiles a new model's steps), the median of its later epochs, and the
    seconds spent building and compiling it while the trial before trained
    (`ahead`, `kerashp.tuning.ahead`)."""

    def __init__(self, started: float, reused: bool, ahead: float | None = None):
        super().__init__()
        self.started, self.reused, self.ahead = started, reused, ahead
        self.build: float | None = None
        self.epochs: list[float] = []
        self.reported: list[float] | None = None  # the costs sent to the oracle's pruner

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._begun = time.perf_counter()
        if self.build is None:
            self.build = self._begun - self.started

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append(time.perf_counter() - self._begun)

    def costs(self) -> list[float] | None:
        """`[model seconds, epoch seconds]` once two epochs have ended (`asha.model_costs`)."""
        return model_costs(self.summary()) if len(self.epochs) >= 2 else None

    def summary(self) -> dict[str, Any]:
        later = self.epochs[1:]
        return {"build": _round(self.build), "first_epoch": _round(self.epochs[0] if self.epochs else None),
                "epoch": _round(float(np.median(later)) if later else None), "reused": self.reused,
                "ahead": _round(self.ahead), "reported": self.reported}


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 4)


class Report(keras.callbacks.Callback):
    """Reports the objective to the oracle after every epoch, and with the
    second epoch what the model cost (`asha.COST_KEYS`) unless the process
    had not trained a model before (that one pays the runtime's start-up);
    stops the fit when the oracle's pruner answers that the trial is STOPPED."""

    def __init__(self, tuner: Any, trial_id: str, clock: Clock | None):
        super().__init__()
        self.tuner, self.trial_id, self.clock = tuner, trial_id, clock
        self.stopped_at: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        name = self.tuner.objective.name
        value = (logs or {}).get(name)
        if value is None or not math.isfinite(value):
            return
        metrics = {name: float(value)}
        costs = self.clock.costs() if epoch == 1 and self.clock is not None else None
        if costs is not None:
            metrics.update(zip(COST_KEYS, costs, strict=True))
            self.clock.reported = costs
        trial = self.tuner.oracle.update_trial(self.trial_id, metrics, step=epoch + 1)
        if trial.status == "STOPPED":
            self.stopped_at = epoch + 1
            self.model.stop_training = True


def check_finite(history: dict, scores: np.ndarray, objective: str, weights: list | None) -> None:
    """Raises `FailedTrialError` when the trial diverged: its loss, its objective
    or a weight of its best epoch is not finite (an accuracy can look fine
    while the loss is NaN)."""
    losses = np.asarray(history.get("loss", []), dtype="float64")
    for name, values in (("loss", losses), (objective, scores)):
        if not np.isfinite(values).all():
            epoch = int(np.argmin(np.isfinite(values))) + 1
            raise FailedTrialError(
                f"The trial diverged: {name} was {values[epoch - 1]} at epoch {epoch} (values: {values.tolist()}). "
                "A smaller learning_rate usually helps."
            )
    if weights is None or not all(np.isfinite(w).all() for w in weights if np.issubdtype(w.dtype, np.floating)):
        raise FailedTrialError("The trial diverged: its weights are not finite. A smaller learning_rate usually helps.")

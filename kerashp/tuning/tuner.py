"""kerashp's one keras-tuner `Tuner`: it runs a trial as a plain hp dict.

keras-tuner's oracles (random, grid, Bayesian, Hyperband) choose the values;
this class turns them into a dict, builds and fits the model, and writes one
record per trial. It also does the tuner-side half of Hyperband: a promoted
trial starts from its parent's weights and trains from `tuner/initial_epoch`
to `tuner/epochs`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner as kt
import numpy as np
from keras_tuner.src import config as kt_config
from keras_tuner.src.engine.base_tuner import BaseTuner

from kerashp.builders.compile import ensure_compiled
from kerashp.datasets import Prepared, is_batched, use_spec
from kerashp.exceptions import FailedTrialError, InvalidModelError, KerashpError
from kerashp.space import Space
from kerashp.tuning.algorithms._keras_tuner import declare
from kerashp.tuning.objective import Objective
from kerashp.tuning.progress import Progress
from kerashp.tuning.records import RunStore, last_line

__all__ = ["BudgetSpent", "SearchTuner", "load_weights", "save_weights"]

# keras-tuner prints every failed trial's traceback when DEBUG is on (its
# default); kerashp records the error in the trial's record and prints one line.
kt_config.DEBUG = False


class BudgetSpent(Exception):
    """Raised before a new trial would start after the time budget is spent."""


class _BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best epoch so far, in memory."""

    def __init__(self, objective: Objective):
        super().__init__()
        self.objective = objective
        self.best: float | None = None
        self.weights: list | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(self.objective.name)
        if value is None or not math.isfinite(value):
            return
        if self.best is None or self.objective.better(value, self.best):
            self.best = float(value)
            self.weights = self.model.get_weights()


class SearchTuner(BaseTuner):
    """Runs trials for `kerashp.tune`; see the module docstring."""

    def __init__(
        self,
        oracle: kt.Oracle,
        *,
        space: Space,
        build_fn: Callable[[dict], Any],
        data: Prepared,
        objective: Objective,
        store: RunStore,
        callbacks: list | Callable[[dict], list] | None,
        epochs: int,
        batch_size: int,
        seed: int | None,
        deadline: float | None,
        strategy: Any,
        progress: Progress,
    ):
        self.space = space
        self.build_fn = build_fn
        self.data = data
        self.objective = objective
        self.store = store
        self.user_callbacks = callbacks
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.deadline = deadline
        self.strategy = strategy
        self.progress = progress
        self._pending: dict[str, dict] = {}
        super().__init__(oracle, directory=str(store.directory), project_name=store.name)

    # keras-tuner hooks ------------------------------------------------------
    def _populate_initial_space(self) -> None:
        hp = self.oracle.get_space()
        declare(self.space, hp)
        self.oracle.update_space(hp)

    def pre_create_trial(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise BudgetSpent()

    def on_trial_begin(self, trial: kt.engine.trial.Trial) -> None:
        self._started = time.monotonic()

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> dict:
        values = trial.hyperparameters.values
        params = self.space.complete(values)
        record = self._pending[trial.trial_id] = {
            "trial_id": trial.trial_id,
            "params": params,
            "promoted_from": values.get("tuner/trial_id"),
        }
        epochs = int(values.get("tuner/epochs", params.get("epochs", self.epochs)))
        initial_epoch = int(values.get("tuner/initial_epoch", 0))
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed + int(trial.trial_id))

        model = self._build(params, values.get("tuner/trial_id"))
        best = _BestWeights(self.objective)
        callbacks = [*self._callbacks(params), best, keras.callbacks.TerminateOnNaN()]
        budget = self._time_budget()
        if budget is not None:
            callbacks.append(budget)
        train, val = self.data.train, self.data.val
        fit_kwargs: dict[str, Any] = {"epochs": epochs, "initial_epoch": initial_epoch, "verbose": 0}
        batch_size = int(params.get("batch_size", self.batch_size))
        if self.data.is_dataset:
            fit_args = (_batched(train, batch_size),)
            fit_kwargs.update(validation_data=_batched(val, batch_size), shuffle=False)
        else:
            fit_args = train
            fit_kwargs.update(validation_data=val, batch_size=batch_size)
        history = model.fit(*fit_args, callbacks=callbacks, **fit_kwargs).history

        if self.objective.name not in history:
            error = KerashpError(
                f"The objective {self.objective.name!r} is not among the metrics this model logs: "
                f"{sorted(history)}. Pass objective= one of those, or compile the model with that metric."
            )
            raise kt.errors.FatalError(str(error)) from error
        scores = np.asarray(history[self.objective.name], dtype="float64")
        trained = len(scores)
        record.update(
            epochs=trained,
            total_epochs=initial_epoch + trained,
            history={k: [float(v) for v in vs] for k, vs in history.items()},
            stopped_epoch=initial_epoch + trained if initial_epoch + trained < epochs else None,
            timed_out=bool(budget is not None and budget.timed_out),
        )
        if best.weights is None or not np.isfinite(scores).all():
            raise FailedTrialError(
                f"{self.objective.name} was not finite (values: {scores.tolist()}): the trial diverged. "
                "A smaller learning_rate usually helps."
            )
        model.set_weights(best.weights)
        self.save_model(trial.trial_id, model)
        index = int(np.argmin(scores) if self.objective.direction == "min" else np.argmax(scores))
        record.update(score=float(scores[index]), best_epoch=initial_epoch + index + 1)
        return {name: float(values_[index]) for name, values_ in history.items()}

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        record = self._pending.pop(trial.trial_id, {"trial_id": trial.trial_id, "params": {}})
        failed = trial.status != kt.engine.trial.TrialStatus.COMPLETED
        record.update(
            status="FAILED" if failed else "COMPLETED",
            seconds=round(time.monotonic() - self._started, 3),
            error=last_line(trial.message) if failed else None,
        )
        if failed:
            record["score"] = None
            if not record["params"]:
                record["params"] = self.space.complete(trial.hyperparameters.values)
        self.store.write_record(record)
        super().on_trial_end(trial)
        if record["status"] == "FAILED" and self.oracle.trials[trial.trial_id].status != "FAILED":
            return  # sent back for a retry: not final
        self.progress.trial_done(record)

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        save_weights(model, self.store.weights_path(trial_id))

    def load_model(self, trial: Any) -> Any:
        raise NotImplementedError("Use TuneResult.best_model.")

    # helpers -----------------------------------------------------------------
    def _build(self, params: dict, parent_trial: str | None) -> keras.Model:
        keras.backend.clear_session(free_memory=False)
        with self.strategy.scope(), use_spec(self.data.spec):
            model = self.build_fn(dict(params))
            try:
                model = ensure_compiled(model, params, self.data.spec)
            except InvalidModelError as err:
                raise kt.errors.FatalError(str(err)) from err
        if parent_trial is not None:
            load_weights(model, self.store.weights_path(parent_trial))
        return model

    def _callbacks(self, params: dict) -> list:
        if self.user_callbacks is None:
            return []
        if callable(self.user_callbacks):
            made = self.user_callbacks(dict(params))
            return list(made) if made is not None else []
        return [copy.deepcopy(cb) for cb in self.user_callbacks]

    def _time_budget(self) -> Any:
        if self.deadline is None:
            return None
        from kerashp.callbacks import TimeBudget

        return TimeBudget(max(self.deadline - time.monotonic(), 1e-3))


def save_weights(model: keras.Model, path: Any) -> None:
    """Saves a trial's weights (optimizer state included) where `load_weights` finds them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(path)


def load_weights(model: keras.Model, path: Any) -> None:
    """Loads weights saved by `save_model`, optimizer state included: a
    promoted Hyperband trial goes on with its parent's optimizer moments."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    model.load_weights(path)


def _batched(ds: Any, batch_size: int) -> Any:
    if is_batched(ds):
        return ds
    import tensorflow as tf

    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


"""kerashp's one keras-tuner `Tuner`: it runs a trial as a plain hp dict.

The oracle (see `kerashp.algorithms`) chooses the values; this class
turns them into a dict, builds and fits the model on each of the data's
splits (one hold-out split, or every cross-validation fold), writes one
`TrialRecord` per finished trial to the run folder and hands it to the
observers. It also does the
tuner-side half of Hyperband: a promoted trial trains on its parent's model
(kept in memory, or rebuilt from its weights file, per fold) from
`tuner/initial_epoch` to `tuner/epochs`.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import io
import time
import warnings
from collections.abc import Callable
from typing import Any

import keras
import keras_tuner as kt
import numpy as np

from kerashp._keras_tuner_compat import CUT_KEY, TunerBase, write_state
from kerashp._seeding import seeded, seeds_kept, trial_seed
from kerashp.algorithms import BaseAlgorithm
from kerashp.algorithms._keras_tuner import declare
from kerashp.builders._calling import build_model, unread_warning
from kerashp.builders.keras_tuner import Hyperparameters, fit_hook, fitted
from kerashp.datasets import DataSpec, Prepared, Split, use_spec
from kerashp.exceptions import ArgumentError, InvalidModelError
from kerashp.reporting.observers import Observers
from kerashp.reporting.tensorboard import TrialLogs
from kerashp.space import Space
from kerashp.storage.recovery import reload_oracle
from kerashp.storage.run_store import RunStore, error_summary
from kerashp.tuning.ahead import AHEAD_ID, Ahead, OnTrainBegin, prepare
from kerashp.tuning.batches import compiles_per_shape, fit_inputs
from kerashp.tuning.deadline import Deadline
from kerashp.tuning.gradient_registry import released_with
from kerashp.tuning.model_pool import CompiledModels
from kerashp.tuning.objective import Objective
from kerashp.tuning.promotions import KeptModels
from kerashp.tuning.stack_room import with_room
from kerashp.tuning.trial import Fit, TrialRecord, TrialStatus, summarize
from kerashp.tuning.trial_callbacks import BestWeights, Clock, Report, check_finite

__all__ = ["BudgetSpent", "SearchTuner"]

class BudgetSpent(Exception):
    """Raised before a new trial would start after the time budget is spent."""


class SearchTuner(TunerBase):
    """Runs trials for `kerashp.tune`; see the module docstring.

    Attributes:
        free_memory: Run Python's garbage collector before each build
            (`benchmarks/memory.py` measures both).

    Models are built without `keras.backend.clear_session()` in between: it
    resets Keras's global state and empties TensorFlow's eager kernel cache,
    which every later trial would pay to fill again (`docs/speed.md`).
    """

    free_memory = False
    keeps_state = True  # this process saves and reloads the search's state (a worker's driver does)
    looks_ahead: tuple[str, ...] = ("tensorflow", "jax")  # backends compiling the next model early (`tuning.ahead`)

    def __init__(
        self,
        oracle: kt.Oracle,
        *,
        algorithm: BaseAlgorithm,
        space: Space,
        build_fn: Callable[[dict], Any],
        data: Prepared,
        objective: Objective,
        store: RunStore,
        observers: Observers,
        callbacks: list | Callable[[dict], list] | None,
        epochs: int,
        batch_size: int,
        seed: int | None,
        deadline: Deadline | None,
        strategy: Any,
        prunes: bool = False,
        tensorboard: TrialLogs | None = None,
        precision: str | None = None,
    ):
        self.precision = precision  # the Keras dtype policy models are built under
        self.algorithm = algorithm
        self.space = space
        self.build_fn = build_fn
        self.fit_hook = fit_hook(build_fn)  # a keras-tuner HyperModel's own fit
        self.data = data
        self.objective = objective
        self.store = store
        self.observers = observers
        self.user_callbacks = callbacks
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed
        self.deadline = deadline
        self.strategy = strategy
        self.prunes = prunes  # the oracle may stop a trial: report every epoch to it
        self.tensorboard = tensorboard  # each trial's TensorBoard callbacks in the trial's own folder
        self._pending: dict[str, TrialRecord] = {}
        self._kept = KeptModels(objective)
        self.compiled = CompiledModels()
        self.ahead = Ahead()
        self._warm = False  # this process has trained a model
        # a builder that declares its keys was checked before the search (`check_builder`)
        self._read_checked = getattr(build_fn, "hyperparameters", None) is not None
        self._unread: str | None = None  # the first trial's unread hyperparameters, to report
        marker = store.path / "tuner0.json"
        if self.keeps_state and store.has_state() and not marker.exists():
            write_state(marker, {})  # keras-tuner reloads only when its tuner file is there
        with contextlib.redirect_stdout(io.StringIO()):  # keras-tuner's "Reloading Tuner from ..." print
            super().__init__(oracle, directory=str(store.directory), project_name=store.name)

    def search(self, *args: Any, **kwargs: Any) -> None:
        """keras-tuner's search, leaving the global random state as it found it."""
        with seeds_kept():
            try:
                super().search(*args, **kwargs)
            finally:
                self.ahead.drop()

    # keras-tuner hooks ------------------------------------------------------
    def reload(self) -> None:
        """The run's search state, rebuilt where a file of it is damaged (`reload_oracle`)."""
        reload_oracle(self.oracle, self.store, values_of=lambda record: self.algorithm.values(self.space, record),
                      declare=self.declare_space)

    def save(self) -> None:
        self.oracle.save()
        write_state(self.state_file, self.get_state())

    def declare_space(self) -> None:
        hp = self.oracle.get_space()
        declare(self.space, hp)
        self.oracle.update_space(hp)

    def pre_create_trial(self) -> None:
        if self.deadline is not None and self.deadline.passed():
            raise BudgetSpent()  # a trial taken ahead stays started: a resumed search runs it first
        if AHEAD_ID in self.oracle.ongoing_trials:  # the trial taken ahead is this tuner's next
            self.oracle.ongoing_trials[self.tuner_id] = self.oracle.ongoing_trials.pop(AHEAD_ID)

    def on_trial_begin(self, trial: kt.engine.trial.Trial) -> None:
        self._started = time.monotonic()

    def run_trial(self, trial: kt.engine.trial.Trial, *args: Any, **kwargs: Any) -> dict:
        values = trial.hyperparameters.values
        params = Hyperparameters(self.space.complete(values))  # which keys the builder, compile and fit read
        record = self._pending[trial.trial_id] = TrialRecord(
            number=int(trial.trial_id), trial_id=trial.trial_id, status=TrialStatus.FAILED, params=params.plain(),
            state=self.algorithm.trial_state(values),
        )
        epochs, initial_epoch = self.algorithm.budget(values, int(params.get("epochs", self.epochs)))
        group = self.algorithm.lineage(values)
        folds = self.data.folds
        fits: list[Fit] = []
        with seeded(trial_seed(self.seed, record.number), restore=False):  # `search` restores
            for index, split in enumerate(self.data.splits):
                fold = None if folds is None else index
                fits.append(self._fit(split, params, record, fold, epochs, initial_epoch, group))
                if fits[-1].timed_out:  # cut by the budget: scored on what it trained, as without cv
                    break
        if fits[0].pruned_at is not None:
            record.state["pruned_at"] = fits[0].pruned_at
        if not self._read_checked:  # said once the trial is recorded (`on_trial_end`)
            self._read_checked = True
            self._unread = unread_warning(params, self.build_fn)
        return summarize(record, fits, epochs=epochs, initial_epoch=initial_epoch, folds=folds)

    def run_and_report(self, trial: kt.engine.trial.Trial) -> None:
        metrics = with_room(self.run_trial, trial)  # at any depth, the trial's calls cross no stack chunk
        record = self._pending.get(trial.trial_id)
        cut = {CUT_KEY: 1.0} if record is not None and record.timed_out else {}  # told as what it is: partial
        if not self.prunes:
            self.oracle.update_trial(trial.trial_id, {**metrics, **cut})
        elif cut:  # with a pruner every epoch was reported already: only the cut is news
            name = self.objective.name
            self.oracle.update_trial(trial.trial_id, {name: metrics[name], **cut}, step=record.total_epochs or 0)

    def on_trial_end(self, trial: kt.engine.trial.Trial) -> None:
        record = self._pending.pop(trial.trial_id, None) or TrialRecord(
            number=int(trial.trial_id), trial_id=trial.trial_id, status=TrialStatus.FAILED,
            params=self.space.complete(trial.hyperparameters.values),
        )
        failed = trial.status != kt.engine.trial.TrialStatus.COMPLETED
        pruned = not failed and record.pruned
        record.status = TrialStatus.FAILED if failed else TrialStatus.PRUNED if pruned else TrialStatus.COMPLETED
        record.seconds = round(time.monotonic() - self._started, 3)
        if failed:
            record.score, record.error = None, error_summary(trial.message)
        if not failed:  # on disk before the oracle hears of it: a process killed between the two loses nothing
            self.store.write_record(record)
        super().on_trial_end(trial)
        if failed:
            if self.oracle.get_trial(trial.trial_id).status != "FAILED":
                return  # sent back for a retry: not finished
            self.store.write_record(record)
        self.observers(record)
        if self._unread:
            message, self._unread = self._unread, None
            warnings.warn(message, UserWarning, stacklevel=1)

    def save_model(self, trial_id: str, model: Any, step: int = 0) -> None:
        self.store.save_weights(model, trial_id)

    def load_model(self, trial: Any) -> Any:
        raise NotImplementedError("Use TuneResult.best_model.")

    # one fit ------------------------------------------------------------------
    def _fit(self, split: Split, params: dict, record: TrialRecord, fold: int | None, epochs: int,
             initial_epoch: int, group: Any = None) -> Fit:
        started = time.perf_counter()
        model = self._kept.take(record.promoted_from, fold) if record.promoted_from is not None else None
        reused, ahead, inputs = model is not None, None, None
        if model is None:
            taken = self.ahead.take(record.trial_id) if fold is None else None
            if taken is not None:  # prepared ahead, with the data it compiled on
                (model, reused, inputs), ahead = taken
            else:
                model, reused = self.build(params, split.spec), None
            if reused is None:  # not looked up in the compiled-model pool yet
                model, reused = self.compiled.adopt(model)
            if record.promoted_from is not None:
                self.store.load_weights(model, record.promoted_from, fold)
        clock = Clock(started, reused, ahead)
        best = BestWeights(self.objective)
        budget = self._time_budget()
        report = Report(self, record.trial_id, clock if self._warm else None) if self.prunes else None
        ahead_of = self._ahead_of(split, model, clock) if fold is None else None
        extra = [cb for cb in (budget, report, ahead_of) if cb is not None]
        callbacks = [*self._callbacks(params), clock, best, *extra]
        if self.tensorboard is not None:
            callbacks = self.tensorboard.place(callbacks, record.number, fold)
        with released_with(model):  # its traced steps go when the model does
            history, final = self._train(model, split, params, callbacks, inputs, epochs=epochs,
                                         initial_epoch=initial_epoch)
        self._warm = True
        if fold in (None, 0):
            record.cost = clock.summary()
        if self.objective.name not in history:
            error = ArgumentError(
                f"The objective {self.objective.name!r} is not among the metrics this model logs: "
                f"{sorted(history)}. Pass objective= one of those, or compile the model with that metric."
            )
            raise kt.errors.FatalError(str(error)) from error
        scores = np.asarray(history[self.objective.name], dtype="float64")
        if final:  # a fit hook scored the model as it ended
            best.index, best.weights = len(scores) - 1, model.get_weights()
        check_finite(history, scores, self.objective.name, best.weights)
        if best.index != len(scores) - 1:  # else the model holds them already
            model.set_weights(best.weights)
        pruned_at = report.stopped_at if report else None
        if pruned_at is None:  # a pruned trial is never chosen nor promoted: its weights would go unread
            self.store.save_weights(model, record.trial_id, fold)
        index = best.index
        if group is not None:
            self._kept.keep(record.trial_id, fold, model, float(scores[index]), group)
        else:
            self.compiled.release(model)
        history = {k: [float(v) for v in vs] for k, vs in history.items()}
        timed_out = bool(budget is not None and budget.timed_out)
        return Fit(history, index, float(scores[index]), timed_out, pruned_at)

    def build(self, params: dict, spec: DataSpec) -> keras.Model:
        """A fresh model of `params` for data of `spec`, compiled, under the strategy."""
        if self.free_memory:
            gc.collect()
        with self.strategy.scope(), use_spec(spec):
            try:
                return build_model(self.build_fn, params, spec, self.precision)
            except InvalidModelError as err:
                raise kt.errors.FatalError(str(err)) from err

    def _ahead_of(self, split: Split, training: keras.Model, clock: Clock) -> OnTrainBegin | None:
        """A callback that takes the next trial from the oracle and prepares its model as `training`'s fit
        begins (`kerashp.tuning.ahead`), its time taken off `clock`'s; `None` unless models compile per
        shape, trials start from scratch, and the fit is kerashp's on one replica."""
        if not (keras.backend.backend() in self.looks_ahead and compiles_per_shape(training) and self.fit_hook is None
                and not self.algorithm.promotes and getattr(self.strategy, "num_replicas_in_sync", 1) == 1):
            return None
        graph = getattr(training, "_kerashp_graph", None)  # a next trial of this graph takes it from the pool

        def take() -> None:
            # built here with its compile's data, seeded, this trial's Python/NumPy state put back (a fit may
            # shuffle with NumPy's each epoch): the background thread draws on no random state
            kept = seeds_kept(tensorflow=False) if self.seed is not None else contextlib.nullcontext()
            began = time.perf_counter()
            try:
                trial = self.oracle.create_trial(AHEAD_ID)
                if trial.status != kt.engine.trial.TrialStatus.RUNNING:
                    return
                params = Hyperparameters(self.space.complete(trial.hyperparameters.values))
                with kept, seeded(trial_seed(self.seed, int(trial.trial_id)), restore=False):
                    model = self.build(params, split.spec)
                    inputs = self._fit_inputs(model, split, params)
            except Exception:  # noqa: BLE001 - not this trial's failure: the next one meets it in its turn, recorded
                return
            finally:  # the next trial's, not this model's cost (`Clock.build` ends as the first epoch begins)
                spent = time.perf_counter() - began
                clock.started += spent
            self.ahead.start(trial.trial_id, lambda: prepare(model, self.compiled, graph, inputs), spent)

        return OnTrainBegin(take)

    def _fit_inputs(self, model: keras.Model, split: Split, params: dict) -> tuple[tuple, dict, Any]:
        """`(args, kwargs, validation_data)` of `model`'s fit on `split` (`batches.fit_inputs`)."""
        fit_args, shaped, validation = fit_inputs(
            model, split.train, split.val, int(params.get("batch_size", self.batch_size)), split.sample_weight,
            hook=self.fit_hook is not None, batch_searched="batch_size" in params)
        if split.class_weight is not None:
            shaped = {**shaped, "class_weight": split.class_weight}
        return fit_args, shaped, validation

    def _train(self, model: keras.Model, split: Split, params: dict, callbacks: list, inputs: tuple | None = None,
               **fit_kwargs: Any) -> tuple[dict, bool]:
        """`(history, final)`: `final` when a fit hook returned final metrics (`fitted`); `inputs`: the fit's
        `_fit_inputs`, when they were made already (for a model prepared ahead)."""
        fit_args, shaped, validation = inputs or self._fit_inputs(model, split, params)
        fit_kwargs = {**fit_kwargs, **shaped}
        if self.fit_hook is not None:
            return fitted(self.fit_hook(params, model, *fit_args, validation_data=validation, callbacks=callbacks,
                                        verbose=0, **fit_kwargs), self.objective.name)
        return model.fit(*fit_args, validation_data=validation, callbacks=callbacks, verbose=0,
                         **fit_kwargs).history, False

    def refit(self, record: TrialRecord) -> None:
        """Trains `record`'s configuration on all of a cross-validated search's
        data for the gradient steps of its best epoch count on a fold
        (`kerashp.tuning.best_model.refit_epochs`), and saves it as the trial's weights.

        Callbacks that monitor validation metrics are left out (there is no
        held-out part left to compute them on), and so is TensorBoard.
        """
        from kerashp.tuning.best_model import refit_model

        callbacks = [cb for cb in self._callbacks(record.params)
                     if not str(getattr(cb, "monitor", "")).startswith("val_")
                     and not isinstance(cb, keras.callbacks.TensorBoard)]
        folds = [split.spec.num_samples for split in self.data.splits]
        model = refit_model(lambda: self.build(record.params, self.data.spec), record,
                            (*self.data.full, self.data.sample_weight), seed=self.seed, batch_size=self.batch_size,
                            class_weight=self.data.class_weight, trained_on=round(sum(folds) / len(folds)),
                            callbacks=callbacks, fit_hook=self.fit_hook)
        self.store.save_weights(model, record.trial_id)

    def _callbacks(self, params: dict) -> list:
        if self.user_callbacks is None:
            return []
        if callable(self.user_callbacks):
            made = self.user_callbacks(params)
            return list(made) if made is not None else []
        return [copy.deepcopy(cb) for cb in self.user_callbacks]

    def _time_budget(self) -> Any:
        if self.deadline is None:
            return None
        from kerashp.callbacks import TimeBudget

        return TimeBudget(max(self.deadline.left(), 1e-3))


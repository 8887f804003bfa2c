"""`kerashp.tune`: search a dict space with an algorithm.

The entry checks every argument before anything trains, opens the run's
folder, prepares the data once (a hold-out split or cross-validation
folds), and runs the algorithm's oracle with kerashp's one `Tuner`. Its
options are declared once, in `kerashp.options`; its docstring's argument
list is that declaration's (`tests/test_options.py` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from kerashp import algorithms
from kerashp._checks import check_int, setting
from kerashp.exceptions import ArgumentError, KerashpError, RunFolderError
from kerashp.options import OPTIONS, Data, Execution, RunFolder, as_group
from kerashp.reporting.observers import Observers, as_observers
from kerashp.space import Space, as_space
from kerashp.storage.run_store import RunStore
from kerashp.tuning.deadline import Deadline
from kerashp.tuning.objective import as_objective
from kerashp.tuning.result import TuneResult, builder_ref
from kerashp.tuning.starting_points import initial_values, prior_observations
from kerashp.tuning.trial import TrialRecord

__all__ = ["parse_duration", "tune"]

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$")


def parse_duration(value: float | int | str | None) -> float | None:
    """Seconds from `90`, `"90s"`, `"10m"`, `"1h30m"`; `None` stays `None`.

    Example:
        >>> parse_duration("1h30m")
        5400.0
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) and value.strip() else None
    if match and any(match.groups()):
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        total = hours * 3600 + minutes * 60 + seconds
        if total > 0:
            return total
    raise ArgumentError(
        "Argument `time_budget` must be a positive number of seconds or a duration such as "
        f"'90s', '10m', '1h30m'. Received: time_budget={value!r}."
    )


def tune(
    build_fn: Callable[[dict], Any],
    space: Mapping[str, Any] | Space | None = None,
    *,
    data: Any,
    algorithm: str | algorithms.BaseAlgorithm | Mapping[str, Any] = "bohb",
    objective: str | tuple[str, str] = "val_loss",
    max_trials: int | None = None,
    max_epochs: int | None = None,
    time_budget: float | str | None = None,
    batch_size: int = 32,
    callbacks: list | Callable[[dict], list] | None = None,
    on_trial_end: Callable[[TrialRecord], Any] | Iterable[Callable] | None = None,
    seed: int | None = None,
    verbose: int = 1,
    run: RunFolder | None = None,
    execution: Execution | None = None,
) -> TuneResult:
    """Search `space` for the hyperparameters that make `build_fn` best.

    Every option is declared in `kerashp.options` (docs/options.md lists
    them, with what a resume does with each). `data`, `run` and `execution`
    take the groups `khp.Data`, `khp.RunFolder` and `khp.Execution`.

    Args:
        build_fn: Function from a hyperparameter dict to a Keras model (compiled or not), a classic builder
            taking them as keyword arguments, a keras-tuner builder (`hp.Int`, ...) or an Optuna objective
            (`trial.suggest_*`); `kerashp.builders.mlp` and `cnn` infer shapes from the data. Required.
        space: Dict of name to a range, a list of choices or a fixed value; `batch_size` and `epochs` in it go
            to `fit`. Defaults to `default_space(build_fn, data)` for the built-in builders.
        data: A dataset name, `(x, y)`, `(x, y, x_val, y_val)`, a `tf.data.Dataset`, `(train_ds, val_ds)`, or
            `khp.Data(source, ...)` with the options below. Required.
        algorithm: A name (`'bohb'`, `'tpe'`, `'random'`, `'grid'`, `'bayesian'`, `'hyperband'`) or an object
            with its options (`khp.algorithms.TPE(pruner=khp.pruners.ASHA())`). Defaults to `'bohb'`.
        objective: A metric of `History` (`'val_accuracy'`, direction inferred) or `(name, 'min'|'max')`.
            Defaults to `'val_loss'`.
        max_trials: Trials to run; with a `time_budget` and no `max_trials`, as many as it allows. Defaults to
            the algorithm's: 30 bohb, 10 tpe/random/bayesian, the grid, Hyperband's schedule.
        max_epochs: Epochs a trial trains (the most a trial gets, for Hyperband and ASHA). Defaults to
            `epochs` in the space, else 10 (27 for bohb and hyperband).
        time_budget: Seconds or `'10m'`-style: no trial starts after it, the running one stops and is
            completed on what it trained. Defaults to `None`.
        batch_size: Batch size when the space has none. Defaults to `32`.
        callbacks: Keras callbacks copied into each trial, or a function of the hp dict returning a list.
            Defaults to `None`.
        on_trial_end: A function (or a list) called with each finished trial's `TrialRecord`. Defaults to
            `None`.
        seed: Seed of the split, the algorithm and each trial's initial weights. Defaults to `None`.
        verbose: 0 silent; 1 one line per trial and a progress bar. Defaults to `1`.
        run: `khp.RunFolder(...)`: where the run is kept. Defaults to `RunFolder()`.
        execution: `khp.Execution(...)`: where trials run. Defaults to `Execution()`.

    Returns:
        A `TuneResult` with `best_params`, `best_score`, `best_model` and `trials`.

    Raises:
        ArgumentError: an argument that cannot work, before anything trains.
        RunFolderError: the run exists (see `RunFolder.if_exists`) or was made
            with other settings.

    Example:
        >>> import kerashp as khp
        >>> result = khp.tune(khp.builders.mlp, {"units": khp.Int(16, 256, log=True)},
        ...                   data="digits", algorithm="random", max_trials=5)
        >>> result.best_params
    """
    search = _Search(build_fn, space, data=as_group("data", data), algorithm=algorithm, objective=objective,
                     max_trials=max_trials, max_epochs=max_epochs, time_budget=time_budget, batch_size=batch_size,
                     callbacks=callbacks, on_trial_end=on_trial_end, seed=seed, verbose=verbose,
                     run=as_group("run", run), execution=as_group("execution", execution))  # every check
    search.open_folder()
    try:
        search.prepare_data()
        search.write_settings()  # a resume with other settings is refused before this
        search.run_trials()
        return search.result()
    finally:
        search.close()




class _Search:
    """One call of `tune`, as named steps; the constructor checks every
    argument, before anything is written or trained."""

    def __init__(self, build_fn, space, *, data: Data, algorithm, objective, max_trials, max_epochs, time_budget,
                 batch_size, callbacks, on_trial_end, seed, verbose, run: RunFolder, execution: Execution):
        from kerashp.builders._calling import check_builder  # imports Keras
        from kerashp.builders.keras_tuner import space_for

        self.build_fn, self.data, self.run, self.execution = build_fn, data, run, execution
        self.callbacks, self.on_trial_end, self.seed, self.verbose = callbacks, on_trial_end, seed, verbose
        self.max_trials, self.batch_size = max_trials, batch_size
        self._prepared = None
        space = space_for(build_fn, space, self._split)  # a keras-tuner builder's own, or `space`
        if space is None:
            from kerashp.builders import default_space

            space = default_space(build_fn, self._split().spec)
        self.space = as_space(space)
        check_builder(build_fn, self.space.entries, conditional=self.space.conditions)
        self.algo = algorithms.get(algorithm)
        self.goal = as_objective(objective)
        self.budget = parse_duration(time_budget)
        check_int("max_trials", max_trials, allow_none=True)
        check_int("max_epochs", max_epochs, allow_none=True)
        check_int("batch_size", batch_size)
        self.count = 0 if execution.workers in (None, "auto") else execution.workers  # 0: what the cluster holds
        self._ray_started = False
        if execution.cluster is not None and execution.strategy != "auto":
            raise ArgumentError(
                f"Argument `strategy` cannot be shared by worker processes: each picks its own. "
                f"Received: strategy={execution.strategy!r} with workers={execution.workers!r}, "
                f"ray={execution.ray!r}. Leave strategy='auto', or leave workers and ray out to train one trial at "
                "a time here under that strategy."
            )
        self.algo.check(self.space, cv=data.cv)
        as_observers(on_trial_end)
        self.epochs = self.algo.epochs(self.space, max_epochs)
        self.trials = self.algo.max_trials(max_trials, self.budget)
        self.prior = prior_observations(self.space, self.goal, self.algo.warm_start)
        self.queued = initial_values(self.space, self.algo.initial, max_trials, warm=bool(self.prior))

    def _split(self) -> Any:
        """The data split once (a hold-out part or cv folds), on first use."""
        if self._prepared is None:
            from kerashp.datasets import prepare

            data = self.data
            self._prepared = prepare(data.source, validation_split=data.validation_split, cv=data.cv, seed=self.seed,
                                     task=data.task, sample_weight=data.sample_weight)
        return self._prepared

    def open_folder(self) -> None:
        """The run's store and TensorBoard logs; an existing run is resumed,
        removed or refused as `RunFolder.if_exists` says."""
        from kerashp.reporting.tensorboard import open_logs

        run = self.run
        name = run.name if run.name is not None else f"{self.algo.name}-{datetime.now():%Y%m%d-%H%M%S}"
        self.store = RunStore(run.directory, name)
        self.store.check_folder()
        exists = self.store.exists()
        if exists and run.if_exists == "error":
            raise RunFolderError(
                f"A run named {name!r} exists in {str(self.store.directory)!r}. Pass "
                f"{setting('if_exists', 'resume')} to continue it, {setting('if_exists', 'overwrite')} to start it "
                f"over, or another {setting('name')}."
            )
        self.board = open_logs(run.tensorboard, self.callbacks, resume=exists and run.if_exists == "resume",
                               overwrite=run.if_exists == "overwrite")
        if exists and run.if_exists == "overwrite":
            self.store.remove()

    def prepare_data(self) -> None:
        """The prepared data (class weights applied), the test data, the strategy and the dtype policy."""
        from kerashp.datasets import weigh_classes
        from kerashp.devices import get_strategy, resolve_precision
        from kerashp.tuning.best_model import prepare_test

        self.prepared = weigh_classes(self._split(), self.data.class_weight)
        test = self.data.test
        self.test = None if test is None else prepare_test(test, self.prepared.spec, "Data(test=...)")
        self.strategy = get_strategy(self.execution.strategy)
        self.precision = resolve_precision(self.execution.precision, self.strategy)
        self.deadline = Deadline.after(self.budget)  # from here: a cluster's and its workers' start count inside
        if self.execution.cluster is not None and self.prepared.is_dataset:
            raise ArgumentError(
                "Worker processes are sent the data as arrays, but data= is a tf.data.Dataset. Received: "
                f"workers={self.execution.workers!r}, ray={self.execution.ray!r} with a dataset. Pass (x, y) "
                "arrays or a dataset name, or leave workers and ray out to run trials one at a time here.")
        if self.execution.cluster is not None:  # the cluster says how many trials it holds
            from kerashp.parallel import cluster

            self._ray_started = cluster.connect(self.execution.cluster)
            self.trial_gpus = self.execution.trial_gpus
            if self.trial_gpus is None:
                self.trial_gpus = cluster.trial_gpus_default()
            self.count = self.count or cluster.slots(self.execution.trial_cpus, self.trial_gpus)

    def close(self) -> None:
        """Shuts down a Ray cluster started for the search."""
        if self._ray_started:
            import ray

            ray.shutdown()

    def write_settings(self) -> None:
        """`run.json`: one value for each key `kerashp.options` declares (and the
        spec the data gave); a resumed run's must match where a resume may not change."""
        data, prepared, class_weight = self.data, self.prepared, self.data.class_weight
        values = {
            "builder": builder_ref(self.build_fn), "space": self.space.to_config(), "data": prepared.name,
            "algorithm": self.algo.name, "options": self.algo.options(),
            "objective": {"name": self.goal.name, "direction": self.goal.direction},
            "max_trials": self.max_trials, "max_epochs": self.epochs, "time_budget": self.budget,
            "batch_size": self.batch_size, "seed": self.seed, "fingerprint": prepared.fingerprint(),
            "cv": data.cv, "validation_split": data.validation_split, "task": prepared.spec.task,
            "class_weight": ([[k, v] for k, v in class_weight.items()] if isinstance(class_weight, Mapping)
                             else class_weight),
            "tensorboard": None if self.board.root is None else str(self.board.root), "workers": self.count,
            "precision": self.precision,
        }
        keys = list(dict.fromkeys(key for option in OPTIONS for key in option.keys))
        assert set(values) == set(keys), sorted(set(values) ^ set(keys))  # kerashp.options declares each
        self.settings = {**{key: values[key] for key in keys}, "spec": prepared.spec.to_dict()}
        if self.store.exists():
            self.store.check_same_run(self.settings)  # before anything is written or trained
        self.store.write_settings(self.settings)

    def run_trials(self) -> None:
        """Runs the trials, here or in workers; the time budget ends it as a finish."""
        import keras_tuner as kt

        from kerashp.parallel.job import Job
        from kerashp.tuning.tuner import BudgetSpent

        progress, watchers = self._reporting()
        deadline = self.deadline
        self.tuner = tuner = self._tuner(watchers, deadline)
        finished = False
        try:
            if self.count:
                job = Job(build_fn=self.build_fn, callbacks=self.callbacks, space=self.space, algorithm=self.algo,
                          objective=self.goal, epochs=self.epochs, batch_size=self.batch_size, seed=self.seed,
                          precision=self.precision, directory=str(self.store.directory), name=self.store.name,
                          tensorboard=self.board)
                from kerashp.parallel.on_ray import run_on_ray

                stopped = run_on_ray(tuner, count=self.count, job=job, observers=watchers, deadline=deadline,
                                     trial_cpus=self.execution.trial_cpus, trial_gpus=self.trial_gpus,
                                     message=progress.message)
                if stopped == "budget":
                    raise BudgetSpent()
            else:
                tuner.search()
            finished = True
        except BudgetSpent:
            finished = True
            progress.message(f"time budget of {self.budget:g}s spent: no new trial started")
        except kt.errors.FatalError as err:
            cause = err.__cause__
            raise (cause if isinstance(cause, KerashpError) else err) from None
        finally:
            progress.close(finished)
        self.progress = progress

    def _reporting(self):
        from kerashp.reporting.progress import Progress

        done = self.store.records()
        expected = self.algo.expected_trials(self.space, self.trials, epochs=self.epochs)
        progress = Progress(expected, self.goal, self.verbose, done=done)
        if done:
            best = f", best {self.goal.name}={progress.best:.4g}" if progress.best is not None else ""
            progress.message(f"resuming {self.store.path}: {len(done)} trials finished before{best}")
        self.board.start(self.space, self.goal)
        replicas = getattr(self.strategy, "num_replicas_in_sync", 1)
        if replicas > 1:
            progress.message(f"{type(self.strategy).__name__} over {replicas} replicas: batch_size is the global "
                             f"batch, split {replicas} ways (each replica trains batch_size/{replicas} samples a step)")
        return progress, Observers(self.board.trial_end, progress.trial_done, *as_observers(self.on_trial_end))

    def _tuner(self, watchers, deadline):
        from kerashp.tuning.tuner import SearchTuner

        oracle = self.algo.make_oracle(self.goal, space=self.space, max_trials=self.trials, epochs=self.epochs,
                                       seed=self.seed, initial=self.queued, prior=self.prior)
        return SearchTuner(
            oracle, algorithm=self.algo, space=self.space, build_fn=self.build_fn, data=self.prepared,
            objective=self.goal, store=self.store, observers=watchers,
            callbacks=self.callbacks, tensorboard=self.board, epochs=self.epochs, batch_size=self.batch_size,
            seed=self.seed, deadline=deadline, strategy=self.strategy, precision=self.precision,
            prunes=getattr(oracle, "pruner", None) is not None,
        )

    def result(self) -> TuneResult:
        """The result; with cv, the best trial refit on all the data; with test data, its scores."""
        store, progress = self.store, self.progress
        result = TuneResult(store.path, build_fn=self.build_fn)
        if self.prepared.folds is not None and any(r.completed for r in result.records):
            best = result.best_trial
            if not store.weights_path(best.trial_id).exists():
                progress.message(f"refitting trial {best.trial_id} on all the data for the gradient steps of its "
                                 f"{best.best_epoch} best epochs on a fold")
                with store.after_the_search("refitting the best trial on all the data"):
                    self.tuner.refit(best)
        if self.test is not None and any(r.completed for r in result.records):
            from kerashp.tuning.best_model import test_metrics

            with store.after_the_search("scoring the best model on the test data"):
                scores = test_metrics(result.best_model, self.test)
            store.write_settings({**self.settings, "test": scores})
            result.settings["test"] = scores
            progress.message("best model on the test data: " + ", ".join(f"{k}={v:.4f}" for k, v in scores.items()))
        return result

"""`kerashp.tune`: search a dict space with a registered algorithm.

The entry validates every argument before anything trains, opens the run's
storage, prepares the data once (a hold-out split or cross-validation
folds), and runs the algorithm's oracle with kerashp's one `Tuner`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from kerashp import algorithms
from kerashp._checks import check_int, setting
from kerashp.exceptions import (
    ArgumentError,
    KerashpError,
    RunFolderError,
)
from kerashp.reporting.observers import Observers, as_observers
from kerashp.space import Space, as_space
from kerashp.storage.run_store import RunStore, error_summary
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
    algorithm: str = "bohb",
    objective: str | tuple[str, str] = "val_loss",
    max_trials: int | None = None,
    max_epochs: int | None = None,
    time_budget: float | str | None = None,
    callbacks: list | Callable[[dict], list] | None = None,
    tensorboard: str | Path | None = None,
    on_trial_end: Callable[[TrialRecord], Any] | Iterable[Callable] | None = None,
    initial: list[dict] | None = None,
    warm_start: str | Path | TuneResult | None = None,
    directory: str | Path = "kerashp_runs",
    name: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    seed: int | None = None,
    verbose: int = 1,
    cv: int | None = None,
    validation_split: float | None = None,
    batch_size: int = 32,
    factor: int | None = None,
    pruner: str | None = None,
    min_epochs: int | None = None,
    eta: int | None = None,
    strategy: Any = "auto",
    mixed_precision: str | None = None,
    task: str | None = None,
    test_data: Any = None,
    class_weight: dict | str | None = None,
    sample_weight: Any = None,
    workers: int | str | None = None,
    listen: str | None = None,
) -> TuneResult:
    """Search `space` for the hyperparameters that make `build_fn` best.

    Args:
        build_fn: Function from a hyperparameter dict to a `keras.Model`, or
            a classic builder taking them as keyword arguments with defaults
            (`create_model(optimizer="adam", init="glorot_uniform")`; see
            `kerashp.builders._calling`), compiled or not (an uncompiled one is compiled from the reserved
            keys `optimizer`, `learning_rate`, `momentum`, `nesterov`, `loss`). The
            built-in `kerashp.builders.mlp` / `cnn` infer shapes from `data`.
        space: Dict of name to a range, a list of choices, or a fixed value.
            `batch_size` and `epochs` in it go to `fit`. Defaults to `None`:
            `kerashp.builders.default_space(build_fn, data)`, for the
            built-in `mlp` and `cnn` (`result.settings["space"]` shows it).
        data: A dataset name (`"digits"`, `"mnist"`, ...), `(x, y)`,
            `(x, y, x_val, y_val)`, a `tf.data.Dataset` or `(train_ds, val_ds)`.
        algorithm: A registered algorithm: `"bohb"`, `"tpe"`, `"random"`,
            `"grid"`, `"bayesian"` or `"hyperband"` (`kerashp.algorithms`).
            Defaults to `"bohb"`: TPE proposals with ASHA stopping bad trials early.
        objective: A metric from `History` such as `"val_accuracy"`, direction
            inferred, or `(name, "min"|"max")`. Defaults to `"val_loss"`.
        max_trials: Trials to run. Defaults to `None`: with a `time_budget`,
            as many as it allows; else 30 for bohb, 10 for tpe, random and
            Bayesian, the whole grid for grid, Hyperband's own schedule.
        max_epochs: Epochs a trial trains (Hyperband: the most a trial gets).
            Defaults to `None`: `epochs` from the space, else 10 (27 for bohb and Hyperband).
        time_budget: Seconds or `"10m"`-style: no trial starts after it and
            the running one stops, completed on what it trained (`timed_out`
            in its record). Defaults to `None`.
        callbacks: Keras callbacks (copied into each trial), or a function of
            the hp dict returning a list. A `keras.callbacks.TensorBoard`
            among them is treated as `tensorboard=` its `log_dir`. Defaults to `None`.
        tensorboard: A folder for TensorBoard: each trial writes Keras's
            TensorBoard logs to `<folder>/trial_<number>` (`.../fold_<k>`
            with `cv`), and the HParams dashboard gets the space and one
            session per trial (`kerashp.reporting.tensorboard`). Defaults to `None`.
        on_trial_end: A function (or a list) called with each finished
            trial's `TrialRecord`, once, after it is stored. Defaults to `None`.
        initial: Configurations (dicts of hyperparameter values; fixed and
            inactive entries may be left out) to run first, before the
            algorithm's own proposals. Defaults to `None`.
        warm_start: An earlier run (its folder or `TuneResult`) whose
            completed trials feed the algorithm's model (`"bayesian"`).
            Defaults to `None`.
        directory: Parent folder of runs. Defaults to `"kerashp_runs"`.
        name: The run's folder name. Defaults to `None`: algorithm and time.
        resume: Continue the run in `directory/name`: finished trials are
            kept and not run again. Defaults to `False`.
        overwrite: Delete an existing run of that name first. Defaults to `False`.
        seed: Seed of the split, the oracle and each trial's initial weights:
            the same seed gives the same sequence of trials. Defaults to `None`.
        verbose: 0 silent; 1 one line per trial and a progress bar. Defaults to `1`.
        cv: Cross-validate each trial over `cv` folds (stratified for
            classification): every fold trains a fresh model on its training
            part and is scored on its held-out part, and the trial's score
            is the mean. Works with every algorithm. Defaults to `None`.
        validation_split: Held-out fraction when `data` has no validation
            part (not with `cv`). Defaults to `None`: 0.2.
        batch_size: Batch size when the space has none. Defaults to `32`.
        factor: Hyperband's reduction factor. Defaults to `None`: 3.
        pruner: `"asha"` stops bad trials early (random, Bayesian and TPE
            proposals): rungs at `min_epochs * eta**k` epochs, up to `1/eta`
            of a trial's epochs, and a trial goes on past a rung only in the
            top `1/eta` there. Defaults to `None`: every trial trains its full
            epochs (`"bohb"` always prunes).
        min_epochs: Epochs before ASHA's first rung. Defaults to `None`: the
            larger of what a new model costs against an epoch, measured in
            the search (`kerashp.pruners.asha.cost_rung`, at most
            `epochs // eta`), and the rung sized to the search,
            `epochs // eta**k` (at least 1) for the largest `k` with
            `eta**k <= max_trials`.
        eta: ASHA's reduction factor. Defaults to `None`: 3.
        strategy: A `tf.distribute.Strategy` or `"auto"`. Defaults to `"auto"`.
        mixed_precision: The Keras dtype policy trials build under:
            `"float32"`, `"mixed_float16"`, `"mixed_bfloat16"`, or `"auto"`
            (`kerashp.devices.resolve_precision`: bfloat16 on TPUs and
            Ampere+ GPUs, float16 on Volta/Turing, float32 on CPUs). The
            run records it (`settings["precision"]`) and rebuilds its models
            with it. Defaults to `None`: float32, as Keras; `"auto"` is an
            opt-in until a GPU measurement shows it as accurate and faster.
        task: `"classification"` or `"regression"`; inferred from labels
            when `None`. Defaults to `None`.
        class_weight: Weigh each class's samples in training as scikit-learn
            does: `"balanced"` (inverse class frequency in the training
            part) or `{label: weight}` (others weigh 1). Validation scores are
            not weighted. Defaults to `None`.
        sample_weight: One weight per training sample of `data` (arrays or a
            dataset name), as scikit-learn defines it: the training loss is
            the weighted mean, the builders' normalization statistics are
            weighted, and 0 leaves the sample out. Validation scores are not
            weighted. Defaults to `None`.
        workers: Worker processes that run trials at once on this machine
            (`kerashp.parallel.workers`), or `"auto"`: one per GPU, else one
            per CPU core (at most 8). Each is replaced every
            `TRIALS_PER_PROCESS` trials, so `workers=1` runs a long search
            in bounded memory. The data must be arrays or a dataset name
            (written once to the run folder and memory-mapped). Defaults
            to `None`: trials run one at a time in this process.
        listen: `"HOST:PORT"` where the chief also takes workers started
            elsewhere (`kerashp.worker`, or `kerashp worker CONFIG --chief
            HOST:PORT`) on a run folder they share. Any address but
            loopback needs a token in `KERASHP_TOKEN` (or a file named by
            `KERASHP_TOKEN_FILE`) on every machine. Defaults to `None`:
            only this machine's `workers`.
        test_data: Held-out `(x_test, y_test)` or a `tf.data.Dataset`, used
            for nothing in the search: the best model is scored on it at the
            end (`result.test_scores`, and the summary). Defaults to `None`.

    Returns:
        A `TuneResult` with `best_params`, `best_score`, `best_model` and `trials`.

    Example:
        >>> import kerashp as khp
        >>> result = khp.tune(khp.builders.mlp, {"units": khp.Int(16, 256, log=True)},
        ...                   data="digits", algorithm="random", max_trials=5)
        >>> result.best_params
    """
    from kerashp.builders._calling import check_builder  # imports Keras
    from kerashp.builders.keras_tuner import space_for
    from kerashp.datasets import prepare, weigh_classes
    from kerashp.reporting.tensorboard import open_logs

    data_options = {"validation_split": validation_split, "cv": cv, "seed": seed, "task": task,
                    "sample_weight": sample_weight}
    prepared = None

    def prepared_data():
        nonlocal prepared
        if prepared is None:
            prepared = prepare(data, **data_options)
        return prepared

    space = space_for(build_fn, space, prepared_data)  # a keras-tuner builder's own, or `space`
    if space is None:
        from kerashp.builders import default_space

        space = default_space(build_fn, prepared_data().spec)
    space = as_space(space)

    check_builder(build_fn, space.entries, conditional=space.conditions)
    algo = algorithms.get(algorithm)
    goal = as_objective(objective)
    budget = parse_duration(time_budget)
    for key, value in {"max_trials": max_trials, "max_epochs": max_epochs, "cv": cv}.items():
        check_int(key, value, low=2 if key == "cv" else 1, allow_none=True)
    check_int("batch_size", batch_size)
    from kerashp.devices import PRECISIONS, resolve_precision
    from kerashp.parallel.remote import parse_listen
    from kerashp.parallel.workers import run_workers, worker_count

    count = worker_count(workers)
    if mixed_precision not in (None, "auto", *PRECISIONS):
        resolve_precision(mixed_precision, None)  # raises, naming the choices
    chief = None if listen is None else parse_listen(listen)
    if count and strategy != "auto":
        raise ArgumentError(
            f"Argument `strategy` cannot be shared by {count} worker processes: each picks its own. Received: "
            f"strategy={strategy!r} with workers={workers!r}. Leave strategy='auto', or pass workers=1 to train "
            "one trial at a time under that strategy."
        )
    given = {k: v for k, v in {"factor": factor, "pruner": pruner, "min_epochs": min_epochs, "eta": eta}.items()
             if v is not None}
    algo.check(space, given=given, initial=initial, warm_start=warm_start, cv=cv)
    options = {**algo.options, **given}
    queued = initial_values(space, initial, max_trials)
    prior = prior_observations(space, goal, warm_start)
    observers = as_observers(on_trial_end)
    epochs = algo.epochs(space, max_epochs)

    store = RunStore(directory, name if name is not None else f"{algo.name}-{datetime.now():%Y%m%d-%H%M%S}")
    store.check_folder()
    if store.exists() and not resume and not overwrite:
        raise RunFolderError(
            f"A run named {store.name!r} exists in {str(store.directory)!r}. Pass {setting('resume', True)} to "
            f"continue it, {setting('overwrite', True)} to start it over, or another {setting('name')}."
        )
    board = open_logs(tensorboard, callbacks, resume=resume and store.exists(), overwrite=overwrite)
    settings = {
        "algorithm": algo.name,
        "objective": {"name": goal.name, "direction": goal.direction},
        "space": space.to_config(),
        "builder": builder_ref(build_fn),
        "seed": seed,
        "max_trials": max_trials,
        "max_epochs": epochs,
        "cv": cv,
        "batch_size": batch_size,
        "validation_split": validation_split,
        "workers": count,
        "options": options,
        "tensorboard": None if board.root is None else str(board.root),
        "class_weight": class_weight if not isinstance(class_weight, Mapping) else [[k, v] for k, v in class_weight.items()],
    }
    if store.exists() and overwrite:
        store.remove()

    from kerashp.devices import get_strategy, resolve_precision
    from kerashp.reporting.progress import Progress
    from kerashp.tuning.best_model import prepare_test, test_metrics
    from kerashp.tuning.tuner import BudgetSpent, SearchTuner

    prepared = weigh_classes(prepared_data(), class_weight)
    test = prepare_test(test_data, prepared.spec) if test_data is not None else None
    strategy = get_strategy(strategy)
    precision = resolve_precision(mixed_precision, strategy)
    settings.update({"data": prepared.name, "fingerprint": prepared.fingerprint(), "spec": prepared.spec.to_dict(),
                     "precision": precision})
    if store.exists():
        store.check_same_run(settings)  # before anything is written or trained
    if count or chief:
        from kerashp.datasets._files import check_writable

        check_writable(prepared)
    store.write_settings(settings)
    trials = algo.max_trials(max_trials, budget)
    done = store.records()
    progress = Progress(algo.expected_trials(space, trials, epochs=epochs, options=options), goal, verbose, done=done)
    if done:
        best = f", best {goal.name}={progress.best:.4g}" if progress.best is not None else ""
        progress.message(f"resuming {store.path}: {len(done)} trials finished before{best}")
    board.start(space, goal)
    replicas = getattr(strategy, "num_replicas_in_sync", 1)
    if replicas > 1:
        progress.message(f"{type(strategy).__name__} over {replicas} replicas: batch_size is the global batch, "
                         f"split {replicas} ways (each replica trains batch_size/{replicas} samples a step)")
    deadline = time.monotonic() + budget if budget is not None else None
    watchers = Observers(board.trial_end, progress.trial_done, *observers)
    oracle = algo.make_oracle(goal, space=space, max_trials=trials, epochs=epochs, seed=seed,
                              options=options, initial=queued, prior=prior)
    tuner = SearchTuner(
        oracle,
        algorithm=algo,
        space=space,
        build_fn=build_fn,
        data=prepared,
        objective=goal,
        store=store,
        observers=Observers(store.write_record, watchers),
        callbacks=callbacks,
        tensorboard=board,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        deadline=deadline,
        strategy=strategy,
        precision=precision,
        prunes=getattr(oracle, "pruner", None) is not None,
    )
    import keras_tuner as kt

    finished = False
    try:
        if count or chief:
            job = {"build_fn": build_fn, "callbacks": callbacks, "space": space, "algorithm": algo,
                   "objective": goal, "epochs": epochs, "batch_size": batch_size, "seed": seed,
                   "directory": str(store.directory), "name": store.name, "tensorboard": board,
                   "precision": precision}
            if run_workers(tuner, count=count, job=job, observers=watchers, deadline=deadline, listen=chief,
                           message=progress.message) == "budget":
                raise BudgetSpent()
        else:
            tuner.search()
        finished = True
    except BudgetSpent:
        finished = True
        progress.message(f"time budget of {budget:g}s spent: no new trial started")
    except kt.errors.FatalError as err:
        cause = err.__cause__
        raise (cause if isinstance(cause, KerashpError) else err) from None
    except RuntimeError as err:
        if "consecutive failures" not in str(err):
            raise
        raise KerashpError(
            f"The search stopped: {oracle.max_consecutive_failed_trials} trials in a row failed. "
            f"Last error: {error_summary(str(err))}"
        ) from None
    finally:
        progress.close(finished)
    result = TuneResult(store.path, build_fn=build_fn)
    if prepared.folds is not None and any(r.completed for r in result.records):
        best = result.best_trial
        if not store.weights_path(best.trial_id).exists():
            progress.message(f"refitting trial {best.trial_id} on all the data for the gradient steps of its "
                             f"{best.best_epoch} best epochs on a fold")
            with store.after_the_search("refitting the best trial on all the data"):
                tuner.refit(best)
    if test is not None and any(r.completed for r in result.records):
        with store.after_the_search("scoring the best model on test_data"):
            scores = test_metrics(result.best_model, test)
        store.write_settings({**settings, "test": scores})
        result.settings["test"] = scores
        progress.message("best model on the test data: " + ", ".join(f"{k}={v:.4f}" for k, v in scores.items()))
    return result

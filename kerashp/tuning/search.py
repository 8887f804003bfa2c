"""`kerashp.tune`: search a dict space with an algorithm.

The entry checks every argument before anything trains, opens the run's
folder, prepares the data once (a hold-out split or cross-validation
folds), and runs the algorithm's oracle with kerashp's one `Tuner`. Its
options are declared once, in `kerashp.options`: its docstring's argument
list is written from there.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from kerashp import algorithms
from kerashp._checks import check_int, setting
from kerashp.exceptions import ArgumentError, KerashpError, RunFolderError
from kerashp.options import OPTIONS, Data, Execution, RunFolder, as_group, describe
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
    data, run, execution = as_group("data", data), as_group("run", run), as_group("execution", execution)
    plan = _plan(build_fn, space, data=data, algorithm=algorithm, objective=objective, max_trials=max_trials,
                 max_epochs=max_epochs, time_budget=time_budget, batch_size=batch_size, seed=seed,
                 execution=execution, on_trial_end=on_trial_end)
    store, board = _open_folder(run, plan, callbacks)
    prepared, test, strategy, precision = _prepare(plan, data, execution)
    settings = _recorded(plan, build_fn, data, store, board, prepared, precision, max_trials, time_budget, batch_size,
                         seed)
    if store.exists():
        store.check_same_run(settings)  # before anything is written or trained
    if plan.count or plan.chief:
        from kerashp.datasets._files import check_writable

        check_writable(prepared)
    store.write_settings(settings)
    progress, watchers = _reporting(plan, store, board, on_trial_end, verbose, strategy)
    deadline = Deadline.after(plan.budget)
    tuner = _tuner(plan, build_fn, prepared, store, board, watchers, callbacks, batch_size, seed, deadline, strategy,
                   precision)
    _search(tuner, plan, progress, watchers, build_fn, callbacks, store, board, batch_size, seed, deadline, precision)
    return _after_search(tuner, store, build_fn, prepared, test, settings, progress)


tune.__doc__ = f"""Search `space` for the hyperparameters that make `build_fn` best.

    Every option is declared in `kerashp.options` (docs/options.md lists
    them, with what a resume does with each). `data`, `run` and `execution`
    take the groups `khp.Data`, `khp.RunFolder` and `khp.Execution`.

    Args:
{describe()}

    Returns:
        A `TuneResult` with `best_params`, `best_score`, `best_model` and `trials`.

    Raises:
        ArgumentError: an argument that cannot work, before anything trains.
        RunFolderError: the run exists (see `RunFolder.if_exists`) or was made
            with other settings.

    Example:
        >>> import kerashp as khp
        >>> result = khp.tune(khp.builders.mlp, {{"units": khp.Int(16, 256, log=True)}},
        ...                   data="digits", algorithm="random", max_trials=5)
        >>> result.best_params
    """


@dataclasses.dataclass
class _Plan:
    """What the arguments resolve to, every one checked."""

    space: Space
    algo: algorithms.BaseAlgorithm
    goal: Any
    budget: float | None
    epochs: int
    trials: int | None
    count: int
    chief: Any
    queued: list
    prior: list
    prepared_data: Callable[[], Any]


def _plan(build_fn, space, *, data, algorithm, objective, max_trials, max_epochs, time_budget, batch_size, seed,
          execution, on_trial_end) -> _Plan:
    from kerashp.builders._calling import check_builder  # imports Keras
    from kerashp.builders.keras_tuner import space_for
    from kerashp.datasets import prepare
    from kerashp.devices import resolve_precision
    from kerashp.parallel.remote import parse_listen
    from kerashp.parallel.workers import worker_count

    prepared = None

    def prepared_data():
        nonlocal prepared
        if prepared is None:
            prepared = prepare(data.source, validation_split=data.validation_split, cv=data.cv, seed=seed,
                               task=data.task, sample_weight=data.sample_weight)
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
    check_int("max_trials", max_trials, allow_none=True)
    check_int("max_epochs", max_epochs, allow_none=True)
    check_int("batch_size", batch_size)
    count = worker_count(execution.workers)
    if execution.precision not in (None, "auto"):
        resolve_precision(execution.precision, None)  # raises, naming the choices
    chief = None if execution.listen is None else parse_listen(execution.listen)
    if count and execution.strategy != "auto":
        raise ArgumentError(
            f"Argument `strategy` cannot be shared by {count} worker processes: each picks its own. Received: "
            f"strategy={execution.strategy!r} with workers={execution.workers!r}. Leave strategy='auto', or pass "
            "workers=1 to train one trial at a time under that strategy."
        )
    algo.check(space, cv=data.cv)
    as_observers(on_trial_end)  # checked here, before the folder is written
    trials = algo.max_trials(max_trials, budget)
    return _Plan(space=space, algo=algo, goal=goal, budget=budget, epochs=algo.epochs(space, max_epochs),
                 trials=trials, count=count, chief=chief, queued=initial_values(space, algo.initial, max_trials),
                 prior=prior_observations(space, goal, algo.warm_start), prepared_data=prepared_data)


def _open_folder(run: RunFolder, plan: _Plan, callbacks: Any):
    """The run's store and TensorBoard logs; an existing run is resumed,
    removed or refused as `run.if_exists` says."""
    from kerashp.reporting.tensorboard import open_logs

    name = run.name if run.name is not None else f"{plan.algo.name}-{datetime.now():%Y%m%d-%H%M%S}"
    store = RunStore(run.directory, name)
    store.check_folder()
    exists = store.exists()
    if exists and run.if_exists == "error":
        raise RunFolderError(
            f"A run named {store.name!r} exists in {str(store.directory)!r}. Pass {setting('if_exists', 'resume')} "
            f"to continue it, {setting('if_exists', 'overwrite')} to start it over, or another {setting('name')}."
        )
    board = open_logs(run.tensorboard, callbacks, resume=exists and run.if_exists == "resume",
                      overwrite=run.if_exists == "overwrite")
    if exists and run.if_exists == "overwrite":
        store.remove()
    return store, board


def _prepare(plan: _Plan, data: Data, execution: Execution):
    """The prepared data (class weights applied), the test data, the strategy and the dtype policy."""
    from kerashp.datasets import weigh_classes
    from kerashp.devices import get_strategy, resolve_precision
    from kerashp.tuning.best_model import prepare_test

    prepared = weigh_classes(plan.prepared_data(), data.class_weight)
    test = prepare_test(data.test, prepared.spec, "Data(test=...)") if data.test is not None else None
    strategy = get_strategy(execution.strategy)
    return prepared, test, strategy, resolve_precision(execution.precision, strategy)


def _recorded(plan, build_fn, data, store, board, prepared, precision, max_trials, time_budget, batch_size,
              seed) -> dict[str, Any]:
    """What `run.json` records: one value for each key `kerashp.options` declares."""
    class_weight = data.class_weight
    values = {
        "builder": builder_ref(build_fn), "space": plan.space.to_config(), "data": prepared.name,
        "algorithm": plan.algo.name, "options": plan.algo.options(),
        "objective": {"name": plan.goal.name, "direction": plan.goal.direction},
        "max_trials": max_trials, "max_epochs": plan.epochs, "time_budget": plan.budget, "batch_size": batch_size,
        "seed": seed, "fingerprint": prepared.fingerprint(), "cv": data.cv, "validation_split": data.validation_split,
        "task": prepared.spec.task, "spec": prepared.spec.to_dict(),
        "class_weight": ([[k, v] for k, v in class_weight.items()] if isinstance(class_weight, Mapping)
                         else class_weight),
        "tensorboard": None if board.root is None else str(board.root), "workers": plan.count, "precision": precision,
    }
    keys = [key for option in OPTIONS for key in option.keys]
    assert set(values) - {"spec"} == set(keys), sorted(set(values) ^ set(keys))  # kerashp.options declares each
    return {**{key: values[key] for key in dict.fromkeys(keys)}, "spec": values["spec"]}  # spec: what it inferred


def _reporting(plan, store, board, on_trial_end, verbose, strategy):
    from kerashp.reporting.progress import Progress

    done = store.records()
    progress = Progress(plan.algo.expected_trials(plan.space, plan.trials, epochs=plan.epochs), plan.goal, verbose,
                        done=done)
    if done:
        best = f", best {plan.goal.name}={progress.best:.4g}" if progress.best is not None else ""
        progress.message(f"resuming {store.path}: {len(done)} trials finished before{best}")
    board.start(plan.space, plan.goal)
    replicas = getattr(strategy, "num_replicas_in_sync", 1)
    if replicas > 1:
        progress.message(f"{type(strategy).__name__} over {replicas} replicas: batch_size is the global batch, "
                         f"split {replicas} ways (each replica trains batch_size/{replicas} samples a step)")
    return progress, Observers(board.trial_end, progress.trial_done, *as_observers(on_trial_end))


def _tuner(plan, build_fn, prepared, store, board, watchers, callbacks, batch_size, seed, deadline, strategy,
           precision):
    from kerashp.tuning.tuner import SearchTuner

    oracle = plan.algo.make_oracle(plan.goal, space=plan.space, max_trials=plan.trials, epochs=plan.epochs,
                                   seed=seed, initial=plan.queued, prior=plan.prior)
    return SearchTuner(
        oracle, algorithm=plan.algo, space=plan.space, build_fn=build_fn, data=prepared, objective=plan.goal,
        store=store, observers=Observers(store.write_record, watchers), callbacks=callbacks, tensorboard=board,
        epochs=plan.epochs, batch_size=batch_size, seed=seed, deadline=deadline, strategy=strategy,
        precision=precision, prunes=getattr(oracle, "pruner", None) is not None,
    )


def _search(tuner, plan, progress, watchers, build_fn, callbacks, store, board, batch_size, seed, deadline,
            precision) -> None:
    """Runs the trials, here or in workers; the time budget ends it as a finish."""
    import keras_tuner as kt

    from kerashp.parallel.job import Job
    from kerashp.parallel.workers import run_workers
    from kerashp.tuning.tuner import BudgetSpent

    finished = False
    try:
        if plan.count or plan.chief:
            job = Job(build_fn=build_fn, callbacks=callbacks, space=plan.space, algorithm=plan.algo,
                      objective=plan.goal, epochs=plan.epochs, batch_size=batch_size, seed=seed, precision=precision,
                      directory=str(store.directory), name=store.name, tensorboard=board)
            if run_workers(tuner, count=plan.count, job=job, observers=watchers, deadline=deadline,
                           listen=plan.chief, message=progress.message) == "budget":
                raise BudgetSpent()
        else:
            tuner.search()
        finished = True
    except BudgetSpent:
        finished = True
        progress.message(f"time budget of {plan.budget:g}s spent: no new trial started")
    except kt.errors.FatalError as err:
        cause = err.__cause__
        raise (cause if isinstance(cause, KerashpError) else err) from None
    finally:
        progress.close(finished)


def _after_search(tuner, store, build_fn, prepared, test, settings, progress) -> TuneResult:
    """The result; with cv, the best trial refit on all the data; with test data, its scores."""
    result = TuneResult(store.path, build_fn=build_fn)
    if prepared.folds is not None and any(r.completed for r in result.records):
        best = result.best_trial
        if not store.weights_path(best.trial_id).exists():
            progress.message(f"refitting trial {best.trial_id} on all the data for the gradient steps of its "
                             f"{best.best_epoch} best epochs on a fold")
            with store.after_the_search("refitting the best trial on all the data"):
                tuner.refit(best)
    if test is not None and any(r.completed for r in result.records):
        from kerashp.tuning.best_model import test_metrics

        with store.after_the_search("scoring the best model on the test data"):
            scores = test_metrics(result.best_model, test)
        store.write_settings({**settings, "test": scores})
        result.settings["test"] = scores
        progress.message("best model on the test data: " + ", ".join(f"{k}={v:.4f}" for k, v in scores.items()))
    return result

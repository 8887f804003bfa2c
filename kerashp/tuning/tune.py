"""`kerashp.tune`: search a dict space with keras-tuner's oracles."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from kerashp.exceptions import KerashpError
from kerashp.space import Fixed, Space, as_space
from kerashp.tuning.objective import as_objective
from kerashp.tuning.records import RunStore, to_json_value
from kerashp.tuning.result import TuneResult, builder_ref

__all__ = ["ALGORITHMS", "parse_duration", "tune"]

ALGORITHMS = ("random", "grid", "bayesian", "hyperband")
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
    raise KerashpError(
        "Argument `time_budget` must be a positive number of seconds or a duration such as "
        f"'90s', '10m', '1h30m'. Received: time_budget={value!r}."
    )


def tune(
    build_fn: Callable[[dict], Any],
    space: Mapping[str, Any] | Space,
    *,
    data: Any,
    algorithm: str = "hyperband",
    objective: str | tuple[str, str] = "val_loss",
    max_trials: int | None = None,
    max_epochs: int | None = None,
    time_budget: float | str | None = None,
    callbacks: list | Callable[[dict], list] | None = None,
    directory: str | Path = "kerashp_runs",
    name: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    seed: int | None = None,
    verbose: int = 1,
    cv: int | None = None,
    validation_split: float = 0.2,
    batch_size: int = 32,
    factor: int = 3,
    strategy: Any = "auto",
    task: str | None = None,
) -> TuneResult:
    """Search `space` for the hyperparameters that make `build_fn` best.

    Args:
        build_fn: Function from a hyperparameter dict to a `keras.Model`,
            compiled or not (an uncompiled one is compiled from the reserved
            keys `optimizer`, `learning_rate`, `momentum`, `loss`). The
            built-in `kerashp.builders.mlp` / `cnn` infer shapes from `data`.
        space: Dict of name to a range, a list of choices, or a fixed value.
            `batch_size` and `epochs` in it go to `fit`.
        data: A dataset name (`"digits"`, `"mnist"`, ...), `(x, y)`,
            `(x, y, x_val, y_val)`, a `tf.data.Dataset` or `(train_ds, val_ds)`.
        algorithm: `"random"`, `"grid"`, `"bayesian"` or `"hyperband"`.
            Defaults to `"hyperband"`.
        objective: A metric from `History` such as `"val_accuracy"`, direction
            inferred, or `(name, "min"|"max")`. Defaults to `"val_loss"`.
        max_trials: Trials to run. Defaults to `None`: 10 for random and
            Bayesian, the whole grid for grid, Hyperband's own schedule.
        max_epochs: Epochs a trial trains (Hyperband: the most a trial gets).
            Defaults to `None`: `epochs` from the space, else 10 (27 for Hyperband).
        time_budget: Seconds or `"10m"`-style: no trial starts after it and
            the running one stops. Defaults to `None`.
        callbacks: Keras callbacks (copied into each trial), or a function of
            the hp dict returning a list. Defaults to `None`.
        directory: Parent folder of runs. Defaults to `"kerashp_runs"`.
        name: The run's folder name. Defaults to `None`: algorithm and time.
        resume: Continue the run in `directory/name`: completed trials are
            kept and not run again. Defaults to `False`.
        overwrite: Delete an existing run of that name first. Defaults to `False`.
        seed: Seed of the split, the oracle and each trial's initial weights:
            the same seed gives the same sequence of trials. Defaults to `None`.
        verbose: 0 silent; 1 one line per trial and a progress bar. Defaults to `1`.
        cv: Cross-validate each trial with `cv` folds through scikit-learn
            (`algorithm` "grid" or "random"). Defaults to `None`.
        validation_split: Held-out fraction when `data` has no validation
            part. Defaults to `0.2`.
        batch_size: Batch size when the space has none. Defaults to `32`.
        factor: Hyperband's reduction factor. Defaults to `3`.
        strategy: A `tf.distribute.Strategy` or `"auto"`. Defaults to `"auto"`.
        task: `"classification"` or `"regression"`; inferred from labels
            when `None`. Defaults to `None`.

    Returns:
        A `TuneResult` with `best_params`, `best_score`, `best_model` and `trials`.

    Example:
        >>> import kerashp as khp
        >>> result = khp.tune(khp.builders.mlp, {"units": khp.Int(16, 256, log=True)},
        ...                   data="digits", algorithm="random", max_trials=5)
        >>> result.best_params
    """
    space = as_space(space)
    if algorithm not in ALGORITHMS:
        raise KerashpError(f"Argument `algorithm` must be one of {ALGORITHMS}. Received: algorithm={algorithm!r}.")
    goal = as_objective(objective)
    budget = parse_duration(time_budget)
    _check_positive(max_trials=max_trials, max_epochs=max_epochs, batch_size=batch_size, factor=factor)
    if algorithm == "grid":
        space.check_discrete("algorithm='grid'")
    if algorithm == "hyperband" and "epochs" in space.searched:
        raise KerashpError(
            "Hyperband decides how many epochs each trial trains, but the space searches 'epochs'. "
            "Fix it (epochs=30) or drop it, or use algorithm='random'/'bayesian'."
        )
    epochs = _epochs(space, max_epochs, algorithm)
    if cv is not None and algorithm not in ("grid", "random"):
        raise KerashpError(
            "`cv` runs through scikit-learn's GridSearchCV/RandomizedSearchCV: use algorithm='grid' or "
            f"'random'. Received: algorithm={algorithm!r}, cv={cv!r}."
        )

    store = RunStore(directory, name or f"{algorithm}-{datetime.now():%Y%m%d-%H%M%S}")
    settings = {
        "algorithm": algorithm,
        "objective": {"name": goal.name, "direction": goal.direction},
        "space": space.to_config(),
        "builder": builder_ref(build_fn),
        "seed": seed,
        "max_trials": max_trials,
        "max_epochs": epochs,
    }
    if store.exists():
        if overwrite:
            store.remove()
        elif not resume:
            raise KerashpError(
                f"A run named {store.name!r} exists in {str(store.directory)!r}. Pass resume=True to continue it, "
                "overwrite=True to start it over, or another name=."
            )
        else:
            _check_same_run(store, settings)

    from kerashp.datasets import prepare
    from kerashp.devices import get_strategy
    from kerashp.tuning.progress import Progress
    from kerashp.tuning.tuner import BudgetSpent, SearchTuner

    if cv is not None:
        return _tune_cv(build_fn, space, data, store, settings, cv=cv, algorithm=algorithm, goal=goal,
                        max_trials=max_trials, epochs=epochs, batch_size=batch_size, callbacks=callbacks,
                        seed=seed, task=task)
    prepared = prepare(data, validation_split=validation_split, seed=seed, task=task)
    store.write_settings({**settings, "data": prepared.name, "spec": prepared.spec.to_dict()})
    deadline = time.monotonic() + budget if budget is not None else None
    progress = Progress(_expected_trials(space, algorithm, max_trials), goal, verbose, initial=len(store.records()))
    oracle = _make_oracle(algorithm, goal, max_trials=max_trials, epochs=epochs, factor=factor, seed=seed)
    tuner = SearchTuner(
        oracle,
        space=space,
        build_fn=build_fn,
        data=prepared,
        objective=goal,
        store=store,
        callbacks=callbacks,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        deadline=deadline,
        strategy=get_strategy(strategy),
        progress=progress,
    )
    import keras_tuner as kt

    try:
        tuner.search()
    except BudgetSpent:
        progress.message(f"time budget of {budget:g}s spent: no new trial started")
    except kt.errors.FatalError as err:
        cause = err.__cause__
        raise (cause if isinstance(cause, KerashpError) else err) from None
    except RuntimeError as err:
        if "consecutive failures" not in str(err):
            raise
        raise KerashpError(
            f"The search stopped: {oracle.max_consecutive_failed_trials} trials in a row failed. "
            f"Last error: {str(err).strip().splitlines()[-1]}"
        ) from None
    finally:
        progress.close()
    return TuneResult(store.path, build_fn=build_fn)


def _tune_cv(build_fn, space, data, store, settings, *, cv, algorithm, goal, max_trials, epochs, batch_size,
             callbacks, seed, task) -> TuneResult:
    """Cross-validated search through scikit-learn, recorded like any other run."""
    from kerashp.datasets import infer_spec, load
    from kerashp.tuning.cv import search_cv
    from kerashp.tuning.tuner import save_weights

    name = data if isinstance(data, str) else "arrays"
    if isinstance(data, str):
        data = load(data)
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise KerashpError(
            "With `cv`, pass data as a name or (x, y): the folds are made from it. "
            f"Received: {type(data).__name__}" + (f" of length {len(data)}." if isinstance(data, (tuple, list)) else ".")
        )
    x, y = data
    spec = infer_spec(x, y, task=task)
    store.write_settings({**settings, "cv": cv, "data": name, "spec": spec.to_dict()})
    records, best = search_cv(build_fn, space, x, y, algorithm=algorithm, cv=cv, max_trials=max_trials, seed=seed,
                              objective=goal, epochs=epochs, batch_size=batch_size, callbacks=callbacks,
                              task=spec.task)
    for record in records:
        store.write_record(record)
    result = TuneResult(store.path, build_fn=build_fn)
    if best is not None:  # the best candidate refit on all of (x, y)
        save_weights(best.model_, store.weights_path(result.best_trial["trial_id"]))
    return result


def _check_positive(**kwargs: int | None) -> None:
    for key, value in kwargs.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise KerashpError(f"Argument `{key}` must be a positive integer. Received: {key}={value!r}.")


def _epochs(space: Space, max_epochs: int | None, algorithm: str) -> int:
    if max_epochs is not None:
        return max_epochs
    entry = space.entries.get("epochs")
    if isinstance(entry, Fixed) and isinstance(entry.value, int):
        return entry.value
    return 27 if algorithm == "hyperband" else 10


def _expected_trials(space: Space, algorithm: str, max_trials: int | None) -> int | None:
    if algorithm == "grid":
        size = space.grid_size()
        return min(size, max_trials) if max_trials else size
    if algorithm == "hyperband":
        return max_trials
    return max_trials or 10


def _make_oracle(algorithm: str, goal: Any, *, max_trials: int | None, epochs: int, factor: int, seed: int | None) -> Any:
    import keras_tuner as kt

    common = {
        "objective": kt.Objective(goal.name, goal.direction),
        # keras-tuner reads seed=0 as "no seed" (`seed or random.randint(...)`): shift by one.
        "seed": None if seed is None else seed + 1,
        "max_consecutive_failed_trials": 10,
    }
    if algorithm == "random":
        oracle = kt.oracles.RandomSearchOracle(max_trials=max_trials or 10, **common)
    elif algorithm == "grid":
        oracle = kt.oracles.GridSearchOracle(max_trials=max_trials, **common)
    elif algorithm == "bayesian":
        oracle = kt.oracles.BayesianOptimizationOracle(max_trials=max_trials or 10, **common)
    else:
        oracle = kt.oracles.HyperbandOracle(max_epochs=epochs, factor=factor, **common)
        if max_trials is not None:
            oracle.max_trials = max_trials
    oracle.verbose = 0  # kerashp prints its own progress
    return oracle


def _check_same_run(store: RunStore, settings: dict) -> None:
    previous = store.read_settings()
    settings = to_json_value(settings)
    for key in ("algorithm", "objective", "space"):
        if previous.get(key) != settings[key]:
            raise KerashpError(
                f"resume=True, but the run {store.name!r} was made with a different {key}: "
                f"{previous.get(key)!r} then, {settings[key]!r} now. Use another name=, or overwrite=True."
            )

"""The `kerashp.tune(..., cv=k)` backend: a cross-validated grid or random
search through scikit-learn, with the `kerashp.sklearn` estimators.

Every fold trains a fresh model on the fold's training part only: the
`DataSpec` (shapes, classes, normalization statistics) and any validation
data for early stopping come from that part, never from the fold's test part.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from kerashp.exceptions import KerashpError
from kerashp.space import Space, as_space
from kerashp.tuning.records import last_line

__all__ = ["scorer_for", "search_cv"]

# objective (without "val_") -> (scikit-learn scoring name, sign to turn its
# value into the objective's own value)
_CLASSIFICATION = {
    "loss": ("neg_log_loss", -1.0),
    "crossentropy": ("neg_log_loss", -1.0),
    "sparse_categorical_crossentropy": ("neg_log_loss", -1.0),
    "categorical_crossentropy": ("neg_log_loss", -1.0),
    "accuracy": ("accuracy", 1.0),
    "acc": ("accuracy", 1.0),
    "sparse_categorical_accuracy": ("accuracy", 1.0),
    "balanced_accuracy": ("balanced_accuracy", 1.0),
    "f1_macro": ("f1_macro", 1.0),
    "roc_auc": ("roc_auc", 1.0),
    "auc": ("roc_auc", 1.0),
}
_REGRESSION = {
    "loss": ("neg_mean_squared_error", -1.0),
    "mse": ("neg_mean_squared_error", -1.0),
    "mean_squared_error": ("neg_mean_squared_error", -1.0),
    "mae": ("neg_mean_absolute_error", -1.0),
    "mean_absolute_error": ("neg_mean_absolute_error", -1.0),
    "rmse": ("neg_root_mean_squared_error", -1.0),
    "r2": ("r2", 1.0),
}


def scorer_for(objective: Any, task: str) -> tuple[str, float, Any]:
    """The scikit-learn scoring that measures `objective` on a fold's test part.

    Keras logs its metrics per epoch; in cross-validation the score is computed
    by scikit-learn on each fold's held-out part after training. The default
    losses map to their scikit-learn equivalents: sparse categorical
    cross-entropy to log loss, mean squared error to MSE.

    Args:
        objective: A name such as `"val_accuracy"` or `"val_loss"`, or `(name, direction)`.
        task: `"classification"` or `"regression"`.

    Returns:
        `(scoring, sign, objective)`: the scikit-learn scoring name, the sign
        that turns its values back into the objective's (`-1` for losses,
        which scikit-learn negates), and the parsed `Objective`.

    Raises:
        KerashpError: the objective has no scikit-learn equivalent.

    Example:
        >>> scorer_for("val_loss", "classification")[:2]
        ('neg_log_loss', -1.0)
    """
    from kerashp.tuning.objective import as_objective

    goal = as_objective(objective)
    table = _CLASSIFICATION if task == "classification" else _REGRESSION
    bare = goal.name.lower().removeprefix("val_")
    if bare not in table:
        raise KerashpError(
            f"With cv=, each fold is scored by scikit-learn, which has no equivalent of the "
            f"objective {goal.name!r} for {task}. Use one of "
            f"{sorted({'val_' + k for k in table})}."
        )
    scoring, sign = table[bare]
    expected = "min" if sign < 0 else "max"
    if goal.direction != expected:
        raise KerashpError(
            f"The objective {goal.name!r} is scored with scikit-learn's {scoring!r}, where "
            f"{'lower' if expected == 'min' else 'higher'} is better, but the direction given is "
            f"{goal.direction!r}. Received: objective={objective!r}."
        )
    return scoring, sign, goal


def _check_cv(cv: Any) -> int:
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)):
        raise KerashpError(f"Argument `cv` must be an integer number of folds >= 2. Received: cv={cv!r}")
    if cv < 2:
        raise KerashpError(f"Argument `cv` must be >= 2. Received: cv={cv!r}")
    return int(cv)


def _failure_summary(caught: list) -> str | None:
    """The most informative line of scikit-learn's FitFailedWarning, if any."""
    from sklearn.exceptions import FitFailedWarning

    texts = [str(w.message) for w in caught if issubclass(w.category, FitFailedWarning)]
    if not texts:
        return None
    lines = [line.strip() for line in texts[-1].splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line)]
    return (errors or lines)[-1][:500]


def search_cv(
    build_fn: Callable[[dict], Any] | None,
    space: Mapping[str, Any] | Space,
    x: Any,
    y: Any,
    *,
    algorithm: str,
    cv: int,
    max_trials: int | None = None,
    seed: int | None = None,
    objective: Any = "val_loss",
    verbose: int = 0,
    epochs: int = 10,
    batch_size: int = 32,
    callbacks: list | None = None,
    task: str | None = None,
    n_jobs: int | None = 1,
) -> tuple[list[dict], Any]:
    """Cross-validated grid or random search with `GridSearchCV` / `RandomizedSearchCV`.

    Args:
        build_fn: Builder, hp dict -> `keras.Model`; `None` means `kerashp.builders.mlp`.
        space: The dict search space.
        x: Inputs.
        y: Targets.
        algorithm: `"grid"` (every combination of `param_grid(space)`) or
            `"random"` (`max_trials` draws from `param_distributions(space)`).
        cv: Number of folds (stratified for classification), shuffled with `seed`.
        max_trials: Grid: at most this many combinations (in grid order);
            random: number of draws. Defaults to `None`: whole grid, or 10.
        seed: Seed of the folds, the random draws and each fit. Defaults to `None`.
        objective: What a fold's score measures (see `scorer_for`). Defaults to `"val_loss"`.
        verbose: scikit-learn's search verbosity. Defaults to `0`.
        epochs: Epochs per fit when the space has no `epochs`. Defaults to `10`.
        batch_size: Batch size when the space has no `batch_size`. Defaults to `32`.
        callbacks: Keras callbacks for every fit (copied per fit); validation
            data they need is carved from each fold's training part. Defaults to `None`.
        task: `"classification"` or `"regression"`; inferred from `y` when `None`.
        n_jobs: Parallel fits (joblib). Defaults to `1`.

    Returns:
        `(records, best_estimator)`: one record per candidate, in the format of
        `kerashp.tuning.records` (`trial_id`, `status`, `score` as the mean over
        folds in the objective's own units and direction, `params`,
        `fold_scores`, `score_std`, `seconds`, `error`, ...), and the best
        candidate's estimator refit on all of `(x, y)` (`None` if every
        candidate failed).

    Raises:
        KerashpError: bad `cv`/`algorithm`/`objective`, or every fit failed.

    Example:
        >>> records, best = search_cv(kerashp.builders.mlp, {"units": [16, 32]}, x, y,
        ...                           algorithm="grid", cv=3, objective="val_accuracy")
    """
    from sklearn.model_selection import (
        GridSearchCV,
        KFold,
        ParameterGrid,
        RandomizedSearchCV,
        StratifiedKFold,
    )

    from kerashp.datasets import infer_spec
    from kerashp.sklearn import KerasClassifier, KerasRegressor, param_distributions, param_grid

    folds = _check_cv(cv)
    if algorithm not in ("grid", "random"):
        raise KerashpError(
            "`cv` runs through scikit-learn's GridSearchCV or RandomizedSearchCV: use "
            f"algorithm='grid' or 'random'. Received: algorithm={algorithm!r}"
        )
    space = as_space(space)
    x, y = np.asarray(x), np.asarray(y)
    task = task or infer_spec(x, y).task
    scoring, sign, goal = scorer_for(objective, task)

    estimator_cls = KerasClassifier if task == "classification" else KerasRegressor
    estimator = estimator_cls(
        build_fn, epochs=epochs, batch_size=batch_size, callbacks=callbacks, random_state=seed
    )
    splitter_cls = StratifiedKFold if task == "classification" else KFold
    splitter = splitter_cls(n_splits=folds, shuffle=True, random_state=0 if seed is None else seed)
    common = {"scoring": scoring, "cv": splitter, "n_jobs": n_jobs, "verbose": verbose, "error_score": np.nan}
    if algorithm == "grid":
        grid = param_grid(space)
        if max_trials is not None:
            grid = [{k: [v] for k, v in point.items()} for point in list(ParameterGrid(grid))[:max_trials]]
        search = GridSearchCV(estimator, grid, **common)
    else:
        search = RandomizedSearchCV(
            estimator, param_distributions(space), n_iter=max_trials or 10, random_state=seed, **common
        )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            search.fit(x, y)
        except ValueError as err:
            if "fits failed" not in str(err):
                raise
            raise KerashpError(f"Every cross-validation fit failed. {last_line(str(err))}") from err
    error = _failure_summary(caught)
    for w in caught:  # hand back what is not scikit-learn's report of the failures recorded below
        text = str(w.message)
        if w.category.__name__ != "FitFailedWarning" and "test scores are non-finite" not in text:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    results = search.cv_results_
    records = []
    for i, params in enumerate(results["params"]):
        fold_scores = [float(sign * results[f"split{k}_test_score"][i]) for k in range(folds)]
        finite = bool(np.isfinite(fold_scores).all())
        trained = int(params.get("epochs", epochs))
        records.append(
            {
                "trial_id": f"{i:02d}",
                "status": "COMPLETED" if finite else "FAILED",
                "score": float(np.mean(fold_scores)) if finite else None,
                "params": space.complete(params),
                "fold_scores": [s if np.isfinite(s) else None for s in fold_scores],
                "score_std": float(np.std(fold_scores)) if finite else None,
                "seconds": round(float((results["mean_fit_time"][i] + results["mean_score_time"][i]) * folds), 3),
                "epochs": trained,
                "total_epochs": trained,
                "best_epoch": None,
                "stopped_epoch": None,
                "history": {},
                "promoted_from": None,
                "error": None if finite else (error or "a fold's fit or score failed"),
            }
        )
    best = getattr(search, "best_estimator_", None)
    if not any(r["status"] == "COMPLETED" for r in records):
        best = None
    return records, best


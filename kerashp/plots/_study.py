"""A run's records as an in-memory Optuna study, for the kinds that Optuna's
`optuna.visualization.matplotlib` and `optuna.importance` draw and compute.

Each record becomes one `FrozenTrial` (`optuna.trial.create_trial`) in trial
order: its searched values with the distributions of the run's space
(`kerashp.algorithms._optuna`: Int/Float with log and step, choices
and booleans categorical; fixed entries left out, conditional entries absent
where inactive), its score as the value, and a `PRUNED` or `FAILED` state where
the trial did not complete (Optuna's analyses read completed trials only).

Example:
    >>> study = to_study(result)
    >>> [t.value for t in study.trials if t.state.name == "COMPLETE"]
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

from kerashp.exceptions import ArgumentError, KerashpError

__all__ = ["chosen_params", "completed_frame", "completed_params", "figure_of", "optuna_quiet", "require_completed",
           "searched_params", "to_study"]


@contextlib.contextmanager
def optuna_quiet() -> Iterator[None]:
    """Optuna's matplotlib functions are experimental (an `ExperimentalWarning`
    at every call) and it logs every study at INFO: neither is news to a user.
    They also switch matplotlib to the ggplot style for good
    (`plt.style.use`); the style is kept to the figure drawn here."""
    import matplotlib
    import optuna

    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings(), matplotlib.rc_context():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # an axis of a hyperparameter with one value among the completed trials
            warnings.filterwarnings("ignore", "Attempting to set identical low and high", UserWarning)
            yield
    finally:
        logger.setLevel(level)


def _space(result: Any) -> Any:
    from kerashp.space import Space

    config = result.settings.get("space")
    if not config:
        raise KerashpError(f"The run in {result.path} does not record its search space; this plot needs it.")
    return Space.from_config(config)


def to_study(result: Any) -> Any:
    """An in-memory `optuna.Study` holding every trial of `result` in trial
    order (the record's number in the trial's `user_attrs["number"]`)."""
    import optuna
    from optuna.trial import TrialState

    from kerashp.algorithms._optuna import distributions

    space = _space(result)
    dists = distributions(space)
    direction = "maximize" if result.objective.direction == "max" else "minimize"
    states = {"COMPLETED": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAILED": TrialState.FAIL}
    with optuna_quiet():
        study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=0))
        for record in result.records:
            params = {k: v for k, v in record.params.items() if k in dists and space.entries[k].contains(v)}
            state = states[record.status.value] if record.score is not None else TrialState.FAIL
            values = record.history.get(result.objective.name) or []
            first = (record.total_epochs or len(values)) - len(values)
            study.add_trial(optuna.trial.create_trial(
                params=params, distributions={k: dists[k] for k in params}, state=state,
                value=float(record.score) if state == TrialState.COMPLETE else None,
                intermediate_values={first + i + 1: float(v) for i, v in enumerate(values)},
                user_attrs={"number": record.number},
            ))
    return study


def searched_params(result: Any) -> list[str]:
    """The searched hyperparameters of the run's space, in its order."""
    return _space(result).searched


def completed_params(study: Any) -> list[str]:
    """The hyperparameters that take more than one value among the study's
    completed trials, in the order they first appear."""
    from optuna.trial import TrialState

    seen: dict[str, set] = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        for name, value in trial.params.items():
            seen.setdefault(name, set()).add(repr(value))
    return [name for name, values in seen.items() if len(values) > 1]


def require_completed(study: Any, kind: str, *, trials: int = 1, params: int = 0) -> None:
    """Raises `KerashpError` when the study has fewer completed trials, or
    varied hyperparameters among them, than `kind` needs."""
    from optuna.trial import TrialState

    done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if done < trials:
        raise KerashpError(f"The {kind!r} plot needs at least {trials} completed trials; the run has {done}.")
    varied = completed_params(study)
    if len(varied) < params:
        raise KerashpError(
            f"The {kind!r} plot needs at least {params} hyperparameters that vary among the completed trials; "
            f"the run has {len(varied)}{f' ({varied})' if varied else ''}."
        )


def figure_of(axes: Any, title: str | None = None) -> Any:
    """The Figure of what Optuna's matplotlib functions return (one Axes, or
    an array of them: `plot_slice` with several parameters), with Optuna's
    titles replaced by `title`."""
    import numpy as np

    many = np.asarray(axes, dtype=object).ravel() if isinstance(axes, np.ndarray) else [axes]
    fig = many[0].figure
    for ax in many:
        if ax.get_xscale() == "log":
            _few_log_ticks(ax.xaxis, *ax.get_xlim())
    if title is not None:
        for ax in many:
            for loc in ("left", "center", "right"):
                ax.set_title("", loc=loc)
        if len(many) == 1:
            many[0].set_title(title, pad=12)
        else:
            fig.suptitle(title)
    return fig


def chosen_params(result: Any, params: Any, kind: str) -> list[str] | None:
    """`params` (names of searched hyperparameters) checked against the run's
    space; `None` stays `None` (every one)."""
    if params is None:
        return None
    if isinstance(params, str):
        params = [params]
    names = searched_params(result)
    unknown = [p for p in params if p not in names]
    if unknown:
        raise ArgumentError(
            f"The {kind!r} plot's `params` must name searched hyperparameters of the run: {names}. "
            f"Received: {unknown[0]!r}."
        )
    return list(params)


def completed_frame(result: Any) -> Any:
    """A DataFrame of the completed trials: `trial`, each searched
    hyperparameter (missing where inactive) and `score`."""
    import pandas as pd

    names = searched_params(result)
    rows = [{"trial": r.number, **{n: r.params.get(n) for n in names}, "score": float(r.score)}
            for r in result.records if r.completed]
    if not rows:
        raise KerashpError("No trial completed: nothing to plot.")
    return pd.DataFrame(rows, columns=["trial", *names, "score"])


def _few_log_ticks(axis: Any, low: float, high: float, most: int = 4) -> None:
    """At most `most` plain labels (0.002, 0.005, 0.01) on a log axis: Optuna's
    minor labels (2x10^-3, 3x10^-3, ...) overlap in a narrow slice panel."""
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    low, high = min(low, high), max(low, high)
    if not (low > 0 and math.isfinite(high)):
        return
    ticks = [m * 10.0**k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
             for m in (1, 2, 5) if low <= m * 10.0**k <= high]
    if len(ticks) > most:
        ticks = [t for t in ticks if math.log10(t).is_integer()] if sum(
            math.log10(t).is_integer() for t in ticks) >= 2 else ticks[:: math.ceil(len(ticks) / most)]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())

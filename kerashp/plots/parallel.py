"""`parallel`: parallel coordinates, one line per completed trial across its
hyperparameters, coloured by score (Optuna's `plot_parallel_coordinate` on
the run's study, `kerashp.plots._study`)."""

from __future__ import annotations

from typing import Any

from kerashp.plots._study import (
    chosen_params,
    completed_frame,
    figure_of,
    optuna_quiet,
    require_completed,
    to_study,
)

__all__ = ["draw", "parallel_data"]


def parallel_data(result: Any, params: Any = None) -> Any:
    """A DataFrame of the completed trials: `trial`, the hyperparameters
    (`params`, default every searched one) and `score`."""
    names = chosen_params(result, params, "parallel")
    frame = completed_frame(result)
    return frame if names is None else frame[["trial", *names, "score"]]


def draw(result: Any, *, params: Any = None) -> Any:
    """Parallel coordinates of `result`'s completed trials, coloured by score."""
    from optuna.visualization.matplotlib import plot_parallel_coordinate

    names = chosen_params(result, params, "parallel")
    study = to_study(result)
    require_completed(study, "parallel", trials=2, params=1)
    with optuna_quiet():
        ax = plot_parallel_coordinate(study, params=names, target_name=result.objective.name)
    fig = figure_of(ax, f"{result.path.name}: parallel coordinates")
    fig.set_size_inches(max(6.0, 1.6 * (len(ax.get_xticks()) + 1)), 4.5)
    fig.tight_layout()
    return fig

"""`contour`: the score over two hyperparameters, interpolated between the
completed trials (Optuna's `plot_contour` on the run's study,
`kerashp.plots._study`). `params=(a, b)` chooses them; by default the two
most important (`kerashp.plots.importance`)."""

from __future__ import annotations

from typing import Any

from kerashp.exceptions import ArgumentError
from kerashp.plots._study import (
    chosen_params,
    completed_params,
    figure_of,
    optuna_quiet,
    require_completed,
    to_study,
)

__all__ = ["contour_params", "draw"]


def contour_params(result: Any, params: Any = None, *, study: Any = None) -> tuple[str, str]:
    """The two hyperparameters the contour shows: `params`, else the two most
    important (or the only two that vary)."""
    study = study if study is not None else to_study(result)
    require_completed(study, "contour", trials=2, params=2)
    if params is not None:
        names = chosen_params(result, params, "contour")
        if len(names) != 2 or names[0] == names[1]:
            raise ArgumentError(f"The 'contour' plot's `params` must name two hyperparameters. Received: {params!r}.")
        return names[0], names[1]
    varied = completed_params(study)
    if len(varied) == 2:
        return varied[0], varied[1]
    from kerashp.plots.importance import importance_data

    first, second = list(importance_data(result, study=study))[:2]
    return first, second


def draw(result: Any, *, params: Any = None) -> Any:
    """The score over two hyperparameters of `result`."""
    from optuna.visualization.matplotlib import plot_contour

    study = to_study(result)
    pair = contour_params(result, params, study=study)
    with optuna_quiet():
        ax = plot_contour(study, params=list(pair), target_name=result.objective.name)
    fig = figure_of(ax, f"{result.path.name}: {result.objective.name} over {pair[0]} and {pair[1]}")
    fig.set_size_inches(6.5, 5)
    fig.tight_layout()
    return fig

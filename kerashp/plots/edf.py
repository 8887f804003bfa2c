"""`edf`: the empirical distribution of the completed trials' scores, the
fraction of trials that scored at most each value (Optuna's `plot_edf` on
the run's study, `kerashp.plots._study`): a steep curve near the best score
means the search found good settings often."""

from __future__ import annotations

from typing import Any, NamedTuple

from kerashp.plots._study import (
    completed_frame,
    figure_of,
    optuna_quiet,
    require_completed,
    to_study,
)

__all__ = ["EdfData", "draw", "edf_data"]


class EdfData(NamedTuple):
    metric: str
    scores: list[float]  # the completed trials' scores, ascending
    fractions: list[float]  # the fraction of trials scoring at most each of `scores`


def edf_data(result: Any) -> EdfData:
    """The completed trials' scores, sorted, with their cumulative fractions."""
    scores = sorted(completed_frame(result)["score"].astype(float))
    n = len(scores)
    fractions = [sum(s <= value for s in scores) / n for value in scores]
    return EdfData(result.objective.name, scores, fractions)


def draw(result: Any) -> Any:
    """The empirical distribution function of `result`'s scores."""
    from optuna.visualization.matplotlib import plot_edf

    study = to_study(result)
    require_completed(study, "edf", trials=1)
    with optuna_quiet():
        ax = plot_edf(study, target_name=result.objective.name)
    fig = figure_of(ax, f"{result.path.name}: empirical distribution of {result.objective.name}")
    fig.set_size_inches(6.5, 4)
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()  # one study: Optuna's legend would only repeat its name
    fig.tight_layout()
    return fig
